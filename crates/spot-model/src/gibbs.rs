//! Sparse collapsed Gibbs sampling for LDA with SparseLDA's bucket decomposition (Yao, Mimno
//! and McCallum, 2009).
//!
//! Every token carries a topic. Resampling a token of word w in document d draws from
//! `p(k) ∝ (n_dk + α)(n_wk + β) / (n_k + Wβ)`, split into three buckets:
//! the smoothing bucket `αβ / (n_k + Wβ)` (kept up to date incrementally), the document bucket
//! `n_dk β / (n_k + Wβ)` (over the document's non-zero topics) and the word bucket
//! `(n_dk + α) n_wk / (n_k + Wβ)` (over the word's non-zero topics). Most of the mass is in the
//! word bucket, whose size is the number of topics the word actually uses, so a sweep costs far
//! less than K per token once topics have formed.
//!
//! Parallelism and determinism: documents are cut into a fixed number of shards
//! ([`LdaConfig::shards`], balanced by tokens). During a sweep each shard samples against its own
//! copy of the word-topic counts of its words and of the topic totals, taken at the start of the
//! sweep (as in AD-LDA, Newman et al. 2009); afterwards the shards' integer count changes are
//! added to the global counts. Every token's random number is keyed by (sweep, token), so the
//! result depends on the seed and the shard count, never on the thread count. The first sweep
//! of a cold start is sequential (one shard), so that all shards start from topics that broke
//! their symmetry the same way.

use std::ops::Range;

use rayon::prelude::*;
use spot_features::Corpus;

use crate::likelihood::{self, Convergence};
use crate::warm::Warm;
use crate::{FittedModel, Iteration, LdaConfig, ModelError, Optimizer, TopicModel, rng};

/// Sparse collapsed Gibbs LDA (`gibbs`).
#[derive(Debug, Clone)]
pub struct GibbsLda {
    config: LdaConfig,
}

impl Default for GibbsLda {
    fn default() -> Self {
        GibbsLda::new(LdaConfig::default())
    }
}

impl GibbsLda {
    /// An engine with these hyper-parameters (`config.optimizer` is set to `gibbs`).
    pub fn new(mut config: LdaConfig) -> Self {
        config.optimizer = Optimizer::Gibbs;
        GibbsLda { config }
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &LdaConfig {
        &self.config
    }
}

/// A contiguous range of documents sampled by one task.
struct Shard {
    docs: Range<usize>,
    /// Distinct words of the shard, ascending (global ids).
    words: Vec<u32>,
    /// Local word index of every entry of the shard.
    entry_local: Vec<u32>,
    /// Token range of the shard in the topic-assignment array.
    tokens: Range<usize>,
}

/// The read-only state a sweep needs.
struct Model<'a> {
    corpus: &'a Corpus,
    tok_ptr: &'a [usize],
    n_wk: &'a [i32],
    n_k: &'a [i64],
    k: usize,
    alpha: f64,
    beta: f64,
    w_beta: f64,
}

fn remove_topic(list: &mut Vec<u16>, t: u16) {
    if let Some(p) = list.iter().position(|&x| x == t) {
        list.swap_remove(p);
    }
}

