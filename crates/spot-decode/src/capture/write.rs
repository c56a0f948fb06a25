//! Writing classic pcap files (for synthetic captures, tests and benchmarks).

use std::io::Write;

/// Writes a little-endian classic pcap file.
///
/// ```
/// use spot_decode::capture::{CaptureReader, PcapWriter};
/// let mut w = PcapWriter::new(Vec::new(), 1, true)?;
/// w.write_packet(1_795_599_592, 741_815_162, &[0u8; 60], 60)?;
/// let bytes = w.into_inner();
/// let mut r = CaptureReader::new(std::io::Cursor::new(bytes), "mem.pcap")?;
/// assert_eq!(r.next_packet()?.unwrap().ts_nsec, 741_815_162);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    nanos: bool,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header: `link_type` (1 = Ethernet), nanosecond or microsecond stamps.
    pub fn new(mut out: W, link_type: u32, nanos: bool) -> std::io::Result<Self> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&magic.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        h[16..20].copy_from_slice(&262_144u32.to_le_bytes());
        h[20..24].copy_from_slice(&link_type.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out, nanos })
    }

    /// Appends one packet; `orig_len` is its length on the wire (≥ `data.len()`).
    pub fn write_packet(
        &mut self,
        ts_sec: u32,
        ts_nsec: u32,
        data: &[u8],
        orig_len: u32,
    ) -> std::io::Result<()> {
        let frac = if self.nanos { ts_nsec } else { ts_nsec / 1000 };
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&ts_sec.to_le_bytes());
        h[4..8].copy_from_slice(&frac.to_le_bytes());
        h[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.max(data.len() as u32).to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(data)
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(mut self) -> W {
        let _ = self.out.flush();
        self.out
    }
}
