//! IPv4 and IPv6 headers (IPv6 extension headers walked), with bounded fragment reassembly.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::link::Network;
use super::{be16, be32};

/// IP protocol number of TCP.
pub const PROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const PROTO_UDP: u8 = 17;

/// An IP packet's addresses, upper-layer protocol and payload (reassembled if it was
/// fragmented).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub protocol: u8,
    /// Upper-layer bytes.
    pub payload: Cow<'a, [u8]>,
}

/// Why an IP packet gives no payload now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpSkip {
    /// The capture cut the packet short (snap length) or it ends inside a header.
    Truncated,
    /// Wrong version, header length or total length.
    BadHeader,
    /// A fragment was stored, waiting for the rest of its datagram.
    FragmentHeld,
    /// A fragment was unusable (beyond 64 KiB, or its datagram was evicted).
    FragmentDropped,
    /// An encrypted (ESP) or otherwise opaque payload.
    Opaque,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    id: u32,
}

#[derive(Debug)]
struct Pending {
    pieces: Vec<(usize, Vec<u8>)>,
    total: Option<usize>,
    bytes: usize,
    first_seen: i64,
}

/// Limits of the fragment reassembler.
#[derive(Debug, Clone, Copy)]
pub struct ReassemblyLimits {
    /// Datagrams held at once; the oldest is dropped beyond this.
    pub max_datagrams: usize,
    /// Bytes held at once over all datagrams.
    pub max_bytes: usize,
    /// Seconds (capture time) after which an incomplete datagram is dropped.
    pub timeout_sec: i64,
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        ReassemblyLimits {
            max_datagrams: 1024,
            max_bytes: 16 * 1024 * 1024,
            timeout_sec: 30,
        }
    }
}

/// Reassembles IPv4 and IPv6 fragments with bounded memory.
#[derive(Debug, Default)]
pub struct Reassembler {
    limits: ReassemblyLimits,
    pending: HashMap<FragKey, Pending>,
    bytes: usize,
    /// Incomplete datagrams dropped (timeout or memory bound), counted once each.
    pub dropped_datagrams: u64,
}

const MAX_DATAGRAM: usize = 65_535;

impl Reassembler {
    /// A reassembler with the given limits.
    pub fn new(limits: ReassemblyLimits) -> Self {
        Reassembler {
            limits,
            ..Default::default()
        }
    }

    /// Datagrams currently waiting for fragments.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn evict(&mut self, key: &FragKey) {
        if let Some(p) = self.pending.remove(key) {
            self.bytes -= p.bytes;
            self.dropped_datagrams += 1;
        }
    }

    fn expire(&mut self, now: i64) {
        let limit = self.limits.timeout_sec;
        let old: Vec<FragKey> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.first_seen) > limit)
            .map(|(k, _)| *k)
            .collect();
        for k in old {
            self.evict(&k);
        }
    }

    fn oldest(&self) -> Option<FragKey> {
        self.pending
            .iter()
            .min_by_key(|(_, p)| p.first_seen)
            .map(|(k, _)| *k)
    }

    /// Adds a fragment; returns the whole datagram's payload once complete.
    fn add(
        &mut self,
        key: FragKey,
        offset: usize,
        more: bool,
        data: &[u8],
        now: i64,
    ) -> Result<Vec<u8>, IpSkip> {
        self.expire(now);
        let end = offset + data.len();
        if end > MAX_DATAGRAM || data.len() > self.limits.max_bytes {
            self.evict(&key);
            return Err(IpSkip::FragmentDropped);
        }
        while self.bytes + data.len() > self.limits.max_bytes
            || (!self.pending.contains_key(&key) && self.pending.len() >= self.limits.max_datagrams)
        {
            match self.oldest() {
                Some(k) => self.evict(&k),
                None => break,
            }
        }
        let p = self.pending.entry(key).or_insert_with(|| Pending {
            pieces: Vec::new(),
            total: None,
            bytes: 0,
            first_seen: now,
        });
        p.pieces.push((offset, data.to_vec()));
        p.bytes += data.len();
        self.bytes += data.len();
        if !more {
            p.total = Some(end);
        }
        let Some(total) = p.total else {
            return Err(IpSkip::FragmentHeld);
        };
        p.pieces.sort_by_key(|(o, _)| *o);
        let mut covered = 0;
        for (o, d) in &p.pieces {
            if *o > covered {
                return Err(IpSkip::FragmentHeld);
            }
            covered = covered.max(o + d.len());
        }
        if covered < total {
            return Err(IpSkip::FragmentHeld);
        }
        let Some(p) = self.pending.remove(&key) else {
            return Err(IpSkip::FragmentDropped);
        };
        self.bytes -= p.bytes;
        let mut out = vec![0u8; total];
        for (o, d) in &p.pieces {
            let n = d.len().min(total.saturating_sub(*o));
            out[*o..o + n].copy_from_slice(&d[..n]);
        }
        Ok(out)
    }
}

fn v4(b: &[u8], at: usize) -> Option<IpAddr> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(IpAddr::V4(Ipv4Addr::from(s)))
}

