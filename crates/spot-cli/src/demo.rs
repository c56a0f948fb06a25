//! `spot demo`: a synthetic day, analysed end to end.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type};
use clap::Args;
use spot_decode::HiveWriter;
use spot_decode::schema::flow as col;
use spot_synth::{FlowDayConfig, flow_day};

use crate::flow::{CommonArgs, FlowArgs};

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Folder for the generated data and the results.
    #[arg(long, default_value = "spot-demo")]
    pub out: PathBuf,
    /// Seed of the generated day and of the model.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Workstations in the synthetic network (≈ 600 flow records each).
    #[arg(long, default_value_t = 250)]
    pub workstations: usize,
    /// Rows of the ranking to print.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Users in the synthetic proxy day (≈ 400 requests each).
    #[arg(long, default_value_t = 80)]
    pub proxy_users: usize,
}

#[derive(Args, Debug, Clone)]
pub struct GenerateFlowArgs {
    /// Output: a `.csv` or `.parquet` file, or a folder for Hive-partitioned Parquet.
    #[arg(long)]
    pub out: PathBuf,
    /// Approximate number of records.
    #[arg(long, default_value_t = 150_000)]
    pub records: usize,
    /// Seed of the generated day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seed of the network (hosts, sites) when several days must share it; default: `--seed`.
    #[arg(long)]
    pub network_seed: Option<u64>,
}

pub fn generate_flow(args: &GenerateFlowArgs) -> Result<()> {
    let day = flow_day(&FlowDayConfig {
        seed: args.seed,
        network_seed: args.network_seed,
        ..FlowDayConfig::with_records(args.records)
    });
    let n = if args.out.extension().is_some() {
        let mut w = spot_decode::BatchWriter::create(&args.out, &day.batch.schema())?;
        w.write(&day.batch)?;
        w.finish()?
    } else {
        write_hive(&args.out, &day.batch)?
    };
    eprintln!("wrote {n} flow records to {}", args.out.display());
    for a in &day.attacks {
        eprintln!(
            "  injected {:<13} {} -> {} ({} records): {}",
            a.kind.label(),
            a.attacker,
            a.target,
            a.records,
            a.variant
        );
    }
    Ok(())
}

fn write_hive(dir: &std::path::Path, batch: &RecordBatch) -> Result<u64> {
    let mut w = HiveWriter::new(
        dir,
        batch.schema(),
        [col::TRYEAR, col::TRMONTH, col::TRDAY, col::TRHOUR],
    )?;
    w.write(batch)?;
    Ok(w.finish()?)
}

pub fn run(args: &DemoArgs) -> Result<()> {
    let day = flow_day(&FlowDayConfig {
        seed: args.seed,
        workstations: args.workstations,
        ..FlowDayConfig::default()
    });
    let flows_dir = args.out.join("flows");
    if flows_dir.exists() {
        std::fs::remove_dir_all(&flows_dir)
            .with_context(|| format!("clearing {}", flows_dir.display()))?;
    }
    let written = write_hive(&flows_dir, &day.batch)?;
    eprintln!(
        "generated {written} flow records of a synthetic day ({} workstations) in {}/y=*/m=*/d=*/h=*/",
        args.workstations,
        flows_dir.display()
    );
    for a in &day.attacks {
        eprintln!(
            "  injected {:<13} {} -> {} ({} records): {}",
            a.kind.label(),
            a.attacker,
            a.target,
            a.records,
            a.variant
        );
    }

    let out = args.out.join("flow_results.csv");
    let flow_args = FlowArgs {
        input: vec![flows_dir],
        common: CommonArgs {
            mode: crate::flow::Mode::Combined,
            out: out.clone(),
            threshold: 1.0,
            max_results: Some(3000),
            topics: 20,
            iterations: 20,
            alpha: 1.02,
            beta: 1.001,
            seed: args.seed,
            feedback: None,
            dupfactor: 1000,
            invalid_out: None,
            batch_size: spot_decode::flow::DEFAULT_BATCH_SIZE,
            model: Default::default(),
        },
        feedback_proto: "TCP".into(),
        entities: Some(args.out.join("flow_entities.csv")),
        strict: true,
    };
    let (results, _) = crate::flow::run(&flow_args)?;
    let spot_out = args.out.join("flow_results_spot_mode.csv");
    let mut spot_args = flow_args.clone();
    spot_args.common.mode = crate::flow::Mode::Spot;
    spot_args.common.out = spot_out.clone();
    spot_args.entities = None;
    let (spot_results, _) = crate::flow::run(&spot_args)?;
    print_top(&results, args.top, written)?;
    print_entities(&results, 10)?;
    print_attacks(&results, &spot_results, written, &day.attacks)?;
    println!(
        "\nall results: {} (Apache Spot mode: {}); entity view: {}",
        out.display(),
        spot_out.display(),
        args.out.join("flow_entities.csv").display()
    );
    crate::demo_dns::run(&args.out, args.seed, args.top)?;
    crate::demo_proxy::run(&args.out, args.seed, args.proxy_users, args.top)?;
    Ok(())
}

