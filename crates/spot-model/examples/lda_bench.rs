//! Driver of the LDA engine comparison in `benches/lda/` (see its README): generates the corpus
//! (a planted LDA corpus, or the flow words of a synthetic `spot demo` day), fits our engines,
//! and scores any engine's topics with the one held-out evaluator.
//!
//! ```text
//! lda_bench generate OUT [corpus options]        writes OUT/observed.tsv and OUT/heldout.tsv
//! lda_bench ours [--engine E] [--curve FILE] [--shards S] [corpus options]
//!                                                fits em, online, gibbs (or only E: em, online,
//!                                                gibbs30, gibbs100; gibbs with S shards,
//!                                                default 32); prints result rows
//! lda_bench eval NAME PHI SECONDS CPU ITERS ALPHA RSS_MIB THREADS [corpus options]
//!                                                scores a peer's topics (PHI: one line per word,
//!                                                K whitespace-separated P(word | topic))
//! lda_bench memory [--spill DIR] [--iterations I] [planted options]
//!                                                the gibbs fit's own peak memory (see below)
//! corpus options: --corpus planted (default): --docs N --words W --topics K --doc-len L --seed S
//!                 --corpus flow: --dir OUT --topics K [--flows N --seed S]
//! ```
//!
//! The flow corpus is the one `spot ml flow` trains on: Apache Spot's flow words (one per
//! flow end) in IP documents, from the day `spot demo` generates (about 160,000 flows; `--flows`
//! sizes it like `spot generate flow --records`). `generate` writes it; `ours` and `eval` read
//! it back from `--dir`, so every process sees the same tokens without regenerating the day.
//!
//! Result rows are tab-separated: engine, threads, iterations, wall seconds, CPU seconds (user +
//! system, all threads), peak RSS in MiB, held-out log-likelihood per token, perplexity, mean
//! total-variation distance to the planted topics ("-" for the flow corpus). For spot's engines
//! the peak RSS is the process's (`VmHWM`: corpus, model and evaluation), so run one engine per
//! process (`--engine`) to read it per engine.
//!
//! `memory` fits `gibbs` (alpha 0.1, beta 0.01, 3 iterations by default) on the whole planted
//! corpus, with its state in memory or spilled to a temporary file in `--spill DIR`, and prints
//! one tab-separated row: documents, tokens, (document, word) entries, the corpus's size in
//! memory, the fitted model's size (document-topic and word-topic matrices and both
//! vocabularies), the resident memory before the fit, the fit's peak above it (`VmHWM` reset
//! just before the fit), that peak less the model, and the fit's CPU seconds; all sizes in MiB.
//!
//! `--curve FILE` also fits the engine from scratch at shorter budgets (2, 5, 10, 20, 30, 50
//! iterations below its own) and appends one row per budget to FILE, from which `table.py`
//! reads the time to reach within 1% of the best held-out log-likelihood.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use spot_features::flow::FlowWords;
use spot_features::{Corpus, CorpusBuilder, WordCreator};
use spot_model::synthetic::{Planted, PlantedConfig, planted, topic_distance};
use spot_model::{FittedModel, Lda, LdaConfig, OnlineConfig, Optimizer, TopicModel, heldout};
use spot_synth::{FlowDayConfig, flow_day};

#[path = "common/procstat.rs"]
mod procstat;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Shorter budgets a curve fits, below the engine's own iteration count.
const CURVE_BUDGETS: [usize; 6] = [2, 5, 10, 20, 30, 50];

fn options(args: &[String]) -> Res<HashMap<String, String>> {
    let mut m = HashMap::new();
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let key = k
            .strip_prefix("--")
            .ok_or(format!("unexpected argument {k}"))?;
        let v = it.next().ok_or(format!("{k} needs a value"))?;
        m.insert(key.to_string(), v.clone());
    }
    Ok(m)
}

fn get(m: &HashMap<String, String>, k: &str, default: usize) -> Res<usize> {
    Ok(match m.get(k) {
        Some(v) => v.parse()?,
        None => default,
    })
}

/// The benchmark's corpus, split 90/10 into observed and held-out tokens.
struct Data {
    /// The planted model, for topic recovery (`None` for the flow corpus).
    planted: Option<Planted>,
    topics: usize,
    observed: Corpus,
    held: Corpus,
}

