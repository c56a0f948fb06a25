//! Behaviour shared by every engine: determinism across thread counts, topic recovery,
//! normalized distributions, warm starts, fold-in and persistence.

use proptest::prelude::*;
use spot_features::{Corpus, CorpusBuilder};
use spot_model::synthetic::{Planted, PlantedConfig, planted, topic_distance};
use spot_model::{
    FittedModel, Lda, LdaConfig, ModelError, OnlineConfig, Optimizer, TopicModel, heldout,
};

const ENGINES: [Optimizer; 3] = [Optimizer::Em, Optimizer::Online, Optimizer::Gibbs];

fn small() -> Planted {
    planted(&PlantedConfig {
        docs: 300,
        words: 60,
        topics: 4,
        doc_len: 60,
        seed: 3,
        ..PlantedConfig::default()
    })
}

/// A configuration for which each engine recovers the planted topics of [`small`].
fn config(o: Optimizer) -> LdaConfig {
    let base = LdaConfig {
        topics: 4,
        optimizer: o,
        seed: 11,
        shards: 7,
        ..LdaConfig::default()
    };
    match o {
        Optimizer::Em => LdaConfig {
            iterations: 60,
            ..base
        },
        Optimizer::Online => LdaConfig {
            alpha: 0.1,
            beta: 0.05,
            iterations: 60,
            online: OnlineConfig {
                tau0: 4.0,
                kappa: 0.6,
                mini_batch_fraction: 0.3,
                optimize_alpha: false,
            },
            ..base
        },
        Optimizer::Gibbs => LdaConfig {
            alpha: 0.1,
            beta: 0.05,
            iterations: 60,
            ..base
        },
    }
}

fn fit_with_threads(cfg: &LdaConfig, corpus: &Corpus, threads: usize) -> FittedModel {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| Lda::new(cfg.clone()).fit(corpus, &mut |_| {}).expect("fit"))
}

/// Everything a fit produces that could depend on scheduling: the model, the likelihood trace,
/// Spot scores of every training pair, fold-in mixtures and the held-out score.
#[derive(Debug, PartialEq)]
struct Outcome {
    model: FittedModel,
    trace: Vec<Option<f64>>,
    scores: Vec<f64>,
    folded: Vec<f64>,
    heldout: heldout::HeldOut,
}

fn outcome(
    cfg: &LdaConfig,
    corpus: &Corpus,
    init: Option<&FittedModel>,
    held: &Corpus,
    threads: usize,
) -> Outcome {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| {
        let mut trace = Vec::new();
        let model = Lda::new(cfg.clone())
            .fit_from(corpus, init, &mut |it| trace.push(it.log_likelihood))
            .expect("fit");
        let mut scores = Vec::with_capacity(corpus.nnz());
        for d in 0..corpus.num_docs() {
            for &w in corpus.doc(d).0 {
                scores.push(model.prob_ids(w, d as u32));
            }
        }
        // Fold the held-out part in as if its documents were new hosts.
        let mut renamed = CorpusBuilder::new();
        for d in 0..held.num_docs() {
            let (ws, cs) = held.doc(d);
            for (&w, &c) in ws.iter().zip(cs) {
                let doc = format!("new-{}", held.doc_names()[d]);
                renamed.add(&doc, &held.word_names()[w as usize], c as u64);
            }
        }
        let mut folded_model = model.clone();
        folded_model.fold_in(&renamed.build(), 30);
        let folded = folded_model.doc_topic_matrix()[model.doc_topic_matrix().len()..].to_vec();
        let heldout = heldout::evaluate(&model, corpus, held, 30);
        Outcome {
            model,
            trace,
            scores,
            folded,
            heldout,
        }
    })
}

#[test]
fn every_engine_is_bit_identical_at_1_2_and_4_threads() {
    let data = small();
    let (observed, held) = heldout::split(&data.corpus, 0.1, 2);
    for o in ENGINES {
        let cfg = LdaConfig {
            iterations: 4,
            track_likelihood: true,
            online: OnlineConfig {
                optimize_alpha: true,
                ..config(o).online
            },
            ..config(o)
        };
        let one = outcome(&cfg, &observed, None, &held, 1);
        assert_eq!(one.trace.len(), 4, "{o}");
        assert!(
            one.trace.iter().all(|ll| ll.is_some_and(f64::is_finite)),
            "{o}"
        );
        assert!(!one.folded.is_empty(), "{o}");
        for threads in [2, 4] {
            let other = outcome(&cfg, &observed, None, &held, threads);
            assert!(one == other, "{o}: {threads} threads differ from 1");
        }
        // Warm starts too: continuing from the 1-thread model at 1, 2 and 4 threads.
        let warm = LdaConfig {
            iterations: 2,
            seed: 5,
            ..cfg.clone()
        };
        let w1 = outcome(&warm, &data.corpus, Some(&one.model), &held, 1);
        for threads in [2, 4] {
            let other = outcome(&warm, &data.corpus, Some(&one.model), &held, threads);
            assert!(
                w1 == other,
                "{o}: warm start at {threads} threads differs from 1"
            );
        }
        let reseeded = LdaConfig { seed: 12, ..cfg };
        assert_ne!(
            one.model,
            outcome(&reseeded, &observed, None, &held, 2).model,
            "{o}"
        );
    }
}

