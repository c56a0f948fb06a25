//! Templates of NetFlow v9 and IPFIX, and the mapping of information elements to a
//! [`FlowRecord`].
//!
//! Element ids are IANA's IPFIX ids, which NetFlow v9 shares for 1..127. Values are unsigned
//! big-endian numbers of any length up to 8 bytes (reduced-size encoding), addresses of 4 or 16
//! bytes, MACs of 6 bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::flow::FlowRecord;

/// Length marking a variable-length IPFIX field.
pub(crate) const VARLEN: u16 = 0xFFFF;

/// One field of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub id: u16,
    pub len: u16,
    /// Enterprise-specific (IPFIX enterprise bit set): skipped.
    pub enterprise: bool,
}

/// A data or options template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pub fields: Vec<Field>,
    /// Options templates describe exporter metadata (sampling, system init time), not flows.
    pub options: bool,
    /// Smallest encoded record (variable-length fields count their 1-byte length prefix).
    pub min_len: usize,
}

impl Template {
    pub(crate) fn new(fields: Vec<Field>, options: bool) -> Self {
        let min_len = fields
            .iter()
            .map(|f| if f.len == VARLEN { 1 } else { f.len as usize })
            .sum();
        Template {
            fields,
            options,
            min_len,
        }
    }
}

/// Values of a record that need the whole record before they mean something (relative times,
/// ICMP type/code, engine, sampling): nfdump's "stack".
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Pending {
    pub sysup_first: Option<u64>,
    pub sysup_last: Option<u64>,
    pub sys_init_msec: Option<u64>,
    pub sec_first: Option<u64>,
    pub sec_last: Option<u64>,
    pub msec_first: Option<u64>,
    pub msec_last: Option<u64>,
    pub duration_msec: Option<u64>,
    pub icmp_type_code: Option<u64>,
    pub icmp_type: Option<u64>,
    pub icmp_code: Option<u64>,
    pub engine_type: Option<u64>,
    pub engine_id: Option<u64>,
    /// Sampling announced in options data: interval (v9 #34, v5 header), or IPFIX packet
    /// interval (#305) and space (#306).
    pub sampling_interval: Option<u64>,
    pub packet_interval: Option<u64>,
    pub packet_space: Option<u64>,
}

fn number(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 8 {
        return None;
    }
    Some(v.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64))
}

fn address(v: &[u8]) -> Option<IpAddr> {
    match v.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3]))),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(v);
            Some(IpAddr::V6(Ipv6Addr::from(a)))
        }
        _ => None,
    }
}