fn v6(b: &[u8], at: usize) -> Option<IpAddr> {
    let s: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(IpAddr::V6(Ipv6Addr::from(s)))
}

/// Parses an IP packet; fragments go through `reasm` (`now` is the capture time in seconds).
pub fn parse<'a>(
    net: Network<'a>,
    reasm: &mut Reassembler,
    now: i64,
) -> Result<IpPacket<'a>, IpSkip> {
    match net {
        Network::Ipv4(b) => parse_v4(b, reasm, now),
        Network::Ipv6(b) => parse_v6(b, reasm, now),
    }
}

fn parse_v4<'a>(b: &'a [u8], reasm: &mut Reassembler, now: i64) -> Result<IpPacket<'a>, IpSkip> {
    let first = *b.first().ok_or(IpSkip::Truncated)?;
    if first >> 4 != 4 {
        return Err(IpSkip::BadHeader);
    }
    let ihl = (first & 0x0f) as usize * 4;
    if ihl < 20 {
        return Err(IpSkip::BadHeader);
    }
    let total = be16(b, 2).ok_or(IpSkip::Truncated)? as usize;
    if total < ihl {
        return Err(IpSkip::BadHeader);
    }
    if b.len() < ihl {
        return Err(IpSkip::Truncated);
    }
    let (src, dst) = (
        v4(b, 12).ok_or(IpSkip::Truncated)?,
        v4(b, 16).ok_or(IpSkip::Truncated)?,
    );
    let protocol = b[9];
    // Frames may carry link padding after the datagram; a shorter frame was cut by snaplen.
    let payload = b.get(ihl..total).ok_or(IpSkip::Truncated)?;
    let frag = be16(b, 6).ok_or(IpSkip::Truncated)?;
    let more = frag & 0x2000 != 0;
    let offset = (frag & 0x1fff) as usize * 8;
    if !more && offset == 0 {
        return Ok(IpPacket {
            src,
            dst,
            protocol,
            payload: Cow::Borrowed(payload),
        });
    }
    let id = be16(b, 4).ok_or(IpSkip::Truncated)? as u32;
    let key = FragKey {
        src,
        dst,
        protocol,
        id,
    };
    let whole = reasm.add(key, offset, more, payload, now)?;
    Ok(IpPacket {
        src,
        dst,
        protocol,
        payload: Cow::Owned(whole),
    })
}

/// Most extension headers we walk before calling the packet malformed.
const MAX_EXTENSIONS: usize = 16;

