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
//! block at a time, each seeing the moves of the blocks before it), so that all blocks start
//! from topics that broke their symmetry the same way; a warm
//! start draws the tokens from the previous model's responsibilities. (Drawing each token of a
//! cold start from the conditional given the tokens drawn before it forms topics sooner, -7.26
//! against -7.86 held-out per token after 2 sweeps on the 100,000-document bench corpus, but
//! ends in worse optima from 20 sweeps on: -6.71 against -6.64.)
//!
//! Parallelism and determinism: documents are cut into blocks of about equal token counts,
//! [`LdaConfig::shards`] of them or, on a corpus of more than `shards` × 2^18 tokens, the
//! smallest multiple of `shards` that keeps blocks to about 2^18 tokens. A sweep runs the blocks
//! in rounds of `shards` blocks in parallel; during a round each block samples against its own
//! copy of the word-topic counts of its words and of the topic totals, taken at the start of the
//! round (as in AD-LDA, Newman et al. 2009), and when the round ends the blocks' integer count
//! changes are added to the global counts, so later rounds see the earlier rounds' moves. Every
//! token's random number is keyed by (sweep, token), so the result depends on the seed and the
//! shard count, never on the thread count.
//!
//! Rounds trade a little time for fresher counts: on the 100,000-document bench corpus (9 M
//! tokens, 32 shards) two rounds per sweep instead of one cost 4 % more per sweep and reach a
//! given held-out likelihood in about two thirds of the sweeps (-7.05 against -7.18 after 10
//! sweeps, -6.56 against -6.63 after 20); five rounds, 14 % more per sweep for -6.95 and
//! -6.54.
//!
//! Memory: besides the corpus and the model's counts, 2 bytes per token (its topic), 8 bytes
//! per (document, word) entry (its token count and its word's index in its block) and 8 bytes
//! per document, plus each running block's copy of the word-topic rows of its words. With
//! [`LdaConfig::spill_dir`] the per-token, per-entry and per-document state lives in a
//! temporary file instead, read and written back one block at a time, and the sampler's memory
//! no longer grows with the number of documents beyond the model's own document-topic counts.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rayon::prelude::*;
use spot_features::Corpus;

use crate::likelihood::{self, Convergence};
use crate::warm::Warm;
use crate::{FittedModel, Iteration, LdaConfig, ModelError, Optimizer, TopicModel, rng};

lda_engine!(
    /// Collapsed Gibbs LDA (`gibbs`).
    GibbsLda,
    Optimizer::Gibbs,
    "gibbs"
);

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

/// Most tokens in one block (about; documents are not split). Blocks are the unit of parallel
/// work and, with [`LdaConfig::spill_dir`], of reading and writing the sampler's state (about
/// 2.5 MB for a block of this size); a sweep runs them in rounds of [`LdaConfig::shards`]
/// blocks, merging the counts after each round. The bound is the same in memory and on disk,
/// so both give the same model.
const BLOCK_TOKENS: u64 = 1 << 18;

/// Tokens of an entry: its count, rounded (counts are whole numbers in a corpus built from
/// records); a count that is not a positive finite number gives none.
fn entry_tokens(c: f64) -> u32 {
    if c.is_finite() && c > 0.0 {
        c.round().min(u32::MAX as f64) as u32
    } else {
        0
    }
}

fn doc_tokens(corpus: &Corpus, d: usize) -> u64 {
    corpus
        .doc(d)
        .1
        .iter()
        .map(|&c| entry_tokens(c) as u64)
        .sum()
}

/// Where a block lies: its documents and the global index of its first token (the key of its
/// random draws).
#[derive(Debug, Clone, Default, PartialEq)]
struct Bounds {
    docs: Range<usize>,
    first_token: u64,
    tokens: u64,
}

