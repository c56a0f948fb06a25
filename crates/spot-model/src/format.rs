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
//! ([`ModelError::UnsupportedVersion`]: a newer file is refused, never guessed at), then every
//! size against the file length before allocating, and the checksum at the end
//! ([`ModelError::Corrupt`] with the byte offset).
//!
//! Loading is one sequential pass (the checksum computed on the way): the matrices, which
//! dominate the file at scale (8·D·K bytes: 1.6 GB for 10⁷ documents and 20 topics), are read
//! in 1 MiB chunks straight into their final vectors, so a load holds one copy of the model in
//! memory, never the file besides it. The name → id indexes are not stored: they are built on
//! the first lookup by name ([`FittedModel::doc_id`]), so a model used by ids never pays for
//! them. `examples/model_io.rs` (crate `spot-model`) times save, load and the first lookup.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
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

/// The file checksum (FNV-1a over little-endian 64-bit words, see the module docs), fed in
/// pieces of any length.
struct Checksum {
    hash: u64,
    pending: [u8; 8],
    np: usize,
    len: u64,
}

impl Checksum {
    fn new() -> Self {
        Checksum {
            hash: FNV_OFFSET,
            pending: [0; 8],
            np: 0,
            len: 0,
        }
    }
    #[inline]
    fn word(&mut self, x: u64) {
        self.hash = (self.hash ^ x).wrapping_mul(FNV_PRIME);
    }
    fn update(&mut self, mut b: &[u8]) {
        self.len += b.len() as u64;
        if self.np > 0 {
            let n = (8 - self.np).min(b.len());
            self.pending[self.np..self.np + n].copy_from_slice(&b[..n]);
            self.np += n;
            b = &b[n..];
            if self.np < 8 {
                return;
            }
            self.word(u64::from_le_bytes(self.pending));
            self.np = 0;
        }
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.np = rest.len();
    }
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        if self.np > 0 {
            let mut last = [0u8; 8];
            last[..self.np].copy_from_slice(&self.pending[..self.np]);
            h = (h ^ u64::from_le_bytes(last)).wrapping_mul(FNV_PRIME);
        }
        h ^ self.len
    }
}

/// Streams bytes to a writer while computing the checksum.
struct Out<W: Write> {
    w: W,
    sum: Checksum,
}

impl<W: Write> Out<W> {
    fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.w.write_all(b)?;
        self.sum.update(b);
        Ok(())
    }
    fn u32(&mut self, x: u32) -> std::io::Result<()> {
        self.bytes(&x.to_le_bytes())
    }
    fn u64(&mut self, x: u64) -> std::io::Result<()> {
        self.bytes(&x.to_le_bytes())
    }
    fn f64s(&mut self, xs: &[f64]) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(CHUNK);
        for chunk in xs.chunks(CHUNK / 8) {
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
        let h = self.sum.finish();
        self.w.write_all(&h.to_le_bytes())?;
        self.w.flush()
    }
}

/// Bytes read from the file at a time (1 MiB).
const CHUNK: usize = 1 << 20;

/// A bounds-checked, checksumming reader over the file's content (everything before the
/// trailing checksum): one sequential pass through a 1 MiB buffer, checksummed a chunk at a
/// time; names are cut from the buffer and the matrices converted from it straight into their
/// final vectors, so loading holds one copy of the model in memory, never the file besides it.
struct In<'a, R: Read> {
    r: R,
    /// Content bytes consumed.
    pos: u64,
    /// Content bytes read from the file (consumed or in `buf[lo..hi]`).
    read: u64,
    /// Length of the content: nothing at or after it is read.
    end: u64,
    sum: Checksum,
    path: &'a Path,
    buf: Vec<u8>,
    lo: usize,
    hi: usize,
}

