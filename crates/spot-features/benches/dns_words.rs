//! Criterion bench: Apache Spot's DNS word creation over a batch of 10 000 records.

use std::hint::black_box;
use std::sync::Arc;

use arrow::array::{Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spot_features::WordCreator;
use spot_features::dns::{DnsWords, col};
use spot_features::domain::TopDomains;

fn batch(n: usize) -> RecordBatch {
    let names: Vec<String> = (0..n)
        .map(|i| match i % 4 {
            0 => format!("www{}.google.com", i % 7),
            1 => format!("x{:x}y{:x}.tunnel.example.com", i * 7919, i * 104_729),
            2 => format!("{}.{}.0.10.in-addr.arpa", i % 256, i % 13),
            _ => format!("mail.corp{}.co.uk", i % 50),
        })
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new(col::FRAME_TIME, DataType::Utf8, true),
        Field::new(col::UNIX_TSTAMP, DataType::Int64, true),
        Field::new(col::FRAME_LEN, DataType::Int32, true),
        Field::new(col::IP_DST, DataType::Utf8, true),
        Field::new(col::DNS_QRY_NAME, DataType::Utf8, true),
        Field::new(col::DNS_QRY_CLASS, DataType::Utf8, true),
        Field::new(col::DNS_QRY_TYPE, DataType::Int32, true),
        Field::new(col::DNS_QRY_RCODE, DataType::Int32, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec![
                "Nov 25, 2026 09:39:52.741815000 UTC";
                n
            ])),
            Arc::new(Int64Array::from(vec![1_795_599_592; n])),
            Arc::new(Int32Array::from(
                (0..n as i32).map(|i| 60 + i % 400).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                (0..n)
                    .map(|i| format!("10.1.0.{}", i % 250))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(names)),
            Arc::new(StringArray::from(vec!["0x0001"; n])),
            Arc::new(Int32Array::from(vec![1; n])),
            Arc::new(Int32Array::from(vec![0; n])),
        ],
    )
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let b = batch(10_000);
    let words = DnsWords::new(
        Arc::new(TopDomains::from_names([
            "google.com",
            "example.com",
            "corp7.co.uk",
        ])),
        Some("corp".into()),
    );
    let mut g = c.benchmark_group("dns_words");
    g.throughput(Throughput::Elements(b.num_rows() as u64));
    g.bench_function("words_10k", |bch| {
        bch.iter(|| black_box(words.words(&b).unwrap()))
    });
    g.finish();
}

criterion_group!(dns, benches);
criterion_main!(dns);
