//! Shared by the `nfcapd_block_*` targets: the input is the *decompressed* content of one data
//! block (V3 records), which the target compresses validly with its codec and wraps in a V2
//! file (header, one block header with a record count from the first input byte), so the record
//! parser is reached behind every codec's decompression path, not only behind `none`.

#![allow(dead_code)] // each target uses one codec constant
use spot_decode::nfcapd::NfcapdReader;

/// Compression ids of the nfcapd file header.
pub const NONE: u8 = 0;
pub const LZO: u8 = 1;
pub const BZ2: u8 = 2;
pub const LZ4: u8 = 3;
pub const ZSTD: u8 = 4;

pub fn run(codec: u8, data: &[u8]) {
    let Some((records, plain)) = data.split_first() else {
        return;
    };
    let body = match codec {
        NONE => plain.to_vec(),
        LZO => match lzokay_native::compress(plain) {
            Ok(b) => b,
            Err(_) => return,
        },
        BZ2 => {
            use std::io::Write;
            let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            if w.write_all(plain).is_err() {
                return;
            }
            match w.finish() {
                Ok(b) => b,
                Err(_) => return,
            }
        }
        LZ4 => lz4_flex::block::compress(plain),
        ZSTD => match zstd::bulk::compress(plain, 1) {
            Ok(b) => b,
            Err(_) => return,
        },
        _ => return,
    };
    let mut file = vec![0u8; 40];
    file[0..2].copy_from_slice(&0xA50Cu16.to_le_bytes());
    file[2..4].copy_from_slice(&2u16.to_le_bytes());
    file[16] = codec;
    file[36..40].copy_from_slice(&1u32.to_le_bytes());
    file.extend_from_slice(&(*records as u32).to_le_bytes());
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend_from_slice(&3u16.to_le_bytes());
    file.extend_from_slice(&0u16.to_le_bytes());
    file.extend_from_slice(&body);
    if let Ok(reader) = NfcapdReader::new("fuzz", std::io::Cursor::new(file)) {
        for batch in reader.with_batch_size(64).take(10_000) {
            let _ = batch;
        }
    }
}
