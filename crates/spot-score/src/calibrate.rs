//! Topic scores for the default mode: document-size aware and calibrated.
//!
//! Apache Spot's score `Σ_k P(word | k)·P(k | document)` trusts every document's topic mixture
//! equally. A host seen in two records gets a nearly flat mixture, so any word it used scores
//! near zero and such hosts crowd the top of Spot's list. Here a document's mixture is shrunk
//! toward the corpus-wide mixture by its size (a posterior predictive with a pseudo-count prior):
//!
//! ```text
//! θ̃_d = (n_d · θ_d + m · θ_corpus) / (n_d + m)      p(word, d) = Σ_k P(word | k) · θ̃_dk
//! ```
//!
//! with `n_d` the document's tokens and `m` the prior's weight ([`DEFAULT_PRIOR_TOKENS`]). A big
//! document keeps its own mixture; a host never seen scores with the corpus mixture, i.e. by how
//! common the word is overall.
//!
//! Probabilities are then calibrated: the **rarity** of `p` is the fraction of the training
//! tokens whose smoothed probability is at most `p` (with one pseudo-token, so it is never 0).
//! `−log10(rarity)` is comparable across sources and days ("one in ten thousand"), and the
//! topic signal of the combined ranking is `0.5 · min(1, −log10(rarity) / 6)`: an event rarer
//! than one in a million training tokens gets the full 0.5.

use arrow::array::Array;
use spot_features::{Corpus, Words};
use spot_model::FittedModel;

/// Weight, in tokens, of the corpus-wide mixture in a document's smoothed mixture.
pub const DEFAULT_PRIOR_TOKENS: f64 = 20.0;

/// `−log10(rarity)` at which the topic signal saturates (one in a million).
const SATURATION: f64 = 6.0;

/// Points kept of the rarity curve.
const TABLE_POINTS: usize = 4096;

/// The smoothing and calibration learned from a model and its training corpus.
#[derive(Debug, Clone)]
pub struct TopicCalibration {
    /// Tokens of each model document (by model document id); 0 for documents the corpus lacks.
    doc_tokens: Vec<f64>,
    /// Token-weighted mean mixture of the corpus.
    global: Vec<f64>,
    prior_tokens: f64,
    /// Ascending `log10 p` with the fraction of training tokens at or below it.
    table: Vec<(f64, f64)>,
    total: f64,
}

impl TopicCalibration {
    /// Learns the smoothing and the rarity curve of `model` on `corpus` (its training corpus,
    /// or the corpus it scores when it was loaded from a file).
    pub fn new(model: &FittedModel, corpus: &Corpus) -> Self {
        Self::with_prior(model, corpus, DEFAULT_PRIOR_TOKENS)
    }