fn parse_v6<'a>(b: &'a [u8], reasm: &mut Reassembler, now: i64) -> Result<IpPacket<'a>, IpSkip> {
    let first = *b.first().ok_or(IpSkip::Truncated)?;
    if first >> 4 != 6 {
        return Err(IpSkip::BadHeader);
    }
    let plen = be16(b, 4).ok_or(IpSkip::Truncated)? as usize;
    let mut next = *b.get(6).ok_or(IpSkip::Truncated)?;
    let (src, dst) = (
        v6(b, 8).ok_or(IpSkip::Truncated)?,
        v6(b, 24).ok_or(IpSkip::Truncated)?,
    );
    let mut rest = if plen == 0 {
        // Jumbogram (or bogus): take what was captured.
        b.get(40..).ok_or(IpSkip::Truncated)?
    } else {
        b.get(40..40 + plen).ok_or(IpSkip::Truncated)?
    };
    for _ in 0..MAX_EXTENSIONS {
        match next {
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6.
            0 | 43 | 60 | 135 | 139 | 140 => {
                let len = (*rest.get(1).ok_or(IpSkip::Truncated)? as usize + 1) * 8;
                next = rest[0];
                rest = rest.get(len..).ok_or(IpSkip::Truncated)?;
            }
            // Authentication header: length in 4-byte units, minus 2.
            51 => {
                let len = (*rest.get(1).ok_or(IpSkip::Truncated)? as usize + 2) * 4;
                next = rest[0];
                rest = rest.get(len..).ok_or(IpSkip::Truncated)?;
            }
            44 => {
                let hdr = rest.get(..8).ok_or(IpSkip::Truncated)?;
                next = hdr[0];
                let off_flags = be16(hdr, 2).ok_or(IpSkip::Truncated)?;
                let id = be32(hdr, 4).ok_or(IpSkip::Truncated)?;
                let offset = (off_flags >> 3) as usize * 8;
                let more = off_flags & 1 != 0;
                rest = &rest[8..];
                if offset == 0 && !more {
                    continue; // atomic fragment
                }
                let key = FragKey {
                    src,
                    dst,
                    protocol: next,
                    id,
                };
                let whole = reasm.add(key, offset, more, rest, now)?;
                return Ok(IpPacket {
                    src,
                    dst,
                    protocol: next,
                    payload: Cow::Owned(whole),
                });
            }
            50 | 59 => return Err(IpSkip::Opaque),
            _ => {
                return Ok(IpPacket {
                    src,
                    dst,
                    protocol: next,
                    payload: Cow::Borrowed(rest),
                });
            }
        }
    }
    Err(IpSkip::BadHeader)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4(id: u16, frag: u16, payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x45, 0];
        h.extend(((20 + payload.len()) as u16).to_be_bytes());
        h.extend(id.to_be_bytes());
        h.extend(frag.to_be_bytes());
        h.extend([64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        h.extend(payload);
        h
    }

    #[test]
    fn ipv4_plain_padding_and_truncation() {
        let mut r = Reassembler::default();
        let mut p = ipv4(1, 0, b"hello");
        p.extend([0, 0, 0]); // Ethernet padding
        let ip = parse(Network::Ipv4(&p), &mut r, 0).unwrap();
        assert_eq!(ip.protocol, PROTO_UDP);
        assert_eq!(&*ip.payload, b"hello");
        assert_eq!(ip.src.to_string(), "10.0.0.1");
        let p = ipv4(1, 0, b"hello");
        assert_eq!(
            parse(Network::Ipv4(&p[..22]), &mut r, 0),
            Err(IpSkip::Truncated)
        );
        let mut bad = p.clone();
        bad[0] = 0x44;
        assert_eq!(
            parse(Network::Ipv4(&bad), &mut r, 0),
            Err(IpSkip::BadHeader)
        );
        assert_eq!(parse(Network::Ipv4(&[]), &mut r, 0), Err(IpSkip::Truncated));
    }

    #[test]
    fn ipv4_fragments_in_any_order() {
        let mut r = Reassembler::default();
        let a = ipv4(7, 0x2000, b"01234567");
        let b = ipv4(7, 0x2001, b"89abcdef");
        let c = ipv4(7, 2, b"XYZ");
        assert_eq!(
            parse(Network::Ipv4(&c), &mut r, 0),
            Err(IpSkip::FragmentHeld)
        );
        assert_eq!(
            parse(Network::Ipv4(&a), &mut r, 0),
            Err(IpSkip::FragmentHeld)
        );
        let ip = parse(Network::Ipv4(&b), &mut r, 1).unwrap();
        assert_eq!(&*ip.payload, b"0123456789abcdefXYZ");
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn fragments_time_out_and_are_bounded() {
        let mut r = Reassembler::new(ReassemblyLimits {
            max_datagrams: 2,
            max_bytes: 1000,
            timeout_sec: 30,
        });
        for id in 0..5 {
            let a = ipv4(id, 0x2000, b"01234567");
            assert_eq!(
                parse(Network::Ipv4(&a), &mut r, 0),
                Err(IpSkip::FragmentHeld)
            );
        }
        assert_eq!(r.pending(), 2);
        assert_eq!(r.dropped_datagrams, 3);
        let late = ipv4(4, 1, b"x");
        assert_eq!(
            parse(Network::Ipv4(&late), &mut r, 100),
            Err(IpSkip::FragmentHeld)
        );
        assert_eq!(r.dropped_datagrams, 5);
        let huge = ipv4(9, 0x1fff, &[0u8; 100]);
        assert_eq!(
            parse(Network::Ipv4(&huge), &mut r, 100),
            Err(IpSkip::FragmentDropped)
        );
    }

    fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend((payload.len() as u16).to_be_bytes());
        h.extend([next, 64]);
        h.extend([0u8; 15]);
        h.push(1);
        h.extend([0u8; 15]);
        h.push(2);
        h.extend(payload);
        h
    }

    #[test]
    fn ipv6_extension_headers_and_fragments() {
        let mut r = Reassembler::default();
        // Hop-by-hop (8 bytes) then destination options (16 bytes) then UDP.
        let mut ext = vec![60, 0, 0, 0, 0, 0, 0, 0, 17, 1];
        ext.extend([0u8; 14]);
        ext.extend(b"udp!");
        let p = ipv6(0, &ext);
        let ip = parse(Network::Ipv6(&p), &mut r, 0).unwrap();
        assert_eq!(ip.protocol, 17);
        assert_eq!(&*ip.payload, b"udp!");
        assert_eq!(ip.dst.to_string(), "::2");
        // Two fragments.
        let mut f1 = vec![17, 0, 0, 1, 0, 0, 0, 9];
        f1.extend(b"01234567");
        let mut f2 = vec![17, 0, 0, 8, 0, 0, 0, 9];
        f2.extend(b"89");
        assert_eq!(
            parse(Network::Ipv6(&ipv6(44, &f1)), &mut r, 0),
            Err(IpSkip::FragmentHeld)
        );
        let p2 = ipv6(44, &f2);
        let ip = parse(Network::Ipv6(&p2), &mut r, 0).unwrap();
        assert_eq!(&*ip.payload, b"0123456789");
        assert_eq!(ip.protocol, 17);
        assert_eq!(
            parse(Network::Ipv6(&ipv6(50, b"secret")), &mut r, 0),
            Err(IpSkip::Opaque)
        );
        // Extension header running past the packet.
        assert_eq!(
            parse(Network::Ipv6(&ipv6(0, &[17, 5, 0, 0])), &mut r, 0),
            Err(IpSkip::Truncated)
        );
    }
}
