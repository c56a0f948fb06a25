//! Packet capture files: classic pcap and pcapng, plain or gzip-compressed, read one packet at a
//! time (memory does not grow with the file): a plain file is memory-mapped and its packets are
//! slices of the mapping (the pages behind the reader are dropped as it goes), any other input is
//! read in blocks into a reusable buffer. Then the link, network and transport layers down to
//! the DNS payload.
//!
//! - [`CaptureReader`] yields [`Packet`]s (frame number, timestamp, lengths, link type, bytes).
//! - [`link`], [`ip`], [`tcp`] peel the layers off with bounds-checked slicing over the packet's
//!   borrowed bytes; nothing read from the file is trusted as a length or offset.
//!
//! ```
//! use spot_decode::capture::CaptureReader;
//! // A pcap header (µs, little-endian, Ethernet) and one 4-byte packet.
//! let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
//! file.extend([0u8; 8]);
//! file.extend(65535u32.to_le_bytes());
//! file.extend(1u32.to_le_bytes());
//! file.extend([10, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 60, 0, 0, 0]);
//! file.extend([1, 2, 3, 4]);
//! let mut reader = CaptureReader::new(std::io::Cursor::new(file), "mem.pcap")?;
//! let p = reader.next_packet()?.unwrap();
//! assert_eq!((p.frame_number, p.ts_sec, p.ts_nsec, p.orig_len), (1, 10, 5000, 60));
//! assert_eq!(p.data, &[1, 2, 3, 4]);
//! assert!(reader.next_packet()?.is_none());
//! # Ok::<(), spot_decode::DecodeError>(())
//! ```

pub mod ip;
pub mod link;
mod pcap;
mod pcapng;
pub mod tcp;
pub mod udp;
mod write;

pub use write::PcapWriter;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{DecodeError, Result};

/// Largest packet or block we accept; anything bigger means the file is corrupt.
pub const MAX_RECORD_LEN: usize = 16 * 1024 * 1024;

/// Capture container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap (µs or ns timestamps, either byte order).
    Pcap,
    /// pcapng.
    PcapNg,
}

/// One captured frame. `data` borrows the reader's buffer until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based frame number, counting every packet block as Wireshark does.
    pub frame_number: u64,
    /// Seconds since the Unix epoch.
    pub ts_sec: i64,
    /// Nanoseconds within the second.
    pub ts_nsec: u32,
    /// Length of the frame on the wire (`frame.len`).
    pub orig_len: u32,
    /// Link-layer type (LINKTYPE_* value).
    pub link_type: u32,
    /// Captured bytes (may be shorter than `orig_len` when the snap length cut it).
    pub data: &'a [u8],
}

/// Size of the block the capture is read in: large enough that reads are few, small enough to
/// stay in cache while its packets are parsed in place.
const BLOCK_LEN: usize = 512 * 1024;

/// Byte source parsed in place: a plain file is memory-mapped (its packets are read where
/// the kernel keeps them, with no copy), any other input (gzip, a pipe) is read in large
/// blocks. Remembers its offset for error messages.
pub(crate) struct Source {
    /// The stream read into `block`; `None` when the input is mapped.
    inner: Option<Box<dyn Read + Send>>,
    /// The whole file, when mapped: `block` is then unused and `start` indexes the map.
    map: Option<Mapped>,
    path: PathBuf,
    /// Stream offset of `block[start]`.
    offset: u64,
    /// Read buffer: `block[start..end]` is read and not yet consumed.
    block: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

/// Result of trying to fill a buffer.
pub(crate) enum Fill {
    Full,
    /// Clean end of input before the first byte.
    Eof,
}

/// A mapped file and how much of it was handed back to the kernel.
struct Mapped {
    map: memmap2::Mmap,
    /// Pages below this offset were dropped from the process (they stay in the page cache).
    released: usize,
}

/// A mapped capture drops the pages it has read in steps of this size, so that its resident
/// size stays flat (about two steps) whatever the file's size.
const RELEASE_STEP: usize = if cfg!(test) {
    64 * 1024
} else {
    8 * 1024 * 1024
};

impl Mapped {
    /// Drops the pages more than one step behind `pos` from the process's resident set. They
    /// stay in the page cache, and would be mapped again if read again.
    #[cold]
    fn release_behind(&mut self, pos: usize) {
        let upto = (pos / RELEASE_STEP).saturating_sub(1) * RELEASE_STEP;
        if upto > self.released {
            // SAFETY: DONTNEED on a read-only private mapping of a file only unmaps the pages:
            // a later read maps the file's bytes again, so no slice handed out can change.
            // `upto` is a multiple of the step (page-aligned) and within the map.
            #[cfg(unix)]
            let _ = unsafe {
                self.map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    self.released,
                    upto - self.released,
                )
            };
            self.released = upto;
        }
    }
}

