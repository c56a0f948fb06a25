//! Packet capture files: classic pcap and pcapng, plain or gzip-compressed, read one packet at a
//! time with a reusable buffer (memory does not grow with the file), and the link, network and
//! transport layers down to the DNS payload.
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

/// Byte source that remembers its offset, for error messages.
pub(crate) struct Source {
    inner: Box<dyn BufRead + Send>,
    path: PathBuf,
    offset: u64,
}

/// Result of trying to fill a buffer.
pub(crate) enum Fill {
    Full,
    /// Clean end of input before the first byte.
    Eof,
}

impl Source {
    /// Reads exactly `n` bytes into `buf` (replacing its contents). EOF before the first byte
    /// is `Fill::Eof`; EOF after some bytes is a truncation error.
    pub(crate) fn fill(&mut self, buf: &mut Vec<u8>, n: usize, frame: u64) -> Result<Fill> {
        buf.clear();
        // Copy straight out of the BufReader's buffer: no zero-fill, one memcpy.
        let mut got = 0;
        while got < n {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(DecodeError::io(&self.path, e)),
            };
            if avail.is_empty() {
                break;
            }
            let take = avail.len().min(n - got);
            buf.extend_from_slice(&avail[..take]);
            self.inner.consume(take);
            got += take;
        }
        let start = self.offset;
        self.offset += got as u64;
        if got == n {
            Ok(Fill::Full)
        } else if got == 0 {
            Ok(Fill::Eof)
        } else {
            Err(self.error_at(
                start,
                frame,
                format!("file truncated: expected {n} bytes, found {got}"),
            ))
        }
    }

    /// Like [`Source::fill`] but EOF at the start is also an error.
    pub(crate) fn fill_required(&mut self, buf: &mut Vec<u8>, n: usize, frame: u64) -> Result<()> {
        let at = self.offset;
        match self.fill(buf, n, frame)? {
            Fill::Full => Ok(()),
            Fill::Eof => Err(self.error_at(
                at,
                frame,
                format!("file truncated: expected {n} more bytes"),
            )),
        }
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
    /// Opens a pcap or pcapng file, gzip-compressed or not (detected from the content).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| DecodeError::io(path, e))?;
        Self::new(f, path)
    }

    /// Reads a capture from any byte stream; `path` names it in errors.
    pub fn new<R: Read + Send + 'static>(reader: R, path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let mut buffered = BufReader::with_capacity(256 * 1024, reader);
        let head = buffered.fill_buf().map_err(|e| DecodeError::io(&path, e))?;
        let inner: Box<dyn BufRead + Send> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(BufReader::with_capacity(
                256 * 1024,
                MultiGzDecoder::new(buffered),
            ))
        } else {
            Box::new(buffered)
        };
        let mut src = Source {
            inner,
            path,
            offset: 0,
        };
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
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>> {
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
                let data = self.buf.get(meta.data.clone()).unwrap_or(&[]);
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

/// What a format reader found for one packet; the bytes are `buf[data]`.
pub(crate) struct PacketMeta {
    pub ts_sec: i64,
    pub ts_nsec: u32,
    pub orig_len: u32,
    pub link_type: u32,
    pub data: std::ops::Range<usize>,
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
