//! pcapng: raw fuzzed bytes, and the same bytes after a valid section header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spot_decode::capture::{CaptureReader, link};

const SHB: [u8; 28] = [
    0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
];

fn drain(bytes: Vec<u8>) {
    if let Ok(mut r) = CaptureReader::new(std::io::Cursor::new(bytes), "fuzz.pcapng") {
        while let Ok(Some(p)) = r.next_packet() {
            let _ = link::network(p.link_type, p.data);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    drain(data.to_vec());
    let mut file = SHB.to_vec();
    file.extend_from_slice(data);
    drain(file);
});
