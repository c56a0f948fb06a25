//! The whole flow analysis (read Parquet → words → EM → score → top 200) on a generated day.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use spot::decode::{BatchWriter, FlowReader};
use spot::features::{CorpusBuilder, flow::FlowWords};
use spot::score::{Analysis, AnalysisConfig, ScoreFilter, Summary};
use spot::synth::{FlowDayConfig, flow_day};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("day.parquet");
    let day = flow_day(&FlowDayConfig::with_records(100_000));
    let mut w = BatchWriter::create(&path, &day.batch.schema()).expect("create");
    w.write(&day.batch).expect("write");
    w.finish().expect("finish");
    let reader = FlowReader::open(&[&path]).expect("open");
    let config = AnalysisConfig {
        filter: ScoreFilter {
            threshold: 1.0,
            max_results: Some(200),
        },
        ..AnalysisConfig::default()
    };
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(day.batch.num_rows() as u64));
    g.bench_function("flow_parquet_100k", |b| {
        b.iter(|| {
            let analysis = Analysis::new(&FlowWords, config.clone());
            let (mut s, mut cb) = (Summary::default(), CorpusBuilder::new());
            analysis
                .corpus(reader.batches(), &mut cb, &mut |_| Ok(()), &mut s, &mut ())
                .expect("words");
            let model = analysis.fit(cb, &mut s, &mut ()).expect("fit");
            analysis
                .score(&model, reader.batches(), &mut s, &mut ())
                .expect("score")
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
