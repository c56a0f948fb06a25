//! TCP headers and DNS-over-TCP stream reassembly (RFC 1035 §4.2.2: each message is preceded
//! by a 2-byte length), per flow, with bounded buffers and a bounded number of flows.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use super::be16;
use super::be32;

/// TCP flags we act on.
pub const FIN: u8 = 0x01;
/// SYN flag.
pub const SYN: u8 = 0x02;
/// RST flag.
pub const RST: u8 = 0x04;

/// A TCP segment's header fields and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Flag bits (FIN, SYN, RST, PSH, ACK, URG...).
    pub flags: u8,
    /// Payload bytes.
    pub payload: &'a [u8],
}

/// Parses a TCP segment; `None` if the header is cut or its data offset is invalid.
pub fn parse(b: &[u8]) -> Option<Segment<'_>> {
    let src_port = be16(b, 0)?;
    let dst_port = be16(b, 2)?;
    let seq = be32(b, 4)?;
    let off = (*b.get(12)? >> 4) as usize * 4;
    let flags = *b.get(13)?;
    if off < 20 {
        return None;
    }
    Some(Segment {
        src_port,
        dst_port,
        seq,
        flags,
        payload: b.get(off..)?,
    })
}

/// One direction of a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Sender address.
    pub src: IpAddr,
    /// Receiver address.
    pub dst: IpAddr,
    /// Sender port.
    pub src_port: u16,
    /// Receiver port.
    pub dst_port: u16,
}

/// Limits of the DNS-over-TCP reassembler.
#[derive(Debug, Clone, Copy)]
pub struct TcpLimits {
    /// Flows tracked at once; the least recently used quarter is dropped beyond this.
    pub max_flows: usize,
    /// Out-of-order bytes held per flow before the flow is abandoned.
    pub max_out_of_order: usize,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_flows: 16 * 1024,
            max_out_of_order: 128 * 1024,
        }
    }
}

#[derive(Debug, Default)]
struct Flow {
    next_seq: u32,
    buf: Vec<u8>,
    out_of_order: BTreeMap<u32, Vec<u8>>,
    ooo_bytes: usize,
    last_used: u64,
}

/// Counters of the reassembler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpCounters {
    /// Flows dropped to stay within `max_flows`.
    pub flows_evicted: u64,
    /// Flows abandoned because a gap was never filled within `max_out_of_order`.
    pub gaps: u64,
    /// Segments entirely already seen (retransmissions).
    pub retransmissions: u64,
    /// Partial messages left when a flow closed or was dropped.
    pub incomplete_messages: u64,
}

/// Reassembles DNS messages from TCP segments.
#[derive(Debug, Default)]
pub struct DnsTcpReassembler {
    limits: TcpLimits,
    flows: HashMap<FlowKey, Flow>,
    clock: u64,
    /// What happened so far.
    pub counters: TcpCounters,
}

impl DnsTcpReassembler {
    /// A reassembler with the given limits.
    pub fn new(limits: TcpLimits) -> Self {
        DnsTcpReassembler {
            limits,
            ..Default::default()
        }
    }

    /// Flows currently tracked.
    pub fn flows(&self) -> usize {
        self.flows.len()
    }

    fn close(&mut self, key: &FlowKey) {
        if let Some(f) = self.flows.remove(key)
            && (!f.buf.is_empty() || !f.out_of_order.is_empty())
        {
            self.counters.incomplete_messages += 1;
        }
    }

    fn make_room(&mut self) {
        if self.flows.len() < self.limits.max_flows.max(1) {
            return;
        }
        let mut ages: Vec<(u64, FlowKey)> =
            self.flows.iter().map(|(k, f)| (f.last_used, *k)).collect();
        ages.sort_unstable_by_key(|(t, _)| *t);
        let n = (ages.len() / 4).max(1);
        for (_, k) in ages.into_iter().take(n) {
            self.close(&k);
            self.counters.flows_evicted += 1;
        }
    }

