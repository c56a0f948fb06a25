//! pcapng: a sequence of blocks `type, total length, body, total length`. Sections (SHB) set the
//! byte order and reset the interface list; interfaces (IDB) carry the link type and timestamp
//! resolution (`if_tsresol`) and offset (`if_tsoffset`); packets come in EPB, SPB and the
//! obsolete OPB. Every other block is skipped.

use super::{Endian, Fill, MAX_RECORD_LEN, PacketMeta, Source};
use crate::error::Result;

pub(crate) const SHB_TYPE: u32 = 0x0A0D_0D0A;
const IDB_TYPE: u32 = 1;
const OPB_TYPE: u32 = 2;
const SPB_TYPE: u32 = 3;
const EPB_TYPE: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: u32,
    snaplen: u32,
    /// Timestamp units per second as (base, exponent): 10^6 by default.
    resol: Resolution,
    offset_sec: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    Dec(u8),
    Bin(u8),
}

impl Resolution {
    fn from_option(v: u8) -> Self {
        if v & 0x80 == 0 {
            Resolution::Dec(v)
        } else {
            Resolution::Bin(v & 0x7f)
        }
    }

    /// Splits a raw timestamp into (seconds, nanoseconds).
    fn split(self, ts: u64) -> (i64, u32) {
        match self {
            Resolution::Dec(d) => {
                let Some(per_sec) = 10u64.checked_pow(d as u32) else {
                    return (0, 0);
                };
                let (sec, frac) = (ts / per_sec, ts % per_sec);
                let nsec = if d <= 9 {
                    frac * 10u64.pow(9 - d as u32)
                } else {
                    frac / 10u64.pow(d as u32 - 9)
                };
                (sec as i64, nsec as u32)
            }
            Resolution::Bin(b) => {
                if b >= 64 {
                    return (0, 0);
                }
                let sec = ts >> b;
                let frac = ts & ((1u64 << b) - 1);
                let nsec = ((frac as u128 * 1_000_000_000) >> b) as u32;
                (sec as i64, nsec)
            }
        }
    }
}

pub(crate) struct PcapNgState {
    endian: Endian,
    interfaces: Vec<Interface>,
}

/// Most interfaces a section may declare before we call the file corrupt.
const MAX_INTERFACES: usize = 4096;

impl PcapNgState {
    /// Reads the first SHB (its type was already read from the stream).
    pub(crate) fn start(src: &mut Source, buf: &mut Vec<u8>) -> Result<Self> {
        let mut s = PcapNgState {
            endian: Endian::Little,
            interfaces: Vec::new(),
        };
        s.section(src, buf, 0, src.offset() - 4)?;
        Ok(s)
    }

