//! Word creation and corpus aggregation on a generated day.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spot_features::flow::{FlowWords, flow_words};
use spot_features::{CorpusBuilder, WordCreator};
use spot_synth::{FlowDayConfig, flow_day};

fn bench(c: &mut Criterion) {
    let day = flow_day(&FlowDayConfig::with_records(100_000));
    let batch = day.batch;
    let rows = batch.num_rows() as u64;

    let mut g = c.benchmark_group("flow_words");
    g.throughput(Throughput::Elements(rows));
    g.bench_function("batch", |b| {
        b.iter(|| FlowWords.words(black_box(&batch)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("flow_word_single");
    g.throughput(Throughput::Elements(1));
    g.bench_function("flow_words", |b| {
        b.iter(|| {
            flow_words(
                black_box(13),
                black_box(51234),
                black_box(443),
                "TCP",
                black_box(48_000),
                black_box(40),
            )
        })
    });
    g.finish();

    let words = FlowWords.words(&batch).unwrap();
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Elements(rows));
    g.bench_function("aggregate", |b| {
        b.iter(|| {
            let mut cb = CorpusBuilder::new();
            cb.add_words(black_box(&words));
            cb.build()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