/// Cuts the documents into contiguous blocks of about equal token counts: `shards` of them, or
/// the smallest multiple of `shards` that leaves none with much more than `max_tokens` (a
/// document is never split); one block per document when there are fewer documents.
fn block_bounds(corpus: &Corpus, shards: usize, max_tokens: u64) -> Vec<Bounds> {
    let d_n = corpus.num_docs();
    let total: u64 = (0..d_n).map(|d| doc_tokens(corpus, d)).sum();
    // Whole rounds of `shards` blocks, so that every round has as many blocks to run.
    let rounds = total.div_ceil((shards.max(1) as u64).saturating_mul(max_tokens.max(1)));
    let s_n = (shards as u64)
        .saturating_mul(rounds.max(1))
        .min(d_n as u64)
        .max(1) as usize;
    let mut out = Vec::with_capacity(s_n);
    let (mut start, mut before) = (0usize, 0u64);
    for s in 0..s_n {
        let target = total as u128 * (s as u128 + 1) / s_n as u128;
        let (mut end, mut cum) = (start, before);
        while end < d_n {
            let n = doc_tokens(corpus, end);
            if s + 1 < s_n && (cum + n) as u128 > target {
                break;
            }
            cum += n;
            end += 1;
        }
        if end == start && end < d_n && s + 1 < s_n {
            cum += doc_tokens(corpus, end);
            end += 1;
        }
        out.push(Bounds {
            docs: start..end,
            first_token: before,
            tokens: cum - before,
        });
        start = end;
        before = cum;
    }
    out
}

/// A block's documents with the sampler's state for their tokens. Offsets are local to the
/// block; a token's topic is its position in `z`, stored document by document and, within a
/// document, entry by entry.
#[derive(Debug, Clone, Default, PartialEq)]
struct Block {
    bounds: Bounds,
    /// First entry of every document (length documents + 1).
    doc_entry: Vec<u32>,
    /// First token of every document (length documents + 1).
    doc_tok: Vec<u32>,
    /// Distinct words of the block, ascending (global ids).
    words: Vec<u32>,
    /// Index in `words` of every entry's word.
    entry_local: Vec<u32>,
    /// Tokens of every entry.
    entry_len: Vec<u32>,
    /// Topic of every token.
    z: Vec<u16>,
}

/// How a fit gives its tokens their first topics.
enum Start<'a> {
    /// Uniformly at random.
    Random(u64),
    /// From a previous model's responsibilities.
    Warm(&'a Warm<'a>, u64),
}

impl Block {
    fn build(corpus: &Corpus, bounds: Bounds, start: &Start, k: usize) -> Block {
        let ptr = corpus.doc_ptr();
        let (e0, e1) = (ptr[bounds.docs.start], ptr[bounds.docs.end]);
        let ws = &corpus.entry_words()[e0..e1];
        let mut words = ws.to_vec();
        words.sort_unstable();
        words.dedup();
        let entry_local = ws
            .iter()
            .map(|w| words.binary_search(w).unwrap_or(0) as u32)
            .collect();
        let entry_len: Vec<u32> = corpus.entry_counts()[e0..e1]
            .iter()
            .map(|&c| entry_tokens(c))
            .collect();
        let mut doc_entry = Vec::with_capacity(bounds.docs.len() + 1);
        let mut doc_tok = Vec::with_capacity(bounds.docs.len() + 1);
        let mut t = 0u32;
        doc_entry.push(0);
        doc_tok.push(0);
        for d in bounds.docs.clone() {
            t += entry_len[ptr[d] - e0..ptr[d + 1] - e0].iter().sum::<u32>();
            doc_entry.push((ptr[d + 1] - e0) as u32);
            doc_tok.push(t);
        }
        let mut block = Block {
            bounds,
            doc_entry,
            doc_tok,
            words,
            entry_local,
            entry_len,
            z: vec![0; t as usize],
        };
        block.first_topics(corpus, start, k);
        block
    }

