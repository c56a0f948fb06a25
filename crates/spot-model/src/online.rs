//! Online variational Bayes for LDA (Hoffman, Blei and Bach, 2010) as Spark MLlib's
//! `OnlineLDAOptimizer` runs it.
//!
//! State: the variational topic-word parameters lambda (words × topics here), initialised from
//! Gamma(100, 1/100). Each iteration samples a mini-batch (each document kept with probability
//! `mini_batch_fraction`), fits every batch document's variational mixture gamma against
//! `exp(E[log beta])` until the mean change of gamma is below 1e-3 (at most 100 steps), and
//! moves lambda towards `eta + (D / |batch|) · sufficient statistics` with weight
//! `(tau0 + t)^(-kappa)`. With `optimize_alpha`, alpha takes one Newton step per iteration as in
//! Spark's `updateAlpha`.
//!
//! Determinism: batch membership and every document's initial gamma are drawn from the
//! counter-based RNG keyed by (iteration, document); documents are inferred independently; the
//! sufficient statistics are reduced per word over that word's entries in corpus order. Nothing
//! depends on how rayon splits the work.
//!
//! The fitted model follows Spark's `LocalLDAModel`: topics are lambda's columns normalized, and
//! document mixtures are the normalized gamma of a final inference pass over all documents.

use rayon::prelude::*;
use spot_features::Corpus;

use crate::fitted::{normalize_columns, normalized_columns, normalized_rows};
use crate::likelihood::{self, Convergence};
use crate::special::{digamma, trigamma};
use crate::transpose::Transpose;
use crate::warm::Warm;
use crate::{FittedModel, Iteration, ModelError, Optimizer, TopicModel, rng};

const GAMMA_SHAPE: f64 = 100.0;
const MAX_INNER: usize = 100;
const INNER_TOL: f64 = 1e-3;

lda_engine!(
    /// Online variational Bayes LDA (Spark's `online` optimizer).
    OnlineLda,
    Optimizer::Online,
    "online"
);

/// `exp(ψ(x_k) − ψ(Σ x))` for one vector.
fn exp_dirichlet_expectation(x: &[f64], out: &mut [f64]) {
    let s = digamma(x.iter().sum());
    for (o, v) in out.iter_mut().zip(x) {
        *o = (digamma(*v) - s).exp();
    }
}

/// The result of inferring one document: its gamma, `exp(E[log theta])`, and for each entry
/// `count / phiNorm`.
struct DocState {
    gamma: Vec<f64>,
    exp_theta: Vec<f64>,
    scaled: Vec<f64>,
}

/// Variational inference of one document against fixed `exp(E[log beta])` (words × topics).
fn infer_doc(
    words: &[u32],
    counts: &[f64],
    exp_beta: &[f64],
    alpha: &[f64],
    stream: &mut rng::Stream,
) -> DocState {
    let k = alpha.len();
    let mut gamma: Vec<f64> = (0..k)
        .map(|_| stream.gamma(GAMMA_SHAPE, 1.0 / GAMMA_SHAPE))
        .collect();
    let mut exp_theta = vec![0.0; k];
    exp_dirichlet_expectation(&gamma, &mut exp_theta);
    let phi_norm = |exp_theta: &[f64], scaled: &mut Vec<f64>| {
        scaled.clear();
        for (&w, &c) in words.iter().zip(counts) {
            let b = &exp_beta[w as usize * k..(w as usize + 1) * k];
            let n: f64 = b.iter().zip(exp_theta).map(|(x, y)| x * y).sum::<f64>() + 1e-100;
            scaled.push(c / n);
        }
    };
    let mut scaled = Vec::with_capacity(words.len());
    phi_norm(&exp_theta, &mut scaled);
    let mut acc = vec![0.0; k];
    for _ in 0..MAX_INNER {
        acc.iter_mut().for_each(|x| *x = 0.0);
        for (&w, &s) in words.iter().zip(&scaled) {
            let b = &exp_beta[w as usize * k..(w as usize + 1) * k];
            for (a, x) in acc.iter_mut().zip(b) {
                *a += x * s;
            }
        }
        let mut change = 0.0;
        for j in 0..k {
            let g = exp_theta[j] * acc[j] + alpha[j];
            change += (g - gamma[j]).abs();
            gamma[j] = g;
        }
        exp_dirichlet_expectation(&gamma, &mut exp_theta);
        phi_norm(&exp_theta, &mut scaled);
        if change / (k as f64) < INNER_TOL {
            break;
        }
    }
    DocState {
        gamma,
        exp_theta,
        scaled,
    }
}

