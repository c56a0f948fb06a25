//! Save and load time of a model file at scale (`benches/model_io.sh` runs it; see
//! BENCHMARKS.md): builds a model with D documents (IPv4-like names), W words and K topics
//! without training (random normalized rows, seeded), saves it, loads it back, checks that the
//! loaded model is identical and scores identically, and prints one tab-separated row:
//!
//! ```text
//! docs  words  topics  file MiB  save s  save CPU s  load s  load CPU s  index s  load MiB/s
//! ```
//!
//! `load s` is [`FittedModel::load`]; `index s` the first name lookup after it (building the
//! name → id index, which `load` leaves to the first lookup). The CPU columns are user + system
//! seconds of the same steps (fair on a shared machine, where wall time is not).
//!
//! ```text
//! model_io FILE [--docs D] [--words W] [--topics K]     (defaults 1000000, 10000, 20)
//! ```

use std::time::Instant;

use spot_model::{FittedModel, LdaConfig};

// Shared with lda_bench; the peak RSS comes from `/usr/bin/time` in `benches/model_io.sh` here.
#[allow(dead_code)]
#[path = "common/procstat.rs"]
mod procstat;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn arg(args: &[String], name: &str, default: usize) -> Res<usize> {
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args
            .get(i + 1)
            .ok_or(format!("{name} needs a value"))?
            .parse()?),
        None => Ok(default),
    }
}

/// A cheap deterministic generator (SplitMix64) for the matrix entries.
fn splitmix(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: model_io FILE [--docs D] [--words W] [--topics K]")?
        .clone();
    let docs = arg(&args, "--docs", 1_000_000)?;
    let words = arg(&args, "--words", 10_000)?;
    let k = arg(&args, "--topics", 20)?;
    let doc_names: Vec<String> = (0..docs)
        .map(|i| {
            let i = i as u32;
            format!(
                "{}.{}.{}.{}",
                10 + (i >> 24),
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255
            )
        })
        .collect();
    let word_names: Vec<String> = (0..words)
        .map(|i| {
            format!(
                "{}_{}_TCP_{}_{}_{}",
                i % 1024,
                i / 1024,
                i % 7,
                i % 13,
                i % 5
            )
        })
        .collect();
    let mut state = 7u64;
    let doc_topic: Vec<f64> = (0..docs * k).map(|_| splitmix(&mut state)).collect();
    let word_topic: Vec<f64> = (0..words * k).map(|_| splitmix(&mut state)).collect();
    let config = LdaConfig {
        topics: k,
        ..LdaConfig::default()
    };
    let model = FittedModel::from_counts(config, doc_names, word_names, doc_topic, word_topic);

    let cpu = procstat::cpu_seconds();
    let start = Instant::now();
    model.save(&path)?;
    let save = start.elapsed().as_secs_f64();
    let save_cpu = procstat::cpu_since(cpu);
    let bytes = std::fs::metadata(&path)?.len() as f64;

    let cpu = procstat::cpu_seconds();
    let start = Instant::now();
    let back = FittedModel::load(&path)?;
    let load = start.elapsed().as_secs_f64();
    let load_cpu = procstat::cpu_since(cpu);
    let start = Instant::now();
    let last = back.doc_id(&model.doc_names()[docs - 1]);
    let index = start.elapsed().as_secs_f64();
    if last != Some(docs as u32 - 1) || back != model {
        return Err("the loaded model differs from the saved one".into());
    }
    for d in (0..docs).step_by((docs / 1000).max(1)) {
        let (w, doc) = (&model.word_names()[d % words], &model.doc_names()[d]);
        if back.word_prob(w, doc).to_bits() != model.word_prob(w, doc).to_bits() {
            return Err(format!("score of ({w}, {doc}) differs after loading").into());
        }
    }
    let mib = bytes / (1 << 20) as f64;
    println!(
        "{docs}\t{words}\t{k}\t{mib:.1}\t{save:.3}\t{save_cpu}\t{load:.3}\t{load_cpu}\t{index:.3}\t{:.0}",
        mib / load
    );
    Ok(())
}
