//! EM training on the corpus of a generated day.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spot_features::flow::FlowWords;
use spot_features::{CorpusBuilder, WordCreator};
use spot_model::{EmLda, LdaConfig, TopicModel};
use spot_synth::{FlowDayConfig, flow_day};

fn bench(c: &mut Criterion) {
    let day = flow_day(&FlowDayConfig::with_records(100_000));
    let mut cb = CorpusBuilder::new();
    cb.add_words(&FlowWords.words(&day.batch).unwrap());
    let corpus = cb.build();
    let mut g = c.benchmark_group("em");
    g.throughput(Throughput::Elements(corpus.nnz() as u64 * 20));
    g.bench_function("fit_k20_20it", |b| {
        b.iter(|| {
            EmLda::new(LdaConfig::default())
                .fit(&corpus, &mut |_| {})
                .unwrap()
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