    /// Feeds one segment; complete DNS messages (without their length prefix) are appended to
    /// `out`.
    pub fn push(&mut self, key: FlowKey, seg: &Segment<'_>, out: &mut Vec<Vec<u8>>) {
        self.clock += 1;
        let now = self.clock;
        if seg.flags & SYN != 0 {
            self.close(&key);
            self.make_room();
            self.flows.insert(
                key,
                Flow {
                    next_seq: seg.seq.wrapping_add(1),
                    last_used: now,
                    ..Default::default()
                },
            );
        } else if !seg.payload.is_empty() && !self.flows.contains_key(&key) {
            // Joined mid-stream: assume the segment starts a message.
            self.make_room();
            self.flows.insert(
                key,
                Flow {
                    next_seq: seg.seq,
                    last_used: now,
                    ..Default::default()
                },
            );
        }
        let seq = if seg.flags & SYN != 0 {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        if !seg.payload.is_empty() {
            let max_ooo = self.limits.max_out_of_order;
            let mut abandon = false;
            if let Some(flow) = self.flows.get_mut(&key) {
                flow.last_used = now;
                let d = seq.wrapping_sub(flow.next_seq) as i32;
                if d > 0 {
                    if flow.ooo_bytes + seg.payload.len() > max_ooo {
                        abandon = true;
                    } else if !flow.out_of_order.contains_key(&seq) {
                        flow.ooo_bytes += seg.payload.len();
                        flow.out_of_order.insert(seq, seg.payload.to_vec());
                    }
                } else if !append(flow, seq, seg.payload) {
                    self.counters.retransmissions += 1;
                }
                // Drain queued segments that now fit.
                while let Some((&s, _)) = flow.out_of_order.first_key_value() {
                    if (s.wrapping_sub(flow.next_seq) as i32) > 0 {
                        break;
                    }
                    let Some((s, data)) = flow.out_of_order.pop_first() else {
                        break;
                    };
                    flow.ooo_bytes -= data.len();
                    append(flow, s, &data);
                }
                extract(&mut flow.buf, out);
            }
            if abandon {
                self.close(&key);
                self.counters.gaps += 1;
            }
        }
        if seg.flags & (FIN | RST) != 0 {
            self.close(&key);
        }
    }
}

/// Appends the part of `data` (starting at `seq`) beyond what the flow has; false if nothing
/// was new.
fn append(flow: &mut Flow, seq: u32, data: &[u8]) -> bool {
    let skip = flow.next_seq.wrapping_sub(seq) as usize;
    if skip >= data.len() {
        return false;
    }
    flow.buf.extend_from_slice(&data[skip..]);
    flow.next_seq = seq.wrapping_add(data.len() as u32);
    true
}

/// Moves every complete length-prefixed message out of `buf`.
fn extract(buf: &mut Vec<u8>, out: &mut Vec<Vec<u8>>) {
    let mut at = 0;
    while let Some(n) = be16(buf, at) {
        let n = n as usize;
        let Some(msg) = buf.get(at + 2..at + 2 + n) else {
            break;
        };
        out.push(msg.to_vec());
        at += 2 + n;
    }
    buf.drain(..at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FlowKey {
        FlowKey {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            src_port: 53,
            dst_port: 40000,
        }
    }

    fn seg(seq: u32, flags: u8, payload: &[u8]) -> Segment<'_> {
        Segment {
            src_port: 53,
            dst_port: 40000,
            seq,
            flags,
            payload,
        }
    }

    #[test]
    fn header() {
        let mut b = vec![0, 53, 0x9c, 0x40, 0, 0, 0, 9, 0, 0, 0, 0, 0x50, 0x18, 0, 0];
        b.extend([0u8; 4]);
        b.extend(b"xy");
        let s = parse(&b).unwrap();
        assert_eq!(
            (s.src_port, s.dst_port, s.seq, s.flags),
            (53, 40000, 9, 0x18)
        );
        assert_eq!(s.payload, b"xy");
        b[12] = 0x40;
        assert!(parse(&b).is_none());
        assert!(parse(&b[..13]).is_none());
    }

    #[test]
    fn split_and_coalesced_messages() {
        let mut r = DnsTcpReassembler::default();
        let mut out = Vec::new();
        r.push(key(), &seg(100, SYN, b""), &mut out);
        // Message "abc" split over three segments, then two messages in one segment.
        r.push(key(), &seg(101, 0, &[0]), &mut out);
        r.push(key(), &seg(102, 0, &[3, b'a']), &mut out);
        assert!(out.is_empty());
        r.push(key(), &seg(104, 0, b"bc"), &mut out);
        assert_eq!(out, vec![b"abc".to_vec()]);
        out.clear();
        r.push(
            key(),
            &seg(106, 0, &[0, 1, b'x', 0, 2, b'y', b'z', 0]),
            &mut out,
        );
        assert_eq!(out, vec![b"x".to_vec(), b"yz".to_vec()]);
        out.clear();
        // Retransmission is ignored; overlap keeps only the new part.
        r.push(key(), &seg(106, 0, &[0, 1, b'x']), &mut out);
        assert_eq!(r.counters.retransmissions, 1);
        r.push(key(), &seg(113, 0, &[0, 1, b'q']), &mut out);
        assert_eq!(out, vec![b"q".to_vec()]);
        r.push(key(), &seg(116, FIN, b""), &mut out);
        assert_eq!(r.flows(), 0);
        assert_eq!(r.counters.incomplete_messages, 0);
    }

    #[test]
    fn out_of_order_and_gaps() {
        let mut r = DnsTcpReassembler::new(TcpLimits {
            max_flows: 4,
            max_out_of_order: 8,
        });
        let mut out = Vec::new();
        r.push(key(), &seg(0, 0, &[0, 4, b'a']), &mut out);
        r.push(key(), &seg(5, 0, b"d"), &mut out);
        r.push(key(), &seg(3, 0, b"bc"), &mut out);
        assert_eq!(out, vec![b"abcd".to_vec()]);
        // A gap larger than the out-of-order budget abandons the flow.
        r.push(key(), &seg(6, 0, &[0, 9]), &mut out);
        r.push(key(), &seg(100, 0, &[0u8; 9]), &mut out);
        assert_eq!(r.counters.gaps, 1);
        assert_eq!(r.flows(), 0);
        // Wrapping sequence numbers.
        out.clear();
        r.push(key(), &seg(u32::MAX - 1, 0, &[0, 2]), &mut out);
        r.push(key(), &seg(0, 0, b"hi"), &mut out);
        assert_eq!(out, vec![b"hi".to_vec()]);
    }

    #[test]
    fn flow_table_is_bounded() {
        let mut r = DnsTcpReassembler::new(TcpLimits {
            max_flows: 8,
            max_out_of_order: 8,
        });
        let mut out = Vec::new();
        for p in 0..100u16 {
            let mut k = key();
            k.dst_port = p;
            r.push(k, &seg(0, 0, &[0, 5, 1]), &mut out);
            assert!(r.flows() <= 8);
        }
        assert!(r.counters.flows_evicted >= 92);
        assert!(r.counters.incomplete_messages >= 92);
    }
}
