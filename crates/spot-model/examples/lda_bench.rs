//! Driver of the LDA engine comparison in `benches/lda/` (see its README): generates the planted
//! corpus, fits our engines, and scores any engine's topics with the one held-out evaluator.
//!
//! ```text
//! lda_bench generate OUT [corpus options]        writes OUT/observed.tsv and OUT/heldout.tsv
//! lda_bench ours [--engine E] [corpus options]   fits em, online, gibbs (or only E: em, online,
//!                                                gibbs30, gibbs100); prints result rows
//! lda_bench eval NAME PHI SECONDS ITERS ALPHA RSS_MIB THREADS [corpus options]
//!                                                scores a peer's topics (PHI: one line per word,
//!                                                K whitespace-separated P(word | topic))
//! corpus options: --docs N --words W --topics K --doc-len L --seed S
//! ```
//!
//! Result rows are tab-separated: engine, threads, iterations, seconds, peak RSS in MiB,
//! held-out log-likelihood per token, perplexity, mean total-variation distance to the planted
//! topics. For spot's engines the peak RSS is the process's (`VmHWM`: corpus, model and
//! evaluation), so run one engine per process (`--engine`) to read it per engine.

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use spot_features::Corpus;
use spot_model::synthetic::{Planted, PlantedConfig, planted, topic_distance};
use spot_model::{FittedModel, Lda, LdaConfig, OnlineConfig, Optimizer, TopicModel, heldout};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

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

/// The planted corpus and its 90/10 token split, identical in every invocation.
fn data(m: &HashMap<String, String>) -> Res<(Planted, Corpus, Corpus)> {
    let p = planted(&PlantedConfig {
        docs: get(m, "docs", 5_000)?,
        words: get(m, "words", 2_000)?,
        topics: get(m, "topics", 20)?,
        doc_len: get(m, "doc-len", 100)?,
        seed: get(m, "seed", 1)? as u64,
        ..PlantedConfig::default()
    });
    let (observed, held) = heldout::split(&p.corpus, 0.1, 2);
    Ok((p, observed, held))
}

fn write_tsv(path: &std::path::Path, c: &Corpus) -> Res<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "{}\t{}", c.num_docs(), c.num_words())?;
    for d in 0..c.num_docs() {
        let (ws, cs) = c.doc(d);
        for (&wd, &n) in ws.iter().zip(cs) {
            writeln!(w, "{d}\t{wd}\t{n}")?;
        }
    }
    Ok(())
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), or "-" elsewhere.
fn peak_rss_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or_else(|| "-".to_string(), |kb| format!("{:.0}", kb / 1024.0))
}

/// The measured part of a result row, before the quality columns.
struct Run<'a> {
    name: &'a str,
    threads: String,
    iters: usize,
    secs: f64,
    rss_mib: String,
}

fn row(r: &Run, m: &FittedModel, p: &Planted, o: &Corpus, h: &Corpus) {
    let s = heldout::evaluate(m, o, h, 100);
    println!(
        "{}\t{}\t{}\t{:.3}\t{}\t{:.4}\t{:.2}\t{:.3}",
        r.name,
        r.threads,
        r.iters,
        r.secs,
        r.rss_mib,
        s.per_token(),
        s.perplexity(),
        topic_distance(m, p)
    );
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") => {
            let out = std::path::PathBuf::from(args.get(1).ok_or("generate OUT")?);
            let (_, o, h) = data(&options(&args[2..])?)?;
            std::fs::create_dir_all(&out)?;
            write_tsv(&out.join("observed.tsv"), &o)?;
            write_tsv(&out.join("heldout.tsv"), &h)?;
        }
        Some("ours") => {
            let m = options(&args[1..])?;
            let only = m.get("engine").cloned();
            let (p, o, h) = data(&m)?;
            let k = p.topics;
            let runs = [
                ("em", Optimizer::Em, 50, 1.02, 1.001, 1.0),
                ("online", Optimizer::Online, 100, 0.1, 0.01, 0.1),
                ("gibbs30", Optimizer::Gibbs, 30, 0.1, 0.01, 1.0),
                ("gibbs100", Optimizer::Gibbs, 100, 0.1, 0.01, 1.0),
            ];
            if let Some(e) = &only
                && !runs.iter().any(|r| r.0 == e)
            {
                return Err(format!("unknown engine {e}: em, online, gibbs30 or gibbs100").into());
            }
            let runs = runs
                .iter()
                .filter(|r| only.as_ref().is_none_or(|e| e == r.0));
            for &(_, opt, iters, alpha, beta, fraction) in runs {
                let cfg = LdaConfig {
                    topics: k,
                    alpha,
                    beta,
                    iterations: iters,
                    optimizer: opt,
                    seed: 3,
                    online: OnlineConfig {
                        mini_batch_fraction: fraction,
                        tau0: 64.0,
                        ..OnlineConfig::default()
                    },
                    ..LdaConfig::default()
                };
                let t = Instant::now();
                let model = Lda::new(cfg).fit(&o, &mut |_| {})?;
                let secs = t.elapsed().as_secs_f64();
                let run = Run {
                    name: &format!("spot {opt}"),
                    threads: rayon::current_num_threads().to_string(),
                    iters,
                    secs,
                    rss_mib: peak_rss_mib(),
                };
                row(&run, &model, &p, &o, &h);
            }
        }
        Some("eval") => {
            let [name, phi, secs, iters, alpha, rss, threads] =
                [1, 2, 3, 4, 5, 6, 7].map(|i| args.get(i));
            let (
                Some(name),
                Some(phi),
                Some(secs),
                Some(iters),
                Some(alpha),
                Some(rss),
                Some(threads),
            ) = (name, phi, secs, iters, alpha, rss, threads)
            else {
                return Err("eval NAME PHI SECONDS ITERS ALPHA RSS_MIB THREADS".into());
            };
            let (p, o, h) = data(&options(&args[8..])?)?;
            let k = p.topics;
            let mut word_topic = Vec::with_capacity(o.num_words() * k);
            for line in std::fs::read_to_string(phi)?.lines() {
                for x in line.split_whitespace() {
                    word_topic.push(x.parse::<f64>()?);
                }
            }
            if word_topic.len() != o.num_words() * k {
                return Err(format!("{phi}: expected {} values", o.num_words() * k).into());
            }
            let cfg = LdaConfig {
                topics: k,
                alpha: alpha.parse()?,
                optimizer: Optimizer::Gibbs,
                ..LdaConfig::default()
            };
            let model =
                FittedModel::from_counts(cfg, vec![], o.word_names().to_vec(), vec![], word_topic);
            let run = Run {
                name,
                threads: threads.clone(),
                iters: iters.parse()?,
                secs: secs.parse()?,
                rss_mib: rss.clone(),
            };
            row(&run, &model, &p, &o, &h);
        }
        _ => return Err("usage: lda_bench generate|ours|eval ... (see the source)".into()),
    }
    Ok(())
}
