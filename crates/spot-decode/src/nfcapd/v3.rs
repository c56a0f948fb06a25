//! nfdump's V3 flow record (`recordHeaderV3_t` followed by extension elements).
//!
//! Each element is `{u16 type, u16 length}` followed by a fixed struct; the length includes the
//! 4-byte element header. Integers are little-endian; IPv4 addresses are host-order `u32`, IPv6
//! addresses two host-order `u64` halves (most significant first).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::flow::FlowRecord;

/// Record type of a V3 flow record.
pub(crate) const V3_RECORD: u16 = 11;
/// Size of the V3 record header.
pub(crate) const V3_HEADER_LEN: usize = 12;

/// Element ids (nfdump's `EX...ID`).
mod ex {
    pub const GENERIC_FLOW: u16 = 1;
    pub const IPV4_FLOW: u16 = 2;
    pub const IPV6_FLOW: u16 = 3;
    pub const FLOW_MISC: u16 = 4;
    pub const CNT_FLOW: u16 = 5;
    pub const VLAN: u16 = 6;
    pub const AS_ROUTING: u16 = 7;
    pub const BGP_NEXT_HOP_V4: u16 = 8;
    pub const BGP_NEXT_HOP_V6: u16 = 9;
    pub const IP_NEXT_HOP_V4: u16 = 10;
    pub const IP_NEXT_HOP_V6: u16 = 11;
    pub const IP_RECEIVED_V4: u16 = 12;
    pub const IP_RECEIVED_V6: u16 = 13;
    pub const MPLS_LABEL: u16 = 14;
    pub const MAC_ADDR: u16 = 15;
    pub const LATENCY: u16 = 17;
    pub const SAMPLER_INFO: u16 = 18;
}

/// What is known about the elements a file carried beyond the flow columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElementCounts {
    /// Elements with no column here (NSEL/NEL firewall and NAT events, payload, tunnels,
    /// observation ids, unknown ids...), by element id.
    pub skipped: BTreeMap<u16, u64>,
    /// Flows whose record carries sampler information (`EXsamplerInfo`): their counters are as
    /// exported, not scaled by the sampling rate (nfdump prints them the same way).
    pub sampled: u64,
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&self, o: usize) -> u8 {
        self.0[o]
    }
    fn u16(&self, o: usize) -> u16 {
        u16::from_le_bytes([self.0[o], self.0[o + 1]])
    }
    fn u32(&self, o: usize) -> u32 {
        u32::from_le_bytes([self.0[o], self.0[o + 1], self.0[o + 2], self.0[o + 3]])
    }
    fn u64(&self, o: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&self.0[o..o + 8]);
        u64::from_le_bytes(a)
    }
    fn v4(&self, o: usize) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(self.u32(o)))
    }
    fn v6(&self, o: usize) -> IpAddr {
        let hi = self.u64(o) as u128;
        let lo = self.u64(o + 8) as u128;
        IpAddr::V6(Ipv6Addr::from((hi << 64) | lo))
    }
}

/// Smallest element length (header included) for each element we read.
fn min_len(id: u16) -> Option<usize> {
    Some(
        4 + match id {
            ex::GENERIC_FLOW => 48,
            ex::IPV4_FLOW => 8,
            ex::IPV6_FLOW => 32,
            ex::FLOW_MISC => 12,
            ex::CNT_FLOW => 24,
            ex::VLAN | ex::AS_ROUTING => 8,
            ex::BGP_NEXT_HOP_V4 | ex::IP_NEXT_HOP_V4 | ex::IP_RECEIVED_V4 => 4,
            ex::BGP_NEXT_HOP_V6 | ex::IP_NEXT_HOP_V6 | ex::IP_RECEIVED_V6 => 16,
            ex::MPLS_LABEL => 40,
            ex::MAC_ADDR => 32,
            ex::LATENCY => 24,
            ex::SAMPLER_INFO => 8,
            _ => return None,
        },
    )
}

