//! nfcapd data block behind the LZ4 codec path: see `fuzz/common/nfcapd_block.rs`.
#![no_main]

#[path = "../common/nfcapd_block.rs"]
mod nfcapd_block;

libfuzzer_sys::fuzz_target!(|data: &[u8]| nfcapd_block::run(nfcapd_block::LZ4, data));