fn column<'a>(results: &'a RecordBatch, name: &str) -> Result<&'a arrow::array::ArrayRef> {
    results
        .column_by_name(name)
        .with_context(|| format!("results have no `{name}` column"))
}

fn print_top(results: &RecordBatch, top: usize, total: u64) -> Result<()> {
    let time = column(results, col::TRECEIVED)?.as_string::<i32>();
    let sip = column(results, col::SIP)?.as_string::<i32>();
    let dip = column(results, col::DIP)?.as_string::<i32>();
    let proto = column(results, col::PROTO)?.as_string::<i32>();
    let sport = column(results, col::SPORT)?.as_primitive::<Int32Type>();
    let dport = column(results, col::DPORT)?.as_primitive::<Int32Type>();
    let score = column(results, "score")?.as_primitive::<Float64Type>();
    let attack = column(results, "attack")?.as_string::<i32>();
    let reason = column(results, "reason")?.as_string::<i32>();
    println!(
        "\nMost suspicious flows out of {total} records (default mode: Apache Spot's topic score + detectors):\n"
    );
    println!(
        "{:>4}  {:>5}  {:<19}  {:>21}  {:>21}  {:<5}  {:<13}  reason",
        "rank", "score", "time", "source", "destination", "proto", "injected"
    );
    for i in 0..results.num_rows().min(top) {
        let mut why = reason.value(i).to_string();
        if why.chars().count() > 110 {
            why = why.chars().take(107).collect::<String>() + "...";
        }
        println!(
            "{:>4}  {:>5.3}  {:<19}  {:>21}  {:>21}  {:<5}  {:<13}  {}",
            i + 1,
            score.value(i),
            time.value(i),
            format!("{}:{}", sip.value(i), sport.value(i)),
            format!("{}:{}", dip.value(i), dport.value(i)),
            proto.value(i),
            if attack.is_null(i) {
                "-"
            } else {
                attack.value(i)
            },
            why
        );
    }
    Ok(())
}

/// The most suspicious host pairs of the entity view.
fn print_entities(results: &RecordBatch, top: usize) -> Result<()> {
    let view = spot_score::entities::entity_view(results, &spot_score::entities::EntitySpec::FLOW)?;
    let level = column(&view, "level")?.as_string::<i32>();
    let entity = column(&view, "entity")?.as_string::<i32>();
    let rows = column(&view, "rows")?.as_primitive::<arrow::datatypes::UInt64Type>();
    let rank = column(&view, "best_rank")?.as_primitive::<arrow::datatypes::Int64Type>();
    let signals = column(&view, "signals")?.as_string::<i32>();
    println!("\nMost suspicious host pairs (entity view):\n");
    println!("{:>9}  {:>6}  {:<36}  signals", "best rank", "rows", "pair");
    let pairs = (0..view.num_rows()).filter(|&i| level.value(i) == "pair");
    for i in pairs.take(top) {
        println!(
            "{:>9}  {:>6}  {:<36}  {}",
            rank.value(i),
            rows.value(i),
            entity.value(i),
            if signals.value(i).is_empty() {
                "topic"
            } else {
                signals.value(i)
            }
        );
    }
    Ok(())
}

/// Best rank and number of kept records of each injected attack.
fn best_ranks(results: &RecordBatch) -> Result<BTreeMap<String, (usize, usize)>> {
    let attack = column(results, "attack")?.as_string::<i32>();
    let mut best: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for i in 0..results.num_rows() {
        if attack.is_valid(i) {
            best.entry(attack.value(i).to_string())
                .or_insert((i + 1, 0))
                .1 += 1;
        }
    }
    Ok(best)
}

fn print_attacks(
    default: &RecordBatch,
    spot: &RecordBatch,
    total: u64,
    attacks: &[spot_synth::InjectedAttack],
) -> Result<()> {
    let (d, s) = (best_ranks(default)?, best_ranks(spot)?);
    let show = |m: &BTreeMap<String, (usize, usize)>, label: &str| match m.get(label) {
        Some((rank, _)) => format!(
            "{rank:>6} (top {:.2}%)",
            100.0 * *rank as f64 / total as f64
        ),
        None => format!("{:>6} (not kept)", "-"),
    };
    println!(
        "\nBest rank of each injected attack (of {total} records; 3000 results kept per mode):\n"
    );
    println!(
        "  {:<13}  {:<20}  {:<20}",
        "attack", "default mode", "Apache Spot mode"
    );
    for a in attacks {
        let label = a.kind.label();
        println!(
            "  {label:<13}  {:<20}  {:<20}",
            show(&d, label),
            show(&s, label)
        );
    }
    Ok(())
}