    /// Reads an SHB whose 4-byte type was consumed at `at`.
    fn section(&mut self, src: &mut Source, buf: &mut Vec<u8>, frame: u64, at: u64) -> Result<()> {
        src.fill_required(buf, 8, frame)?;
        let endian = match u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) {
            BYTE_ORDER_MAGIC => Endian::Little,
            0x4D3C_2B1A => Endian::Big,
            m => {
                return Err(src.error_at(
                    at,
                    frame,
                    format!("section header has a bad byte-order magic {m:08x}"),
                ));
            }
        };
        let len = endian.u32(buf, 0).unwrap_or(0) as usize;
        if len < 28 || !len.is_multiple_of(4) || len > MAX_RECORD_LEN {
            return Err(src.error_at(at, frame, format!("section header length {len} is invalid")));
        }
        // Rest of the block after type, length and magic.
        src.fill_required(buf, len - 12, frame)?;
        self.endian = endian;
        self.interfaces.clear();
        Ok(())
    }

    pub(crate) fn next(
        &mut self,
        src: &mut Source,
        buf: &mut Vec<u8>,
        frame: u64,
    ) -> Result<Option<PacketMeta>> {
        loop {
            let at = src.offset();
            if let Fill::Eof = src.fill(buf, 4, frame)? {
                return Ok(None);
            }
            let raw_type = [buf[0], buf[1], buf[2], buf[3]];
            if u32::from_le_bytes(raw_type) == SHB_TYPE {
                self.section(src, buf, frame, at)?;
                continue;
            }
            let e = self.endian;
            let btype = e.u32(&raw_type, 0).unwrap_or(0);
            src.fill_required(buf, 4, frame)?;
            let len = e.u32(buf, 0).unwrap_or(0) as usize;
            if len < 12 || !len.is_multiple_of(4) || len > MAX_RECORD_LEN {
                return Err(src.error_at(
                    at,
                    frame,
                    format!("block of type {btype:#x} has an invalid length {len}"),
                ));
            }
            // Body plus trailing length.
            src.fill_required(buf, len - 8, frame)?;
            let body_len = len - 12;
            if e.u32(buf, body_len) != Some(len as u32) {
                return Err(src.error_at(
                    at,
                    frame,
                    format!("block of type {btype:#x}: trailing length does not match {len}"),
                ));
            }
            let corrupt =
                |what: &str| src.error_at(at, frame, format!("block of type {btype:#x}: {what}"));
            match btype {
                IDB_TYPE => {
                    if self.interfaces.len() >= MAX_INTERFACES {
                        return Err(corrupt("too many interfaces"));
                    }
                    let body = &buf[..body_len];
                    let link_type = e.u16(body, 0).ok_or_else(|| corrupt("short IDB"))? as u32;
                    let snaplen = e.u32(body, 4).ok_or_else(|| corrupt("short IDB"))?;
                    let mut iface = Interface {
                        link_type,
                        snaplen,
                        resol: Resolution::Dec(6),
                        offset_sec: 0,
                    };
                    for (code, value) in options(e, body.get(8..).unwrap_or(&[])) {
                        match code {
                            9 if !value.is_empty() => {
                                iface.resol = Resolution::from_option(value[0])
                            }
                            14 => {
                                if let Some(v) = e.u64(value, 0) {
                                    iface.offset_sec = v as i64;
                                }
                            }
                            _ => {}
                        }
                    }
                    self.interfaces.push(iface);
                }
                EPB_TYPE | OPB_TYPE => {
                    let body = &buf[..body_len];
                    let (iface_id, hi, lo, cap, orig) = if btype == EPB_TYPE {
                        (
                            e.u32(body, 0),
                            e.u32(body, 4),
                            e.u32(body, 8),
                            e.u32(body, 12),
                            e.u32(body, 16),
                        )
                    } else {
                        (
                            e.u16(body, 0).map(u32::from),
                            e.u32(body, 4),
                            e.u32(body, 8),
                            e.u32(body, 12),
                            e.u32(body, 16),
                        )
                    };
                    let (Some(iface_id), Some(hi), Some(lo), Some(cap), Some(orig)) =
                        (iface_id, hi, lo, cap, orig)
                    else {
                        return Err(corrupt("packet block too short"));
                    };
                    let Some(iface) = self.interfaces.get(iface_id as usize).copied() else {
                        return Err(corrupt(&format!("unknown interface {iface_id}")));
                    };
                    let cap = cap as usize;
                    if 20 + cap > body_len {
                        return Err(corrupt(&format!("captured length {cap} exceeds the block")));
                    }
                    let (sec, nsec) = iface.resol.split(((hi as u64) << 32) | lo as u64);
                    return Ok(Some(PacketMeta {
                        ts_sec: sec.saturating_add(iface.offset_sec),
                        ts_nsec: nsec,
                        orig_len: orig,
                        link_type: iface.link_type,
                        data: 20..20 + cap,
                        in_block: false,
                    }));
                }
                SPB_TYPE => {
                    let Some(iface) = self.interfaces.first().copied() else {
                        return Err(corrupt("simple packet block before any interface"));
                    };
                    let orig = e.u32(buf, 0).ok_or_else(|| corrupt("short SPB"))?;
                    let mut cap = (orig as usize).min(body_len - 4);
                    if iface.snaplen != 0 {
                        cap = cap.min(iface.snaplen as usize);
                    }
                    return Ok(Some(PacketMeta {
                        ts_sec: 0,
                        ts_nsec: 0,
                        orig_len: orig,
                        link_type: iface.link_type,
                        data: 4..4 + cap,
                        in_block: false,
                    }));
                }
                _ => {}
            }
        }
    }
}

/// The (code, value) options of a block body, stopping at `opt_endofopt` or malformed data.
fn options(e: Endian, mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let code = e.u16(b, 0)?;
        let len = e.u16(b, 2)? as usize;
        if code == 0 {
            return None;
        }
        let value = b.get(4..4 + len)?;
        let padded = 4 + len.div_ceil(4) * 4;
        b = b.get(padded..).unwrap_or(&[]);
        Some((code, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        assert_eq!(Resolution::Dec(6).split(1_500_000), (1, 500_000_000));
        assert_eq!(Resolution::Dec(9).split(2_000_000_007), (2, 7));
        assert_eq!(
            Resolution::Dec(12).split(1_000_000_000_123_456),
            (1000, 123)
        );
        assert_eq!(Resolution::Dec(0).split(5), (5, 0));
        assert_eq!(Resolution::Bin(10).split(1024 + 512), (1, 500_000_000));
        assert_eq!(Resolution::Dec(30).split(5), (0, 0));
        assert_eq!(Resolution::from_option(0x8a), Resolution::Bin(10));
        assert_eq!(Resolution::from_option(9), Resolution::Dec(9));
    }
}
