//! The DNS part of `spot demo` and `spot generate dns`: a labeled synthetic day written as a
//! real packet capture, decoded by our reader and analysed in both modes.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use clap::Args;
use spot_synth::{DnsAttackKind, DnsDay, DnsDayConfig, write_dns_day};

use crate::dns::{CaptureArgs, DnsArgs};
use crate::flow::{CommonArgs, Mode};

/// File names inside the folder of a generated DNS day.
pub const PCAP: &str = "dns.pcap";
pub const TOP_DOMAINS: &str = "top_domains.csv";
pub const LABELS: &str = "labels.csv";
/// The company's own domain label in the generated day (`intra.acme.com`).
pub const USER_DOMAIN: &str = "acme";

#[derive(Args, Debug, Clone)]
pub struct GenerateDnsArgs {
    /// Folder for `dns.pcap` (Ethernet/IPv4/UDP queries and responses), `top_domains.csv`
    /// (`rank,domain`) and `labels.csv` (`row_id,attack`, `row_id` = the response's frame
    /// number).
    #[arg(long)]
    pub out: PathBuf,
    /// Approximate number of DNS responses (the capture holds twice as many packets;
    /// ≈ 270 bytes per lookup, so 4,000,000 gives ≈ 1 GB).
    #[arg(long, default_value_t = 45_000)]
    pub records: usize,
    /// Seed of the generated day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Writes the three files of a day into `dir`.
pub fn write_day(dir: &Path, cfg: &DnsDayConfig) -> Result<DnsDay> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let create = |name: &str| {
        let p = dir.join(name);
        std::fs::File::create(&p).with_context(|| format!("creating {}", p.display()))
    };
    let labels = std::io::BufWriter::new(create(LABELS)?);
    let day = write_dns_day(cfg, create(PCAP)?, labels)
        .with_context(|| format!("writing {}", dir.join(PCAP).display()))?;
    std::fs::write(dir.join(TOP_DOMAINS), spot_synth::top_domains_csv())
        .with_context(|| format!("writing {}", dir.join(TOP_DOMAINS).display()))?;
    Ok(day)
}

fn print_injected(day: &DnsDay) {
    for a in &day.attacks {
        eprintln!(
            "  injected {:<11} {} -> {} ({} records)",
            a.kind.label(),
            a.client,
            a.target,
            a.records
        );
    }
}

/// `spot generate dns`.
pub fn generate(args: &GenerateDnsArgs) -> Result<()> {
    let day = write_day(
        &args.out,
        &DnsDayConfig {
            seed: args.seed,
            ..DnsDayConfig::with_records(args.records)
        },
    )?;
    eprintln!(
        "wrote {} packets ({} DNS responses, {} bytes) to {}, with {} and {}",
        day.packets,
        day.responses,
        day.bytes,
        args.out.join(PCAP).display(),
        TOP_DOMAINS,
        LABELS
    );
    print_injected(&day);
    Ok(())
}

/// The analysis of a generated day's capture, as `spot ml dns` runs it.
pub fn ml_args(dir: &Path, mode: Mode, out: PathBuf, seed: u64) -> DnsArgs {
    DnsArgs {
        input: vec![dir.join(PCAP)],
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
            batch_size: spot_decode::dns::DEFAULT_BATCH_SIZE,
            model: Default::default(),
        },
        capture: CaptureArgs {
            queries: false,
            dns_port: 53,
            strict: true,
        },
        top_domains: Some(dir.join(TOP_DOMAINS)),
        user_domain: Some(USER_DOMAIN.into()),
        entities: None,
    }
}

/// Frame number → attack label.
fn read_labels(path: &Path) -> Result<HashMap<i64, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut labels = HashMap::new();
    for line in text.lines().skip(1) {
        if let Some((id, attack)) = line.split_once(',')
            && !attack.is_empty()
            && let Ok(id) = id.parse()
        {
            labels.insert(id, attack.to_string());
        }
    }
    Ok(labels)
}