impl<'a, R: Read> In<'a, R> {
    fn new(r: R, end: u64, path: &'a Path) -> Self {
        In {
            r,
            pos: 0,
            read: 0,
            end,
            sum: Checksum::new(),
            path,
            buf: Vec::new(),
            lo: 0,
            hi: 0,
        }
    }
    fn corrupt(&self, reason: impl Into<String>) -> ModelError {
        ModelError::Corrupt {
            path: self.path.to_path_buf(),
            offset: self.pos,
            reason: reason.into(),
        }
    }
    fn left(&self) -> u64 {
        self.end - self.pos
    }
    /// Makes at least `n` unconsumed bytes available in `buf[lo..hi]`.
    fn ensure(&mut self, n: usize, what: &str) -> Result<(), ModelError> {
        if self.hi - self.lo >= n {
            return Ok(());
        }
        if self.left() < n as u64 {
            return Err(self.corrupt(format!("file ends inside {what}")));
        }
        self.buf.copy_within(self.lo..self.hi, 0);
        self.hi -= self.lo;
        self.lo = 0;
        let size = n
            .max(CHUNK)
            .min((self.hi as u64 + self.end - self.read) as usize);
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        let want = (size - self.hi).min((self.end - self.read) as usize);
        let fresh = &mut self.buf[self.hi..self.hi + want];
        self.r.read_exact(fresh).map_err(|source| ModelError::Io {
            path: self.path.to_path_buf(),
            source,
        })?;
        self.sum.update(fresh);
        self.hi += want;
        self.read += want as u64;
        Ok(())
    }
    /// The next `n` bytes of content.
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], ModelError> {
        self.ensure(n, what)?;
        let s = &self.buf[self.lo..self.lo + n];
        self.lo += n;
        self.pos += n as u64;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ModelError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64, ModelError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    /// A count of items of at least `min_bytes` each, checked against the bytes left.
    fn count(&mut self, min_bytes: usize, what: &str) -> Result<usize, ModelError> {
        let n = self.u64(what)?;
        if n.checked_mul(min_bytes as u64)
            .is_none_or(|b| b > self.left())
        {
            self.pos -= 8;
            return Err(self.corrupt(format!("{what} {n} does not fit in the file")));
        }
        Ok(n as usize)
    }
    fn f64s(&mut self, n: usize, what: &str) -> Result<Vec<f64>, ModelError> {
        if (n as u64).checked_mul(8).is_none_or(|b| b > self.left()) {
            return Err(self.corrupt(format!("file ends inside {what}")));
        }
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let m = ((self.hi - self.lo) / 8).min(n - out.len());
            if m == 0 {
                self.ensure(8, what)?;
                continue;
            }
            let bytes = self.take(8 * m, what)?;
            out.extend(
                bytes
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))),
            );
        }
        Ok(out)
    }
    fn strings(&mut self, n: usize, what: &str) -> Result<Vec<String>, ModelError> {
        let mut out = Vec::with_capacity(n);
        let path = self.path;
        for _ in 0..n {
            let at = self.pos;
            let len = self.u32(what)? as usize;
            let b = self.take(len, what)?;
            let s = std::str::from_utf8(b).map_err(|_| ModelError::Corrupt {
                path: path.to_path_buf(),
                offset: at,
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
        sum: Checksum::new(),
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
    let file = File::open(path).map_err(io(path))?;
    let len = file.metadata().map_err(io(path))?.len();
    parse(BufReader::with_capacity(1 << 16, file), len, path)
}

/// Parses a model file of `len` bytes from `r` (`path` only names the file in errors).
pub(crate) fn parse<R: Read>(r: R, len: u64, path: &Path) -> Result<FittedModel, ModelError> {
    let not_a_model = || ModelError::NotAModel {
        path: PathBuf::from(path),
    };
    if len < 12 {
        return Err(not_a_model());
    }
    // The magic and version alone first, so that nothing past the content is read (and
    // checksummed) before the content's length is known.
    let mut r = In::new(r, 12, path);
    if r.array::<8>("the magic bytes")? != MAGIC {
        return Err(not_a_model());
    }
    let version = r.u32("the format version")?;
    if version != VERSION {
        return Err(ModelError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            supported: VERSION,
        });
    }
    // From here on, the content is everything before the trailing checksum.
    if len < 20 {
        return Err(r.corrupt("file ends inside the header"));
    }
    r.end = len - 8;
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
    r.array::<2>("the header")?;
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
        spill_dir: None,
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
    if r.pos != r.end {
        return Err(r.corrupt("unexpected bytes after the document-topic matrix"));
    }
    debug_assert_eq!(r.read, r.end);
    let mut tail = [0u8; 8];
    r.r.read_exact(&mut tail).map_err(io(path))?;
    let stored = u64::from_le_bytes(tail);
    if stored != r.sum.finish() {
        return Err(ModelError::Corrupt {
            path: path.to_path_buf(),
            offset: r.end,
            reason: "checksum mismatch: the file was truncated or altered".into(),
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one_shot(b: &[u8]) -> u64 {
        let mut c = Checksum::new();
        c.update(b);
        c.finish()
    }

    #[test]
    fn checksum_does_not_depend_on_how_the_bytes_are_cut() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let whole = one_shot(&bytes);
        for piece in [1, 3, 5, 7, 8, 9, 13, 64, 999] {
            let mut c = Checksum::new();
            for p in bytes.chunks(piece) {
                c.update(p);
            }
            assert_eq!(c.finish(), whole, "pieces of {piece}");
        }
        assert_ne!(one_shot(&bytes[..999]), whole);
        assert_ne!(one_shot(&[]), one_shot(&[0]));
    }

    #[test]
    fn a_model_round_trips_through_the_streaming_reader() {
        let cfg = LdaConfig {
            topics: 3,
            ..LdaConfig::default()
        };
        let m = FittedModel::from_counts(
            cfg,
            vec!["10.0.0.1".into(), "10.0.0.2".into()],
            vec!["a".into(), "bb".into(), "ccc".into(), "dddd".into()],
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.5],
            (0..12).map(|i| i as f64 + 0.25).collect(),
        );
        let mut o = Out {
            w: Vec::new(),
            sum: Checksum::new(),
        };
        write(&m, &mut o).unwrap();
        let sum = o.sum.finish();
        let mut bytes = o.w;
        bytes.extend_from_slice(&sum.to_le_bytes());
        let path = Path::new("memory");
        let back = parse(&bytes[..], bytes.len() as u64, path).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.doc_id("10.0.0.2"), Some(1));
        // Every truncation is a typed error, never a panic.
        for cut in 0..bytes.len() {
            assert!(
                parse(&bytes[..cut], cut as u64, path).is_err(),
                "cut at {cut}"
            );
        }
    }
}
