//! Collapsed Gibbs sampling for LDA.
//!
//! Every token carries a topic. Resampling a token of word w in document d draws from
//! `p(k) ∝ (n_dk + α)(n_wk + β) / (n_k + Wβ)`. Two samplers, chosen by the number of topics:
//!
//! - up to 128 topics, the dense one: the K terms and their cumulative sums in `f32` over
//!   contiguous arrays (the word's row of word-topic counts, the document's dense topic counts,
//!   the cached factors `(n_dk + α) / (n_k + Wβ)`), one uniform draw and a branch-free count of
//!   the sums below it; a few nanoseconds per topic and token, with no branch to mispredict;
//! - above, SparseLDA's bucket decomposition (Yao, Mimno and McCallum, 2009): the smoothing
//!   bucket `αβ / (n_k + Wβ)` (kept up to date incrementally), the document bucket
//!   `n_dk β / (n_k + Wβ)` (over the document's non-zero topics) and the word bucket
//!   `(n_dk + α) n_wk / (n_k + Wβ)` (over the word's non-zero topics), whose size is the number
//!   of topics the word actually uses, so a sweep costs far less than K per token once topics
//!   have formed.
//!
//! A cold start gives every token a random topic and runs its first sweep sequentially (one
//! shard), so that all shards start from topics that broke their symmetry the same way; a warm
//! start draws the tokens from the previous model's responsibilities. (Drawing each token of a
//! cold start from the conditional given the tokens drawn before it forms topics sooner, -7.26
//! against -7.86 held-out per token after 2 sweeps on the 100,000-document bench corpus, but
//! ends in worse optima from 20 sweeps on: -6.71 against -6.64.)
//!
//! Parallelism and determinism: documents are cut into a fixed number of shards
//! ([`LdaConfig::shards`], balanced by tokens). During a sweep each shard samples against its own
//! copy of the word-topic counts of its words and of the topic totals, taken at the start of the
//! sweep (as in AD-LDA, Newman et al. 2009); afterwards the shards' integer count changes are
//! added to the global counts in shard order. Every token's random number is keyed by (sweep,
//! token), so the result depends on the seed and the shard count, never on the thread count.
//!
//! Memory: besides the corpus and the model's counts, 2 bytes per token (its topic), 8 bytes
//! per (document, word) entry (its token count and its word's index in its shard) and 8 bytes
//! per document, plus each shard's copy of the word-topic rows of its words during a sweep.

use std::ops::Range;

use rayon::prelude::*;
use spot_features::Corpus;

use crate::likelihood::{self, Convergence};
use crate::warm::Warm;
use crate::{FittedModel, Iteration, LdaConfig, ModelError, Optimizer, TopicModel, rng};

/// Collapsed Gibbs LDA (`gibbs`).
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

/// Up to this many topics a sweep draws from the full conditional (K multiply-adds per token,
/// no branches, every count array dense); above it, from SparseLDA's buckets, whose cost follows
/// the number of topics a word and a document actually use.
/// (At K = 100 on the 100,000-document bench corpus the dense sampler's 30 sweeps cost 23 CPU s,
/// SparseLDA's 106: early sweeps, before topics form, are dense for both.)
const DENSE_MAX_TOPICS: usize = 128;

/// How tokens are resampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sampler {
    /// The full conditional, with its cumulative sums and one uniform draw per token.
    Dense,
    /// SparseLDA's three buckets.
    Sparse,
}

impl Sampler {
    fn for_topics(k: usize) -> Self {
        if k <= DENSE_MAX_TOPICS {
            Sampler::Dense
        } else {
            Sampler::Sparse
        }
    }
}

/// Where every token lies: tokens are stored document by document and, within a document,
/// entry by entry, so a token's topic is its position in one `u16` array and its word is its
/// entry's.
struct Tokens {
    /// Tokens of every entry (its count, rounded: counts are whole numbers in a corpus built
    /// from records).
    entry_len: Vec<u32>,
    /// First token of every document (length documents + 1).
    doc_tok: Vec<usize>,
}

