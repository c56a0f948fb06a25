//! Corpora drawn from a known LDA model, for tests, benchmarks and topic-recovery checks.
//!
//! Topic k puts most of its mass on its own block of words (Zipf-like inside the block) and
//! the rest uniformly on all words; each document's mixture is drawn from a symmetric
//! Dirichlet, and its tokens from the mixture. Everything is keyed by the seed.
//!
//! ```
//! use spot_model::synthetic::{PlantedConfig, planted, topic_distance};
//! use spot_model::{Lda, LdaConfig, Optimizer, TopicModel};
//! let data = planted(&PlantedConfig { docs: 200, words: 60, topics: 3, ..PlantedConfig::default() });
//! let config = LdaConfig { topics: 3, optimizer: Optimizer::Gibbs, alpha: 0.1, beta: 0.01, iterations: 50, ..LdaConfig::default() };
//! let model = Lda::new(config).fit(&data.corpus, &mut |_| {})?;
//! assert!(topic_distance(&model, &data) < 0.15);
//! # Ok::<(), spot_model::ModelError>(())
//! ```

use rayon::prelude::*;
use spot_features::Corpus;

use crate::{FittedModel, rng};

/// The shape of a planted corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedConfig {
    /// Documents.
    pub docs: usize,
    /// Vocabulary size.
    pub words: usize,
    /// Topics K.
    pub topics: usize,
    /// Tokens per document.
    pub doc_len: usize,
    /// Concentration of the documents' Dirichlet mixtures (small: few topics per document).
    pub alpha: f64,
    /// Share of each topic's mass spread uniformly over all words.
    pub background: f64,
    /// Seed.
    pub seed: u64,
}

impl Default for PlantedConfig {
    fn default() -> Self {
        PlantedConfig {
            docs: 1000,
            words: 500,
            topics: 10,
            doc_len: 100,
            alpha: 0.1,
            background: 0.05,
            seed: 0,
        }
    }
}

/// A corpus with the model that generated it.
#[derive(Debug, Clone)]
pub struct Planted {
    /// The documents (`d000000`, ...) over the words (`w000000`, ...).
    pub corpus: Corpus,
    /// Number of topics.
    pub topics: usize,
    /// The true P(word | topic), words × topics, row-major, by the corpus's word ids.
    pub word_topic: Vec<f64>,
}

/// Draws a corpus from a planted LDA model.
pub fn planted(cfg: &PlantedConfig) -> Planted {
    let (k, w_n) = (cfg.topics.max(1), cfg.words.max(1));
    let mut word_topic = vec![0.0; w_n * k];
    let block = w_n.div_ceil(k);
    for t in 0..k {
        let lo = (t * block).min(w_n);
        let hi = ((t + 1) * block).min(w_n);
        let z: f64 = (lo..hi).map(|w| 1.0 / (w - lo + 1) as f64).sum();
        for w in 0..w_n {
            let mut p = cfg.background / w_n as f64;
            if (lo..hi).contains(&w) {
                p += (1.0 - cfg.background) / (w - lo + 1) as f64 / z;
            }
            word_topic[w * k + t] = p;
        }
        if lo == hi {
            for w in 0..w_n {
                word_topic[w * k + t] = 1.0 / w_n as f64;
            }
        }
    }
    crate::fitted::normalize_columns(&mut word_topic, k);
    // Cumulative distributions per topic for drawing words.
    let cdf: Vec<Vec<f64>> = (0..k)
        .map(|t| {
            let mut acc = 0.0;
            (0..w_n)
                .map(|w| {
                    acc += word_topic[w * k + t];
                    acc
                })
                .collect()
        })
        .collect();
    let seed = rng::derive(cfg.seed, 0x706c_616e);
    let triplets: Vec<(u32, u32, u64)> = (0..cfg.docs)
        .into_par_iter()
        .flat_map_iter(|d| {
            let mut s = rng::Stream::new(seed, d as u64);
            let mut theta: Vec<f64> = (0..k).map(|_| s.gamma(cfg.alpha, 1.0)).collect();
            let sum: f64 = theta.iter().sum();
            if sum > 0.0 {
                theta.iter_mut().for_each(|x| *x /= sum);
            } else {
                theta = vec![1.0 / k as f64; k];
            }
            let mut ws: Vec<u32> = (0..cfg.doc_len)
                .map(|_| {
                    let mut u = s.uniform();
                    let mut t = k - 1;
                    for (j, &p) in theta.iter().enumerate() {
                        if u < p {
                            t = j;
                            break;
                        }
                        u -= p;
                    }
                    let c = &cdf[t];
                    let u = s.uniform() * c[w_n - 1];
                    c.partition_point(|&x| x <= u).min(w_n - 1) as u32
                })
                .collect();
            ws.sort_unstable();
            let mut out: Vec<(u32, u32, u64)> = Vec::new();
            for w in ws {
                match out.last_mut() {
                    Some(last) if last.1 == w => last.2 += 1,
                    _ => out.push((d as u32, w, 1)),
                }
            }
            out
        })
        .collect();
    let doc_names = (0..cfg.docs).map(|d| format!("d{d:06}")).collect();
    let word_names = (0..w_n).map(|w| format!("w{w:06}")).collect();
    Planted {
        corpus: Corpus::from_triplets(doc_names, word_names, triplets),
        topics: k,
        word_topic,
    }
}