impl Source {
    fn new(inner: Box<dyn Read + Send>, path: PathBuf) -> Self {
        Source {
            inner: Some(inner),
            map: None,
            path,
            offset: 0,
            block: vec![0; BLOCK_LEN],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// A source over a mapped file: everything is "read", nothing is copied.
    fn mapped(map: memmap2::Mmap, path: PathBuf) -> Self {
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        let end = map.len();
        Source {
            inner: None,
            map: Some(Mapped { map, released: 0 }),
            path,
            offset: 0,
            block: Vec::new(),
            start: 0,
            end,
            eof: true,
        }
    }

    /// Makes `n` bytes available at `block[start..]` if the input has them; returns how many
    /// are available (fewer than `n` only at the end of the input).
    fn ensure(&mut self, n: usize) -> Result<usize> {
        if self.end - self.start >= n || self.eof {
            return Ok(self.end - self.start);
        }
        if self.block.len() - self.start < n {
            // Move the unread tail to the front (at most one record), growing for big records.
            self.block.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.block.len() < n {
                self.block.resize(n.next_power_of_two(), 0);
            }
        }
        let Some(inner) = self.inner.as_mut() else {
            // Mapped: `eof` is set, so this is not reached.
            return Ok(self.end - self.start);
        };
        while self.end - self.start < n {
            match inner.read(&mut self.block[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(got) => self.end += got,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(DecodeError::io(&self.path, e)),
            }
        }
        Ok(self.end - self.start)
    }

    /// Consumes the next `n` bytes and returns where they lie in [`Source::block`]. EOF before
    /// the first byte is `None`; EOF after some bytes is a truncation error.
    pub(crate) fn take(&mut self, n: usize, frame: u64) -> Result<Option<Range<usize>>> {
        let got = self.ensure(n)?;
        if got < n {
            if got == 0 {
                return Ok(None);
            }
            return Err(self.error_at(
                self.offset,
                frame,
                format!("file truncated: expected {n} bytes, found {got}"),
            ));
        }
        let r = self.start..self.start + n;
        self.start += n;
        self.offset += n as u64;
        if let Some(m) = self.map.as_mut()
            && self.start >= m.released + 2 * RELEASE_STEP
        {
            m.release_behind(self.start);
        }
        Ok(Some(r))
    }

    /// Moves a mapped source to `end` (a record was read in place up to it).
    #[inline(always)]
    fn skip_mapped_to(&mut self, end: usize) {
        self.offset += (end - self.start) as u64;
        self.start = end;
        if let Some(m) = self.map.as_mut()
            && end >= m.released + 2 * RELEASE_STEP
        {
            m.release_behind(end);
        }
    }

    /// Like [`Source::take`] but EOF at the start is also an error.
    pub(crate) fn take_required(&mut self, n: usize, frame: u64) -> Result<Range<usize>> {
        let at = self.offset;
        match self.take(n, frame)? {
            Some(r) => Ok(r),
            None => Err(self.error_at(
                at,
                frame,
                format!("file truncated: expected {n} more bytes"),
            )),
        }
    }

    /// The block that [`Source::take`]'s ranges point into (valid until the next read).
    pub(crate) fn block(&self) -> &[u8] {
        match &self.map {
            Some(m) => &m.map,
            None => &self.block,
        }
    }

    /// Reads exactly `n` bytes into `buf` (replacing its contents). EOF before the first byte
    /// is `Fill::Eof`; EOF after some bytes is a truncation error.
    pub(crate) fn fill(&mut self, buf: &mut Vec<u8>, n: usize, frame: u64) -> Result<Fill> {
        buf.clear();
        match self.take(n, frame)? {
            Some(r) => {
                buf.extend_from_slice(&self.block()[r]);
                Ok(Fill::Full)
            }
            None => Ok(Fill::Eof),
        }
    }

    /// Like [`Source::fill`] but EOF at the start is also an error.
    pub(crate) fn fill_required(&mut self, buf: &mut Vec<u8>, n: usize, frame: u64) -> Result<()> {
        let r = self.take_required(n, frame)?;
        buf.clear();
        buf.extend_from_slice(&self.block()[r]);
        Ok(())
    }

    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    pub(crate) fn error_at(&self, offset: u64, frame: u64, message: String) -> DecodeError {
        DecodeError::Capture {
            path: self.path.clone(),
            offset,
            frame,
            message,
        }
    }
}

enum Inner {
    Pcap(pcap::PcapState),
    PcapNg(pcapng::PcapNgState),
}

/// Streams the packets of one capture file.
pub struct CaptureReader {
    src: Source,
    inner: Inner,
    buf: Vec<u8>,
    frame: u64,
    failed: bool,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("path", &self.src.path)
            .field("format", &self.format())
            .field("frame", &self.frame)
            .finish()
    }
}

impl CaptureReader {
    /// Opens a pcap or pcapng file, gzip-compressed or not (detected from the content). A
    /// plain file is memory-mapped and its packets parsed where they lie (pages behind the
    /// reader are dropped as it goes, so the resident size stays flat); a compressed one, or
    /// one that cannot be mapped, is streamed.
    ///
    /// As with any mapping, the file must not be truncated while it is read (the process
    /// would get a bus error); captures being written are appended to, which is fine.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| DecodeError::io(path, e))?;
        let plain_file = f.metadata().is_ok_and(|m| m.is_file() && m.len() >= 4);
        if plain_file {
            // SAFETY: the map is only read, through `Source`, as plain bytes; see above for
            // truncation by another process.
            if let Ok(map) = unsafe { memmap2::Mmap::map(&f) }
                && !map.starts_with(&[0x1f, 0x8b])
            {
                return Self::start(Source::mapped(map, path.to_path_buf()));
            }
        }
        Self::new(f, path)
    }

    /// Reads a capture from any byte stream; `path` names it in errors.
    pub fn new<R: Read + Send + 'static>(reader: R, path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        // Small: reads of a whole block bypass it; it only has to hold the sniffed magic.
        let mut buffered = BufReader::with_capacity(64 * 1024, reader);
        let head = buffered.fill_buf().map_err(|e| DecodeError::io(&path, e))?;
        let inner: Box<dyn Read + Send> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        Self::start(Source::new(inner, path))
    }

