//! The proxy part of `spot demo`, and `spot generate proxy`: a labeled proxy day written as a
//! Blue Coat ELFF log, analysed in both modes.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Float64Type;
use clap::Args;
use spot_synth::{ProxyDay, ProxyDayConfig, proxy_day};

use crate::flow::{CommonArgs, Mode};
use crate::proxy::{ProxyArgs, ProxyInputArgs};

#[derive(Args, Debug, Clone)]
pub struct GenerateProxyArgs {
    /// Output folder: `proxy.log` (Blue Coat ELFF), `top-domains.csv`, `labels.csv`
    /// (`row_id,attack`, for `spot eval --labels`).
    #[arg(long)]
    pub out: PathBuf,
    /// Approximate number of requests.
    #[arg(long, default_value_t = 60_000)]
    pub requests: usize,
    /// Seed of the generated day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// The files of a written proxy day.
pub struct ProxyDayFiles {
    pub log: PathBuf,
    pub top_domains: PathBuf,
    pub labels: PathBuf,
}

/// Writes `day` into `dir` (created if needed).
pub fn write_day(day: &ProxyDay, dir: &Path) -> Result<ProxyDayFiles> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = ProxyDayFiles {
        log: dir.join("proxy.log"),
        top_domains: dir.join("top-domains.csv"),
        labels: dir.join("labels.csv"),
    };
    let create = |p: &Path| -> Result<std::io::BufWriter<std::fs::File>> {
        Ok(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        ))
    };
    let mut w = create(&files.log)?;
    day.write_elff(&mut w)?;
    std::io::Write::flush(&mut w)?;
    let mut w = create(&files.top_domains)?;
    day.write_top_domains(&mut w)?;
    std::io::Write::flush(&mut w)?;
    let mut w = create(&files.labels)?;
    day.write_labels(&mut w)?;
    std::io::Write::flush(&mut w)?;
    Ok(files)
}

fn print_attacks(day: &ProxyDay) {
    for a in &day.attacks {
        eprintln!(
            "  injected {:<16} {} -> {} ({} requests)",
            a.kind.label(),
            a.client,
            a.host,
            a.requests
        );
    }
}

/// `spot generate proxy`.
pub fn generate(args: &GenerateProxyArgs) -> Result<()> {
    let day = proxy_day(&ProxyDayConfig {
        seed: args.seed,
        ..ProxyDayConfig::with_requests(args.requests)
    });
    let files = write_day(&day, &args.out)?;
    eprintln!(
        "wrote {} proxy requests to {} (labels: {}, top domains: {})",
        day.requests.len(),
        files.log.display(),
        files.labels.display(),
        files.top_domains.display()
    );
    print_attacks(&day);
    Ok(())
}

/// The arguments `spot ml proxy` gets in the demo.
pub fn demo_args(files: &ProxyDayFiles, out: PathBuf, mode: Mode, seed: u64) -> ProxyArgs {
    ProxyArgs {
        input: ProxyInputArgs {
            input: vec![files.log.clone()],
            format: None,
            strict: true,
        },
        common: CommonArgs {
            mode,
            out,
            threshold: 1.0,
            max_results: Some(3000),
            topics: 20,
            iterations: 20,
            alpha: 1.02,
            beta: 1.001,
            seed,
            feedback: None,
            dupfactor: 1000,
            invalid_out: None,
            batch_size: spot_decode::proxy::DEFAULT_BATCH_SIZE,
            model: Default::default(),
        },
        top_domains: Some(files.top_domains.clone()),
        user_domain: None,
        entities: None,
    }
}

/// Best (1-based) rank of each attack label among `results` (joined on `row_id`).
pub fn best_ranks(results: &RecordBatch, day: &ProxyDay) -> Result<BTreeMap<&'static str, usize>> {
    let ids = results
        .column_by_name("row_id")
        .context("results have no `row_id` column")?
        .as_string_opt::<i32>()
        .context("`row_id` is not text")?;
    let mut best = BTreeMap::new();
    for i in 0..results.num_rows() {
        let Some(id) = ids.is_valid(i).then(|| ids.value(i)) else {
            continue;
        };
        if let Some(kind) = id
            .parse::<usize>()
            .ok()
            .and_then(|id| day.requests.get(id))
            .and_then(|r| r.attack)
        {
            best.entry(kind.label()).or_insert(i + 1);
        }
    }
    Ok(best)
}