fn is_flow(m: &HashMap<String, String>) -> Res<bool> {
    match m.get("corpus").map(String::as_str) {
        None | Some("planted") => Ok(false),
        Some("flow") => Ok(true),
        Some(c) => Err(format!("unknown corpus {c}: planted or flow").into()),
    }
}

/// The planted corpus and its split, identical in every invocation.
fn planted_data(m: &HashMap<String, String>) -> Res<Data> {
    let p = planted(&PlantedConfig {
        docs: get(m, "docs", 5_000)?,
        words: get(m, "words", 2_000)?,
        topics: get(m, "topics", 20)?,
        doc_len: get(m, "doc-len", 100)?,
        seed: get(m, "seed", 1)? as u64,
        ..PlantedConfig::default()
    });
    let (observed, held) = heldout::split(&p.corpus, 0.1, 2);
    Ok(Data {
        topics: p.topics,
        planted: Some(p),
        observed,
        held,
    })
}

/// The flow words of a synthetic day, as `spot ml flow` builds its corpus, and their split.
fn flow_corpus(m: &HashMap<String, String>) -> Res<(Corpus, Corpus)> {
    let seed = get(m, "seed", 1)? as u64;
    let cfg = match m.get("flows") {
        Some(n) => FlowDayConfig::with_records(n.parse()?),
        None => FlowDayConfig::default(),
    };
    let day = flow_day(&FlowDayConfig { seed, ..cfg });
    let mut builder = CorpusBuilder::new();
    let rows = day.batch.num_rows();
    let mut off = 0;
    while off < rows {
        let len = (rows - off).min(65_536);
        builder.add_words(&FlowWords.words(&day.batch.slice(off, len))?);
        off += len;
    }
    Ok(heldout::split(&builder.build(), 0.1, 2))
}

fn dir(m: &HashMap<String, String>) -> Res<PathBuf> {
    Ok(PathBuf::from(
        m.get("dir").ok_or("--corpus flow needs --dir OUT")?,
    ))
}

fn data(m: &HashMap<String, String>) -> Res<Data> {
    if !is_flow(m)? {
        return planted_data(m);
    }
    let d = dir(m)?;
    Ok(Data {
        planted: None,
        topics: get(m, "topics", 20)?,
        observed: read_tsv(&d.join("observed.tsv"))?,
        held: read_tsv(&d.join("heldout.tsv"))?,
    })
}