#[test]
fn every_engine_recovers_planted_topics() {
    let data = small();
    for o in ENGINES {
        let m = fit_with_threads(&config(o), &data.corpus, 2);
        let tv = topic_distance(&m, &data);
        assert!(tv < 0.15, "{o}: mean total-variation distance {tv}");
    }
}

#[test]
fn likelihood_is_reported_and_improves() {
    let data = small();
    for o in ENGINES {
        let cfg = LdaConfig {
            track_likelihood: true,
            online: OnlineConfig {
                mini_batch_fraction: 1.0,
                ..config(o).online
            },
            ..config(o)
        };
        let mut trace = Vec::new();
        Lda::new(cfg)
            .fit(&data.corpus, &mut |it| {
                trace.push(it.log_likelihood.unwrap())
            })
            .unwrap();
        assert_eq!(trace.len(), 60, "{o}");
        assert!(trace[59] > trace[0] + 0.1, "{o}: {trace:?}");
    }
}

#[test]
fn tolerance_stops_early() {
    let data = small();
    for o in ENGINES {
        let cfg = LdaConfig {
            iterations: 500,
            tolerance: Some(1e-3),
            online: OnlineConfig {
                mini_batch_fraction: 1.0,
                ..config(o).online
            },
            ..config(o)
        };
        let mut n = 0;
        Lda::new(cfg).fit(&data.corpus, &mut |_| n += 1).unwrap();
        assert!(n < 500, "{o}: ran {n} iterations");
    }
}

#[test]
fn warm_start_is_never_worse_than_cold() {
    let data = small();
    let (observed, held) = heldout::split(&data.corpus, 0.1, 1);
    for o in ENGINES {
        let previous = fit_with_threads(&config(o), &observed, 2);
        let short = LdaConfig {
            iterations: 3,
            seed: 99,
            ..config(o)
        };
        let cold = Lda::new(short.clone()).fit(&observed, &mut |_| {}).unwrap();
        let warm = Lda::new(short)
            .fit_from(&observed, Some(&previous), &mut |_| {})
            .unwrap();
        let c = heldout::evaluate(&cold, &observed, &held, 50).per_token();
        let w = heldout::evaluate(&warm, &observed, &held, 50).per_token();
        assert!(w >= c - 1e-9, "{o}: warm {w} < cold {c}");
        assert!(topic_distance(&warm, &data) < 0.2, "{o}");
    }
}

#[test]
fn warm_start_takes_new_words_and_documents() {
    let data = small();
    let mut b = CorpusBuilder::new();
    for d in 0..data.corpus.num_docs() {
        let (ws, cs) = data.corpus.doc(d);
        for (&w, &c) in ws.iter().zip(cs) {
            b.add(
                &data.corpus.doc_names()[d],
                &data.corpus.word_names()[w as usize],
                c as u64,
            );
        }
    }
    b.add("new-host", "w000001", 5);
    b.add("new-host", "brand-new-word", 3);
    let bigger = b.build();
    for o in ENGINES {
        let previous = fit_with_threads(&config(o), &data.corpus, 2);
        let m = Lda::new(LdaConfig {
            iterations: 2,
            ..config(o)
        })
        .fit_from(&bigger, Some(&previous), &mut |_| {})
        .unwrap();
        assert!(m.word_prob("brand-new-word", "new-host") > 0.0, "{o}");
        let bad = LdaConfig {
            topics: 5,
            ..config(o)
        };
        assert!(matches!(
            Lda::new(bad).fit_from(&bigger, Some(&previous), &mut |_| {}),
            Err(ModelError::IncompatibleInit(_))
        ));
    }
}

#[test]
fn fold_in_of_a_training_copy_is_close_to_its_training_mixture() {
    let data = small();
    for o in ENGINES {
        let m = fit_with_threads(&config(o), &data.corpus, 2);
        let mut worst: f64 = 0.0;
        for d in 0..20 {
            let (ws, cs) = data.corpus.doc(d);
            let words: Vec<(u32, f64)> = ws.iter().copied().zip(cs.iter().copied()).collect();
            let inferred = m.infer(&words, 200);
            let tv: f64 = inferred
                .iter()
                .zip(m.doc_topics(d))
                .map(|(a, b)| (a - b).abs())
                .sum::<f64>()
                / 2.0;
            worst = worst.max(tv);
        }
        assert!(worst < 0.15, "{o}: worst total variation {worst}");
    }
}

#[test]
fn fold_in_scores_unseen_hosts() {
    let data = small();
    let m0 = fit_with_threads(&config(Optimizer::Gibbs), &data.corpus, 2);
    let mut b = CorpusBuilder::new();
    b.add("10.9.9.9", "w000001", 5);
    b.add("10.9.9.9", "unknown-word", 5);
    b.add(&data.corpus.doc_names()[0], "w000002", 1);
    let new = b.build();
    let mut m = m0.clone();
    assert_eq!(m.word_prob("w000001", "10.9.9.9"), 0.0);
    assert_eq!(m.fold_in(&new, 50), 1);
    assert!(m.word_prob("w000001", "10.9.9.9") > m.word_prob("w000059", "10.9.9.9"));
    // Known documents keep their training mixture.
    assert_eq!(m.doc_topics(0), m0.doc_topics(0));
}