    /// Initial topics: uniform draws, or draws from the previous model's responsibilities;
    /// keyed by the token's global index either way.
    fn first_topics(&mut self, corpus: &Corpus, start: &Start, k: usize) {
        let t0 = self.bounds.first_token;
        match *start {
            Start::Random(seed) => {
                for (i, t) in self.z.iter_mut().enumerate() {
                    let u = rng::uniform(seed, t0 + i as u64, 0);
                    *t = ((u * k as f64) as usize).min(k - 1) as u16;
                }
            }
            Start::Warm(warm, seed) => {
                let ptr = corpus.doc_ptr();
                let words = corpus.entry_words();
                let mut g = vec![0.0; k];
                let mut i = 0usize;
                for d in self.bounds.docs.clone() {
                    for e in ptr[d]..ptr[d + 1] {
                        warm.fill(d, words[e] as usize, e, &mut g);
                        for _ in 0..entry_tokens(corpus.entry_counts()[e]) {
                            let mut u = rng::uniform(seed, t0 + i as u64, 0);
                            let mut pick = k - 1;
                            for (j, &p) in g.iter().enumerate() {
                                if u < p {
                                    pick = j;
                                    break;
                                }
                                u -= p;
                            }
                            self.z[i] = pick as u16;
                            i += 1;
                        }
                    }
                }
            }
        }
    }

    /// Adds the block's tokens to the word-topic and topic counts.
    fn count_into(&self, n_wk: &mut [i32], n_k: &mut [i64], k: usize) {
        let mut t = 0usize;
        for (e, &len) in self.entry_len.iter().enumerate() {
            let w = self.words[self.entry_local[e] as usize] as usize;
            for &topic in &self.z[t..t + len as usize] {
                n_wk[w * k + topic as usize] += 1;
                n_k[topic as usize] += 1;
            }
            t += len as usize;
        }
    }

    /// The block's rows of the document-topic counts.
    fn doc_topic_counts(&self, out: &mut [f64], k: usize) {
        for (row, t) in out.chunks_exact_mut(k).zip(self.doc_tok.windows(2)) {
            row.fill(0.0);
            for &topic in &self.z[t[0] as usize..t[1] as usize] {
                row[topic as usize] += 1.0;
            }
        }
    }

    /// Bytes of the block before its topics in its spill record.
    fn head_len(docs: usize, words: usize, entries: usize) -> u64 {
        4 * (2 * (docs as u64 + 1) + words as u64 + 2 * entries as u64)
    }

    /// The spill record: the `u32` arrays then the `u16` topics, little-endian.
    fn to_bytes(&self) -> Vec<u8> {
        let head = Self::head_len(
            self.bounds.docs.len(),
            self.words.len(),
            self.entry_len.len(),
        );
        let mut out = Vec::with_capacity(head as usize + 2 * self.z.len());
        for part in [
            &self.doc_entry,
            &self.doc_tok,
            &self.words,
            &self.entry_local,
            &self.entry_len,
        ] {
            out.extend(part.iter().flat_map(|x| x.to_le_bytes()));
        }
        out.extend(self.z.iter().flat_map(|x| x.to_le_bytes()));
        out
    }

    /// Reads back what [`Block::to_bytes`] wrote into this block, reusing its arrays.
    fn read_from(&mut self, at: &Spilled, bytes: &[u8]) {
        let mut u32s = bytes.chunks_exact(4).map(|b| {
            let mut a = [0u8; 4];
            a.copy_from_slice(b);
            u32::from_le_bytes(a)
        });
        let docs = at.bounds.docs.len() + 1;
        for (v, n) in [
            (&mut self.doc_entry, docs),
            (&mut self.doc_tok, docs),
            (&mut self.words, at.words),
            (&mut self.entry_local, at.entries),
            (&mut self.entry_len, at.entries),
        ] {
            v.clear();
            v.extend(u32s.by_ref().take(n));
        }
        let head = Self::head_len(docs - 1, at.words, at.entries) as usize;
        self.z.clear();
        self.z.extend(
            bytes[head..]
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]])),
        );
        self.bounds = at.bounds.clone();
    }
}

/// A block in the spill file.
struct Spilled {
    bounds: Bounds,
    offset: u64,
    words: usize,
    entries: usize,
}

