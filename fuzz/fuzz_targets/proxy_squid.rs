//! Feeds arbitrary bytes, line by line, to the Squid proxy line parser: it must return a record,
//! nothing (directive) or a typed error, and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spot_decode::proxy::ProxyFormat;

fuzz_target!(|data: &[u8]| {
    let mut parser = ProxyFormat::Squid.parser();
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Ok(text) = std::str::from_utf8(line) {
            if let Ok(Some(record)) = parser.parse_line(text) {
                let _ = record.get(spot_decode::proxy::Col::FullUri);
            }
        }
    }
});