/// `exp(E[log beta])` for lambda (words × topics): `exp(ψ(λ_wk) − ψ(Σ_w λ_wk))`.
fn exp_elog_beta(lambda: &[f64], k: usize) -> Vec<f64> {
    let mut col = vec![0.0f64; k];
    for row in lambda.chunks(k) {
        for (c, x) in col.iter_mut().zip(row) {
            *c += x;
        }
    }
    let dcol: Vec<f64> = col.iter().map(|&c| digamma(c)).collect();
    let mut out = vec![0.0; lambda.len()];
    out.par_chunks_mut(k)
        .zip(lambda.par_chunks(k))
        .for_each(|(o, l)| {
            for j in 0..k {
                o[j] = (digamma(l[j]) - dcol[j]).exp();
            }
        });
    out
}

/// Spark's `updateAlpha`: one Newton step on the document concentration from the batch gammas.
fn update_alpha(alpha: &mut [f64], gammas: &[&[f64]], weight: f64) {
    let k = alpha.len();
    let n = gammas.len() as f64;
    if n == 0.0 {
        return;
    }
    let mut logphat = vec![0.0; k];
    for g in gammas {
        let s = digamma(g.iter().sum());
        for j in 0..k {
            logphat[j] += digamma(g[j]) - s;
        }
    }
    logphat.iter_mut().for_each(|x| *x /= n);
    let sa = digamma(alpha.iter().sum());
    let gradf: Vec<f64> = (0..k)
        .map(|j| n * (-(digamma(alpha[j]) - sa) + logphat[j]))
        .collect();
    let c = n * trigamma(alpha.iter().sum());
    let q: Vec<f64> = alpha.iter().map(|&a| -n * trigamma(a)).collect();
    let b = gradf.iter().zip(&q).map(|(g, q)| g / q).sum::<f64>()
        / (1.0 / c + q.iter().map(|q| 1.0 / q).sum::<f64>());
    let dalpha: Vec<f64> = (0..k).map(|j| -(gradf[j] - b) / q[j]).collect();
    if (0..k).all(|j| weight * dalpha[j] + alpha[j] > 0.0) {
        for j in 0..k {
            alpha[j] += weight * dalpha[j];
        }
    }
}

