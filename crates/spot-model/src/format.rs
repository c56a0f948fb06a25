//! The binary model file format (version 1), written by [`FittedModel::save`] and read by
//! [`FittedModel::load`].
//!
//! All integers and floats are little-endian; floats are IEEE-754 binary64, so a saved model
//! loads bit-identical. Strings are UTF-8 with a `u32` byte length before them.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `SPOTLDA` followed by byte `0x1a` |
//! | 8 | 4 | `u32` format version (1) |
//! | 12 | 1 | `u8` engine: 0 `em`, 1 `online`, 2 `gibbs` |
//! | 13 | 1 | `u8` flags: bit 0 `online.optimize_alpha`, bit 1 `track_likelihood`, bit 2 a tolerance is set |
//! | 14 | 2 | reserved, zero |
//! | 16 | 4 | `u32` topics K |
//! | 20 | 4 | `u32` Gibbs shards |
//! | 24 | 8 | `u64` iterations |
//! | 32 | 8 | `u64` seed |
//! | 40 | 48 | `f64` alpha, beta, tolerance (0 when unset), tau0, kappa, mini-batch fraction |
//! | 88 | 8 | `u64` documents D |
//! | 96 | 8 | `u64` words W |
//! | 104 | 8·K | `f64` document concentration per topic |
//! | … | | W words, each `u32` length + bytes, by word id |
//! | … | | D document names, each `u32` length + bytes, by document id |
//! | … | 8·W·K | `f64` P(word \| topic), words × topics, row-major |
//! | … | 8·D·K | `f64` P(topic \| document), documents × topics, row-major |
//! | end − 8 | 8 | `u64` checksum of every byte before it (see below) |
//!
//! The checksum is FNV-1a over 64-bit words: starting from `0xcbf29ce484222325`, every 8-byte
//! little-endian word of the content (the last one zero-padded) is XORed in and the state
//! multiplied by `0x100000001b3` (wrapping); finally the content length in bytes is XORed in.
//!
//! A reader checks the magic ([`ModelError::NotAModel`]), then the version
//! ([`ModelError::UnsupportedVersion`]: a newer file is refused, never guessed at), then the
//! checksum and every size against the file length before allocating
//! ([`ModelError::Corrupt`] with the byte offset).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{FittedModel, LdaConfig, ModelError, OnlineConfig, Optimizer};

/// The magic bytes at the start of every model file.
pub const MAGIC: [u8; 8] = *b"SPOTLDA\x1a";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn engine_code(o: Optimizer) -> u8 {
    match o {
        Optimizer::Em => 0,
        Optimizer::Online => 1,
        Optimizer::Gibbs => 2,
    }
}

/// Streams bytes to a writer while computing the checksum.
struct Out<W: Write> {
    w: W,
    hash: u64,
    pending: [u8; 8],
    np: usize,
    len: u64,
}

impl<W: Write> Out<W> {
    fn bytes(&mut self, mut b: &[u8]) -> std::io::Result<()> {
        self.w.write_all(b)?;
        self.len += b.len() as u64;
        while !b.is_empty() {
            if self.np == 0 && b.len() >= 8 {
                let (chunks, rest) = b.split_at(b.len() / 8 * 8);
                for c in chunks.chunks_exact(8) {
                    let x = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
                    self.hash = (self.hash ^ x).wrapping_mul(FNV_PRIME);
                }
                b = rest;
                continue;
            }
            self.pending[self.np] = b[0];
            self.np += 1;
            b = &b[1..];
            if self.np == 8 {
                let x = u64::from_le_bytes(self.pending);
                self.hash = (self.hash ^ x).wrapping_mul(FNV_PRIME);
                self.np = 0;
            }
        }
        Ok(())
    }
    fn u32(&mut self, x: u32) -> std::io::Result<()> {
        self.bytes(&x.to_le_bytes())
    }
    fn u64(&mut self, x: u64) -> std::io::Result<()> {
        self.bytes(&x.to_le_bytes())
    }
    fn f64s(&mut self, xs: &[f64]) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(8 * 4096);
        for chunk in xs.chunks(4096) {
            buf.clear();
            for x in chunk {
                buf.extend_from_slice(&x.to_le_bytes());
            }
            self.bytes(&buf)?;
        }
        Ok(())
    }
    fn str(&mut self, s: &str) -> std::io::Result<()> {
        self.u32(s.len() as u32)?;
        self.bytes(s.as_bytes())
    }
    fn finish(mut self) -> std::io::Result<()> {
        let mut h = self.hash;
        if self.np > 0 {
            let mut last = [0u8; 8];
            last[..self.np].copy_from_slice(&self.pending[..self.np]);
            h = (h ^ u64::from_le_bytes(last)).wrapping_mul(FNV_PRIME);
        }
        h ^= self.len;
        self.w.write_all(&h.to_le_bytes())?;
        self.w.flush()
    }
}

