//! The DNS message parser on arbitrary bytes (compression pointers included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use spot_decode::dns::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::parse(data) {
        let _ = m.extended_rcode();
        let _ = m.records().count();
    }
});
