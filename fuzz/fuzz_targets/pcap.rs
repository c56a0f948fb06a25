//! Classic pcap: a valid little-endian Ethernet header followed by fuzzed records, then every
//! packet through the link, IP, UDP and DNS layers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spot_decode::capture::ip::{self, Reassembler};
use spot_decode::capture::{CaptureReader, link, udp};
use spot_decode::dns::Message;

const HEADER: [u8; 24] = [
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
];

fuzz_target!(|data: &[u8]| {
    let mut file = HEADER.to_vec();
    file.extend_from_slice(data);
    let Ok(mut r) = CaptureReader::new(std::io::Cursor::new(file), "fuzz.pcap") else {
        return;
    };
    let mut frag = Reassembler::default();
    while let Ok(Some(p)) = r.next_packet() {
        if let Ok(net) = link::network(p.link_type, p.data)
            && let Ok(ipp) = ip::parse(net, &mut frag, p.ts_sec)
            && let Some(u) = udp::parse(&ipp.payload)
        {
            let _ = Message::parse(u.payload);
        }
    }
});
