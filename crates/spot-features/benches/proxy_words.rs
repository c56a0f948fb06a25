//! Apache Spot's proxy word creation over a batch.

use std::hint::black_box;
use std::sync::Arc;

use arrow::array::{Array, RecordBatch, StringArray};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spot_decode::schema::proxy as col;
use spot_features::WordCreator;
use spot_features::domain::TopDomains;
use spot_features::proxy::{ProxyWords, UserAgentCounts};

fn batch(n: usize) -> RecordBatch {
    let hosts = [
        "www.google.com",
        "cdn.example.net",
        "a1b2c3d4e5f6.xyz",
        "mail.intel.com",
        "news.example.com.au",
    ];
    let agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        "curl/7.88.1",
        "Wget/1.21.3",
    ];
    let rows: Vec<[String; 9]> = (0..n)
        .map(|i| {
            let host = hosts[i % hosts.len()];
            [
                "2026-11-25".to_string(),
                format!("{:02}:{:02}:{:02}", i % 24, i % 60, (i * 7) % 60),
                format!("10.0.{}.{}", i % 7, i % 251),
                host.to_string(),
                ["GET", "POST", "HEAD"][i % 3].to_string(),
                agents[i % agents.len()].to_string(),
                ["text/html; charset=utf-8", "image/png", "application/json"][i % 3].to_string(),
                ["200", "404", "304"][i % 3].to_string(),
                format!("{host}/path/{}/item?id={}", i % 97, i),
            ]
        })
        .collect();
    let cols: Vec<(&str, Arc<dyn Array>)> = col::REQUIRED
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let a: StringArray = rows.iter().map(|r| Some(r[j].as_str())).collect();
            (*name, Arc::new(a) as Arc<dyn Array>)
        })
        .collect();
    RecordBatch::try_from_iter(cols).unwrap()
}

fn words(c: &mut Criterion) {
    let b = batch(65_536);
    let mut agents = UserAgentCounts::default();
    agents.add_batch(&b).unwrap();
    let w = ProxyWords::new(
        TopDomains::from_names(["google.com", "example.net"]),
        Some("intel".into()),
        agents,
    );
    let mut g = c.benchmark_group("proxy_words");
    g.throughput(Throughput::Elements(b.num_rows() as u64));
    g.sample_size(20);
    g.bench_function("batch_64k", |bench| {
        bench.iter(|| black_box(w.words(&b).unwrap()))
    });
    g.bench_function("count_user_agents_64k", |bench| {
        bench.iter(|| {
            let mut a = UserAgentCounts::default();
            a.add_batch(&b).unwrap();
            black_box(a)
        })
    });
    g.finish();
}

criterion_group!(benches, words);
criterion_main!(benches);
