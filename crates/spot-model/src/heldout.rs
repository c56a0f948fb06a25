//! Held-out evaluation shared by all engines: hold out a fraction of each document's tokens,
//! train on the rest, and score the held-out tokens with the model's topics and document
//! mixtures folded in from the observed tokens.
//!
//! ```
//! use spot_model::synthetic::{PlantedConfig, planted};
//! use spot_model::{heldout, Lda, LdaConfig, Optimizer, TopicModel};
//! let data = planted(&PlantedConfig { docs: 60, words: 40, topics: 3, ..PlantedConfig::default() });
//! let (observed, held) = heldout::split(&data.corpus, 0.1, 7);
//! let config = LdaConfig { topics: 3, optimizer: Optimizer::Gibbs, ..LdaConfig::default() };
//! let model = Lda::new(config).fit(&observed, &mut |_| {})?;
//! let score = heldout::evaluate(&model, &observed, &held, 50);
//! assert!(score.tokens > 0.0 && score.per_token() < 0.0 && score.perplexity() > 1.0);
//! # Ok::<(), spot_model::ModelError>(())
//! ```

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use spot_features::Corpus;

use crate::{FittedModel, rng};

/// Splits every document's tokens: each token is held out with probability `fraction`, drawn
/// from `seed`. Returns `(observed, held_out)`, both with the full vocabularies and document
/// lists of `corpus` (counts are rounded to whole tokens).
pub fn split(corpus: &Corpus, fraction: f64, seed: u64) -> (Corpus, Corpus) {
    let seed = rng::derive(seed, 0x6865_6c64);
    let mut keep = Vec::with_capacity(corpus.nnz());
    let mut held = Vec::new();
    for d in 0..corpus.num_docs() {
        let base = corpus.doc_ptr()[d];
        let (ws, cs) = corpus.doc(d);
        for (i, (&w, &c)) in ws.iter().zip(cs).enumerate() {
            let n = if c.is_finite() && c > 0.0 {
                c.round() as u64
            } else {
                0
            };
            let h = (0..n)
                .filter(|&j| rng::uniform(seed, (base + i) as u64, j) < fraction)
                .count() as u64;
            if n > h {
                keep.push((d as u32, w, n - h));
            }
            if h > 0 {
                held.push((d as u32, w, h));
            }
        }
    }
    let docs = corpus.doc_names().to_vec();
    let words = corpus.word_names().to_vec();
    (
        Corpus::from_triplets(docs.clone(), words.clone(), keep),
        Corpus::from_triplets(docs, words, held),
    )
}

/// The held-out log-likelihood of a model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeldOut {
    /// Held-out tokens scored.
    pub tokens: f64,
    /// Held-out tokens not scored: their word is unknown to the model or has probability 0.
    pub skipped: f64,
    /// Sum of the scored tokens' natural-log probabilities.
    pub log_likelihood: f64,
}

impl HeldOut {
    /// Mean log-likelihood per scored token (higher is better).
    pub fn per_token(&self) -> f64 {
        if self.tokens > 0.0 {
            self.log_likelihood / self.tokens
        } else {
            0.0
        }
    }
    /// Perplexity, `exp(−per_token)` (lower is better).
    pub fn perplexity(&self) -> f64 {
        (-self.per_token()).exp()
    }
}

/// Scores the `held_out` tokens: each document's mixture is folded in
/// ([`FittedModel::infer`], at most `iterations` steps) from its `observed` tokens with the
/// model's topics fixed, and each held-out token of word w scores `log Σ_k P(k | d) P(w | k)`.
/// Documents and words are matched by name, so any model (trained on `observed` or not) can be
/// evaluated the same way.
pub fn evaluate(
    model: &FittedModel,
    observed: &Corpus,
    held_out: &Corpus,
    iterations: usize,
) -> HeldOut {
    let obs_words: Vec<Option<u32>> = observed
        .word_names()
        .iter()
        .map(|w| model.word_id(w))
        .collect();
    let held_words: Vec<Option<u32>> = held_out
        .word_names()
        .iter()
        .map(|w| model.word_id(w))
        .collect();
    let obs_docs: FxHashMap<&str, usize> = observed
        .doc_names()
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let k = model.num_topics();
    let parts: Vec<HeldOut> = (0..held_out.num_docs())
        .into_par_iter()
        .map(|d| {
            let mut words = Vec::new();
            if let Some(&o) = obs_docs.get(held_out.doc_names()[d].as_str()) {
                let (ws, cs) = observed.doc(o);
                for (&w, &c) in ws.iter().zip(cs) {
                    if let Some(m) = obs_words[w as usize] {
                        words.push((m, c));
                    }
                }
            }
            let theta = model.infer(&words, iterations);
            let mut out = HeldOut {
                tokens: 0.0,
                skipped: 0.0,
                log_likelihood: 0.0,
            };
            let (ws, cs) = held_out.doc(d);
            for (&w, &c) in ws.iter().zip(cs) {
                let p = held_words[w as usize].map_or(0.0, |m| {
                    let phi = model.word_topics(m as usize);
                    (0..k).map(|j| phi[j] * theta[j]).sum()
                });
                if p > 0.0 {
                    out.tokens += c;
                    out.log_likelihood += c * p.ln();
                } else {
                    out.skipped += c;
                }
            }
            out
        })
        .collect();
    parts.iter().fold(
        HeldOut {
            tokens: 0.0,
            skipped: 0.0,
            log_likelihood: 0.0,
        },
        |a, b| HeldOut {
            tokens: a.tokens + b.tokens,
            skipped: a.skipped + b.skipped,
            log_likelihood: a.log_likelihood + b.log_likelihood,
        },
    )
}
