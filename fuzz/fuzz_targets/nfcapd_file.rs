//! nfcapd block parser: a valid V2 file header whose compression comes from the first input
//! byte (none, LZO, BZ2, LZ4, ZSTD), followed by the rest of the input as data blocks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spot_decode::nfcapd::NfcapdReader;

fuzz_target!(|data: &[u8]| {
    let Some((codec, rest)) = data.split_first() else {
        return;
    };
    let mut file = vec![0u8; 40];
    file[0..2].copy_from_slice(&0xA50Cu16.to_le_bytes());
    file[2..4].copy_from_slice(&2u16.to_le_bytes());
    file[16] = codec % 5;
    file.extend_from_slice(rest);
    if let Ok(reader) = NfcapdReader::new("fuzz", std::io::Cursor::new(file)) {
        for batch in reader.with_batch_size(64).take(10_000) {
            let _ = batch;
        }
    }
});