fn checksum(content: &[u8]) -> u64 {
    let mut h = FNV_OFFSET;
    let mut chunks = content.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        h = (h ^ x).wrapping_mul(FNV_PRIME);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(last)).wrapping_mul(FNV_PRIME);
    }
    h ^ content.len() as u64
}

/// A bounds-checked reader over the file's bytes.
struct In<'a> {
    b: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> In<'a> {
    fn corrupt(&self, reason: impl Into<String>) -> ModelError {
        ModelError::Corrupt {
            path: self.path.to_path_buf(),
            offset: self.pos as u64,
            reason: reason.into(),
        }
    }
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelError> {
        if self.b.len() - self.pos < n {
            return Err(self.corrupt(format!("file ends inside {what}")));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &str) -> Result<u64, ModelError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8, what)?);
        Ok(u64::from_le_bytes(a))
    }
    /// A count of items of at least `min_bytes` each, checked against the bytes left.
    fn count(&mut self, min_bytes: usize, what: &str) -> Result<usize, ModelError> {
        let n = self.u64(what)?;
        let left = (self.b.len() - self.pos) as u64;
        if n.checked_mul(min_bytes as u64).is_none_or(|b| b > left) {
            return Err(self.corrupt(format!("{what} {n} does not fit in the file")));
        }
        Ok(n as usize)
    }
    fn f64s(&mut self, n: usize, what: &str) -> Result<Vec<f64>, ModelError> {
        let bytes = n
            .checked_mul(8)
            .ok_or_else(|| self.corrupt(format!("{what} too large")))?;
        let b = self.take(bytes, what)?;
        Ok(b.chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect())
    }
    fn strings(&mut self, n: usize, what: &str) -> Result<Vec<String>, ModelError> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let at = self.pos;
            let len = self.u32(what)? as usize;
            let b = self.take(len, what)?;
            let s = std::str::from_utf8(b).map_err(|_| ModelError::Corrupt {
                path: self.path.to_path_buf(),
                offset: at as u64,
                reason: format!("{what}: invalid UTF-8"),
            })?;
            out.push(s.to_owned());
        }
        Ok(out)
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn save(model: &FittedModel, path: &Path) -> Result<(), ModelError> {
    let file = File::create(path).map_err(io(path))?;
    let mut o = Out {
        w: BufWriter::with_capacity(1 << 20, file),
        hash: FNV_OFFSET,
        pending: [0; 8],
        np: 0,
        len: 0,
    };
    write(model, &mut o).map_err(io(path))?;
    o.finish().map_err(io(path))
}

fn write<W: Write>(m: &FittedModel, o: &mut Out<W>) -> std::io::Result<()> {
    let c = m.config();
    let flags = u8::from(c.online.optimize_alpha)
        | (u8::from(c.track_likelihood) << 1)
        | (u8::from(c.tolerance.is_some()) << 2);
    o.bytes(&MAGIC)?;
    o.u32(VERSION)?;
    o.bytes(&[engine_code(c.optimizer), flags, 0, 0])?;
    o.u32(c.topics as u32)?;
    o.u32(c.shards.min(u32::MAX as usize) as u32)?;
    o.u64(c.iterations as u64)?;
    o.u64(c.seed)?;
    o.f64s(&[
        c.alpha,
        c.beta,
        c.tolerance.unwrap_or(0.0),
        c.online.tau0,
        c.online.kappa,
        c.online.mini_batch_fraction,
    ])?;
    o.u64(m.num_docs() as u64)?;
    o.u64(m.num_words() as u64)?;
    o.f64s(m.doc_concentration())?;
    for w in m.word_names() {
        o.str(w)?;
    }
    for d in m.doc_names() {
        o.str(d)?;
    }
    o.f64s(m.word_topic_matrix())?;
    o.f64s(m.doc_topic_matrix())
}

