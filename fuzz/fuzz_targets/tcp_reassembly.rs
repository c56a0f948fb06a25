//! DNS-over-TCP reassembly: the input is cut into segments `[port, flags, seq(4), len, data]`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spot_decode::capture::tcp::{DnsTcpReassembler, FlowKey, Segment, TcpLimits};
use spot_decode::dns::Message;

fuzz_target!(|data: &[u8]| {
    let mut r = DnsTcpReassembler::new(TcpLimits {
        max_flows: 4,
        max_out_of_order: 1024,
    });
    let mut out = Vec::new();
    let mut rest = data;
    while rest.len() >= 7 {
        let (port, flags) = (rest[0] as u16 % 8, rest[1]);
        let seq = u32::from_le_bytes([rest[2], rest[3], rest[4], rest[5]]);
        let len = (rest[6] as usize).min(rest.len() - 7);
        let payload = &rest[7..7 + len];
        rest = &rest[7 + len..];
        let key = FlowKey {
            src: [10, 0, 0, 1].into(),
            dst: [10, 0, 0, 2].into(),
            src_port: 53,
            dst_port: port,
        };
        let seg = Segment { src_port: 53, dst_port: port, seq, flags, payload };
        r.push(key, &seg, &mut out);
        assert!(r.flows() <= 4);
    }
    for m in &out {
        let _ = Message::parse(m);
    }
});
