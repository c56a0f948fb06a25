//! Classic libpcap files: a 24-byte header, then 16-byte record headers each followed by the
//! captured bytes. Magic `a1b2c3d4` (µs) or `a1b23c4d` (ns), in either byte order.

use std::ops::Range;

use super::{Endian, MAX_RECORD_LEN, PacketMeta, Source};
use crate::error::Result;

pub(crate) struct PcapState {
    endian: Endian,
    nanos: bool,
    link_type: u32,
}

impl PcapState {
    /// Recognises the magic (already read as the first 4 bytes) and reads the rest of the
    /// header. `None` if the magic is not a pcap one.
    pub(crate) fn start(
        magic: [u8; 4],
        src: &mut Source,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Self>> {
        let (endian, nanos) = match u32::from_le_bytes(magic) {
            0xa1b2_c3d4 => (Endian::Little, false),
            0xa1b2_3c4d => (Endian::Little, true),
            0xd4c3_b2a1 => (Endian::Big, false),
            0x4d3c_b2a1 => (Endian::Big, true),
            _ => return Ok(None),
        };
        src.fill_required(buf, 20, 0)?;
        // version (4), thiszone (4), sigfigs (4), snaplen (4), network (4). The upper bits of
        // `network` may carry FCS information; the link type is the low 16 bits.
        let network = endian.u32(buf, 16).unwrap_or(0);
        Ok(Some(PcapState {
            endian,
            nanos,
            link_type: network & 0xffff,
        }))
    }

    /// The fields of a 16-byte record header: seconds, nanoseconds, captured length, length
    /// on the wire.
    #[inline(always)]
    fn record_header(&self, h: &[u8; 16]) -> (i64, u32, usize, u32) {
        let word = |at: usize| {
            let b = [h[at], h[at + 1], h[at + 2], h[at + 3]];
            match self.endian {
                Endian::Little => u32::from_le_bytes(b),
                Endian::Big => u32::from_be_bytes(b),
            }
        };
        let (sec, frac, incl, orig) = (word(0), word(4), word(8) as usize, word(12));
        let ts_nsec = if self.nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        // Some writers put ≥ 1 s in the fraction; carry it rather than produce nonsense.
        let (carry, ts_nsec) = (ts_nsec / 1_000_000_000, ts_nsec % 1_000_000_000);
        (sec as i64 + carry as i64, ts_nsec, incl, orig)
    }

    /// The packet whose record starts at `at` in a whole file held in memory, if the record
    /// is whole and sound: `(meta, next record's offset)`. Anything else (the end of the file,
    /// a cut or corrupt record) is left to [`PcapState::next`], which says what is wrong.
    #[inline(always)]
    pub(crate) fn in_place(&self, file: &[u8], at: usize) -> Option<(PacketMeta, usize)> {
        let h: &[u8; 16] = file.get(at..at + 16)?.try_into().ok()?;
        let header = self.record_header(h);
        let incl = header.2;
        let data = at + 16..at + 16 + incl;
        if incl > MAX_RECORD_LEN || data.end > file.len() {
            return None;
        }
        let end = data.end;
        Some((self.packet(header, data), end))
    }

    /// The packet of a record with this header, whose bytes lie at `data` in the block.
    #[inline(always)]
    fn packet(
        &self,
        (ts_sec, ts_nsec, _, orig_len): (i64, u32, usize, u32),
        data: Range<usize>,
    ) -> PacketMeta {
        PacketMeta {
            ts_sec,
            ts_nsec,
            orig_len,
            link_type: self.link_type,
            data,
            in_block: true,
        }
    }

    pub(crate) fn next(
        &mut self,
        src: &mut Source,
        _buf: &mut Vec<u8>,
        frame: u64,
    ) -> Result<Option<PacketMeta>> {
        let at = src.offset();
        // The record header and the packet are parsed in place in the source's block.
        let Some(head) = src.take(16, frame)? else {
            return Ok(None);
        };
        let h: &[u8; 16] = src.block()[head].try_into().unwrap_or(&[0; 16]);
        let header = self.record_header(h);
        let incl = header.2;
        if incl > MAX_RECORD_LEN {
            return Err(src.error_at(
                at,
                frame,
                format!("record length {incl} is implausible: the file is corrupt"),
            ));
        }
        let data = src.take_required(incl, frame)?;
        Ok(Some(self.packet(header, data)))
    }
}
