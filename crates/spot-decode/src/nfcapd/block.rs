//! Decompressing one data block with the file's codec, bounded in output size.

use std::io::Read;

use super::header::Compression;
use super::lzo;

/// Largest decompressed block we accept. nfdump's own buffers are 5 MiB; a bigger block is
/// corrupt or hostile.
pub(crate) const MAX_BLOCK_LEN: usize = 16 << 20;

/// Decompresses `src` into `dst` and returns the decompressed length: the block is
/// `dst[..len]` (`dst` may be longer, a scratch buffer reused across blocks).
pub(crate) fn decompress(
    compression: Compression,
    src: &[u8],
    dst: &mut Vec<u8>,
) -> Result<usize, String> {
    match compression {
        Compression::None => {
            dst.clear();
            dst.extend_from_slice(src);
            Ok(dst.len())
        }
        Compression::Lzo => lzo::decompress(src, dst, MAX_BLOCK_LEN)
            .map(|()| dst.len())
            .map_err(|e| e.to_string()),
        Compression::Lz4 => {
            // Zero-filled once, then reused: LZ4 writes into an initialised slice.
            if dst.len() < MAX_BLOCK_LEN {
                dst.resize(MAX_BLOCK_LEN, 0);
            }
            lz4_flex::block::decompress_into(src, dst)
                .map_err(|e| format!("LZ4 block does not decompress: {e}"))
        }
        Compression::Bz2 => read_bounded(bzip2::read::BzDecoder::new(src), dst, "BZ2"),
        Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(src) {
            Ok(d) => read_bounded(d, dst, "ZSTD"),
            Err(e) => Err(format!("ZSTD block does not decompress: {e}")),
        },
    }
}

fn read_bounded(r: impl Read, dst: &mut Vec<u8>, codec: &str) -> Result<usize, String> {
    dst.clear();
    let mut limited = r.take(MAX_BLOCK_LEN as u64 + 1);
    match limited.read_to_end(dst) {
        Ok(n) if n > MAX_BLOCK_LEN => Err(format!(
            "{codec} block decompresses to more than {MAX_BLOCK_LEN} bytes"
        )),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{codec} block does not decompress: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn each_codec_roundtrips() {
        let data: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        let mut out = Vec::new();

        let n = decompress(Compression::None, &data, &mut out).unwrap();
        assert_eq!(out[..n], data);

        let lz4 = lz4_flex::block::compress(&data);
        let n = decompress(Compression::Lz4, &lz4, &mut out).unwrap();
        assert_eq!(out[..n], data);

        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        bz.write_all(&data).unwrap();
        let n = decompress(Compression::Bz2, &bz.finish().unwrap(), &mut out).unwrap();
        assert_eq!(out[..n], data);

        let zst = zstd::bulk::compress(&data, 3).unwrap();
        let n = decompress(Compression::Zstd, &zst, &mut out).unwrap();
        assert_eq!(out[..n], data);

        let lzo = lzokay_native::compress(&data).unwrap();
        let n = decompress(Compression::Lzo, &lzo, &mut out).unwrap();
        assert_eq!(out[..n], data);
    }

    #[test]
    fn garbage_is_an_error_for_every_codec() {
        let junk = [0xffu8; 64];
        let mut out = Vec::new();
        for c in [
            Compression::Lzo,
            Compression::Lz4,
            Compression::Bz2,
            Compression::Zstd,
        ] {
            assert!(decompress(c, &junk, &mut out).is_err(), "{c:?}");
        }
    }
}