impl Tokens {
    fn new(corpus: &Corpus) -> Self {
        let entry_len: Vec<u32> = corpus
            .entry_counts()
            .iter()
            .map(|&c| {
                if c.is_finite() && c > 0.0 {
                    c.round().min(u32::MAX as f64) as u32
                } else {
                    0
                }
            })
            .collect();
        let doc_ptr = corpus.doc_ptr();
        let mut doc_tok = Vec::with_capacity(corpus.num_docs() + 1);
        doc_tok.push(0usize);
        for d in 0..corpus.num_docs() {
            let n: usize = entry_len[doc_ptr[d]..doc_ptr[d + 1]]
                .iter()
                .map(|&c| c as usize)
                .sum();
            doc_tok.push(doc_tok[d] + n);
        }
        Tokens { entry_len, doc_tok }
    }

    fn total(&self) -> usize {
        self.doc_tok[self.doc_tok.len() - 1]
    }

    /// The topic assignments cut at the shards' boundaries.
    fn split<'z>(shards: &[Shard], mut z: &'z mut [u16]) -> Vec<&'z mut [u16]> {
        let mut parts = Vec::with_capacity(shards.len());
        for sh in shards {
            let (a, b) = std::mem::take(&mut z).split_at_mut(sh.tokens.len());
            parts.push(a);
            z = b;
        }
        parts
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
    tokens: &'a Tokens,
    n_wk: &'a [i32],
    n_k: &'a [i64],
    k: usize,
    alpha: f64,
    beta: f64,
    w_beta: f64,
}

/// A shard's changes to the word-topic counts of its words (local words × K) and to the topic
/// totals during one sweep.
type Delta = (Vec<i32>, Vec<i64>);

impl<'a> Model<'a> {
    fn new(
        corpus: &'a Corpus,
        tokens: &'a Tokens,
        n_wk: &'a [i32],
        n_k: &'a [i64],
        cfg: &LdaConfig,
    ) -> Self {
        Model {
            corpus,
            tokens,
            n_wk,
            n_k,
            k: cfg.topics,
            alpha: cfg.alpha,
            beta: cfg.beta,
            w_beta: corpus.num_words() as f64 * cfg.beta,
        }
    }

    /// The shard's private copy of the word-topic rows of its words, each row padded with
    /// zeros to `stride` (≥ K) counts.
    fn local_counts(&self, shard: &Shard, stride: usize) -> Vec<i32> {
        let k = self.k;
        let mut nwk = vec![0; shard.words.len() * stride];
        for (row, &w) in nwk.chunks_exact_mut(stride).zip(&shard.words) {
            row[..k].copy_from_slice(&self.n_wk[w as usize * k..(w as usize + 1) * k]);
        }
        nwk
    }

    /// The changes a sweep made to the shard's private counts (rows of `stride` counts), as
    /// rows of K.
    fn delta(&self, shard: &Shard, nwk: Vec<i32>, mut nk: Vec<i64>, stride: usize) -> Delta {
        let k = self.k;
        let mut dw = vec![0; shard.words.len() * k];
        for ((d, row), &w) in dw
            .chunks_exact_mut(k)
            .zip(nwk.chunks_exact(stride))
            .zip(&shard.words)
        {
            let g = &self.n_wk[w as usize * k..(w as usize + 1) * k];
            for ((d, a), b) in d.iter_mut().zip(row).zip(g) {
                *d = a - b;
            }
        }
        for (a, b) in nk.iter_mut().zip(self.n_k) {
            *a -= b;
        }
        (dw, nk)
    }
}

/// Width of the dense sampler's lane blocks (one AVX register of `f32`, two SSE ones).
const LANES: usize = 8;

/// Position in the dense sampler's order → topic. With B blocks of [`LANES`] topics (K padded
/// to `B * LANES`), lane c of block j holds topic `j * LANES + c`, and the cumulative sums run
/// down each lane (all blocks of lane 0, then lane 1, ...): the running sums of the lanes
/// advance together, one vector add per block, instead of one dependent add per topic.
/// Padding positions map to the last topic (they are never drawn; see [`sweep_dense`]).
fn topic_order(k: usize, blocks: usize) -> Vec<u16> {
    (0..blocks * LANES)
        .map(|pos| ((pos % blocks) * LANES + pos / blocks).min(k - 1) as u16)
        .collect()
}