fn write_tsv(path: &Path, c: &Corpus) -> Res<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "{}\t{}", c.num_docs(), c.num_words())?;
    for d in 0..c.num_docs() {
        let (ws, cs) = c.doc(d);
        for (&wd, &n) in ws.iter().zip(cs) {
            writeln!(w, "{d}\t{wd}\t{n}")?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Reads a corpus written by [`write_tsv`]; documents and words are named by their ids.
fn read_tsv(path: &Path) -> Res<Corpus> {
    let f = std::io::BufReader::new(
        std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?,
    );
    let mut lines = f.lines();
    let head = lines.next().ok_or(format!("{}: empty", path.display()))??;
    let mut it = head.split('\t');
    let (Some(docs), Some(words)) = (it.next(), it.next()) else {
        return Err(format!("{}: expected `docs<TAB>words` first", path.display()).into());
    };
    let (docs, words): (usize, usize) = (docs.parse()?, words.parse()?);
    let mut triplets: Vec<(u32, u32, u64)> = Vec::new();
    for (i, line) in lines.enumerate() {
        let line = line?;
        let v: Vec<&str> = line.split('\t').collect();
        let [d, w, c] = v.as_slice() else {
            return Err(format!("{} line {}: expected 3 fields", path.display(), i + 2).into());
        };
        triplets.push((d.parse()?, w.parse()?, c.parse::<f64>()? as u64));
    }
    let doc_names = (0..docs).map(|d| d.to_string()).collect();
    let word_names = (0..words).map(|w| w.to_string()).collect();
    Ok(Corpus::from_triplets(doc_names, word_names, triplets))
}

/// The measured part of a result row, before the quality columns.
struct Run<'a> {
    name: &'a str,
    threads: String,
    iters: usize,
    secs: f64,
    cpu: String,
    rss_mib: String,
}

fn row(out: &mut dyn Write, r: &Run, m: &FittedModel, data: &Data) -> Res<()> {
    let s = heldout::evaluate(m, &data.observed, &data.held, 100);
    let tv = data.planted.as_ref().map_or_else(
        || "-".to_string(),
        |p| format!("{:.3}", topic_distance(m, p)),
    );
    writeln!(
        out,
        "{}\t{}\t{}\t{:.3}\t{}\t{}\t{:.4}\t{:.2}\t{tv}",
        r.name,
        r.threads,
        r.iters,
        r.secs,
        r.cpu,
        r.rss_mib,
        s.per_token(),
        s.perplexity(),
    )?;
    out.flush()?;
    Ok(())
}

/// Spot's engines as the bench runs them: name, optimizer, iterations, alpha, beta, fraction.
const ENGINES: [(&str, Optimizer, usize, f64, f64, f64); 4] = [
    ("em", Optimizer::Em, 50, 1.02, 1.001, 1.0),
    ("online", Optimizer::Online, 100, 0.1, 0.01, 0.1),
    ("gibbs30", Optimizer::Gibbs, 30, 0.1, 0.01, 1.0),
    ("gibbs100", Optimizer::Gibbs, 100, 0.1, 0.01, 1.0),
];

fn ours(args: &[String]) -> Res<()> {
    let m = options(args)?;
    let only = m.get("engine").cloned();
    if let Some(e) = &only
        && !ENGINES.iter().any(|r| r.0 == e)
    {
        return Err(format!("unknown engine {e}: em, online, gibbs30 or gibbs100").into());
    }
    let mut curve: Option<Box<dyn Write>> = match m.get("curve") {
        Some(p) => Some(Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)?,
        )),
        None => None,
    };
    let data = data(&m)?;
    let threads = rayon::current_num_threads().to_string();
    let runs = ENGINES
        .iter()
        .filter(|r| only.as_ref().is_none_or(|e| e == r.0));
    for &(_, opt, iters, alpha, beta, fraction) in runs {
        let name = format!("spot {opt}");
        let budgets = CURVE_BUDGETS.iter().filter(|&&b| b < iters);
        let budgets: Vec<usize> = match curve {
            Some(_) => budgets.copied().chain([iters]).collect(),
            None => vec![iters],
        };
        for b in budgets {
            let cfg = LdaConfig {
                topics: data.topics,
                alpha,
                beta,
                iterations: b,
                optimizer: opt,
                seed: 3,
                shards: get(&m, "shards", LdaConfig::default().shards)?,
                online: OnlineConfig {
                    mini_batch_fraction: fraction,
                    tau0: 64.0,
                    ..OnlineConfig::default()
                },
                ..LdaConfig::default()
            };
            let cpu = procstat::cpu_seconds();
            let t = Instant::now();
            let model = Lda::new(cfg).fit(&data.observed, &mut |_| {})?;
            let secs = t.elapsed().as_secs_f64();
            let run = Run {
                name: &name,
                threads: threads.clone(),
                iters: b,
                secs,
                cpu: procstat::cpu_since(cpu),
                rss_mib: procstat::peak_rss_mib(),
            };
            match (&mut curve, b == iters) {
                (_, true) => row(&mut std::io::stdout(), &run, &model, &data)?,
                (Some(c), false) => row(c, &run, &model, &data)?,
                (None, false) => {}
            }
        }
    }
    Ok(())
}

/// Bytes of a list of names held as `String`s: each its `String` and its heap block as glibc's
/// malloc sizes it (the bytes plus 8, rounded up to 16, at least 32).
fn names_bytes(names: &[String]) -> usize {
    names
        .iter()
        .map(|n| {
            let block = match n.len() {
                0 => 0,
                l => (l + 8).next_multiple_of(16).max(32),
            };
            std::mem::size_of::<String>() + block
        })
        .sum()
}