/// Locks a mutex; a panic elsewhere cannot leave these values half-updated in a way that
/// matters (a panicking fit is lost anyway), so a poisoned lock is taken as it is.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where the blocks live between sweeps.
enum Store {
    Memory(Vec<Block>),
    /// In an anonymous temporary file in `dir`; `scratch` keeps the buffers of the blocks
    /// read so far for the next ones (at most one per running thread), so that reading a block
    /// allocates nothing once every thread has read one.
    Disk {
        dir: PathBuf,
        file: Mutex<File>,
        at: Vec<Spilled>,
        scratch: Mutex<Vec<(Vec<u8>, Block)>>,
    },
}

impl Store {
    /// Builds every block, `per_round` at a time in parallel, and keeps them in memory or
    /// writes them to a temporary file in `spill_dir`; returns the store and the initial
    /// word-topic and topic counts.
    fn build(
        corpus: &Corpus,
        bounds: Vec<Bounds>,
        start: &Start,
        k: usize,
        spill_dir: Option<&Path>,
    ) -> Result<(Store, Vec<i32>, Vec<i64>), ModelError> {
        let mut n_wk = vec![0i32; corpus.num_words() * k];
        let mut n_k = vec![0i64; k];
        let Some(dir) = spill_dir else {
            let blocks: Vec<Block> = bounds
                .into_par_iter()
                .map(|b| Block::build(corpus, b, start, k))
                .collect();
            for b in &blocks {
                b.count_into(&mut n_wk, &mut n_k, k);
            }
            return Ok((Store::Memory(blocks), n_wk, n_k));
        };
        let io = |source| ModelError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut file = tempfile::tempfile_in(dir).map_err(io)?;
        let mut at = Vec::with_capacity(bounds.len());
        let mut offset = 0u64;
        let per_round = rayon::current_num_threads().max(1);
        let mut pending = bounds.into_iter().peekable();
        while pending.peek().is_some() {
            let round: Vec<Bounds> = pending.by_ref().take(per_round).collect();
            let blocks: Vec<Block> = round
                .into_par_iter()
                .map(|b| Block::build(corpus, b, start, k))
                .collect();
            for b in blocks {
                b.count_into(&mut n_wk, &mut n_k, k);
                let bytes = b.to_bytes();
                file.write_all(&bytes).map_err(io)?;
                at.push(Spilled {
                    offset,
                    words: b.words.len(),
                    entries: b.entry_len.len(),
                    bounds: b.bounds,
                });
                offset += bytes.len() as u64;
            }
        }
        let store = Store::Disk {
            dir: dir.to_path_buf(),
            file: Mutex::new(file),
            at,
            scratch: Mutex::new(Vec::new()),
        };
        Ok((store, n_wk, n_k))
    }

    fn len(&self) -> usize {
        match self {
            Store::Memory(b) => b.len(),
            Store::Disk { at, .. } => at.len(),
        }
    }

    fn bounds(&self, i: usize) -> &Bounds {
        match self {
            Store::Memory(b) => &b[i].bounds,
            Store::Disk { at, .. } => &at[i].bounds,
        }
    }

    /// Runs `f` on blocks `ids` in parallel. On disk, each block is read before and its topics
    /// written back after (`f` may change nothing else); at most one block per running thread
    /// is in memory at a time.
    fn for_each(
        &mut self,
        ids: Range<usize>,
        f: impl Fn(usize, &mut Block) + Sync,
    ) -> Result<(), ModelError> {
        match self {
            Store::Memory(blocks) => {
                let first = ids.start;
                blocks[ids]
                    .par_iter_mut()
                    .enumerate()
                    .for_each(|(i, b)| f(first + i, b));
                Ok(())
            }
            Store::Disk {
                dir,
                file,
                at,
                scratch,
            } => {
                let io = |source| ModelError::Io {
                    path: dir.clone(),
                    source,
                };
                ids.into_par_iter().try_for_each(|i| {
                    let s = &at[i];
                    let (mut bytes, mut block) = lock(scratch).pop().unwrap_or_default();
                    let head = Block::head_len(s.bounds.docs.len(), s.words, s.entries);
                    bytes.resize((head + 2 * s.bounds.tokens) as usize, 0);
                    {
                        let mut f = lock(file);
                        f.seek(SeekFrom::Start(s.offset)).map_err(io)?;
                        f.read_exact(&mut bytes).map_err(io)?;
                    }
                    block.read_from(s, &bytes);
                    f(i, &mut block);
                    let z = &mut bytes[head as usize..];
                    for (o, t) in z.chunks_exact_mut(2).zip(&block.z) {
                        o.copy_from_slice(&t.to_le_bytes());
                    }
                    {
                        let mut f = lock(file);
                        f.seek(SeekFrom::Start(s.offset + head)).map_err(io)?;
                        f.write_all(z).map_err(io)?;
                    }
                    lock(scratch).push((bytes, block));
                    Ok(())
                })
            }
        }
    }

