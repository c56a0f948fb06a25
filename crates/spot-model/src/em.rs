//! MAP EM for LDA as Spark MLlib's `EMLDAOptimizer` runs it (Asuncion et al., 2009).
//!
//! State: soft topic counts per document `N_dk` and per word `N_wk`, and their totals `N_k`.
//! Each token (document d, word w, count c) gets the responsibility
//! `gamma_k ∝ (N_wk + beta − 1)(N_dk + alpha − 1) / (N_k + W(beta − 1))`, and the next counts are
//! the sums of `c · gamma`. Counts start from one random normalized vector per token, as Spark's.
//!
//! Both halves of an iteration are parallel and race-free: documents are updated from their own
//! tokens, words from theirs (through a transposed index), each in a fixed order; responsibilities
//! are recomputed on each side rather than reduced across threads, which keeps the result
//! bit-identical at any thread count without a per-thread copy of the word × topic matrix.

use rayon::prelude::*;
use spot_features::Corpus;

use crate::fitted::{normalized_columns, normalized_rows};
use crate::likelihood::{self, Convergence};
use crate::transpose::Transpose;
use crate::warm::Warm;
use crate::{FittedModel, Iteration, ModelError, Optimizer, TopicModel, rng};

lda_engine!(
    /// Spark-compatible EM LDA (Apache Spot's default optimizer).
    EmLda,
    Optimizer::Em,
    "em"
);

/// Adds `count · gamma` for one token to `acc`, normalizing gamma on the way.
#[inline]
fn add_scaled(acc: &mut [f64], gamma: &[f64], count: f64) {
    let sum: f64 = gamma.iter().sum();
    let scale = count / sum;
    for (a, g) in acc.iter_mut().zip(gamma) {
        *a += g * scale;
    }
}

/// `x · inv`, element by element.
fn scaled(x: &[f64], inv: &[f64]) -> Vec<f64> {
    x.iter().zip(inv).map(|(a, b)| a * b).collect()
}

/// Adds `count · gamma` to `acc` for the responsibilities `gamma ∝ x · y` (element by element),
/// normalized on the way. The normalizing sum runs in four independent lanes, so that it is not
/// one long chain of dependent additions.
#[inline]
fn add_product(acc: &mut [f64], x: &[f64], y: &[f64], count: f64) {
    let mut lanes = [0.0f64; 4];
    let (xs, ys) = (x.chunks_exact(4), y.chunks_exact(4));
    let (x_rest, y_rest) = (xs.remainder(), ys.remainder());
    for (a, b) in xs.zip(ys) {
        for l in 0..4 {
            lanes[l] += a[l] * b[l];
        }
    }
    let mut sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (a, b) in x_rest.iter().zip(y_rest) {
        sum += a * b;
    }
    let scale = count / sum;
    for ((o, a), b) in acc.iter_mut().zip(x).zip(y) {
        *o += a * b * scale;
    }
}