/// Applies one field value. Returns `false` when the element has no place in a flow record
/// (or its length does not fit), so the caller can count it.
pub(crate) fn apply(id: u16, v: &[u8], r: &mut FlowRecord, p: &mut Pending) -> bool {
    let n = || number(v);
    macro_rules! set {
        ($place:expr, $ty:ty) => {
            match n() {
                Some(x) => {
                    $place = x as $ty;
                    true
                }
                None => false,
            }
        };
    }
    macro_rules! keep {
        ($place:expr) => {
            match n() {
                Some(x) => {
                    $place = Some(x);
                    true
                }
                None => false,
            }
        };
    }
    match id {
        1 | 85 => set!(r.in_bytes, u64),
        2 | 86 => set!(r.in_packets, u64),
        4 => set!(r.proto, u8),
        5 => set!(r.src_tos, u8),
        6 => set!(r.tcp_flags, u8),
        7 => set!(r.src_port, u16),
        8 | 27 => match address(v) {
            Some(a) => {
                r.src_addr = a;
                true
            }
            None => false,
        },
        9 | 29 => set!(r.src_mask, u8),
        10 => set!(r.input, u32),
        11 => set!(r.dst_port, u16),
        12 | 28 => match address(v) {
            Some(a) => {
                r.dst_addr = a;
                true
            }
            None => false,
        },
        13 | 30 => set!(r.dst_mask, u8),
        14 => set!(r.output, u32),
        15 | 62 => {
            r.next_hop = address(v);
            r.next_hop.is_some()
        }
        16 => set!(r.src_as, u32),
        17 => set!(r.dst_as, u32),
        18 | 63 => {
            r.bgp_next_hop = address(v);
            r.bgp_next_hop.is_some()
        }
        21 => keep!(p.sysup_last),
        22 => keep!(p.sysup_first),
        23 => set!(r.out_bytes, u64),
        24 => set!(r.out_packets, u64),
        32 | 139 => keep!(p.icmp_type_code),
        34 => keep!(p.sampling_interval),
        38 => keep!(p.engine_type),
        39 => keep!(p.engine_id),
        55 => set!(r.dst_tos, u8),
        56 => set!(r.macs[0], u64),
        57 => set!(r.macs[1], u64),
        80 => set!(r.macs[2], u64),
        81 => set!(r.macs[3], u64),
        58 | 243 => set!(r.src_vlan, u32),
        59 | 254 => set!(r.dst_vlan, u32),
        61 => set!(r.dir, u8),
        70..=79 => {
            // MPLS label stack entries: 3 bytes (label, exp, bottom-of-stack bit).
            set!(r.mpls[(id - 70) as usize], u32)
        }
        89 => set!(r.fwd_status, u8),
        150 => keep!(p.sec_first),
        151 => keep!(p.sec_last),
        152 => keep!(p.msec_first),
        153 => keep!(p.msec_last),
        160 => keep!(p.sys_init_msec),
        161 => keep!(p.duration_msec),
        176 | 178 => keep!(p.icmp_type),
        177 | 179 => keep!(p.icmp_code),
        305 => keep!(p.packet_interval),
        306 => keep!(p.packet_space),
        _ => false,
    }
}

/// Reads one record of `t` from `data`; calls `field` with each field's id and value.
/// Returns the bytes consumed, or `None` when the record does not fit in `data`.
pub(crate) fn walk_record(
    t: &Template,
    data: &[u8],
    mut field: impl FnMut(&Field, &[u8]),
) -> Option<usize> {
    let mut pos = 0usize;
    for f in &t.fields {
        let len = if f.len == VARLEN {
            let first = *data.get(pos)? as usize;
            pos += 1;
            if first == 255 {
                let hi = *data.get(pos)? as usize;
                let lo = *data.get(pos + 1)? as usize;
                pos += 2;
                (hi << 8) | lo
            } else {
                first
            }
        } else {
            f.len as usize
        };
        let v = data.get(pos..pos.checked_add(len)?)?;
        pos += len;
        field(f, v);
    }
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduced_size_numbers_and_addresses() {
        let mut r = FlowRecord::default();
        let mut p = Pending::default();
        assert!(apply(1, &[0, 0, 1, 0], &mut r, &mut p));
        assert!(apply(2, &[7], &mut r, &mut p));
        assert!(apply(
            27,
            &[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            &mut r,
            &mut p
        ));
        assert!(!apply(8, &[1, 2, 3], &mut r, &mut p));
        assert!(!apply(9999, &[1], &mut r, &mut p));
        assert_eq!((r.in_bytes, r.in_packets), (256, 7));
        assert_eq!(r.src_addr.to_string(), "2001:db8::1");
    }

    #[test]
    fn variable_length_fields() {
        let t = Template::new(
            vec![
                Field {
                    id: 4,
                    len: 1,
                    enterprise: false,
                },
                Field {
                    id: 82,
                    len: VARLEN,
                    enterprise: false,
                },
                Field {
                    id: 83,
                    len: VARLEN,
                    enterprise: false,
                },
            ],
            false,
        );
        let mut long = vec![6u8, 3, b'e', b't', b'h', 255, 1, 0];
        long.extend(std::iter::repeat_n(b'x', 256));
        let mut seen = Vec::new();
        assert_eq!(
            walk_record(&t, &long, |f, v| seen.push((f.id, v.len()))),
            Some(long.len())
        );
        assert_eq!(seen, vec![(4, 1), (82, 3), (83, 256)]);
        assert_eq!(walk_record(&t, &long[..20], |_, _| {}), None);
    }
}
