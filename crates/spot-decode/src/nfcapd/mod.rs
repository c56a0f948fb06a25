//! nfcapd files: the binary flow files written by nfdump 1.7's collectors (`nfcapd`, `nfpcapd`,
//! `sfcapd`) and by `nfdump -w`, read natively without nfdump.
//!
//! Layout (nfdump's `LAYOUT_VERSION_2`): a 40-byte file header, data blocks (a 12-byte block
//! header, then the block's records, compressed with the file's codec: none, LZO, BZ2, LZ4 or
//! ZSTD), then appendix blocks (ident and statistics) that the reader skips. Flow records are V3
//! records made of extension elements; exporter, statistics and sampler records are counted and
//! skipped, as are elements that have no column (NSEL/NEL firewall and NAT events...).
//!
//! Files written by nfdump 1.6 (layout version 1) are rejected with
//! [`DecodeError::Unsupported`] "nfdump 1.6 layout not supported".
//!
//! The batches have the schema [`nfdump_flow_schema`](crate::flow::nfdump_flow_schema): the
//! same columns and values that reading `nfdump -r FILE -o csv` with
//! [`FlowReader`](crate::FlowReader) gives.
//!
//! ```no_run
//! use spot_decode::nfcapd::NfcapdReader;
//! let mut reader = NfcapdReader::open("nfcapd.202611250935")?.with_batch_size(8192);
//! for batch in &mut reader {
//!     println!("{} flows", batch?.num_rows());
//! }
//! println!("{:?}", reader.stats());
//! # Ok::<(), spot_decode::DecodeError>(())
//! ```

mod block;
mod header;
mod lzo;
mod v3;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, ErrorKind, Read};
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;

use crate::error::{DecodeError, Result};
use crate::flow::{FlowBatchBuilder, FlowRecord};

pub use header::{Compression, FileHeader};
pub use v3::ElementCounts;

pub(crate) use header::is_nfdump_magic;

/// What a reader has seen so far, beyond the flows it returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NfcapdStats {
    /// Data blocks read.
    pub blocks: u64,
    /// Flow records decoded.
    pub flows: u64,
    /// Blocks that did not decompress or whose records overran the block; their remaining
    /// records are lost (each also returned an error).
    pub corrupt_blocks: u64,
    /// V3 records whose elements were inconsistent; skipped.
    pub malformed_records: u64,
    /// Blocks of a type other than 3, skipped.
    pub other_blocks: u64,
    /// Non-flow records (7 exporter info, 8 exporter statistics, 9/15 sampler...), by type.
    pub other_records: BTreeMap<u16, u64>,
    /// Extension elements without a column, and sampled flows.
    pub elements: ElementCounts,
}

/// Streams the flows of one nfcapd file as Arrow batches; see the [module docs](self).
pub struct NfcapdReader<R: Read = BufReader<File>> {
    path: PathBuf,
    input: R,
    header: FileHeader,
    batch_size: usize,
    /// File offset of the next unread byte.
    offset: u64,
    blocks_read: u32,
    /// Raw (possibly compressed) bytes of the current block, and the decompressed block.
    raw: Vec<u8>,
    data: Vec<u8>,
    data_len: usize,
    /// File offset of the current block's header, position in `data`, records left.
    block_offset: u64,
    pos: usize,
    records_left: u32,
    builder: FlowBatchBuilder,
    record: FlowRecord,
    stats: NfcapdStats,
    pending: Option<DecodeError>,
    done: bool,
}

impl NfcapdReader {
    /// Opens `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| DecodeError::io(path, e))?;
        Self::new(path, BufReader::with_capacity(1 << 20, f))
    }
}