pub(crate) fn load(path: &Path) -> Result<FittedModel, ModelError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    parse(&bytes, path)
}

/// Parses a model file's bytes (`path` only names the file in errors).
pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<FittedModel, ModelError> {
    if bytes.len() < 12 || bytes[..8] != MAGIC {
        return Err(ModelError::NotAModel {
            path: PathBuf::from(path),
        });
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != VERSION {
        return Err(ModelError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            supported: VERSION,
        });
    }
    let content_len = bytes.len().saturating_sub(8);
    let mut r = In {
        b: &bytes[..content_len],
        pos: 12,
        path,
    };
    if bytes.len() < 20 {
        return Err(r.corrupt("file ends inside the header"));
    }
    let stored = u64::from_le_bytes(bytes[content_len..].try_into().unwrap_or([0; 8]));
    if stored != checksum(&bytes[..content_len]) {
        return Err(ModelError::Corrupt {
            path: path.to_path_buf(),
            offset: content_len as u64,
            reason: "checksum mismatch: the file was truncated or altered".into(),
        });
    }
    let optimizer = match r.u8("the engine")? {
        0 => Optimizer::Em,
        1 => Optimizer::Online,
        2 => Optimizer::Gibbs,
        e => {
            r.pos -= 1;
            return Err(r.corrupt(format!("unknown engine code {e}")));
        }
    };
    let flags = r.u8("the flags")?;
    r.take(2, "the header")?;
    let topics = r.u32("the topic count")? as usize;
    let shards = r.u32("the shard count")? as usize;
    let iterations = r.u64("the iteration count")?;
    let seed = r.u64("the seed")?;
    let p = r.f64s(6, "the hyper-parameters")?;
    let tolerance = (flags & 4 != 0).then_some(p[2]);
    let config = LdaConfig {
        topics,
        alpha: p[0],
        beta: p[1],
        iterations: iterations.min(usize::MAX as u64) as usize,
        seed,
        optimizer,
        tolerance,
        track_likelihood: flags & 2 != 0,
        online: OnlineConfig {
            tau0: p[3],
            kappa: p[4],
            mini_batch_fraction: p[5],
            optimize_alpha: flags & 1 != 0,
        },
        shards,
    };
    if topics == 0 {
        return Err(r.corrupt("zero topics"));
    }
    let docs = r.count(8 * topics, "the document count")?;
    let words = r.count(8 * topics, "the word count")?;
    let alpha = r.f64s(topics, "the document concentration")?;
    let word_names = r.strings(words, "the vocabulary")?;
    let doc_names = r.strings(docs, "the document names")?;
    let word_topic = r.f64s(words * topics, "the word-topic matrix")?;
    let doc_topic = r.f64s(docs * topics, "the document-topic matrix")?;
    if r.pos != content_len {
        return Err(r.corrupt("unexpected bytes after the document-topic matrix"));
    }
    Ok(FittedModel::from_parts(
        config, doc_names, word_names, doc_topic, word_topic, alpha,
    ))
}

impl FittedModel {
    /// Saves the model to `path` in the binary format of [`format`](crate::format) (version
    /// [`VERSION`]).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelError> {
        save(self, path.as_ref())
    }

    /// Loads a model saved by [`save`](Self::save); the result equals the saved model bit for
    /// bit. Fails with a typed error for a file that is not a model, a model of another format
    /// version, or a truncated or altered file.
    pub fn load(path: impl AsRef<Path>) -> Result<FittedModel, ModelError> {
        load(path.as_ref())
    }
}