impl TopicModel for EmLda {
    fn name(&self) -> &'static str {
        "em"
    }

    fn fit_from(
        &self,
        corpus: &Corpus,
        init: Option<&FittedModel>,
        progress: &mut dyn FnMut(Iteration),
    ) -> Result<FittedModel, ModelError> {
        self.config.validate()?;
        if corpus.nnz() == 0 {
            return Err(ModelError::EmptyCorpus);
        }
        let k = self.config.topics;
        let (d_n, w_n) = (corpus.num_docs(), corpus.num_words());
        let t = Transpose::new(corpus);
        let doc_ptr = corpus.doc_ptr();
        let words = corpus.entry_words();
        let counts = corpus.entry_counts();
        let seed = self.config.seed;
        let warm = init.map(|m| Warm::new(m, corpus, k, seed)).transpose()?;

        // Initial soft counts: one random normalized topic vector per token (or the previous
        // model's responsibilities), scaled by its count.
        let init_gamma = |d: usize, e: usize, g: &mut [f64]| match &warm {
            Some(warm) => warm.fill(d, words[e] as usize, e, g),
            None => {
                for (j, x) in g.iter_mut().enumerate() {
                    *x = rng::uniform(seed, e as u64, j as u64);
                }
            }
        };
        let mut n_dk = vec![0.0f64; d_n * k];
        n_dk.par_chunks_mut(k).enumerate().for_each(|(d, acc)| {
            let mut g = vec![0.0; k];
            for e in doc_ptr[d]..doc_ptr[d + 1] {
                init_gamma(d, e, &mut g);
                add_scaled(acc, &g, counts[e]);
            }
        });
        let mut n_wk = vec![0.0f64; w_n * k];
        n_wk.par_chunks_mut(k).enumerate().for_each(|(w, acc)| {
            let mut g = vec![0.0; k];
            for &e in t.word(w) {
                init_gamma(t.entry_doc[e as usize] as usize, e as usize, &mut g);
                add_scaled(acc, &g, counts[e as usize]);
            }
        });

        let alpha1 = self.config.alpha - 1.0;
        let eta1 = self.config.beta - 1.0;
        let w_eta1 = w_n as f64 * eta1;
        let totals = |n_wk: &[f64]| -> Vec<f64> {
            let mut n_k = vec![0.0; k];
            for row in n_wk.chunks(k) {
                for (a, b) in n_k.iter_mut().zip(row) {
                    *a += b;
                }
            }
            n_k
        };
        let mut n_k = totals(&n_wk);
        let iterations = self.config.iterations;
        let mut convergence = Convergence::new(self.config.tolerance);
        for it in 0..iterations {
            let inv: Vec<f64> = n_k.iter().map(|n| 1.0 / (n + w_eta1)).collect();
            // gamma_k = (N_wk + beta − 1)(N_dk + alpha − 1) / (N_k + W(beta − 1)): the shifted
            // counts once per iteration, the document or word factor (with 1 / (N_k + ...))
            // once per document or word, then one product per token and topic.
            let nd1: Vec<f64> = n_dk.iter().map(|x| x + alpha1).collect();
            let nw1: Vec<f64> = n_wk.iter().map(|x| x + eta1).collect();
            let mut next_dk = vec![0.0f64; d_n * k];
            next_dk.par_chunks_mut(k).enumerate().for_each(|(d, acc)| {
                let f = scaled(&nd1[d * k..(d + 1) * k], &inv);
                for e in doc_ptr[d]..doc_ptr[d + 1] {
                    let w = words[e] as usize;
                    add_product(acc, &nw1[w * k..(w + 1) * k], &f, counts[e]);
                }
            });
            let mut next_wk = vec![0.0f64; w_n * k];
            next_wk.par_chunks_mut(k).enumerate().for_each(|(w, acc)| {
                let f = scaled(&nw1[w * k..(w + 1) * k], &inv);
                for &e in t.word(w) {
                    let d = t.entry_doc[e as usize] as usize;
                    add_product(acc, &nd1[d * k..(d + 1) * k], &f, counts[e as usize]);
                }
            });
            n_dk = next_dk;
            n_wk = next_wk;
            n_k = totals(&n_wk);
            let ll = self.config.wants_likelihood().then(|| {
                let theta = normalized_rows(&n_dk, k);
                let phi = normalized_columns(&n_wk, k);
                likelihood::per_token(corpus, None, &theta, &phi, k)
            });
            progress(Iteration {
                iteration: it + 1,
                of: iterations,
                log_likelihood: ll,
            });
            if convergence.converged(ll) {
                break;
            }
        }
        Ok(FittedModel::from_counts(
            self.config.clone(),
            corpus.doc_names().to_vec(),
            corpus.word_names().to_vec(),
            n_dk,
            n_wk,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LdaConfig;
    use spot_features::CorpusBuilder;

    fn corpus() -> Corpus {
        let mut c = CorpusBuilder::new();
        for d in 0..40 {
            let ip = format!("10.0.{}.{}", d / 10, d % 10);
            if d % 2 == 0 {
                c.add(&ip, "443_TCP_9_12_4", 20 + d);
                c.add(&ip, "53_UDP_9_7_1", 5);
            } else {
                c.add(&ip, "22_TCP_3_10_5", 15);
                c.add(&ip, "-1_22_TCP_3_10_5", 2 + d);
            }
        }
        c.build()
    }

    fn fit(threads: usize, seed: u64) -> FittedModel {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            EmLda::new(LdaConfig {
                topics: 4,
                seed,
                ..LdaConfig::default()
            })
            .fit(&corpus(), &mut |_| {})
            .unwrap()
        })
    }

    #[test]
    fn same_seed_same_model_at_any_thread_count() {
        let a = fit(1, 42);
        let b = fit(3, 42);
        assert_eq!(a, b);
        assert_ne!(a, fit(1, 43));
    }

    #[test]
    fn distributions_are_normalized() {
        let m = fit(2, 1);
        for d in 0..m.num_docs() {
            let s: f64 = m.doc_topics(d).iter().sum();
            assert!((s - 1.0).abs() < 1e-9);
        }
        for j in 0..m.num_topics() {
            let s: f64 = (0..m.num_words()).map(|w| m.word_topics(w)[j]).sum();
            assert!((s - 1.0).abs() < 1e-9, "topic {j}: {s}");
        }
    }

    #[test]
    fn learns_the_two_behaviours() {
        let m = fit(2, 7);
        // A web client's own word is far more probable than an SSH word for it.
        let web = m.word_prob("443_TCP_9_12_4", "10.0.0.0");
        let ssh = m.word_prob("22_TCP_3_10_5", "10.0.0.0");
        assert!(web > 10.0 * ssh, "{web} vs {ssh}");
    }

    #[test]
    fn rejects_bad_config_and_empty_corpus() {
        let bad = EmLda::new(LdaConfig {
            alpha: 0.5,
            ..LdaConfig::default()
        });
        assert!(matches!(
            bad.fit(&corpus(), &mut |_| {}),
            Err(ModelError::InvalidConfig(_))
        ));
        let empty = CorpusBuilder::new().build();
        assert!(matches!(
            EmLda::default().fit(&empty, &mut |_| {}),
            Err(ModelError::EmptyCorpus)
        ));
    }
}
