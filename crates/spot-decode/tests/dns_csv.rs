//! `DnsReader::csv` writes CSV straight from the parsed messages; it must be byte for byte the
//! CSV that `BatchWriter` writes from `DnsReader::batches`, on the real captures, on a mix of
//! captures, a Zeek `dns.log` and a damaged file, and on random messages whose names hold
//! commas, quotes, line breaks and non-ASCII bytes.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use spot_decode::BatchWriter;
use spot_decode::capture::PcapWriter;
use spot_decode::dns::DnsReader;

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// The CSV file `BatchWriter` writes from the batches, and the errors met on the way.
fn via_batches(reader: &DnsReader) -> (Vec<u8>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let mut w = BatchWriter::create(&path, &reader.schema()).unwrap();
    let mut errors = Vec::new();
    let mut batches = reader.batches();
    for b in batches.by_ref() {
        match b {
            Ok(b) => w.write(&b).unwrap(),
            Err(e) => errors.push(e.to_string()),
        }
    }
    w.finish().unwrap();
    (std::fs::read(&path).unwrap(), errors)
}

/// The chunks of `DnsReader::csv`, concatenated, and the errors met on the way.
fn via_csv(reader: &DnsReader) -> (Vec<u8>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut chunks = reader.csv();
    for c in chunks.by_ref() {
        match c {
            Ok(text) => out.extend_from_slice(&text),
            Err(e) => errors.push(e.to_string()),
        }
    }
    // The counts are those of the batches.
    let mut batches = reader.batches();
    batches.by_ref().for_each(drop);
    assert_eq!(chunks.stats(), batches.stats());
    (out, errors)
}

fn same_csv(inputs: &[PathBuf], queries: bool, batch_size: usize) -> Vec<u8> {
    let reader = DnsReader::open(inputs)
        .unwrap()
        .with_queries(queries)
        .with_batch_size(batch_size);
    let (want, want_errors) = via_batches(&reader);
    let (got, got_errors) = via_csv(&reader);
    assert_eq!(got_errors, want_errors);
    if got != want {
        let (g, w) = (
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
        );
        let line = g
            .lines()
            .zip(w.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{inputs:?} queries={queries} batch={batch_size}: line {line} differs:\n csv: {:?}\n arrow: {:?}",
            g.lines().nth(line),
            w.lines().nth(line)
        );
    }
    got
}

#[test]
fn real_captures_give_the_same_bytes() {
    for file in ["dns.pcap", "dns-nano.pcap", "dns.pcapng", "dns-sll2.pcap"] {
        let input = vec![data(&format!("dns/{file}"))];
        for queries in [false, true] {
            for batch in [1, 97, 1 << 20] {
                let csv = same_csv(&input, queries, batch);
                assert!(csv.starts_with(b"frame_time,unix_tstamp,"), "{file}");
                assert!(csv.iter().filter(|&&b| b == b'\n').count() > 100, "{file}");
            }
        }
    }
}

#[test]
fn mixed_inputs_damaged_files_and_no_records() {
    let dir = tempfile::tempdir().unwrap();
    // A capture cut inside a packet: its records, then an error, then the next input.
    let whole = std::fs::read(data("dns/dns.pcap")).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let zeek = dir.path().join("dns.log");
    std::fs::copy(data("zeek/dns.log"), &zeek).unwrap();
    let inputs = vec![
        data("dns/dns.pcapng"),
        cut.clone(),
        zeek,
        data("dns/dns.pcap"),
    ];
    for queries in [false, true] {
        for batch in [50, 1 << 20] {
            same_csv(&inputs, queries, batch);
        }
    }
    // No records at all: an empty file, as BatchWriter leaves it.
    let empty = dir.path().join("empty.pcap");
    std::fs::write(
        &empty,
        PcapWriter::new(Vec::new(), 101, false)
            .unwrap()
            .into_inner(),
    )
    .unwrap();
    assert!(same_csv(&[empty], true, 10).is_empty());
}

/// A DNS name on the wire from raw labels.
fn wire_name(labels: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    for l in labels {
        v.push(l.len() as u8);
        v.extend(l);
    }
    v.push(0);
    v
}

fn rr(name: &[u8], rtype: u16, ttl: u32, data: &[u8]) -> Vec<u8> {
    let mut v = name.to_vec();
    v.extend(rtype.to_be_bytes());
    v.extend(1u16.to_be_bytes());
    v.extend(ttl.to_be_bytes());
    v.extend((data.len() as u16).to_be_bytes());
    v.extend(data);
    v
}

/// One random DNS message and how it travels.
#[derive(Debug, Clone)]
struct Msg {
    id: u16,
    flags: u16,
    question: Option<(Vec<Vec<u8>>, u16, u16)>,
    a: Vec<[u8; 4]>,
    aaaa: Vec<[u8; 16]>,
    cnames: Vec<Vec<Vec<u8>>>,
    ttls: Vec<u32>,
    v6: bool,
    tcp: bool,
    src: [u8; 16],
    dst: [u8; 16],
    src_port: u16,
    dst_port: u16,
    sec: u32,
    nsec: u32,
    orig_extra: u32,
    /// Cut the DNS payload to this many bytes (malformed), if set.
    cut: Option<usize>,
}