/// Mean total-variation distance between the planted topics and a model's topics, after
/// matching them one to one with the Hungarian algorithm (0: identical, 1: disjoint). Words are
/// matched by name; a model with a different number of topics is matched on the smaller set.
pub fn topic_distance(model: &FittedModel, truth: &Planted) -> f64 {
    let (kt, km) = (truth.topics, model.num_topics());
    let ids: Vec<Option<u32>> = truth
        .corpus
        .word_names()
        .iter()
        .map(|w| model.word_id(w))
        .collect();
    let n = kt.max(km);
    let mut cost = vec![vec![0.0; n]; n];
    for (a, row) in cost.iter_mut().enumerate().take(kt) {
        for (b, c) in row.iter_mut().enumerate().take(km) {
            let mut tv = 0.0;
            for (w, id) in ids.iter().enumerate() {
                let p = truth.word_topic[w * kt + a];
                let q = id.map_or(0.0, |m| model.word_topics(m as usize)[b]);
                tv += (p - q).abs();
            }
            *c = tv / 2.0;
        }
    }
    let assign = hungarian(&cost);
    let m = kt.min(km);
    let total: f64 = (0..kt)
        .filter(|&a| assign[a] < km)
        .map(|a| cost[a][assign[a]])
        .sum();
    total / m as f64
}

/// Minimum-cost perfect assignment of a square cost matrix: `result[row] = column`.
fn hungarian(cost: &[Vec<f64>]) -> Vec<usize> {
    let n = cost.len();
    let inf = f64::INFINITY;
    // 1-based potentials and matching, as in the classic O(n³) formulation.
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![inf; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0;
            for j in 1..=n {
                if !used[j] {
                    let cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![0; n];
    for j in 1..=n {
        if p[j] > 0 {
            out[p[j] - 1] = j - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hungarian_finds_the_best_assignment() {
        let c = vec![
            vec![4.0, 1.0, 3.0],
            vec![2.0, 0.0, 5.0],
            vec![3.0, 2.0, 2.0],
        ];
        assert_eq!(hungarian(&c), vec![1, 0, 2]);
    }

    #[test]
    fn planted_corpus_is_deterministic() {
        let cfg = PlantedConfig {
            docs: 50,
            words: 30,
            topics: 3,
            ..PlantedConfig::default()
        };
        let a = planted(&cfg);
        assert_eq!(a.corpus, planted(&cfg).corpus);
        assert_eq!(a.corpus.total_tokens(), 50.0 * 100.0);
    }
}