    /// Documents × topics counts from the topic assignments.
    fn doc_topic_counts(&mut self, d_n: usize, k: usize) -> Result<Vec<f64>, ModelError> {
        let mut out = vec![0.0; d_n * k];
        let mut rows = Vec::with_capacity(self.len());
        let mut rest: &mut [f64] = &mut out;
        for i in 0..self.len() {
            let (a, b) = std::mem::take(&mut rest).split_at_mut(self.bounds(i).docs.len() * k);
            rows.push(Mutex::new(a));
            rest = b;
        }
        self.for_each(0..rows.len(), |i, b| {
            let mut r = lock(&rows[i]);
            b.doc_topic_counts(&mut r, k);
        })?;
        drop(rows);
        Ok(out)
    }
}
/// The read-only state a sweep needs: the counts at the start of its round.
struct Model<'a> {
    n_wk: &'a [i32],
    n_k: &'a [i64],
    k: usize,
    alpha: f64,
    beta: f64,
    w_beta: f64,
}

/// A block's changes to the word-topic counts of its words (its words × K) and to the topic
/// totals during one sweep.
type Delta = (Vec<i32>, Vec<i64>);

impl Model<'_> {
    /// The block's private copy of the word-topic rows of its words, each row padded with
    /// zeros to `stride` (≥ K) counts.
    fn local_counts(&self, words: &[u32], stride: usize) -> Vec<i32> {
        let k = self.k;
        let mut nwk = vec![0; words.len() * stride];
        for (row, &w) in nwk.chunks_exact_mut(stride).zip(words) {
            row[..k].copy_from_slice(&self.n_wk[w as usize * k..(w as usize + 1) * k]);
        }
        nwk
    }

    /// The changes a sweep made to the block's private counts (rows of `stride` counts), as
    /// rows of K.
    fn delta(&self, words: &[u32], nwk: Vec<i32>, mut nk: Vec<i64>, stride: usize) -> Delta {
        let k = self.k;
        let mut dw = vec![0; words.len() * k];
        for ((d, row), &w) in dw
            .chunks_exact_mut(k)
            .zip(nwk.chunks_exact(stride))
            .zip(words)
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

/// Adds a block's count changes to `n_wk` and `n_k`. Integer sums: the order in which blocks
/// are added never changes the result.
fn apply(words: &[u32], (dw, dk): &Delta, n_wk: &mut [i32], n_k: &mut [i64], k: usize) {
    for (lw, &w) in words.iter().enumerate() {
        let g = &mut n_wk[w as usize * k..(w as usize + 1) * k];
        for (a, b) in g.iter_mut().zip(&dw[lw * k..(lw + 1) * k]) {
            *a += b;
        }
    }
    for (a, b) in n_k.iter_mut().zip(dk) {
        *a += b;
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
fn sweep_dense(m: &Model, b: &mut Block, key: u64) -> Delta {
    macro_rules! by_blocks {
        ($($b:literal)*) => {
            match m.k.div_ceil(LANES) {
                $($b => sweep_blocks::<$b>(m, b, key),)*
                _ => unreachable!("the dense sampler serves at most {DENSE_MAX_TOPICS} topics"),
            }
        };
    }
    by_blocks!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// One sweep over a block's tokens with the dense sampler.
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
/// the other blocks, which every block only sees at the end of its round; it keeps a division
/// off the path from one token to the next.
fn sweep_blocks<const B: usize>(m: &Model, b: &mut Block, key: u64) -> Delta {
    let k = m.k;
    let kp = B * LANES;
    let topic_at = topic_order(k, B);
    let (alpha, beta, w_beta) = (m.alpha as f32, m.beta as f32, m.w_beta as f32);
    let mut nwk = m.local_counts(&b.words, kp);
    let mut nk: Vec<i64> = m.n_k.to_vec();
    let mut inv = vec![0f32; k];
    let mut ndk = vec![0i32; k];
    // Padding topics keep a factor of 0.
    let mut coef = vec![0f32; kp];
    let Block {
        bounds,
        doc_entry,
        doc_tok,
        entry_local,
        entry_len,
        z,
        words,
    } = b;
    for (ds, dt) in doc_entry.windows(2).zip(doc_tok.windows(2)) {
        let zd = &mut z[dt[0] as usize..dt[1] as usize];
        let first_token = bounds.first_token + dt[0] as u64;
        ndk.fill(0);
        for &t in zd.iter() {
            ndk[t as usize] += 1;
        }
        for j in 0..k {
            inv[j] = 1.0 / (nk[j] as f32 + w_beta);
            coef[j] = (ndk[j] as f32 + alpha) * inv[j];
        }
        let mut i = 0usize;
        for e in ds[0] as usize..ds[1] as usize {
            let lw = entry_local[e] as usize;
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
    m.delta(words, nwk, nk, kp)
}

fn remove_topic(list: &mut Vec<u16>, t: u16) {
    if let Some(p) = list.iter().position(|&x| x == t) {
        list.swap_remove(p);
    }
}

/// One sweep over a block's tokens with SparseLDA's buckets.
fn sweep_sparse(m: &Model, b: &mut Block, seed: u64) -> Delta {
    let k = m.k;
    let (alpha, beta) = (m.alpha, m.beta);
    let mut nwk = m.local_counts(&b.words, k);
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
    let Block {
        bounds,
        doc_entry,
        doc_tok,
        entry_local,
        entry_len,
        z,
        words,
    } = b;
    for (ds, dt) in doc_entry.windows(2).zip(doc_tok.windows(2)) {
        for &t in &nz_d {
            ndk[t as usize] = 0;
        }
        nz_d.clear();
        let zd = &mut z[dt[0] as usize..dt[1] as usize];
        let first_token = bounds.first_token + dt[0] as u64;
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
        for e in ds[0] as usize..ds[1] as usize {
            let lw = entry_local[e] as usize;
            let row = lw * k;
            for _ in 0..entry_len[e] {
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
                let mut u = rng::uniform(seed, first_token + i as u64, 0) * (s + r + q);
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
    m.delta(words, nwk, nk, k)
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
            BLOCK_TOKENS,
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
        block_tokens: u64,
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
        let bounds = block_bounds(corpus, cfg.shards, block_tokens);
        if bounds.iter().all(|b| b.tokens == 0) {
            return Err(ModelError::EmptyCorpus);
        }
        let warm = init
            .map(|m| Warm::new(m, corpus, k, cfg.seed))
            .transpose()?;
        let (alpha, beta) = (cfg.alpha, cfg.beta);
        let iterations = cfg.iterations;
        let seed_init = rng::derive(cfg.seed, 11);
        let start = match &warm {
            Some(w) => Start::Warm(w, seed_init),
            None => Start::Random(seed_init),
        };
        let (mut store, mut n_wk, mut n_k) =
            Store::build(corpus, bounds, &start, k, cfg.spill_dir.as_deref())?;
        let mut convergence = Convergence::new(cfg.tolerance);
        let d_n = corpus.num_docs();
        let n_blocks = store.len();
        // Count changes of a round's blocks, added to the counts when the round ends.
        let mut acc_wk = vec![0i32; n_wk.len()];
        let mut acc_k = vec![0i64; k];
        for it in 1..=iterations {
            let seed = rng::derive(cfg.seed, 1000 + it as u64);
            // From random topics the first sweep runs its blocks one at a time, each seeing
            // the moves of the blocks before it (one sequential sweep): sampling against stale
            // counts lets blocks break the topics' symmetry in different ways, which can merge
            // topics for good on small corpora.
            let width = if it == 1 && warm.is_none() {
                1
            } else {
                cfg.shards
            };
            let mut first = 0;
            while first < n_blocks {
                let ids = first..(first + width).min(n_blocks);
                first = ids.end;
                let m = Model {
                    n_wk: &n_wk,
                    n_k: &n_k,
                    k,
                    alpha,
                    beta,
                    w_beta: corpus.num_words() as f64 * beta,
                };
                let acc = Mutex::new((&mut acc_wk, &mut acc_k));
                store.for_each(ids, |_, b| {
                    let delta = match sampler {
                        Sampler::Dense => sweep_dense(&m, b, seed),
                        Sampler::Sparse => sweep_sparse(&m, b, seed),
                    };
                    let mut acc = lock(&acc);
                    let (aw, ak) = &mut *acc;
                    apply(&b.words, &delta, aw, ak, k);
                })?;
                for (n, a) in n_wk.iter_mut().zip(acc_wk.iter_mut()) {
                    *n += std::mem::take(a);
                }
                for (n, a) in n_k.iter_mut().zip(acc_k.iter_mut()) {
                    *n += std::mem::take(a);
                }
            }
            let ll = if cfg.wants_likelihood() {
                let mut theta = store.doc_topic_counts(d_n, k)?;
                theta.iter_mut().for_each(|x| *x += alpha);
                crate::fitted::normalize_rows(&mut theta, k);
                let mut phi: Vec<f64> = n_wk.iter().map(|&n| n as f64 + beta).collect();
                crate::fitted::normalize_columns(&mut phi, k);
                Some(likelihood::per_token(corpus, None, &theta, &phi, k))
            } else {
                None
            };
            progress(Iteration {
                iteration: it,
                of: iterations,
                log_likelihood: ll,
            });
            if convergence.converged(ll) {
                break;
            }
        }
        let mut doc_topic = store.doc_topic_counts(d_n, k)?;
        doc_topic.iter_mut().for_each(|x| *x += alpha);
        let word_topic: Vec<f64> = n_wk.iter().map(|&n| n as f64 + beta).collect();
        // Where the state was kept is no property of the model.
        let config = LdaConfig {
            spill_dir: None,
            ..cfg.clone()
        };
        Ok(FittedModel::from_counts(
            config,
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
            .install(|| {
                GibbsLda::new(cfg).fit_with(&data.corpus, None, &mut |_| {}, sampler, BLOCK_TOKENS)
            })
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
    fn blocks_follow_rounded_counts() {
        let c = Corpus::from_triplets(
            vec!["a".into(), "b".into()],
            vec!["x".into(), "y".into()],
            [(0, 0, 3), (0, 1, 1), (1, 1, 2)],
        );
        let bounds = block_bounds(&c, 2, BLOCK_TOKENS);
        assert_eq!(bounds.len(), 2);
        assert_eq!((bounds[0].docs.clone(), bounds[0].tokens), (0..1, 4));
        assert_eq!((bounds[1].first_token, bounds[1].tokens), (4, 2));
        let b = Block::build(&c, bounds[0].clone(), &Start::Random(1), 3);
        assert_eq!(b.entry_len, [3, 1]);
        assert_eq!(
            (b.doc_entry.as_slice(), b.doc_tok.as_slice()),
            (&[0, 2][..], &[0, 4][..])
        );
        assert_eq!(b.words, [0, 1]);
        assert_eq!(b.z.len(), 4);
        let b = Block::build(&c, bounds[1].clone(), &Start::Random(1), 3);
        assert_eq!(
            (b.words.as_slice(), b.entry_local.as_slice()),
            (&[1][..], &[0][..])
        );
        // Fewer documents than shards: one block per document. A bound on tokens per block
        // adds blocks beyond the shard count.
        assert_eq!(block_bounds(&c, 5, BLOCK_TOKENS).len(), 2);
        assert_eq!(block_bounds(&c, 1, BLOCK_TOKENS).len(), 1);
        assert_eq!(block_bounds(&c, 1, 3).len(), 2);
        let data = planted(&PlantedConfig {
            docs: 100,
            doc_len: 10,
            ..PlantedConfig::default()
        });
        // 1,000 tokens in blocks of at most about 100: 5 rounds of 2 blocks.
        let b = block_bounds(&data.corpus, 2, 100);
        assert_eq!(b.len(), 10);
        assert!(b.iter().all(|b| b.tokens == 100), "{b:?}");
    }

    #[test]
    fn a_spilled_block_reads_back_as_written() {
        let data = planted(&PlantedConfig {
            docs: 20,
            words: 30,
            topics: 3,
            doc_len: 15,
            seed: 5,
            ..PlantedConfig::default()
        });
        let bounds = block_bounds(&data.corpus, 3, BLOCK_TOKENS);
        let b = Block::build(&data.corpus, bounds[1].clone(), &Start::Random(9), 3);
        let at = Spilled {
            bounds: b.bounds.clone(),
            offset: 0,
            words: b.words.len(),
            entries: b.entry_len.len(),
        };
        let mut back = Block::default();
        back.read_from(&at, &b.to_bytes());
        assert_eq!(back, b);
        // Again into the arrays of a larger block.
        let mut other = Block::build(&data.corpus, bounds[0].clone(), &Start::Random(9), 3);
        other.read_from(&at, &b.to_bytes());
        assert_eq!(other, b);
    }

    /// Fits the planted corpus with blocks of at most `block_tokens` tokens, in memory or
    /// spilled, cold or warm.
    fn fit_blocks(
        block_tokens: u64,
        spill: Option<&Path>,
        threads: usize,
        init: Option<&FittedModel>,
    ) -> FittedModel {
        let data = planted(&PlantedConfig {
            docs: 300,
            words: 60,
            topics: 4,
            doc_len: 60,
            seed: 3,
            ..PlantedConfig::default()
        });
        let cfg = LdaConfig {
            topics: 4,
            alpha: 0.1,
            beta: 0.05,
            iterations: 15,
            seed: 11,
            shards: 4,
            spill_dir: spill.map(Path::to_path_buf),
            track_likelihood: true,
            ..LdaConfig::default()
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            GibbsLda::new(cfg).fit_with(
                &data.corpus,
                init,
                &mut |_| {},
                Sampler::Dense,
                block_tokens,
            )
        })
        .unwrap()
    }

    #[test]
    fn spilling_the_state_to_disk_gives_the_same_model() {
        let dir = tempfile::tempdir().unwrap();
        let spill = Some(dir.path());
        // One round of 4 blocks, and 18,000 tokens in blocks of at most 1,000 (18 blocks, 5
        // rounds), at 1 and 3 threads; then a warm start from the first model.
        let one_round = fit_blocks(BLOCK_TOKENS, None, 1, None);
        assert!(fit_blocks(BLOCK_TOKENS, spill, 3, None) == one_round);
        let rounds = fit_blocks(1000, None, 1, None);
        assert!(rounds != one_round);
        assert!(fit_blocks(1000, spill, 3, None) == rounds);
        assert!(fit_blocks(1000, None, 2, None) == rounds);
        let warm = fit_blocks(1000, None, 1, Some(&one_round));
        assert!(fit_blocks(1000, spill, 2, Some(&one_round)) == warm);
        // The temporary file is gone with the fit.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_spill_folder_that_does_not_exist_is_an_io_error_naming_it() {
        let err = GibbsLda::new(LdaConfig {
            topics: 2,
            spill_dir: Some("/nonexistent/spot-spill".into()),
            ..LdaConfig::default()
        })
        .fit(
            &Corpus::from_triplets(vec!["a".into()], vec!["x".into()], [(0, 0, 3)]),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/spot-spill"), "{err}");
    }
}
