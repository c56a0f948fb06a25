//! Property tests: no byte string makes the capture, link, IP, TCP or DNS parsers panic, and
//! names built from compression pointers always terminate.

use std::io::Cursor;

use proptest::prelude::*;
use spot_decode::capture::ip::{self, Reassembler, ReassemblyLimits};
use spot_decode::capture::link::{self, Network};
use spot_decode::capture::tcp::{self, DnsTcpReassembler, FlowKey, TcpLimits};
use spot_decode::capture::{CaptureReader, udp};
use spot_decode::dns::Message;
use spot_decode::dns::message::{MAX_NAME_WIRE_LEN, read_name};

fn drain(bytes: Vec<u8>) {
    if let Ok(mut r) = CaptureReader::new(Cursor::new(bytes), "prop") {
        let mut n = 0;
        while let Ok(Some(p)) = r.next_packet() {
            let _ = link::network(p.link_type, p.data);
            n += 1;
            assert!(n < 100_000);
        }
    }
}

const PCAP_LE: [u8; 24] = [
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
];
const PCAPNG_SHB: [u8; 28] = [
    0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn dns_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Message::parse(&bytes);
    }

    #[test]
    fn dns_parser_on_valid_header(
        counts in proptest::array::uniform4(0u16..8),
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut m = vec![0x12, 0x34, 0x81, 0x80];
        for c in counts {
            m.extend(c.to_be_bytes());
        }
        m.extend(body);
        let _ = Message::parse(&m);
    }

    #[test]
    fn pointer_names_terminate(
        // Mostly pointers and short labels: the shapes that make loops.
        bytes in proptest::collection::vec(
            prop_oneof![Just(0xc0u8), 0u8..4, any::<u8>()], 1..300),
        start in 0usize..300,
    ) {
        let mut s = String::new();
        if let Ok(end) = read_name(&bytes, start, &mut s) {
            prop_assert!(end <= bytes.len());
            // Presentation form is at most 4 characters per wire byte.
            prop_assert!(s.len() <= 4 * MAX_NAME_WIRE_LEN);
        }
    }

    #[test]
    fn capture_readers_never_panic(
        kind in 0u8..3,
        body in proptest::collection::vec(any::<u8>(), 0..800),
    ) {
        let mut f = match kind {
            0 => PCAP_LE.to_vec(),
            1 => PCAPNG_SHB.to_vec(),
            _ => Vec::new(),
        };
        f.extend(body);
        drain(f);
    }

    #[test]
    fn layers_never_panic(
        link_type in prop_oneof![Just(0u32), Just(1), Just(101), Just(108), Just(113), Just(276), any::<u32>()],
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut r = Reassembler::new(ReassemblyLimits { max_datagrams: 4, max_bytes: 4096, timeout_sec: 1 });
        let _ = link::network(link_type, &bytes);
        for net in [Network::Ipv4(&bytes), Network::Ipv6(&bytes)] {
            if let Ok(p) = ip::parse(net, &mut r, 0) {
                let _ = udp::parse(&p.payload);
                let _ = tcp::parse(&p.payload);
            }
        }
        let _ = udp::parse(&bytes);
        let _ = tcp::parse(&bytes);
    }

    #[test]
    fn tcp_reassembly_is_bounded(
        segs in proptest::collection::vec(
            (0u16..4, any::<u32>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..64)),
            0..60),
    ) {
        let limits = TcpLimits { max_flows: 3, max_out_of_order: 256 };
        let mut r = DnsTcpReassembler::new(limits);
        let mut out = Vec::new();
        for (port, seq, flags, payload) in &segs {
            let key = FlowKey {
                src: "10.0.0.1".parse().unwrap(),
                dst: "10.0.0.2".parse().unwrap(),
                src_port: 53,
                dst_port: *port,
            };
            let seg = tcp::Segment { src_port: 53, dst_port: *port, seq: *seq, flags: *flags, payload };
            r.push(key, &seg, &mut out);
            prop_assert!(r.flows() <= 3);
        }
        for m in &out {
            let _ = Message::parse(m);
        }
    }
}
