//! Line parsers and the streaming reader for proxy logs.

use std::hint::black_box;
use std::io::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spot_decode::proxy::{ElffParser, LineParser, ProxyReader, SquidParser, ZeekParser};

const ELFF: &str = "2026-11-25 09:40:06 15 10.0.0.17 - - - OBSERVED \"Technology/Internet\" \"http://www.example.com/\" 200 TCP_MISS GET \"text/html; charset=utf-8\" http www.example.com 80 /assets/app/main.js ?v=20261125&lang=en js \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\" 192.0.2.10 48213 612 - - -";
const SQUID: &str = "1795599606.781     15 10.0.0.17 TCP_MISS/200 48213 GET http://www.example.com/assets/app/main.js?v=20261125 - HIER_DIRECT/192.0.2.10 text/html";
const ZEEK: &str = "1795599606.781000\tCHhAvVGS1DHFjwGM9\t10.0.0.17\t51234\t192.0.2.10\t80\t1\tGET\twww.example.com\t/assets/app/main.js?v=20261125&lang=en\thttp://www.example.com/\t1.1\tMozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36\t-\t0\t48213\t200\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\tFHl1\t-\ttext/html";

fn line_parsers(c: &mut Criterion) {
    let mut g = c.benchmark_group("proxy_line");
    for (name, line, mut parser) in [
        (
            "elff",
            ELFF,
            Box::new(ElffParser::new()) as Box<dyn LineParser>,
        ),
        ("squid", SQUID, Box::new(SquidParser::new())),
        ("zeek_tsv", ZEEK, Box::new(ZeekParser::new())),
    ] {
        g.throughput(Throughput::Bytes(line.len() as u64 + 1));
        g.bench_function(name, |b| {
            b.iter(|| {
                let r = parser.parse_line(black_box(line)).unwrap();
                black_box(r.is_some())
            })
        });
    }
    g.finish();
}

fn reader(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("elff.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let n = 20_000;
    for _ in 0..n {
        writeln!(f, "{ELFF}").unwrap();
    }
    drop(f);
    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut g = c.benchmark_group("proxy_reader");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(20);
    g.bench_function("elff_file_to_batches", |b| {
        b.iter(|| {
            let r = ProxyReader::open(&[&path]).unwrap();
            let rows: usize = r.batches().map(|b| b.unwrap().num_rows()).sum();
            assert_eq!(rows, n);
        })
    });
    g.finish();
}

criterion_group!(benches, line_parsers, reader);
criterion_main!(benches);