/// One sweep over a shard's tokens. Returns the changes of the shard's word-topic counts
/// (local words × K) and of the topic totals.
fn sweep_shard(m: &Model, shard: &Shard, z: &mut [u16], seed: u64) -> (Vec<i32>, Vec<i64>) {
    let k = m.k;
    let (alpha, beta) = (m.alpha, m.beta);
    let mut nwk: Vec<i32> = Vec::with_capacity(shard.words.len() * k);
    for &w in &shard.words {
        nwk.extend_from_slice(&m.n_wk[w as usize * k..(w as usize + 1) * k]);
    }
    let mut nz_w: Vec<Vec<u16>> = nwk
        .chunks(k)
        .map(|row| (0..k as u16).filter(|&t| row[t as usize] > 0).collect())
        .collect();
    let mut nk: Vec<i64> = m.n_k.to_vec();
    // Inverse topic denominators 1 / (n_k + Wβ): one division per count change, none per bucket.
    let mut inv: Vec<f64> = nk.iter().map(|&n| 1.0 / (n as f64 + m.w_beta)).collect();
    let ab = alpha * beta;
    let mut ndk = vec![0i32; k];
    let mut nz_d: Vec<u16> = Vec::with_capacity(k);
    let mut coef: Vec<f64> = inv.iter().map(|i| alpha * i).collect();
    let mut qv: Vec<f64> = Vec::with_capacity(k);
    let doc_ptr = m.corpus.doc_ptr();
    let first_entry = doc_ptr[shard.docs.start];
    let first_tok = shard.tokens.start;
    for d in shard.docs.clone() {
        for &t in &nz_d {
            ndk[t as usize] = 0;
        }
        nz_d.clear();
        let (e0, e1) = (doc_ptr[d], doc_ptr[d + 1]);
        let toks = m.tok_ptr[e0] - first_tok..m.tok_ptr[e1] - first_tok;
        for &t in &z[toks] {
            if ndk[t as usize] == 0 {
                nz_d.push(t);
            }
            ndk[t as usize] += 1;
        }
        // Fresh bucket sums at each document keep rounding drift bounded.
        let mut s = 0.0;
        for j in 0..k {
            s += ab * inv[j];
            coef[j] = (ndk[j] as f64 + alpha) * inv[j];
        }
        let mut r: f64 = nz_d
            .iter()
            .map(|&t| ndk[t as usize] as f64 * beta * inv[t as usize])
            .sum();
        for e in e0..e1 {
            let lw = shard.entry_local[e - first_entry] as usize;
            let row = lw * k;
            for i in m.tok_ptr[e]..m.tok_ptr[e + 1] {
                let old = z[i - first_tok] as usize;
                // Take the token out.
                s -= ab * inv[old];
                r -= ndk[old] as f64 * beta * inv[old];
                ndk[old] -= 1;
                nwk[row + old] -= 1;
                nk[old] -= 1;
                inv[old] = 1.0 / (nk[old] as f64 + m.w_beta);
                s += ab * inv[old];
                r += ndk[old] as f64 * beta * inv[old];
                coef[old] = (ndk[old] as f64 + alpha) * inv[old];
                if ndk[old] == 0 {
                    remove_topic(&mut nz_d, old as u16);
                }
                if nwk[row + old] == 0 {
                    remove_topic(&mut nz_w[lw], old as u16);
                }
                // Draw a topic from the three buckets.
                qv.clear();
                let mut q = 0.0;
                for &t in &nz_w[lw] {
                    let v = coef[t as usize] * nwk[row + t as usize] as f64;
                    q += v;
                    qv.push(v);
                }
                let mut u = rng::uniform(seed, i as u64, 0) * (s + r + q);
                let new = if u < q {
                    let mut pick = *nz_w[lw].last().unwrap_or(&0) as usize;
                    for (&t, &v) in nz_w[lw].iter().zip(&qv) {
                        if u < v {
                            pick = t as usize;
                            break;
                        }
                        u -= v;
                    }
                    pick
                } else if u < q + r && !nz_d.is_empty() {
                    u -= q;
                    let mut pick = *nz_d.last().unwrap_or(&0) as usize;
                    for &t in &nz_d {
                        let v = ndk[t as usize] as f64 * beta * inv[t as usize];
                        if u < v {
                            pick = t as usize;
                            break;
                        }
                        u -= v;
                    }
                    pick
                } else {
                    u = (u - q - r).max(0.0);
                    let mut pick = k - 1;
                    for j in 0..k {
                        let v = ab * inv[j];
                        if u < v {
                            pick = j;
                            break;
                        }
                        u -= v;
                    }
                    pick
                };
                // Put it back with its new topic.
                s -= ab * inv[new];
                r -= ndk[new] as f64 * beta * inv[new];
                if ndk[new] == 0 {
                    nz_d.push(new as u16);
                }
                if nwk[row + new] == 0 {
                    nz_w[lw].push(new as u16);
                }
                ndk[new] += 1;
                nwk[row + new] += 1;
                nk[new] += 1;
                inv[new] = 1.0 / (nk[new] as f64 + m.w_beta);
                s += ab * inv[new];
                r += ndk[new] as f64 * beta * inv[new];
                coef[new] = (ndk[new] as f64 + alpha) * inv[new];
                z[i - first_tok] = new as u16;
            }
        }
    }
    for (lw, &w) in shard.words.iter().enumerate() {
        let g = &m.n_wk[w as usize * k..(w as usize + 1) * k];
        for j in 0..k {
            nwk[lw * k + j] -= g[j];
        }
    }
    for (a, b) in nk.iter_mut().zip(m.n_k) {
        *a -= b;
    }
    (nwk, nk)
}