#[test]
fn save_load_round_trip_is_identical() {
    let data = small();
    let dir = tempfile::tempdir().unwrap();
    for o in ENGINES {
        let cfg = LdaConfig {
            iterations: 3,
            tolerance: Some(1e-4),
            online: OnlineConfig {
                optimize_alpha: true,
                ..config(o).online
            },
            ..config(o)
        };
        let m = fit_with_threads(&cfg, &data.corpus, 2);
        let path = dir.path().join(format!("{o}.spotlda"));
        m.save(&path).unwrap();
        let back = FittedModel::load(&path).unwrap();
        assert_eq!(back, m, "{o}");
        assert_eq!(back.optimizer(), o);
        let (w, d) = ("w000003", "d000007");
        assert_eq!(back.word_prob(w, d), m.word_prob(w, d));
    }
}

#[test]
fn load_rejects_bad_files_with_typed_errors() {
    let data = small();
    let dir = tempfile::tempdir().unwrap();
    let m = fit_with_threads(
        &LdaConfig {
            iterations: 1,
            ..config(Optimizer::Em)
        },
        &data.corpus,
        1,
    );
    let path = dir.path().join("m.spotlda");
    m.save(&path).unwrap();
    let good = std::fs::read(&path).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        FittedModel::load(&p)
    };
    let mut v2 = good.clone();
    v2[8] = 2;
    assert!(matches!(
        write("v2", &v2),
        Err(ModelError::UnsupportedVersion {
            found: 2,
            supported: 1,
            ..
        })
    ));
    assert!(matches!(
        write("text", b"hello, world"),
        Err(ModelError::NotAModel { .. })
    ));
    assert!(matches!(
        write("cut", &good[..good.len() / 2]),
        Err(ModelError::Corrupt { .. })
    ));
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    assert!(matches!(
        write("flip", &flipped),
        Err(ModelError::Corrupt { .. })
    ));
    assert!(matches!(
        FittedModel::load(dir.path().join("missing")),
        Err(ModelError::Io { .. })
    ));
}

#[test]
fn heldout_prefers_a_trained_model() {
    let data = small();
    let (observed, held) = heldout::split(&data.corpus, 0.1, 5);
    assert_eq!(
        observed.total_tokens() + held.total_tokens(),
        data.corpus.total_tokens()
    );
    for o in ENGINES {
        let trained = fit_with_threads(&config(o), &observed, 2);
        let barely = fit_with_threads(
            &LdaConfig {
                iterations: 1,
                ..config(o)
            },
            &observed,
            2,
        );
        let a = heldout::evaluate(&trained, &observed, &held, 50);
        let b = heldout::evaluate(&barely, &observed, &held, 50);
        assert!(a.per_token() > b.per_token(), "{o}: {a:?} vs {b:?}");
        assert!(a.perplexity() < 60.0, "{o}: {a:?}");
    }
}

fn arb_corpus() -> impl Strategy<Value = Corpus> {
    proptest::collection::vec((0u32..12, 0u32..15, 1u64..20), 1..80).prop_map(|t| {
        let docs = (0..12).map(|d| format!("10.0.0.{d}")).collect();
        let words = (0..15).map(|w| format!("word{w}")).collect();
        Corpus::from_triplets(docs, words, t)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn distributions_are_normalized(corpus in arb_corpus(), k in 1usize..6, seed in 0u64..1000, e in 0usize..3) {
        let cfg = LdaConfig {
            topics: k,
            iterations: 4,
            seed,
            optimizer: ENGINES[e],
            shards: 3,
            online: OnlineConfig { mini_batch_fraction: 0.5, optimize_alpha: true, ..OnlineConfig::default() },
            ..LdaConfig::default()
        };
        let m = Lda::new(cfg).fit(&corpus, &mut |_| {}).unwrap();
        for d in 0..m.num_docs() {
            let row = m.doc_topics(d);
            let s: f64 = row.iter().sum();
            // A document with no tokens keeps an all-zero row under `em` (Spark's reading).
            prop_assert!((s - 1.0).abs() < 1e-9 || (s == 0.0 && corpus.doc(d).0.is_empty()), "doc {d}: {s}");
            prop_assert!(row.iter().all(|x| *x >= 0.0));
        }
        for j in 0..k {
            let s: f64 = (0..m.num_words()).map(|w| m.word_topics(w)[j]).sum();
            prop_assert!((s - 1.0).abs() < 1e-9, "topic {j}: {s}");
        }
        let words: Vec<(u32, f64)> = corpus.doc(0).0.iter().map(|&w| (w, 2.0)).collect();
        let inferred = m.infer(&words, 20);
        prop_assert!((inferred.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
}