impl<R: Read> NfcapdReader<R> {
    /// Reads the header of an nfcapd stream; `path` names it in errors.
    pub fn new(path: impl Into<PathBuf>, mut input: R) -> Result<Self> {
        let path = path.into();
        let mut b = [0u8; header::FILE_HEADER_LEN];
        if let Err(e) = input.read_exact(&mut b) {
            return Err(if e.kind() == ErrorKind::UnexpectedEof {
                DecodeError::Corrupt {
                    path,
                    offset: 0,
                    message: "file is shorter than an nfdump file header (40 bytes)".into(),
                }
            } else {
                DecodeError::io(path, e)
            });
        }
        let header = FileHeader::parse(&b).map_err(|e| match e {
            header::HeaderError::NotNfdump => DecodeError::Corrupt {
                path: path.clone(),
                offset: 0,
                message: format!(
                    "not an nfdump file: magic {:#06x}, expected {:#06x}",
                    u16::from_le_bytes([b[0], b[1]]),
                    header::MAGIC
                ),
            },
            header::HeaderError::LayoutV1 => DecodeError::Unsupported {
                path: path.clone(),
                message: "nfdump 1.6 layout not supported (LAYOUT_VERSION_1); convert it with \
                          nfdump 1.7: `nfdump -r FILE -w NEWFILE`"
                    .into(),
            },
            header::HeaderError::Unsupported(m) => DecodeError::Unsupported {
                path: path.clone(),
                message: m,
            },
        })?;
        Ok(NfcapdReader {
            path,
            input,
            header,
            batch_size: crate::flow::DEFAULT_BATCH_SIZE,
            offset: header::FILE_HEADER_LEN as u64,
            blocks_read: 0,
            raw: Vec::new(),
            data: Vec::new(),
            data_len: 0,
            block_offset: 0,
            pos: 0,
            records_left: 0,
            builder: FlowBatchBuilder::new(),
            record: FlowRecord::default(),
            stats: NfcapdStats::default(),
            pending: None,
            done: false,
        })
    }

    /// Rows per batch (default [`DEFAULT_BATCH_SIZE`](crate::flow::DEFAULT_BATCH_SIZE)).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The file header.
    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    /// Counts so far (complete once the iterator returned `None`).
    pub fn stats(&self) -> &NfcapdStats {
        &self.stats
    }

    fn corrupt(&self, offset: u64, message: String) -> DecodeError {
        DecodeError::Corrupt {
            path: self.path.clone(),
            offset,
            message,
        }
    }

    /// Reads exactly `buf.len()` bytes; `Ok(false)` on a clean end of file before any byte.
    fn read_full(&mut self, len: usize, what: &str) -> Result<bool> {
        self.raw.resize(len, 0);
        let mut got = 0;
        while got < len {
            match self.input.read(&mut self.raw[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    self.done = true;
                    return Err(self.corrupt(
                        self.offset,
                        format!("file ends inside a {what}: {got} of {len} bytes"),
                    ));
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    return Err(DecodeError::io(&self.path, e));
                }
            }
        }
        self.offset += len as u64;
        Ok(true)
    }

    /// Loads the next data block. `Ok(false)` at the end of the data blocks. An error with
    /// `self.done` unset leaves the reader at the next block (the block header was intact).
    fn next_block(&mut self) -> Result<bool> {
        let h = &self.header;
        if (h.num_blocks > 0 && self.blocks_read >= h.num_blocks)
            || (h.appendix_blocks > 0 && h.appendix_offset > 0 && self.offset >= h.appendix_offset)
        {
            return Ok(false);
        }
        self.block_offset = self.offset;
        if !self.read_full(header::BLOCK_HEADER_LEN, "data block header")? {
            return Ok(false);
        }
        let mut hb = [0u8; header::BLOCK_HEADER_LEN];
        hb.copy_from_slice(&self.raw[..header::BLOCK_HEADER_LEN]);
        let bh = header::BlockHeader::parse(&hb);
        if bh.size as usize > block::MAX_BLOCK_LEN {
            self.done = true;
            return Err(self.corrupt(
                self.block_offset,
                format!(
                    "data block of {} bytes exceeds the {} byte limit",
                    bh.size,
                    block::MAX_BLOCK_LEN
                ),
            ));
        }
        if !self.read_full(bh.size as usize, "data block")? && bh.size > 0 {
            self.done = true;
            return Err(self.corrupt(self.offset, "file ends before the data block".into()));
        }
        self.blocks_read += 1;
        self.stats.blocks += 1;
        if bh.kind != header::DATA_BLOCK_TYPE_3 {
            self.stats.other_blocks += 1;
            return Ok(true);
        }
        let compression = if bh.flags & header::FLAG_BLOCK_UNCOMPRESSED != 0 {
            Compression::None
        } else {
            self.header.compression
        };
        let raw = std::mem::take(&mut self.raw);
        let r = block::decompress(compression, &raw[..bh.size as usize], &mut self.data);
        self.raw = raw;
        match r {
            Ok(n) => {
                self.data_len = n;
                self.pos = 0;
                self.records_left = bh.num_records;
                Ok(true)
            }
            Err(m) => {
                self.stats.corrupt_blocks += 1;
                Err(self.corrupt(self.block_offset, m))
            }
        }
    }