/// One dense sweep with `B` lane blocks per topic row; `B` is a constant so that a row's
/// sums stay in registers.
fn sweep_dense(m: &Model, shard: &Shard, z: &mut [u16], key: u64) -> Delta {
    macro_rules! by_blocks {
        ($($b:literal)*) => {
            match m.k.div_ceil(LANES) {
                $($b => sweep_blocks::<$b>(m, shard, z, key),)*
                _ => unreachable!("the dense sampler serves at most {DENSE_MAX_TOPICS} topics"),
            }
        };
    }
    by_blocks!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// One sweep over a shard's tokens with the dense sampler.
///
/// Per token: take it out of the counts, compute `(n_dk + α)(n_wk + β) / (n_k + Wβ)` in `f32`
/// over the word's contiguous row (the factor `(n_dk + α) / (n_k + Wβ)` is cached per topic
/// and updated for the two topics a move changes), accumulate the terms lane by lane
/// ([`topic_order`]), draw one uniform u, and take as position of the new topic the number of
/// cumulative sums at or below u, counted without a branch. Padding topics add 0 to the sums,
/// so they can never be drawn; a u rounded up to the total maps to the last topic.
///
/// The topic totals `n_k` enter through `1 / (n_k + Wβ)`, read at the start of each document:
/// a document's own moves change them by a few counts in millions, far less than the moves of
/// the other shards, which every shard only sees at the end of the sweep; it keeps a division
/// off the path from one token to the next.
fn sweep_blocks<const B: usize>(m: &Model, shard: &Shard, z: &mut [u16], key: u64) -> Delta {
    let k = m.k;
    let kp = B * LANES;
    let topic_at = topic_order(k, B);
    let (alpha, beta, w_beta) = (m.alpha as f32, m.beta as f32, m.w_beta as f32);
    let mut nwk = m.local_counts(shard, kp);
    let mut nk: Vec<i64> = m.n_k.to_vec();
    let mut inv = vec![0f32; k];
    let mut ndk = vec![0i32; k];
    // Padding topics keep a factor of 0.
    let mut coef = vec![0f32; kp];
    let doc_ptr = m.corpus.doc_ptr();
    let first_entry = doc_ptr[shard.docs.start];
    let entry_local = &shard.entry_local;
    let entry_len = &m.tokens.entry_len;
    let mut ti = 0usize;
    for d in shard.docs.clone() {
        let n = m.tokens.doc_tok[d + 1] - m.tokens.doc_tok[d];
        let zd = &mut z[ti..ti + n];
        let first_token = (shard.tokens.start + ti) as u64;
        ti += n;
        ndk.fill(0);
        for &t in zd.iter() {
            ndk[t as usize] += 1;
        }
        for j in 0..k {
            inv[j] = 1.0 / (nk[j] as f32 + w_beta);
            coef[j] = (ndk[j] as f32 + alpha) * inv[j];
        }
        let mut i = 0usize;
        for e in doc_ptr[d]..doc_ptr[d + 1] {
            let lw = entry_local[e - first_entry] as usize;
            let row = &mut nwk[lw * kp..(lw + 1) * kp];
            for _ in 0..entry_len[e] {
                let old = zd[i] as usize;
                ndk[old] -= 1;
                row[old] -= 1;
                nk[old] -= 1;
                coef[old] = (ndk[old] as f32 + alpha) * inv[old];
                let mut cum = [[0f32; LANES]; B];
                let mut acc = [0f32; LANES];
                for ((c, a), r) in cum
                    .iter_mut()
                    .zip(coef.chunks_exact(LANES))
                    .zip(row.chunks_exact(LANES))
                {
                    for l in 0..LANES {
                        acc[l] += a[l] * (r[l] as f32 + beta);
                    }
                    *c = acc;
                }
                // Sums before each lane, so that lane l's block j ends at off[l] + cum[j][l].
                let mut off = [0f32; LANES];
                let mut total = 0f32;
                for l in 0..LANES {
                    off[l] = total;
                    total += acc[l];
                }
                let u = rng::unit_f32(key, first_token + i as u64) * total;
                let mut below = [0u32; LANES];
                for c in &cum {
                    for l in 0..LANES {
                        below[l] += (off[l] + c[l] <= u) as u32;
                    }
                }
                let pos = (below.iter().sum::<u32>() as usize).min(kp - 1);
                let new = topic_at[pos] as usize;
                ndk[new] += 1;
                row[new] += 1;
                nk[new] += 1;
                coef[new] = (ndk[new] as f32 + alpha) * inv[new];
                zd[i] = new as u16;
                i += 1;
            }
        }
    }
    m.delta(shard, nwk, nk, kp)
}

fn remove_topic(list: &mut Vec<u16>, t: u16) {
    if let Some(p) = list.iter().position(|&x| x == t) {
        list.swap_remove(p);
    }
}

/// One sweep over a shard's tokens with SparseLDA's buckets.
fn sweep_sparse(m: &Model, shard: &Shard, z: &mut [u16], seed: u64) -> Delta {
    let k = m.k;
    let (alpha, beta) = (m.alpha, m.beta);
    let mut nwk = m.local_counts(shard, k);
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
    let mut ti = 0usize;
    for d in shard.docs.clone() {
        for &t in &nz_d {
            ndk[t as usize] = 0;
        }
        nz_d.clear();
        let n = m.tokens.doc_tok[d + 1] - m.tokens.doc_tok[d];
        let zd = &mut z[ti..ti + n];
        let first_token = shard.tokens.start + ti;
        ti += n;
        for &t in zd.iter() {
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
        let mut i = 0usize;
        for e in doc_ptr[d]..doc_ptr[d + 1] {
            let lw = shard.entry_local[e - first_entry] as usize;
            let row = lw * k;
            for _ in 0..m.tokens.entry_len[e] {
                let old = zd[i] as usize;
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
                let mut u = rng::uniform(seed, (first_token + i) as u64, 0) * (s + r + q);
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
                zd[i] = new as u16;
                i += 1;
            }
        }
    }
    m.delta(shard, nwk, nk, k)
}

/// Fixed shards of about equal token counts.
fn make_shards(corpus: &Corpus, tokens: &Tokens, shards: usize) -> Vec<Shard> {
    let d_n = corpus.num_docs();
    let doc_ptr = corpus.doc_ptr();
    let doc_tok = &tokens.doc_tok;
    let total = tokens.total();
    let s_n = shards.min(d_n).max(1);
    let mut out = Vec::with_capacity(s_n);
    let mut start = 0;
    for s in 0..s_n {
        let target = total as u128 * (s as u128 + 1) / s_n as u128;
        let mut end = start;
        while end < d_n && (s + 1 == s_n || (doc_tok[end + 1] as u128) <= target) {
            end += 1;
        }
        if end == start && end < d_n && s + 1 < s_n {
            end += 1;
        }
        let ws = &corpus.entry_words()[doc_ptr[start]..doc_ptr[end]];
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
            tokens: doc_tok[start]..doc_tok[end],
        });
        start = end;
    }
    out
}

