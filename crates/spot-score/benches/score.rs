//! Scoring and bounded top-N on a generated day.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spot_features::flow::FlowWords;
use spot_features::{CorpusBuilder, WordCreator};
use spot_model::{EmLda, LdaConfig, TopicModel};
use spot_score::{ScoreFilter, TopN, score_words};
use spot_synth::{FlowDayConfig, flow_day};

fn bench(c: &mut Criterion) {
    let day = flow_day(&FlowDayConfig::with_records(100_000));
    let words = FlowWords.words(&day.batch).unwrap();
    let mut cb = CorpusBuilder::new();
    cb.add_words(&words);
    let model = EmLda::new(LdaConfig {
        iterations: 5,
        ..LdaConfig::default()
    })
    .fit(&cb.build(), &mut |_| {})
    .unwrap();
    let rows = day.batch.num_rows() as u64;
    let scores = score_words(&model, &words);

    let mut g = c.benchmark_group("score");
    g.throughput(Throughput::Elements(rows));
    g.bench_function("score_words", |b| {
        b.iter(|| score_words(black_box(&model), black_box(&words)))
    });
    g.bench_function("top_200", |b| {
        b.iter(|| {
            let mut t = TopN::new(ScoreFilter {
                threshold: 1.0,
                max_results: Some(200),
            });
            t.push(black_box(&day.batch), black_box(&scores), 0)
                .unwrap();
            t.finish().unwrap()
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
