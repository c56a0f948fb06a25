//! NetFlow v5/v9/IPFIX decoder: the input is a sequence of datagrams (2-byte big-endian length
//! prefixes) fed to one decoder, so templates from earlier datagrams meet later data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spot_decode::netflow::NetflowDecoder;

fuzz_target!(|data: &[u8]| {
    let mut decoder = NetflowDecoder::new();
    let exporter = std::net::IpAddr::from([127, 0, 0, 1]);
    let mut rest = data;
    while rest.len() >= 2 {
        let len = (u16::from_be_bytes([rest[0], rest[1]]) as usize).min(rest.len() - 2);
        let datagram = &rest[2..2 + len];
        let _ = decoder.decode(exporter, 0, datagram, &mut |flow| {
            std::hint::black_box(flow);
        });
        rest = &rest[2 + len..];
    }
});