/// `spot demo`'s DNS part: generate, decode and analyse a day, print the top and the ranks.
pub fn run(out: &Path, seed: u64, top: usize) -> Result<()> {
    let dir = out.join("dns");
    let day = write_day(
        &dir,
        &DnsDayConfig {
            seed,
            ..DnsDayConfig::default()
        },
    )?;
    eprintln!(
        "\ngenerated a synthetic DNS day: {} packets, {} responses in {}",
        day.packets,
        day.responses,
        dir.join(PCAP).display()
    );
    print_injected(&day);
    let default_out = out.join("dns_results.csv");
    let spot_out = out.join("dns_results_spot_mode.csv");
    let (results, _) = crate::dns::run(&ml_args(&dir, Mode::Combined, default_out.clone(), seed))?;
    let (spot_results, _) = crate::dns::run(&ml_args(&dir, Mode::Spot, spot_out.clone(), seed))?;
    let labels = read_labels(&dir.join(LABELS))?;
    print_top(&results, &labels, top, day.responses)?;
    let (d, s) = (
        best_ranks(&results, &labels)?,
        best_ranks(&spot_results, &labels)?,
    );
    let show = |m: &BTreeMap<String, usize>, label: &str| match m.get(label) {
        Some(rank) => format!(
            "{rank:>6} (top {:.2}%)",
            100.0 * *rank as f64 / day.responses as f64
        ),
        None => format!("{:>6} (not kept)", "-"),
    };
    println!(
        "\nBest rank of each injected DNS attack (of {} responses; 3000 results kept per mode):\n",
        day.responses
    );
    println!(
        "  {:<11}  {:<20}  {:<20}",
        "attack", "default mode", "Apache Spot mode"
    );
    for kind in DnsAttackKind::ALL {
        let label = kind.label();
        println!(
            "  {label:<11}  {:<20}  {:<20}",
            show(&d, label),
            show(&s, label)
        );
    }
    println!(
        "\nall DNS results: {} (Apache Spot mode: {}); labels: {}",
        default_out.display(),
        spot_out.display(),
        dir.join(LABELS).display()
    );
    Ok(())
}

fn column<'a>(results: &'a RecordBatch, name: &str) -> Result<&'a arrow::array::ArrayRef> {
    results
        .column_by_name(name)
        .with_context(|| format!("results have no `{name}` column"))
}

fn best_ranks(
    results: &RecordBatch,
    labels: &HashMap<i64, String>,
) -> Result<BTreeMap<String, usize>> {
    let frame = column(results, "frame_number")?.as_primitive::<Int64Type>();
    let mut best = BTreeMap::new();
    for i in 0..results.num_rows() {
        if let Some(l) = labels.get(&frame.value(i)) {
            best.entry(l.clone()).or_insert(i + 1);
        }
    }
    Ok(best)
}

fn print_top(
    results: &RecordBatch,
    labels: &HashMap<i64, String>,
    top: usize,
    total: u64,
) -> Result<()> {
    let time = column(results, "frame_time")?.as_string::<i32>();
    let client = column(results, "ip_dst")?.as_string::<i32>();
    let name = column(results, "dns_qry_name")?.as_string::<i32>();
    let qtype = column(results, "dns_qry_type")?.as_primitive::<Int32Type>();
    let rcode = column(results, "dns_qry_rcode")?.as_primitive::<Int32Type>();
    let frame = column(results, "frame_number")?.as_primitive::<Int64Type>();
    let score = column(results, "score")?.as_primitive::<Float64Type>();
    let reason = column(results, "reason")?.as_string::<i32>();
    println!(
        "\nMost suspicious DNS responses out of {total} (default mode: Apache Spot's topic score + detectors):\n"
    );
    println!(
        "{:>4}  {:>5}  {:<15}  {:<15}  {:<36}  {:>5}  {:>5}  {:<11}  reason",
        "rank", "score", "time", "client", "query", "qtype", "rcode", "injected"
    );
    let short = |s: &str, n: usize| {
        if s.chars().count() > n {
            s.chars().take(n - 3).collect::<String>() + "..."
        } else {
            s.to_string()
        }
    };
    for i in 0..results.num_rows().min(top) {
        // "Nov 25, 2026 09:38:00.033394000 UTC" → "09:38:00.033394"
        let t = time.value(i);
        let clock = t.get(13..28).unwrap_or(t);
        println!(
            "{:>4}  {:>5.3}  {:<15}  {:<15}  {:<36}  {:>5}  {:>5}  {:<11}  {}",
            i + 1,
            score.value(i),
            clock,
            client.value(i),
            short(name.value(i), 36),
            qtype.value(i),
            rcode.value(i),
            labels.get(&frame.value(i)).map_or("-", String::as_str),
            short(reason.value(i), 110)
        );
    }
    Ok(())
}