/// The proxy part of `spot demo`: writes the day under `dir/proxy`, analyses it in both modes,
/// prints the top of the default ranking and the attacks' best ranks.
pub fn run(dir: &Path, seed: u64, users: usize, top: usize) -> Result<()> {
    let day = proxy_day(&ProxyDayConfig {
        seed,
        users,
        ..ProxyDayConfig::default()
    });
    let files = write_day(&day, &dir.join("proxy"))?;
    let total = day.requests.len();
    eprintln!(
        "\ngenerated {total} proxy requests of a synthetic day ({users} users) in {}",
        files.log.display()
    );
    print_attacks(&day);
    let out = dir.join("proxy_results.csv");
    let spot_out = dir.join("proxy_results_spot_mode.csv");
    let (results, _) = crate::proxy::run(&demo_args(&files, out.clone(), Mode::Combined, seed))?;
    let (spot, _) = crate::proxy::run(&demo_args(&files, spot_out.clone(), Mode::Spot, seed))?;

    let labels: HashMap<usize, &'static str> = day
        .requests
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.attack.map(|a| (i, a.label())))
        .collect();
    let col = |name: &str| -> Result<&arrow::array::StringArray> {
        results
            .column_by_name(name)
            .and_then(|c| c.as_string_opt::<i32>())
            .with_context(|| format!("results have no text `{name}` column"))
    };
    let (client, host, reason, ids) = (
        col("clientip")?,
        col("host")?,
        col("reason")?,
        col("row_id")?,
    );
    let score = results
        .column_by_name("score")
        .context("results have no `score` column")?
        .as_primitive::<Float64Type>();
    println!("\nMost suspicious web requests out of {total} (default mode):\n");
    println!(
        "{:>4}  {:>5}  {:<15}  {:<28}  {:<16}  reason",
        "rank", "score", "client", "host", "injected"
    );
    for i in 0..results.num_rows().min(top) {
        let injected = ids
            .value(i)
            .parse::<usize>()
            .ok()
            .and_then(|id| labels.get(&id).copied())
            .unwrap_or("-");
        let mut why = reason.value(i).to_string();
        if why.chars().count() > 100 {
            why = why.chars().take(97).collect::<String>() + "...";
        }
        let mut h = host.value(i).to_string();
        if h.chars().count() > 28 {
            h = h.chars().take(25).collect::<String>() + "...";
        }
        println!(
            "{:>4}  {:>5.3}  {:<15}  {:<28}  {:<16}  {}",
            i + 1,
            score.value(i),
            client.value(i),
            h,
            injected,
            why
        );
    }
    let (d, s) = (best_ranks(&results, &day)?, best_ranks(&spot, &day)?);
    let show = |m: &BTreeMap<&str, usize>, label: &str| match m.get(label) {
        Some(rank) => format!(
            "{rank:>6} (top {:.2}%)",
            100.0 * *rank as f64 / total as f64
        ),
        None => format!("{:>6} (not kept)", "-"),
    };
    println!(
        "\nBest rank of each injected proxy attack (of {total} requests; 3000 results kept per mode):\n"
    );
    println!(
        "  {:<16}  {:<20}  {:<20}",
        "attack", "default mode", "Apache Spot mode"
    );
    for a in &day.attacks {
        let label = a.kind.label();
        println!(
            "  {label:<16}  {:<20}  {:<20}",
            show(&d, label),
            show(&s, label)
        );
    }
    println!(
        "\nproxy results: {} (Apache Spot mode: {}); labels: {}",
        out.display(),
        spot_out.display(),
        files.labels.display()
    );
    Ok(())
}