/// Fixed shards of about equal token counts.
fn make_shards(corpus: &Corpus, tok_ptr: &[usize], shards: usize) -> Vec<Shard> {
    let d_n = corpus.num_docs();
    let doc_ptr = corpus.doc_ptr();
    let total = tok_ptr[tok_ptr.len() - 1];
    let s_n = shards.min(d_n).max(1);
    let mut out = Vec::with_capacity(s_n);
    let mut start = 0;
    for s in 0..s_n {
        let target = total as u128 * (s as u128 + 1) / s_n as u128;
        let mut end = start;
        while end < d_n && (s + 1 == s_n || (tok_ptr[doc_ptr[end + 1]] as u128) <= target) {
            end += 1;
        }
        if end == start && end < d_n && s + 1 < s_n {
            end += 1;
        }
        let entries = doc_ptr[start]..doc_ptr[end];
        let ws = &corpus.entry_words()[entries.clone()];
        let mut words: Vec<u32> = ws.to_vec();
        words.sort_unstable();
        words.dedup();
        let entry_local = ws
            .iter()
            .map(|w| words.binary_search(w).unwrap_or(0) as u32)
            .collect();
        out.push(Shard {
            docs: start..end,
            words,
            entry_local,
            tokens: tok_ptr[entries.start]..tok_ptr[entries.end],
        });
        start = end;
    }
    out
}

/// Documents × topics counts from the topic assignments.
fn doc_topic_counts(corpus: &Corpus, tok_ptr: &[usize], z: &[u16], k: usize) -> Vec<f64> {
    let doc_ptr = corpus.doc_ptr();
    let mut out = vec![0.0; corpus.num_docs() * k];
    out.par_chunks_mut(k).enumerate().for_each(|(d, row)| {
        for &t in &z[tok_ptr[doc_ptr[d]]..tok_ptr[doc_ptr[d + 1]]] {
            row[t as usize] += 1.0;
        }
    });
    out
}