/// The gibbs fit's own peak memory, in memory or spilled (see the module docs).
fn memory(args: &[String]) -> Res<()> {
    let m = options(args)?;
    let topics = get(&m, "topics", 20)?;
    let corpus = planted(&PlantedConfig {
        docs: get(&m, "docs", 100_000)?,
        words: get(&m, "words", 10_000)?,
        topics,
        doc_len: get(&m, "doc-len", 100)?,
        seed: get(&m, "seed", 1)? as u64,
        ..PlantedConfig::default()
    })
    .corpus;
    let (d_n, w_n, nnz) = (corpus.num_docs(), corpus.num_words(), corpus.nnz());
    const MIB: f64 = 1024.0 * 1024.0;
    let corpus_mib = (8 * (d_n + 1)
        + 12 * nnz
        + names_bytes(corpus.doc_names())
        + names_bytes(corpus.word_names())) as f64
        / MIB;
    let model_mib = (8 * (d_n + w_n) * topics
        + names_bytes(corpus.doc_names())
        + names_bytes(corpus.word_names())) as f64
        / MIB;
    let cfg = LdaConfig {
        topics,
        alpha: 0.1,
        beta: 0.01,
        iterations: get(&m, "iterations", 3)?,
        optimizer: Optimizer::Gibbs,
        seed: 3,
        spill_dir: m.get("spill").map(PathBuf::from),
        ..LdaConfig::default()
    };
    let (base, _) = procstat::rss_now_and_peak_mib().ok_or("no /proc/self/status here")?;
    if !procstat::reset_peak_rss() {
        return Err("cannot reset the peak RSS (/proc/self/clear_refs)".into());
    }
    let cpu = procstat::cpu_seconds();
    let model = Lda::new(cfg).fit(&corpus, &mut |_| {})?;
    let cpu = procstat::cpu_since(cpu);
    let (_, peak) = procstat::rss_now_and_peak_mib().ok_or("no /proc/self/status here")?;
    assert_eq!(model.num_topics(), topics);
    println!(
        "{}\t{}\t{}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{}\t{}",
        d_n,
        corpus.total_tokens(),
        nnz,
        corpus_mib,
        model_mib,
        base,
        peak - base,
        peak - base - model_mib,
        cpu,
        if m.contains_key("spill") {
            "spilled"
        } else {
            "in memory"
        },
    );
    Ok(())
}

fn eval(args: &[String]) -> Res<()> {
    let [name, phi, secs, cpu, iters, alpha, rss, threads] =
        [1, 2, 3, 4, 5, 6, 7, 8].map(|i| args.get(i));
    let (
        Some(name),
        Some(phi),
        Some(secs),
        Some(cpu),
        Some(iters),
        Some(alpha),
        Some(rss),
        Some(threads),
    ) = (name, phi, secs, cpu, iters, alpha, rss, threads)
    else {
        return Err("eval NAME PHI SECONDS CPU ITERS ALPHA RSS_MIB THREADS".into());
    };
    let data = data(&options(&args[9..])?)?;
    let (k, w_n) = (data.topics, data.observed.num_words());
    let mut word_topic = Vec::with_capacity(w_n * k);
    for line in std::fs::read_to_string(phi)?.lines() {
        for x in line.split_whitespace() {
            word_topic.push(x.parse::<f64>()?);
        }
    }
    if word_topic.len() != w_n * k {
        return Err(format!("{phi}: expected {} values", w_n * k).into());
    }
    let cfg = LdaConfig {
        topics: k,
        alpha: alpha.parse()?,
        optimizer: Optimizer::Gibbs,
        ..LdaConfig::default()
    };
    let words = data.observed.word_names().to_vec();
    let model = FittedModel::from_counts(cfg, vec![], words, vec![], word_topic);
    let run = Run {
        name,
        threads: threads.clone(),
        iters: iters.parse()?,
        secs: secs.parse()?,
        cpu: cpu.clone(),
        rss_mib: rss.clone(),
    };
    row(&mut std::io::stdout(), &run, &model, &data)
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") => {
            let out = PathBuf::from(args.get(1).ok_or("generate OUT")?);
            let m = options(&args[2..])?;
            let (o, h) = if is_flow(&m)? {
                flow_corpus(&m)?
            } else {
                let d = planted_data(&m)?;
                (d.observed, d.held)
            };
            std::fs::create_dir_all(&out)?;
            write_tsv(&out.join("observed.tsv"), &o)?;
            write_tsv(&out.join("heldout.tsv"), &h)?;
            eprintln!(
                "corpus: {} documents, {} words, {} observed and {} held-out tokens",
                o.num_docs(),
                o.num_words(),
                o.total_tokens(),
                h.total_tokens()
            );
        }
        Some("ours") => ours(&args[1..])?,
        Some("eval") => eval(&args)?,
        Some("memory") => memory(&args[1..])?,
        _ => return Err("usage: lda_bench generate|ours|eval|memory ... (see the source)".into()),
    }
    Ok(())
}