impl TopicModel for OnlineLda {
    fn name(&self) -> &'static str {
        "online"
    }

    fn fit_from(
        &self,
        corpus: &Corpus,
        init: Option<&FittedModel>,
        progress: &mut dyn FnMut(Iteration),
    ) -> Result<FittedModel, ModelError> {
        let cfg = &self.config;
        cfg.validate()?;
        if corpus.nnz() == 0 {
            return Err(ModelError::EmptyCorpus);
        }
        let k = cfg.topics;
        let (d_n, w_n) = (corpus.num_docs(), corpus.num_words());
        let t = Transpose::new(corpus);
        let counts = corpus.entry_counts();
        let eta = cfg.beta;
        let seed_lambda = rng::derive(cfg.seed, 1);
        let seed_batch = rng::derive(cfg.seed, 2);
        let seed_gamma = rng::derive(cfg.seed, 3);

        // lambda: Gamma(100, 1/100) per entry, plus the previous model's expected counts for a
        // warm start.
        let mut lambda = vec![0.0f64; w_n * k];
        lambda.par_chunks_mut(k).enumerate().for_each(|(w, row)| {
            let mut s = rng::Stream::new(seed_lambda, w as u64);
            for x in row.iter_mut() {
                *x = s.gamma(GAMMA_SHAPE, 1.0 / GAMMA_SHAPE);
            }
        });
        let mut alpha = match init {
            Some(m) => {
                let warm = Warm::new(m, corpus, k, cfg.seed)?;
                lambda.par_chunks_mut(k).enumerate().for_each(|(w, row)| {
                    let mut g = vec![0.0; k];
                    for &e in t.word(w) {
                        warm.fill(t.entry_doc[e as usize] as usize, w, e as usize, &mut g);
                        for (x, y) in row.iter_mut().zip(&g) {
                            *x += y * counts[e as usize];
                        }
                    }
                });
                if m.optimizer() == Optimizer::Online && cfg.online.optimize_alpha {
                    m.doc_concentration().to_vec()
                } else {
                    vec![cfg.alpha; k]
                }
            }
            None => vec![cfg.alpha; k],
        };

        let fraction = cfg.online.mini_batch_fraction;
        let iterations = cfg.iterations;
        let mut convergence = Convergence::new(cfg.tolerance);
        let mut in_batch = vec![false; d_n];
        for it in 1..=iterations {
            let exp_beta = exp_elog_beta(&lambda, k);
            for (d, b) in in_batch.iter_mut().enumerate() {
                *b = fraction >= 1.0 || rng::uniform(seed_batch, it as u64, d as u64) < fraction;
            }
            let batch: Vec<u32> = (0..d_n as u32).filter(|&d| in_batch[d as usize]).collect();
            let mut ll = None;
            if !batch.is_empty() {
                let states: Vec<DocState> = batch
                    .par_iter()
                    .map(|&d| {
                        let (ws, cs) = corpus.doc(d as usize);
                        let mut s = rng::Stream::new(rng::derive(seed_gamma, it as u64), d as u64);
                        infer_doc(ws, cs, &exp_beta, &alpha, &mut s)
                    })
                    .collect();
                // Position of each batch document in `states`.
                let mut slot = vec![u32::MAX; d_n];
                for (i, &d) in batch.iter().enumerate() {
                    slot[d as usize] = i as u32;
                }
                let doc_ptr = corpus.doc_ptr();
                let rho = (cfg.online.tau0 + it as f64).powf(-cfg.online.kappa);
                let scale = d_n as f64 / batch.len() as f64;
                lambda
                    .par_chunks_mut(k)
                    .zip(exp_beta.par_chunks(k))
                    .enumerate()
                    .for_each(|(w, (row, eb))| {
                        let mut stat = vec![0.0; k];
                        for &e in t.word(w) {
                            let d = t.entry_doc[e as usize] as usize;
                            let i = slot[d];
                            if i == u32::MAX {
                                continue;
                            }
                            let st = &states[i as usize];
                            let s = st.scaled[e as usize - doc_ptr[d]];
                            for (a, x) in stat.iter_mut().zip(&st.exp_theta) {
                                *a += x * s;
                            }
                        }
                        for j in 0..k {
                            row[j] = (1.0 - rho) * row[j] + rho * (eta + scale * stat[j] * eb[j]);
                        }
                    });
                if cfg.online.optimize_alpha {
                    let gammas: Vec<&[f64]> = states.iter().map(|s| &s.gamma[..]).collect();
                    update_alpha(&mut alpha, &gammas, rho);
                }
                if cfg.wants_likelihood() {
                    let mut theta = vec![0.0; d_n * k];
                    for (&d, s) in batch.iter().zip(&states) {
                        theta[d as usize * k..(d as usize + 1) * k].copy_from_slice(&s.gamma);
                    }
                    let theta = normalized_rows(&theta, k);
                    let phi = normalized_columns(&lambda, k);
                    ll = Some(likelihood::per_token(corpus, Some(&batch), &theta, &phi, k));
                }
            }
            progress(Iteration {
                iteration: it,
                of: iterations,
                log_likelihood: ll,
            });
            if convergence.converged(ll) {
                break;
            }
        }

        // Final mixtures: one inference pass over every document, as Spark's
        // `topicDistributions`.
        let exp_beta = exp_elog_beta(&lambda, k);
        let seed_final = rng::derive(seed_gamma, u64::MAX);
        let mut doc_topic = vec![0.0; d_n * k];
        doc_topic
            .par_chunks_mut(k)
            .enumerate()
            .for_each(|(d, row)| {
                let (ws, cs) = corpus.doc(d);
                let mut s = rng::Stream::new(seed_final, d as u64);
                let st = infer_doc(ws, cs, &exp_beta, &alpha, &mut s);
                let sum: f64 = st.gamma.iter().sum();
                for (r, g) in row.iter_mut().zip(&st.gamma) {
                    *r = g / sum;
                }
            });
        normalize_columns(&mut lambda, k);
        Ok(FittedModel::from_counts(
            cfg.clone(),
            corpus.doc_names().to_vec(),
            corpus.word_names().to_vec(),
            doc_topic,
            lambda,
        )
        .with_doc_concentration(alpha))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{PlantedConfig, planted};
    use crate::{LdaConfig, OnlineConfig};

    #[test]
    fn alpha_optimisation_learns_a_positive_asymmetric_alpha() {
        let data = planted(&PlantedConfig {
            docs: 200,
            words: 40,
            topics: 3,
            ..PlantedConfig::default()
        });
        let cfg = LdaConfig {
            topics: 3,
            alpha: 0.5,
            beta: 0.1,
            iterations: 30,
            online: OnlineConfig {
                tau0: 2.0,
                optimize_alpha: true,
                mini_batch_fraction: 0.5,
                ..OnlineConfig::default()
            },
            ..LdaConfig::default()
        };
        let m = OnlineLda::new(cfg).fit(&data.corpus, &mut |_| {}).unwrap();
        let a = m.doc_concentration();
        assert!(a.iter().all(|&x| x > 0.0), "{a:?}");
        // The planted mixtures are sparse (Dirichlet 0.1): alpha must move down from 0.5.
        assert!(a.iter().all(|&x| x < 0.5), "{a:?}");
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn rejects_out_of_range_parameters() {
        let data = planted(&PlantedConfig {
            docs: 10,
            words: 10,
            topics: 2,
            ..PlantedConfig::default()
        });
        for online in [
            OnlineConfig {
                kappa: 0.5,
                ..OnlineConfig::default()
            },
            OnlineConfig {
                mini_batch_fraction: 0.0,
                ..OnlineConfig::default()
            },
            OnlineConfig {
                tau0: -1.0,
                ..OnlineConfig::default()
            },
        ] {
            let cfg = LdaConfig {
                online,
                ..LdaConfig::default()
            };
            assert!(matches!(
                OnlineLda::new(cfg).fit(&data.corpus, &mut |_| {}),
                Err(ModelError::InvalidConfig(_))
            ));
        }
    }
}