    /// Decodes the next record of the current block into the builder.
    fn next_record(&mut self) -> Result<()> {
        self.records_left -= 1;
        let data = &self.data[..self.data_len];
        let rest = &data[self.pos..];
        let size = if rest.len() >= 4 {
            u16::from_le_bytes([rest[2], rest[3]]) as usize
        } else {
            0
        };
        if size < 4 || size > rest.len() {
            let message = format!(
                "record at byte {} of the block has size {size}, outside the block of {} bytes \
                 ({} records left)",
                self.pos,
                data.len(),
                self.records_left + 1
            );
            self.records_left = 0;
            self.stats.corrupt_blocks += 1;
            return Err(self.corrupt(self.block_offset, message));
        }
        let kind = u16::from_le_bytes([rest[0], rest[1]]);
        let rec = &rest[..size];
        self.pos += size;
        if kind != v3::V3_RECORD {
            *self.stats.other_records.entry(kind).or_default() += 1;
            return Ok(());
        }
        match v3::decode(rec, &mut self.record, &mut self.stats.elements) {
            Ok(()) => {
                self.stats.flows += 1;
                self.builder.append(&self.record);
            }
            Err(_) => self.stats.malformed_records += 1,
        }
        Ok(())
    }

    fn fill(&mut self) -> Result<()> {
        while self.builder.len() < self.batch_size {
            if self.records_left == 0 || self.pos >= self.data_len {
                self.records_left = 0;
                if !self.next_block()? {
                    self.done = true;
                    return Ok(());
                }
                continue;
            }
            self.next_record()?;
        }
        Ok(())
    }
}