impl TopicModel for GibbsLda {
    fn name(&self) -> &'static str {
        "gibbs"
    }

    fn fit_from(
        &self,
        corpus: &Corpus,
        init: Option<&FittedModel>,
        progress: &mut dyn FnMut(Iteration),
    ) -> Result<FittedModel, ModelError> {
        let cfg = &self.config;
        cfg.validate()?;
        let k = cfg.topics;
        let (d_n, w_n) = (corpus.num_docs(), corpus.num_words());
        let words = corpus.entry_words();
        // Tokens per entry: counts are whole numbers in a corpus built from records; others
        // are rounded.
        let mut tok_ptr = Vec::with_capacity(corpus.nnz() + 1);
        tok_ptr.push(0usize);
        for &c in corpus.entry_counts() {
            let n = if c.is_finite() && c > 0.0 {
                c.round() as usize
            } else {
                0
            };
            tok_ptr.push(tok_ptr[tok_ptr.len() - 1] + n);
        }
        let total = tok_ptr[corpus.nnz()];
        if total == 0 {
            return Err(ModelError::EmptyCorpus);
        }
        let warm = init
            .map(|m| Warm::new(m, corpus, k, cfg.seed))
            .transpose()?;
        let seed_init = rng::derive(cfg.seed, 11);
        let mut z = vec![0u16; total];
        let doc_ptr = corpus.doc_ptr();
        {
            // Initial topics, drawn per document in parallel; draws are keyed by token.
            let mut parts: Vec<(usize, &mut [u16])> = Vec::with_capacity(d_n);
            let mut rest: &mut [u16] = &mut z;
            for d in 0..d_n {
                let len = tok_ptr[doc_ptr[d + 1]] - tok_ptr[doc_ptr[d]];
                let (a, b) = std::mem::take(&mut rest).split_at_mut(len);
                parts.push((d, a));
                rest = b;
            }
            parts.into_par_iter().for_each(|(d, zs)| {
                let mut g = vec![0.0; k];
                let base = tok_ptr[doc_ptr[d]];
                for e in doc_ptr[d]..doc_ptr[d + 1] {
                    if let Some(warm) = &warm {
                        warm.fill(d, words[e] as usize, e, &mut g);
                    }
                    for i in tok_ptr[e]..tok_ptr[e + 1] {
                        let u = rng::uniform(seed_init, i as u64, 0);
                        let t = match &warm {
                            None => ((u * k as f64) as usize).min(k - 1),
                            Some(_) => {
                                let mut u = u;
                                let mut pick = k - 1;
                                for (j, &p) in g.iter().enumerate() {
                                    if u < p {
                                        pick = j;
                                        break;
                                    }
                                    u -= p;
                                }
                                pick
                            }
                        };
                        zs[i - base] = t as u16;
                    }
                }
            });
        }
        let mut n_wk = vec![0i32; w_n * k];
        let mut n_k = vec![0i64; k];
        for e in 0..corpus.nnz() {
            let w = words[e] as usize;
            for &t in &z[tok_ptr[e]..tok_ptr[e + 1]] {
                n_wk[w * k + t as usize] += 1;
                n_k[t as usize] += 1;
            }
        }
        // The first sweep runs as one shard: sampling from a random start against stale counts
        // lets shards break the topics' symmetry in different ways, which can merge topics for
        // good on small corpora. One sequential sweep breaks it consistently.
        let single = make_shards(corpus, &tok_ptr, 1);
        let sharded = make_shards(corpus, &tok_ptr, cfg.shards);
        let (alpha, beta) = (cfg.alpha, cfg.beta);
        let iterations = cfg.iterations;
        let mut convergence = Convergence::new(cfg.tolerance);
        for it in 1..=iterations {
            let seed = rng::derive(cfg.seed, 1000 + it as u64);
            let shards = if it == 1 && init.is_none() {
                &single
            } else {
                &sharded
            };
            let mut parts: Vec<&mut [u16]> = Vec::with_capacity(shards.len());
            let mut rest: &mut [u16] = &mut z;
            for sh in shards {
                let (a, b) = std::mem::take(&mut rest).split_at_mut(sh.tokens.len());
                parts.push(a);
                rest = b;
            }
            let model = Model {
                corpus,
                tok_ptr: &tok_ptr,
                n_wk: &n_wk,
                n_k: &n_k,
                k,
                alpha,
                beta,
                w_beta: w_n as f64 * beta,
            };
            let deltas: Vec<(Vec<i32>, Vec<i64>)> = shards
                .par_iter()
                .zip(parts.into_par_iter())
                .map(|(sh, zs)| sweep_shard(&model, sh, zs, seed))
                .collect();
            for (sh, (dw, dk)) in shards.iter().zip(deltas) {
                for (lw, &w) in sh.words.iter().enumerate() {
                    let g = &mut n_wk[w as usize * k..(w as usize + 1) * k];
                    for (a, b) in g.iter_mut().zip(&dw[lw * k..(lw + 1) * k]) {
                        *a += b;
                    }
                }
                for (a, b) in n_k.iter_mut().zip(dk) {
                    *a += b;
                }
            }
            let ll = cfg.wants_likelihood().then(|| {
                let mut theta = doc_topic_counts(corpus, &tok_ptr, &z, k);
                theta.iter_mut().for_each(|x| *x += alpha);
                crate::fitted::normalize_rows(&mut theta, k);
                let mut phi: Vec<f64> = n_wk.iter().map(|&n| n as f64 + beta).collect();
                crate::fitted::normalize_columns(&mut phi, k);
                likelihood::per_token(corpus, None, &theta, &phi, k)
            });
            progress(Iteration {
                iteration: it,
                of: iterations,
                log_likelihood: ll,
            });
            if convergence.converged(ll) {
                break;
            }
        }
        let mut doc_topic = doc_topic_counts(corpus, &tok_ptr, &z, k);
        doc_topic.iter_mut().for_each(|x| *x += alpha);
        let word_topic: Vec<f64> = n_wk.iter().map(|&n| n as f64 + beta).collect();
        Ok(FittedModel::from_counts(
            cfg.clone(),
            corpus.doc_names().to_vec(),
            corpus.word_names().to_vec(),
            doc_topic,
            word_topic,
        ))
    }
}