    /// [`new`](Self::new) with the prior's weight in tokens.
    pub fn with_prior(model: &FittedModel, corpus: &Corpus, prior_tokens: f64) -> Self {
        let k = model.num_topics();
        let mut doc_tokens = vec![0.0; model.num_docs()];
        let mut ids: Vec<Option<u32>> = Vec::with_capacity(corpus.num_docs());
        let mut global = vec![0.0; k];
        for (d, name) in corpus.doc_names().iter().enumerate() {
            let id = model.doc_id(name);
            ids.push(id);
            let n: f64 = corpus.doc(d).1.iter().sum();
            if let Some(id) = id {
                doc_tokens[id as usize] = n;
                for (g, t) in global.iter_mut().zip(model.doc_topics(id as usize)) {
                    *g += n * t;
                }
            }
        }
        let mass: f64 = global.iter().sum();
        if mass > 0.0 {
            global.iter_mut().for_each(|g| *g /= mass);
        } else {
            global.iter_mut().for_each(|g| *g = 1.0 / k.max(1) as f64);
        }
        let mut cal = TopicCalibration {
            doc_tokens,
            global,
            prior_tokens,
            table: Vec::new(),
            total: 0.0,
        };
        let mut points: Vec<(f64, f64)> = Vec::with_capacity(corpus.nnz());
        for (d, id) in ids.iter().enumerate() {
            let (words, counts) = corpus.doc(d);
            for (w, c) in words.iter().zip(counts) {
                let name = &corpus.word_names()[*w as usize];
                let p = match model.word_id(name) {
                    Some(wid) => cal.prob_ids(model, wid, *id),
                    None => 0.0,
                };
                points.push((log10(p), *c));
            }
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = points.iter().map(|p| p.1).sum();
        let mut acc = 0.0;
        let mut cum: Vec<(f64, f64)> = Vec::with_capacity(points.len());
        for (lp, c) in points {
            acc += c;
            match cum.last_mut() {
                Some(last) if last.0 == lp => last.1 = acc,
                _ => cum.push((lp, acc)),
            }
        }
        // Keep a bounded curve: every step while small, evenly spaced points beyond.
        if cum.len() > TABLE_POINTS {
            let step = cum.len() as f64 / TABLE_POINTS as f64;
            let mut kept: Vec<(f64, f64)> = (0..TABLE_POINTS)
                .map(|i| cum[(i as f64 * step) as usize])
                .collect();
            kept.push(*cum.last().expect("non-empty"));
            kept.dedup_by(|a, b| a.0 == b.0);
            cum = kept;
        }
        cal.table = cum;
        cal.total = total;
        cal
    }

    fn prob_ids(&self, model: &FittedModel, w: u32, d: Option<u32>) -> f64 {
        let phi = model.word_topics(w as usize);
        match d {
            Some(d) => {
                let n = self.doc_tokens[d as usize];
                let m = self.prior_tokens;
                let theta = model.doc_topics(d as usize);
                phi.iter()
                    .zip(theta.iter().zip(&self.global))
                    .map(|(p, (t, g))| p * (n * t + m * g) / (n + m))
                    .sum()
            }
            None => phi.iter().zip(&self.global).map(|(p, g)| p * g).sum(),
        }
    }

    /// The smoothed probability of `word` for `doc`; 0 for a word the model never saw.
    pub fn prob(&self, model: &FittedModel, word: &str, doc: &str) -> f64 {
        match model.word_id(word) {
            Some(w) => {
                let d = model
                    .doc_id(doc)
                    .filter(|&d| (d as usize) < self.doc_tokens.len());
                self.prob_ids(model, w, d)
            }
            None => 0.0,
        }
    }

    /// The smoothed probability of every row: the minimum over the row's (document, word)
    /// pairs, as Spot takes it; null for invalid rows.
    pub fn row_probs(&self, model: &FittedModel, words: &Words) -> Vec<Option<f64>> {
        (0..words.invalid.len())
            .map(|i| {
                if words.invalid[i].is_some() {
                    return None;
                }
                let mut best = f64::INFINITY;
                for (docs, ws) in &words.pairs {
                    let p = if docs.is_valid(i) && ws.is_valid(i) {
                        self.prob(model, ws.value(i), docs.value(i))
                    } else {
                        0.0
                    };
                    best = best.min(p);
                }
                Some(if best.is_finite() { best } else { 0.0 })
            })
            .collect()
    }

    /// The fraction of training tokens at most as probable as `p`, counting one pseudo-token
    /// below everything: in `(0, 1]`.
    pub fn rarity(&self, p: f64) -> f64 {
        let lp = log10(p);
        let at = self.table.partition_point(|e| e.0 <= lp);
        let below = if at == 0 { 0.0 } else { self.table[at - 1].1 };
        (below + 1.0) / (self.total + 1.0)
    }

    /// The topic signal of the combined ranking, in `[0, 0.5]`: `0.5 · min(1, −log10(rarity) / 6)`.
    pub fn signal(&self, p: f64) -> f64 {
        0.5 * (-self.rarity(p).log10() / SATURATION).clamp(0.0, 1.0)
    }
}

/// `log10`, with 0 mapped below every positive probability.
fn log10(p: f64) -> f64 {
    if p > 0.0 {
        p.log10()
    } else {
        f64::NEG_INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spot_features::CorpusBuilder;

    /// Two big documents with different habits and one host seen twice.
    fn setup() -> (FittedModel, Corpus) {
        let mut b = CorpusBuilder::new();
        for i in 0..50 {
            b.add("big-a", &format!("a{}", i % 5), 10);
            b.add("big-b", &format!("b{}", i % 5), 10);
        }
        b.add("tiny", "a0", 1);
        b.add("tiny", "b0", 1);
        let corpus = b.build();
        let model = spot_model::Lda::new(spot_model::LdaConfig {
            topics: 2,
            seed: 3,
            ..spot_model::LdaConfig::default()
        })
        .fit(&corpus, &mut |_| {})
        .unwrap();
        (model, corpus)
    }

    use spot_model::TopicModel;

    #[test]
    fn small_documents_lean_on_the_corpus_mixture() {
        let (model, corpus) = setup();
        let cal = TopicCalibration::new(&model, &corpus);
        // A big document keeps its own view: its usual word is likely, the other side's is not.
        assert!(cal.prob(&model, "a1", "big-a") > 10.0 * cal.prob(&model, "b1", "big-a"));
        // The tiny host scores both habits alike, close to the corpus-wide view of an unseen host.
        let tiny = (
            cal.prob(&model, "a1", "tiny"),
            cal.prob(&model, "b1", "tiny"),
        );
        let unseen = (cal.prob(&model, "a1", "new"), cal.prob(&model, "b1", "new"));
        assert!((tiny.0 / tiny.1 - 1.0).abs() < 0.5, "{tiny:?}");
        assert!((unseen.0 / unseen.1 - 1.0).abs() < 0.2, "{unseen:?}");
        assert_eq!(cal.prob(&model, "never-seen-word", "big-a"), 0.0);
    }

    #[test]
    fn rarity_is_a_fraction_of_training_tokens() {
        let (model, corpus) = setup();
        let cal = TopicCalibration::new(&model, &corpus);
        let total = corpus.total_tokens();
        assert!((cal.rarity(1.0) - 1.0).abs() < 1e-12);
        assert!((cal.rarity(0.0) - 1.0 / (total + 1.0)).abs() < 1e-12);
        let common = cal.prob(&model, "a1", "big-a");
        let rare = cal.prob(&model, "b1", "big-a");
        assert!(cal.rarity(rare) < cal.rarity(common));
        assert!(cal.signal(rare) > cal.signal(common));
        assert!(cal.signal(0.0) <= 0.5 && cal.signal(1.0) == 0.0);
    }
}
