//! nfdump's file header (`fileHeaderV2_t`, layout version 2) and data block header.
//!
//! All integers are little-endian as nfdump writes them on x86-64/ARM; `time_t` and `off_t` are
//! 64 bits wide, which gives the 40-byte header below.

/// nfdump's magic number, first two bytes of every file.
pub const MAGIC: u16 = 0xA50C;
/// Size of the V2 file header in bytes.
pub const FILE_HEADER_LEN: usize = 40;
/// Size of a data block header in bytes.
pub const BLOCK_HEADER_LEN: usize = 12;

/// How the data blocks of a file are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// LZO1X (`nfcapd -z`).
    Lzo,
    /// BZIP2 (`nfdump -j`).
    Bz2,
    /// LZ4 raw blocks (`nfcapd -y`).
    Lz4,
    /// Zstandard frames (`nfcapd -z=zstd`).
    Zstd,
}

impl Compression {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Compression::None,
            1 => Compression::Lzo,
            2 => Compression::Bz2,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            _ => return None,
        })
    }
}

/// The header of an nfcapd file (nfdump 1.7 layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// nfdump version that wrote the file (`0x01070100` is 1.7.1).
    pub nfdump_version: u32,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Block compression.
    pub compression: Compression,
    /// Number of appendix blocks (ident and statistics) at [`FileHeader::appendix_offset`].
    pub appendix_blocks: u16,
    /// Which program wrote the file (1 nfcapd, 2 nfpcapd, 3 sfcapd, 4 nfdump, ...).
    pub creator: u32,
    /// File offset of the appendix blocks, 0 when there are none.
    pub appendix_offset: u64,
    /// Number of data blocks; 0 in a file still being written.
    pub num_blocks: u32,
}

/// Why a file header was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderError {
    NotNfdump,
    LayoutV1,
    Unsupported(String),
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(a)
}

/// Whether `first` (at least 4 bytes) starts an nfdump file of any layout.
pub(crate) fn is_nfdump_magic(first: &[u8]) -> bool {
    first.len() >= 2 && u16_at(first, 0) == MAGIC
}

impl FileHeader {
    pub(crate) fn parse(b: &[u8; FILE_HEADER_LEN]) -> Result<Self, HeaderError> {
        if u16_at(b, 0) != MAGIC {
            return Err(HeaderError::NotNfdump);
        }
        match u16_at(b, 2) {
            2 => {}
            1 => return Err(HeaderError::LayoutV1),
            v => {
                return Err(HeaderError::Unsupported(format!(
                    "unknown nfdump file layout version {v} (expected 2)"
                )));
            }
        }
        let compression = Compression::from_id(b[16]).ok_or_else(|| {
            HeaderError::Unsupported(format!("unknown block compression {}", b[16]))
        })?;
        if b[17] != 0 {
            return Err(HeaderError::Unsupported(format!(
                "encrypted nfdump file (encryption {})",
                b[17]
            )));
        }
        Ok(FileHeader {
            nfdump_version: u32_at(b, 4),
            created: u64_at(b, 8) as i64,
            compression,
            appendix_blocks: u16_at(b, 18),
            creator: u32_at(b, 20),
            appendix_offset: u64_at(b, 24),
            num_blocks: u32_at(b, 36),
        })
    }
}

/// A data block header (`dataBlock_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockHeader {
    pub num_records: u32,
    /// Bytes following the header (compressed size for compressed files).
    pub size: u32,
    pub kind: u16,
    pub flags: u16,
}

/// Block flag: this block is stored uncompressed whatever the file's compression.
pub(crate) const FLAG_BLOCK_UNCOMPRESSED: u16 = 1;
/// Data block type holding individually sized records.
pub(crate) const DATA_BLOCK_TYPE_3: u16 = 3;

impl BlockHeader {
    pub(crate) fn parse(b: &[u8; BLOCK_HEADER_LEN]) -> Self {
        BlockHeader {
            num_records: u32_at(b, 0),
            size: u32_at(b, 4),
            kind: u16_at(b, 8),
            flags: u16_at(b, 10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(version: u16, compression: u8) -> [u8; FILE_HEADER_LEN] {
        let mut b = [0u8; FILE_HEADER_LEN];
        b[0..2].copy_from_slice(&MAGIC.to_le_bytes());
        b[2..4].copy_from_slice(&version.to_le_bytes());
        b[16] = compression;
        b[36] = 3;
        b
    }

    #[test]
    fn parses_and_rejects_headers() {
        let h = FileHeader::parse(&header(2, 3)).unwrap();
        assert_eq!(h.compression, Compression::Lz4);
        assert_eq!(h.num_blocks, 3);
        assert_eq!(FileHeader::parse(&header(1, 0)), Err(HeaderError::LayoutV1));
        assert!(matches!(
            FileHeader::parse(&header(2, 9)),
            Err(HeaderError::Unsupported(_))
        ));
        let mut b = header(2, 0);
        b[0] = 0;
        assert_eq!(FileHeader::parse(&b), Err(HeaderError::NotNfdump));
    }
}
