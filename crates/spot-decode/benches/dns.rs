//! Criterion benches: the capture reader, the DNS message parser and the whole DNS reader, on
//! the real capture of `tests/data/dns/dns.pcap` (1660 frames).

use std::hint::black_box;
use std::io::Cursor;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spot_decode::capture::ip::{self, Reassembler};
use spot_decode::capture::{CaptureReader, link, udp};
use spot_decode::dns::{DnsReader, Message};

fn capture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/dns/dns.pcap")
}

fn benches(c: &mut Criterion) {
    let bytes = std::fs::read(capture_path()).expect("test capture");
    let mut g = c.benchmark_group("dns_decode");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("pcap_reader", |b| {
        b.iter(|| {
            let mut r = CaptureReader::new(Cursor::new(bytes.clone()), "bench").unwrap();
            let mut n = 0usize;
            while let Some(p) = r.next_packet().unwrap() {
                n += p.data.len();
            }
            black_box(n)
        })
    });
    // DNS payloads extracted once, to time the message parser alone.
    let mut payloads = Vec::new();
    let mut r = CaptureReader::new(Cursor::new(bytes.clone()), "bench").unwrap();
    let mut frag = Reassembler::default();
    while let Some(p) = r.next_packet().unwrap() {
        if let Ok(net) = link::network(p.link_type, p.data)
            && let Ok(ipp) = ip::parse(net, &mut frag, 0)
            && let Some(u) = udp::parse(&ipp.payload)
        {
            payloads.push(u.payload.to_vec());
        }
    }
    let total: usize = payloads.iter().map(Vec::len).sum();
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("dns_message_parse", |b| {
        b.iter(|| {
            let mut n = 0;
            for p in &payloads {
                n += Message::parse(p).map(|m| m.answers.len()).unwrap_or(0);
            }
            black_box(n)
        })
    });
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    let reader = DnsReader::open(&[capture_path()])
        .unwrap()
        .with_queries(true);
    g.bench_function("dns_reader_batches", |b| {
        b.iter(|| {
            let rows: usize = reader.batches().map(|b| b.unwrap().num_rows()).sum();
            black_box(rows)
        })
    });
    g.finish();
}

criterion_group!(dns, benches);
criterion_main!(dns);
