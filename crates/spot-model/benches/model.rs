//! Per-engine fitting cost on a planted corpus (2,000 documents × 100 tokens, 1,000 words,
//! K = 20), plus fold-in and model loading.
//!
//! Run: `cargo bench --bench model` (set `SPOT_BENCH_DOCS` to change the corpus size).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use spot_model::synthetic::{PlantedConfig, planted};
use spot_model::{FittedModel, Lda, LdaConfig, OnlineConfig, Optimizer, TopicModel};

fn corpus_config() -> PlantedConfig {
    let docs = std::env::var("SPOT_BENCH_DOCS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000);
    PlantedConfig {
        docs,
        words: 1_000,
        topics: 20,
        doc_len: 100,
        seed: 1,
        ..PlantedConfig::default()
    }
}

fn config(o: Optimizer) -> LdaConfig {
    let base = LdaConfig {
        topics: 20,
        iterations: 5,
        optimizer: o,
        ..LdaConfig::default()
    };
    match o {
        Optimizer::Em => base,
        Optimizer::Online => LdaConfig {
            alpha: 0.05,
            beta: 0.05,
            online: OnlineConfig {
                mini_batch_fraction: 0.2,
                ..OnlineConfig::default()
            },
            ..base
        },
        Optimizer::Gibbs => LdaConfig {
            alpha: 0.05,
            beta: 0.05,
            ..base
        },
    }
}

fn engines(c: &mut Criterion) {
    let data = planted(&corpus_config());
    let mut g = c.benchmark_group("fit_5_iterations");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for o in [Optimizer::Em, Optimizer::Online, Optimizer::Gibbs] {
        let engine = Lda::new(config(o));
        g.bench_function(o.name(), |b| {
            b.iter(|| black_box(engine.fit(&data.corpus, &mut |_| {}).expect("fit")))
        });
    }
    g.finish();
}

fn inference_and_io(c: &mut Criterion) {
    let data = planted(&corpus_config());
    let model = Lda::new(config(Optimizer::Gibbs))
        .fit(&data.corpus, &mut |_| {})
        .expect("fit");
    let docs: Vec<Vec<(u32, f64)>> = (0..100)
        .map(|d| {
            let (ws, cs) = data.corpus.doc(d);
            ws.iter().copied().zip(cs.iter().copied()).collect()
        })
        .collect();
    c.bench_function("infer_100_docs", |b| {
        b.iter(|| {
            for d in &docs {
                black_box(model.infer(d, 50));
            }
        })
    });
    let dir = std::env::temp_dir().join(format!("spot-model-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("model.spotlda");
    model.save(&path).expect("save");
    c.bench_function("load_model", |b| {
        b.iter(|| black_box(FittedModel::load(&path).expect("load")))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, engines, inference_and_io);
criterion_main!(benches);