/// Adds the shards' count changes to the global counts, in shard order.
fn apply(shards: &[Shard], deltas: Vec<Delta>, n_wk: &mut [i32], n_k: &mut [i64], k: usize) {
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
}

/// Documents × topics counts from the topic assignments.
fn doc_topic_counts(tokens: &Tokens, z: &[u16], k: usize) -> Vec<f64> {
    let d_n = tokens.doc_tok.len() - 1;
    let mut out = vec![0.0; d_n * k];
    out.par_chunks_mut(k).enumerate().for_each(|(d, row)| {
        for &t in &z[tokens.doc_tok[d]..tokens.doc_tok[d + 1]] {
            row[t as usize] += 1.0;
        }
    });
    out
}

/// Initial topics of a warm start, drawn per document in parallel from the previous model's
/// responsibilities; draws are keyed by token.
fn warm_topics(corpus: &Corpus, tokens: &Tokens, warm: &Warm, z: &mut [u16], k: usize, seed: u64) {
    let doc_ptr = corpus.doc_ptr();
    let words = corpus.entry_words();
    let mut parts: Vec<(usize, &mut [u16])> = Vec::with_capacity(corpus.num_docs());
    let mut rest: &mut [u16] = z;
    for d in 0..corpus.num_docs() {
        let len = tokens.doc_tok[d + 1] - tokens.doc_tok[d];
        let (a, b) = std::mem::take(&mut rest).split_at_mut(len);
        parts.push((d, a));
        rest = b;
    }
    parts.into_par_iter().for_each(|(d, zs)| {
        let mut g = vec![0.0; k];
        let mut i = 0usize;
        for e in doc_ptr[d]..doc_ptr[d + 1] {
            warm.fill(d, words[e] as usize, e, &mut g);
            for _ in 0..tokens.entry_len[e] {
                let mut u = rng::uniform(seed, (tokens.doc_tok[d] + i) as u64, 0);
                let mut pick = k - 1;
                for (j, &p) in g.iter().enumerate() {
                    if u < p {
                        pick = j;
                        break;
                    }
                    u -= p;
                }
                zs[i] = pick as u16;
                i += 1;
            }
        }
    });
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
        self.fit_with(
            corpus,
            init,
            progress,
            Sampler::for_topics(self.config.topics),
        )
    }
}