    /// Reads the file header from `src`.
    fn start(mut src: Source) -> Result<Self> {
        let mut buf = Vec::with_capacity(64 * 1024);
        src.fill_required(&mut buf, 4, 0)?;
        let magic = [buf[0], buf[1], buf[2], buf[3]];
        let inner = if magic == pcapng::SHB_TYPE.to_le_bytes() {
            Inner::PcapNg(pcapng::PcapNgState::start(&mut src, &mut buf)?)
        } else if let Some(state) = pcap::PcapState::start(magic, &mut src, &mut buf)? {
            Inner::Pcap(state)
        } else {
            return Err(src.error_at(
                0,
                0,
                format!(
                    "not a pcap or pcapng file (magic {:02x}{:02x}{:02x}{:02x})",
                    magic[0], magic[1], magic[2], magic[3]
                ),
            ));
        };
        Ok(CaptureReader {
            src,
            inner,
            buf,
            frame: 0,
            failed: false,
        })
    }

    /// Whether the file is memory-mapped (else streamed).
    pub fn is_mapped(&self) -> bool {
        self.src.map.is_some()
    }

    /// The container format.
    pub fn format(&self) -> CaptureFormat {
        match self.inner {
            Inner::Pcap(_) => CaptureFormat::Pcap,
            Inner::PcapNg(_) => CaptureFormat::PcapNg,
        }
    }