/// Decodes the V3 record `rec` (its header included, `rec.len()` its size) into `out`.
/// Returns why the record is malformed, in which case `out` is unspecified.
pub(crate) fn decode(
    rec: &[u8],
    out: &mut FlowRecord,
    counts: &mut ElementCounts,
) -> Result<(), String> {
    if rec.len() < V3_HEADER_LEN {
        return Err(format!(
            "V3 record of {} bytes is shorter than its header",
            rec.len()
        ));
    }
    let h = Bytes(rec);
    *out = FlowRecord {
        engine_type: h.u8(6),
        engine_id: h.u8(7),
        exporter_id: h.u16(8),
        ..FlowRecord::default()
    };
    let num_elements = h.u16(4);
    let mut pos = V3_HEADER_LEN;
    for i in 0..num_elements {
        if pos + 4 > rec.len() {
            return Err(format!(
                "element {i} of {num_elements} starts past the record's end"
            ));
        }
        let id = h.u16(pos);
        let len = h.u16(pos + 2) as usize;
        if len < 4 || pos + len > rec.len() {
            return Err(format!(
                "element {i} (id {id}) has length {len}, outside the record"
            ));
        }
        let Some(min) = min_len(id) else {
            *counts.skipped.entry(id).or_default() += 1;
            pos += len;
            continue;
        };
        if len < min {
            return Err(format!(
                "element {i} (id {id}) has length {len}, expected at least {min}"
            ));
        }
        let e = Bytes(&rec[pos + 4..pos + len]);
        match id {
            ex::GENERIC_FLOW => {
                out.msec_first = e.u64(0);
                out.msec_last = e.u64(8);
                out.msec_received = e.u64(16);
                out.in_packets = e.u64(24);
                out.in_bytes = e.u64(32);
                out.src_port = e.u16(40);
                out.dst_port = e.u16(42);
                out.proto = e.u8(44);
                out.tcp_flags = e.u8(45);
                out.fwd_status = e.u8(46);
                out.src_tos = e.u8(47);
            }
            ex::IPV4_FLOW => {
                out.src_addr = e.v4(0);
                out.dst_addr = e.v4(4);
            }
            ex::IPV6_FLOW => {
                out.src_addr = e.v6(0);
                out.dst_addr = e.v6(16);
            }
            ex::FLOW_MISC => {
                out.input = e.u32(0);
                out.output = e.u32(4);
                out.src_mask = e.u8(8);
                out.dst_mask = e.u8(9);
                out.dir = e.u8(10);
                out.dst_tos = e.u8(11);
            }
            ex::CNT_FLOW => {
                out.out_packets = e.u64(8);
                out.out_bytes = e.u64(16);
            }
            ex::VLAN => {
                out.src_vlan = e.u32(0);
                out.dst_vlan = e.u32(4);
            }
            ex::AS_ROUTING => {
                out.src_as = e.u32(0);
                out.dst_as = e.u32(4);
            }
            ex::BGP_NEXT_HOP_V4 => out.bgp_next_hop = Some(e.v4(0)),
            ex::BGP_NEXT_HOP_V6 => out.bgp_next_hop = Some(e.v6(0)),
            ex::IP_NEXT_HOP_V4 => out.next_hop = Some(e.v4(0)),
            ex::IP_NEXT_HOP_V6 => out.next_hop = Some(e.v6(0)),
            ex::IP_RECEIVED_V4 => out.router = Some(e.v4(0)),
            ex::IP_RECEIVED_V6 => out.router = Some(e.v6(0)),
            ex::MPLS_LABEL => {
                for (k, m) in out.mpls.iter_mut().enumerate() {
                    *m = e.u32(4 * k);
                }
            }
            ex::MAC_ADDR => {
                for (k, m) in out.macs.iter_mut().enumerate() {
                    *m = e.u64(8 * k);
                }
            }
            ex::LATENCY => {
                for (k, l) in out.latency_usec.iter_mut().enumerate() {
                    *l = e.u64(8 * k);
                }
            }
            ex::SAMPLER_INFO => counts.sampled += 1,
            _ => {}
        }
        pos += len;
    }
    Ok(())
}