impl GibbsLda {
    fn fit_with(
        &self,
        corpus: &Corpus,
        init: Option<&FittedModel>,
        progress: &mut dyn FnMut(Iteration),
        sampler: Sampler,
    ) -> Result<FittedModel, ModelError> {
        let cfg = &self.config;
        cfg.validate()?;
        let k = cfg.topics;
        // The dense sampler serves at most DENSE_MAX_TOPICS topics.
        let sampler = if k > DENSE_MAX_TOPICS {
            Sampler::Sparse
        } else {
            sampler
        };
        let w_n = corpus.num_words();
        let tokens = Tokens::new(corpus);
        let total = tokens.total();
        if total == 0 {
            return Err(ModelError::EmptyCorpus);
        }
        let warm = init
            .map(|m| Warm::new(m, corpus, k, cfg.seed))
            .transpose()?;
        let (alpha, beta) = (cfg.alpha, cfg.beta);
        let iterations = cfg.iterations;
        let mut z = vec![0u16; total];
        let mut n_wk = vec![0i32; w_n * k];
        let mut n_k = vec![0i64; k];
        let mut convergence = Convergence::new(cfg.tolerance);
        // Reports an iteration; true once the likelihood has converged.
        let mut report = |it: usize, z: &[u16], n_wk: &[i32]| -> bool {
            let ll = cfg.wants_likelihood().then(|| {
                let mut theta = doc_topic_counts(&tokens, z, k);
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
            convergence.converged(ll)
        };
        let seed_init = rng::derive(cfg.seed, 11);
        match &warm {
            Some(warm) => warm_topics(corpus, &tokens, warm, &mut z, k, seed_init),
            None => {
                for (i, t) in z.iter_mut().enumerate() {
                    let u = rng::uniform(seed_init, i as u64, 0);
                    *t = ((u * k as f64) as usize).min(k - 1) as u16;
                }
            }
        }
        let words = corpus.entry_words();
        let mut t = 0usize;
        for (e, &len) in tokens.entry_len.iter().enumerate() {
            let w = words[e] as usize;
            for &topic in &z[t..t + len as usize] {
                n_wk[w * k + topic as usize] += 1;
                n_k[topic as usize] += 1;
            }
            t += len as usize;
        }
        // From random topics the first sweep runs as one shard: sampling against stale counts
        // lets shards break the topics' symmetry in different ways, which can merge topics for
        // good on small corpora. One sequential sweep breaks it consistently.
        let mut single = warm.is_none().then(|| make_shards(corpus, &tokens, 1));
        let sharded = make_shards(corpus, &tokens, cfg.shards);
        for it in 1..=iterations {
            let seed = rng::derive(cfg.seed, 1000 + it as u64);
            // The single shard serves iteration 1 only and is freed after it.
            let first = single.take();
            let shards = first.as_deref().unwrap_or(&sharded);
            let parts = Tokens::split(shards, &mut z);
            let m = Model::new(corpus, &tokens, &n_wk, &n_k, cfg);
            let deltas: Vec<Delta> = shards
                .par_iter()
                .zip(parts.into_par_iter())
                .map(|(sh, zs)| match sampler {
                    Sampler::Dense => sweep_dense(&m, sh, zs, seed),
                    Sampler::Sparse => sweep_sparse(&m, sh, zs, seed),
                })
                .collect();
            apply(shards, deltas, &mut n_wk, &mut n_k, k);
            if report(it, &z, &n_wk) {
                break;
            }
        }
        let mut doc_topic = doc_topic_counts(&tokens, &z, k);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{PlantedConfig, planted, topic_distance};

    fn fit(sampler: Sampler, threads: usize, k_extra: usize) -> (FittedModel, f64) {
        let data = planted(&PlantedConfig {
            docs: 300,
            words: 60,
            topics: 4,
            doc_len: 60,
            seed: 3,
            ..PlantedConfig::default()
        });
        let cfg = LdaConfig {
            topics: 4 + k_extra,
            alpha: 0.1,
            beta: 0.05,
            iterations: 40,
            seed: 11,
            shards: 7,
            ..LdaConfig::default()
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let m = pool
            .install(|| GibbsLda::new(cfg).fit_with(&data.corpus, None, &mut |_| {}, sampler))
            .unwrap();
        let tv = if k_extra == 0 {
            topic_distance(&m, &data)
        } else {
            0.0
        };
        (m, tv)
    }

    #[test]
    fn both_samplers_recover_planted_topics_at_any_thread_count() {
        for sampler in [Sampler::Dense, Sampler::Sparse] {
            let (one, tv) = fit(sampler, 1, 0);
            assert!(tv < 0.15, "{sampler:?}: mean total-variation distance {tv}");
            assert!(one == fit(sampler, 3, 0).0, "{sampler:?}: 3 threads differ");
        }
    }

    #[test]
    fn the_sampler_follows_the_number_of_topics() {
        assert_eq!(Sampler::for_topics(20), Sampler::Dense);
        assert_eq!(Sampler::for_topics(DENSE_MAX_TOPICS), Sampler::Dense);
        assert_eq!(Sampler::for_topics(DENSE_MAX_TOPICS + 1), Sampler::Sparse);
        // Above the bound the sparse sampler runs, and its model is a valid one.
        let (m, _) = fit(Sampler::for_topics(130), 2, 126);
        assert_eq!(m.num_topics(), 130);
        // Up to it, the dense sampler with many blocks of topics, thread-count independent.
        let (one, _) = fit(Sampler::for_topics(100), 1, 96);
        assert_eq!(one.num_topics(), 100);
        assert!(one == fit(Sampler::for_topics(100), 3, 96).0);
    }

    #[test]
    fn tokens_follow_rounded_counts() {
        let c = Corpus::from_triplets(
            vec!["a".into(), "b".into()],
            vec!["x".into(), "y".into()],
            [(0, 0, 3), (0, 1, 1), (1, 1, 2)],
        );
        let t = Tokens::new(&c);
        assert_eq!(t.entry_len, [3, 1, 2]);
        assert_eq!(t.doc_tok, [0, 4, 6]);
        let shards = make_shards(&c, &t, 2);
        assert_eq!(shards.len(), 2);
        assert_eq!(shards[0].tokens, 0..4);
        assert_eq!(shards[1].words, [1]);
    }
}