    /// Bytes consumed so far (of the decompressed stream for gzip input).
    pub fn offset(&self) -> u64 {
        self.src.offset()
    }

    /// Frames read so far.
    pub fn frames(&self) -> u64 {
        self.frame
    }

    /// The next packet, `None` at the end of the file. After an error (a corrupt or truncated
    /// file) it returns `None`.
    #[inline(always)]
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>> {
        // A mapped pcap file: the record is parsed where it lies, without going through the
        // source's checks (the other path reports damage and the end of the file). This part
        // is inlined into the caller's packet loop; the rest is a call.
        let in_place = match (&self.inner, &self.src.map, self.failed) {
            (Inner::Pcap(s), Some(m), false) => s.in_place(&m.map, self.src.start),
            _ => None,
        };
        if let Some((meta, end)) = in_place {
            if let Some(m) = &self.src.map {
                prefetch(&m.map, end + PREFETCH_AHEAD);
            }
            let next = self.frame + 1;
            self.src.skip_mapped_to(end);
            self.frame = next;
            return Ok(Some(Packet {
                frame_number: next,
                ts_sec: meta.ts_sec,
                ts_nsec: meta.ts_nsec,
                orig_len: meta.orig_len,
                link_type: meta.link_type,
                data: self.src.block().get(meta.data).unwrap_or(&[]),
            }));
        }
        self.next_packet_read()
    }

    /// [`CaptureReader::next_packet`] through the format readers: streamed input, pcapng,
    /// the end of a mapped file and any damage.
    #[inline(never)]
    fn next_packet_read(&mut self) -> Result<Option<Packet<'_>>> {
        if self.failed {
            return Ok(None);
        }
        let next = self.frame + 1;
        let r = match &mut self.inner {
            Inner::Pcap(s) => s.next(&mut self.src, &mut self.buf, next),
            Inner::PcapNg(s) => s.next(&mut self.src, &mut self.buf, next),
        };
        match r {
            Ok(Some(meta)) => {
                self.frame = next;
                let bytes = if meta.in_block {
                    self.src.block()
                } else {
                    &self.buf
                };
                let data = bytes.get(meta.data.clone()).unwrap_or(&[]);
                Ok(Some(Packet {
                    frame_number: next,
                    ts_sec: meta.ts_sec,
                    ts_nsec: meta.ts_nsec,
                    orig_len: meta.orig_len,
                    link_type: meta.link_type,
                    data,
                }))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }
}

/// How far ahead of the record being read a mapped capture's bytes are asked for: a few
/// records, so that they are in the cache when their turn comes, across the page boundaries
/// where the hardware's own prefetching stops.
const PREFETCH_AHEAD: usize = 1024;

/// Asks the processor to bring `bytes[at]` into the cache; a hint only: nothing happens past
/// the end or on other architectures.
#[inline(always)]
fn prefetch(bytes: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(b) = bytes.get(at) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch reads nothing and cannot fault; the address is within `bytes`.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(b).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (bytes, at);
}

/// What a format reader found for one packet; the bytes are `buf[data]`, or
/// `Source::block()[data]` when `in_block` (read in place, without a copy).
pub(crate) struct PacketMeta {
    pub ts_sec: i64,
    pub ts_nsec: u32,
    pub orig_len: u32,
    pub link_type: u32,
    pub data: Range<usize>,
    pub in_block: bool,
}

/// Reads fixed-width integers in a file's byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    pub(crate) fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u16::from_le_bytes(s),
            Endian::Big => u16::from_be_bytes(s),
        })
    }
    pub(crate) fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(s),
            Endian::Big => u32::from_be_bytes(s),
        })
    }
    pub(crate) fn u64(self, b: &[u8], at: usize) -> Option<u64> {
        let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
        Some(match self {
            Endian::Little => u64::from_le_bytes(s),
            Endian::Big => u64::from_be_bytes(s),
        })
    }
}

/// Big-endian u16 at `at`, if in bounds.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Endian::Big.u16(b, at)
}

/// Big-endian u32 at `at`, if in bounds.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Endian::Big.u32(b, at)
}

#[cfg(test)]
pub(crate) mod tests;