/// Test helpers that write V3 records the way nfdump lays them out.
#[cfg(test)]
pub(crate) mod write {
    /// A V3 record with the given header fields and `(element id, payload)` elements.
    pub(crate) fn record(engine: (u8, u8), exporter: u16, elements: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut r = vec![0u8; super::V3_HEADER_LEN];
        r[0..2].copy_from_slice(&super::V3_RECORD.to_le_bytes());
        r[4..6].copy_from_slice(&(elements.len() as u16).to_le_bytes());
        r[6] = engine.0;
        r[7] = engine.1;
        r[8..10].copy_from_slice(&exporter.to_le_bytes());
        for (id, payload) in elements {
            r.extend_from_slice(&id.to_le_bytes());
            r.extend_from_slice(&((payload.len() + 4) as u16).to_le_bytes());
            r.extend_from_slice(payload);
        }
        let n = r.len() as u16;
        r[2..4].copy_from_slice(&n.to_le_bytes());
        r
    }

    /// An `EXgenericFlow` payload.
    pub(crate) fn generic(first: u64, last: u64, pkts: u64, bytes: u64, proto: u8) -> Vec<u8> {
        let mut p = Vec::new();
        for v in [first, last, last + 1000, pkts, bytes] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p.extend_from_slice(&1234u16.to_le_bytes());
        p.extend_from_slice(&80u16.to_le_bytes());
        p.extend_from_slice(&[proto, 0x12, 0, 0]);
        p
    }

    /// An `EXipv4Flow` payload.
    pub(crate) fn ipv4(src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&u32::from_be_bytes(src).to_le_bytes());
        p.extend_from_slice(&u32::from_be_bytes(dst).to_le_bytes());
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_elements_and_counts_skipped_ones() {
        let mut v6 = Vec::new();
        for half in [0x2001_0db8_0000_0000u64, 1, 0, 2] {
            v6.extend_from_slice(&half.to_le_bytes());
        }
        let rec = write::record(
            (17, 1),
            3,
            &[
                (ex::IPV6_FLOW, v6),
                (ex::GENERIC_FLOW, write::generic(1000, 2500, 3, 300, 6)),
                (19, vec![0; 16]),
                (ex::IP_RECEIVED_V4, vec![1, 0, 0, 127]),
                (ex::VLAN, [7u32.to_le_bytes(), 9u32.to_le_bytes()].concat()),
            ],
        );
        let mut out = FlowRecord::default();
        let mut counts = ElementCounts::default();
        decode(&rec, &mut out, &mut counts).unwrap();
        assert_eq!(out.src_addr.to_string(), "2001:db8::1");
        assert_eq!(out.dst_addr.to_string(), "::2");
        assert_eq!((out.msec_first, out.msec_last), (1000, 2500));
        assert_eq!((out.in_packets, out.in_bytes, out.proto), (3, 300, 6));
        assert_eq!(
            (out.src_port, out.dst_port, out.tcp_flags),
            (1234, 80, 0x12)
        );
        assert_eq!(out.router.unwrap().to_string(), "127.0.0.1");
        assert_eq!((out.src_vlan, out.dst_vlan), (7, 9));
        assert_eq!(
            (out.engine_type, out.engine_id, out.exporter_id),
            (17, 1, 3)
        );
        assert_eq!(counts.skipped.get(&19), Some(&1));
    }

    #[test]
    fn rejects_elements_outside_the_record() {
        let mut rec = write::record((0, 0), 0, &[(ex::IPV4_FLOW, vec![0; 8])]);
        rec[14] = 200; // element length past the end
        let mut out = FlowRecord::default();
        assert!(decode(&rec, &mut out, &mut ElementCounts::default()).is_err());
        let short = write::record((0, 0), 0, &[(ex::GENERIC_FLOW, vec![0; 8])]);
        assert!(decode(&short, &mut out, &mut ElementCounts::default()).is_err());
    }
}