impl Msg {
    fn payload(&self) -> Vec<u8> {
        let answers = self.a.len() + self.aaaa.len() + self.cnames.len();
        let mut m = Vec::new();
        m.extend(self.id.to_be_bytes());
        m.extend(self.flags.to_be_bytes());
        m.extend((self.question.is_some() as u16).to_be_bytes());
        m.extend((answers as u16).to_be_bytes());
        m.extend([0, 0, 0, 0]);
        let owner = if let Some((labels, qtype, qclass)) = &self.question {
            m.extend(wire_name(labels));
            m.extend(qtype.to_be_bytes());
            m.extend(qclass.to_be_bytes());
            vec![0xc0, 12]
        } else {
            vec![0]
        };
        let mut ttls = self.ttls.iter().cycle();
        let mut ttl = || *ttls.next().unwrap_or(&300);
        for c in &self.cnames {
            m.extend(rr(&owner, 5, ttl(), &wire_name(c)));
        }
        for a in &self.a {
            m.extend(rr(&owner, 1, ttl(), a));
        }
        for a in &self.aaaa {
            m.extend(rr(&owner, 28, ttl(), a));
        }
        if let Some(n) = self.cut {
            m.truncate(n);
        }
        m
    }

    /// The frame: raw IPv4 or IPv6, then UDP or TCP (one segment, length-prefixed).
    fn frame(&self) -> Vec<u8> {
        let dns = self.payload();
        let mut l4 = Vec::new();
        l4.extend(self.src_port.to_be_bytes());
        l4.extend(self.dst_port.to_be_bytes());
        if self.tcp {
            l4.extend(1u32.to_be_bytes()); // seq
            l4.extend(0u32.to_be_bytes()); // ack
            l4.extend([0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]); // 20 bytes, PSH+ACK
            l4.extend((dns.len() as u16).to_be_bytes());
        } else {
            l4.extend(((dns.len() + 8) as u16).to_be_bytes());
            l4.extend([0, 0]);
        }
        l4.extend(&dns);
        let proto = if self.tcp { 6 } else { 17 };
        let mut ip = Vec::new();
        if self.v6 {
            ip.extend([0x60, 0, 0, 0]);
            ip.extend((l4.len() as u16).to_be_bytes());
            ip.extend([proto, 64]);
            ip.extend(self.src);
            ip.extend(self.dst);
        } else {
            ip.extend([0x45, 0]);
            ip.extend(((l4.len() + 20) as u16).to_be_bytes());
            ip.extend([0, 0, 0, 0, 64, proto, 0, 0]);
            ip.extend(&self.src[..4]);
            ip.extend(&self.dst[..4]);
        }
        ip.extend(l4);
        ip
    }
}

fn label() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Hostname-like.
        proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b'z'), Just(b'0'), Just(b'-')],
            1..12
        ),
        // What makes CSV fields quoted, and bytes written `\xHH`.
        proptest::collection::vec(
            prop_oneof![
                Just(b','),
                Just(b'"'),
                Just(b'\n'),
                Just(b'\r'),
                Just(b' '),
                Just(b'x'),
                any::<u8>()
            ],
            1..8
        ),
    ]
}

fn name() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(label(), 0..4)
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        (
            any::<u16>(),
            any::<u16>(),
            proptest::option::weighted(0.9, (name(), any::<u16>(), any::<u16>())),
        ),
        (
            proptest::collection::vec(any::<[u8; 4]>(), 0..3),
            proptest::collection::vec(
                prop_oneof![
                    any::<[u8; 16]>(),
                    Just([0; 16]),
                    Just([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4])
                ],
                0..2,
            ),
            proptest::collection::vec(name(), 0..3),
            proptest::collection::vec(any::<u32>(), 0..3),
        ),
        (
            any::<bool>(),
            prop::bool::weighted(0.2),
            any::<[u8; 16]>(),
            any::<[u8; 16]>(),
        ),
        (prop_oneof![Just(53u16), any::<u16>()], 0..2u32),
        (
            0..200u32,
            0..1_000_000u32,
            prop_oneof![Just(0u32), Just(u32::MAX / 2), any::<u32>()],
        ),
        proptest::option::weighted(0.1, 0..40usize),
    )
        .prop_map(
            |(
                (id, flags, question),
                (a, aaaa, cnames, ttls),
                (v6, tcp, src, dst),
                (port, dir),
                (sec, usec, orig_extra),
                cut,
            )| {
                let (src_port, dst_port) = if dir == 0 { (53, port) } else { (port, 53) };
                Msg {
                    id,
                    flags,
                    question,
                    a,
                    aaaa,
                    cnames,
                    ttls,
                    v6,
                    tcp,
                    src,
                    dst,
                    src_port,
                    dst_port,
                    sec: 1_795_599_000 + sec * 7,
                    nsec: usec * 1000,
                    orig_extra,
                    cut,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_messages_give_the_same_bytes(
        msgs in proptest::collection::vec(msg(), 1..40),
        batch in 1..16usize,
    ) {
        let mut w = PcapWriter::new(Vec::new(), 101, true).unwrap();
        for m in &msgs {
            let frame = m.frame();
            let orig = (frame.len() as u32).saturating_add(m.orig_extra);
            w.write_packet(m.sec, m.nsec, &frame, orig).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("random.pcap");
        std::fs::write(&path, w.into_inner()).unwrap();
        for queries in [false, true] {
            same_csv(std::slice::from_ref(&path), queries, batch);
        }
    }
}