impl<R: Read> Iterator for NfcapdReader<R> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        if !self.done
            && let Err(e) = self.fill()
        {
            if self.builder.is_empty() {
                return Some(Err(e));
            }
            // Hand out the flows decoded before the error first.
            self.pending = Some(e);
        }
        if self.builder.is_empty() {
            None
        } else {
            Some(Ok(self.builder.finish()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `blocks` (records per block) with the given compression id.
    pub(crate) fn file(compression: Compression, blocks: &[Vec<Vec<u8>>]) -> Vec<u8> {
        let mut f = vec![0u8; header::FILE_HEADER_LEN];
        f[0..2].copy_from_slice(&header::MAGIC.to_le_bytes());
        f[2..4].copy_from_slice(&2u16.to_le_bytes());
        f[16] = match compression {
            Compression::None => 0,
            Compression::Lzo => 1,
            Compression::Bz2 => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        };
        f[36..40].copy_from_slice(&(blocks.len() as u32).to_le_bytes());
        for recs in blocks {
            let plain: Vec<u8> = recs.concat();
            let body = match compression {
                Compression::None => plain,
                Compression::Lz4 => lz4_flex::block::compress(&plain),
                Compression::Zstd => zstd::bulk::compress(&plain, 1).unwrap(),
                Compression::Lzo => lzokay_native::compress(&plain).unwrap(),
                Compression::Bz2 => {
                    use std::io::Write;
                    let mut e =
                        bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                    e.write_all(&plain).unwrap();
                    e.finish().unwrap()
                }
            };
            f.extend_from_slice(&(recs.len() as u32).to_le_bytes());
            f.extend_from_slice(&(body.len() as u32).to_le_bytes());
            f.extend_from_slice(&3u16.to_le_bytes());
            f.extend_from_slice(&0u16.to_le_bytes());
            f.extend_from_slice(&body);
        }
        f
    }

    fn flow(i: u64) -> Vec<u8> {
        v3::write::record(
            (0, 0),
            1,
            &[
                (
                    1,
                    v3::write::generic(1_795_599_592_000 + i, 1_795_599_593_000 + i, 1, 60, 6),
                ),
                (2, v3::write::ipv4([10, 0, 0, 1], [10, 0, 0, i as u8])),
            ],
        )
    }

    fn read_all(bytes: Vec<u8>, batch: usize) -> (Vec<Result<RecordBatch>>, NfcapdStats) {
        let mut r = NfcapdReader::new("mem", std::io::Cursor::new(bytes))
            .unwrap()
            .with_batch_size(batch);
        let out: Vec<_> = (&mut r).collect();
        (out, r.stats().clone())
    }

    #[test]
    fn reads_every_codec_in_batches() {
        let blocks: Vec<Vec<Vec<u8>>> = (0..3)
            .map(|b| (0..7).map(|i| flow(b * 7 + i)).collect())
            .collect();
        for c in [
            Compression::None,
            Compression::Lzo,
            Compression::Bz2,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let (batches, stats) = read_all(file(c, &blocks), 5);
            let rows: Vec<usize> = batches
                .iter()
                .map(|b| b.as_ref().unwrap().num_rows())
                .collect();
            assert_eq!(rows, vec![5, 5, 5, 5, 1], "{c:?}");
            assert_eq!(stats.flows, 21);
            assert_eq!(stats.blocks, 3);
        }
    }

    #[test]
    fn a_corrupt_block_is_an_error_and_reading_goes_on() {
        let good: Vec<Vec<u8>> = (0..4).map(flow).collect();
        let mut bytes = file(Compression::Lz4, &[good.clone(), good.clone(), good]);
        // Garble the payload of the second block, keeping its header.
        let first_len = u32::from_le_bytes(bytes[44..48].try_into().unwrap()) as usize;
        let second = header::FILE_HEADER_LEN + header::BLOCK_HEADER_LEN + first_len;
        let second_len =
            u32::from_le_bytes(bytes[second + 4..second + 8].try_into().unwrap()) as usize;
        for b in &mut bytes[second + 12..second + 12 + second_len] {
            *b = 0xff;
        }
        let (batches, stats) = read_all(bytes, 100);
        assert_eq!(batches.len(), 3);
        assert_eq!(batches[0].as_ref().unwrap().num_rows(), 4);
        match &batches[1] {
            Err(DecodeError::Corrupt { offset, .. }) => assert_eq!(*offset, second as u64),
            other => panic!("expected a corrupt block error, got {other:?}"),
        }
        assert_eq!(batches[2].as_ref().unwrap().num_rows(), 4);
        assert_eq!(stats.corrupt_blocks, 1);
    }

    #[test]
    fn layout_v1_and_garbage_are_typed_errors() {
        let mut v1 = file(Compression::None, &[]);
        v1[2] = 1;
        match NfcapdReader::new("old", std::io::Cursor::new(v1)) {
            Err(DecodeError::Unsupported { message, .. }) => {
                assert!(message.contains("nfdump 1.6 layout not supported"))
            }
            _ => panic!("expected Unsupported"),
        }
        assert!(matches!(
            NfcapdReader::new("x", std::io::Cursor::new(vec![1u8; 10])),
            Err(DecodeError::Corrupt { .. })
        ));
    }

    #[test]
    fn truncated_file_is_an_error_after_the_good_flows() {
        let good: Vec<Vec<u8>> = (0..4).map(flow).collect();
        let mut bytes = file(Compression::None, &[good.clone(), good]);
        bytes.truncate(bytes.len() - 10);
        let (batches, _) = read_all(bytes, 100);
        assert_eq!(batches[0].as_ref().unwrap().num_rows(), 4);
        assert!(matches!(batches[1], Err(DecodeError::Corrupt { .. })));
        assert_eq!(batches.len(), 2);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        #[test]
        fn random_bytes_after_a_valid_header_never_panic(
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000),
            codec in 0u8..5,
        ) {
            let mut bytes = file(Compression::None, &[]);
            bytes[16] = codec;
            bytes[36] = 0;
            bytes.extend_from_slice(&tail);
            let mut r = NfcapdReader::new("fuzz", std::io::Cursor::new(bytes)).unwrap();
            for _ in 0..10_000 {
                if r.next().is_none() {
                    break;
                }
            }
        }

        #[test]
        fn random_records_in_a_valid_block_never_panic(
            recs in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120), 0..20),
        ) {
            let bytes = file(Compression::None, &[recs]);
            let (batches, stats) = read_all(bytes, 7);
            let rows: usize = batches.iter().filter_map(|b| b.as_ref().ok()).map(|b| b.num_rows()).sum();
            proptest::prop_assert_eq!(rows as u64, stats.flows);
        }
    }
}
