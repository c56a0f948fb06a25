//! `spot demo`: a synthetic day, analysed end to end.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
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
}

pub fn generate_flow(args: &GenerateFlowArgs) -> Result<()> {
    let day = flow_day(&FlowDayConfig {
        seed: args.seed,
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
            "  injected {:<13} {} -> {} ({} records)",
            a.kind.label(),
            a.attacker,
            a.target,
            a.records
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
            "  injected {:<13} {} -> {} ({} records)",
            a.kind.label(),
            a.attacker,
            a.target,
            a.records
        );
    }

    let out = args.out.join("flow_results.csv");
    let flow_args = FlowArgs {
        input: vec![flows_dir],
        common: CommonArgs {
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
    };
    let (results, _) = crate::flow::run(&flow_args)?;
    print_ranking(&results, args.top, written, &day.attacks)?;
    println!("\nall results: {}", out.display());
    Ok(())
}

fn print_ranking(
    results: &RecordBatch,
    top: usize,
    total: u64,
    attacks: &[spot_synth::InjectedAttack],
) -> Result<()> {
    let get = |name: &str| {
        results
            .column_by_name(name)
            .with_context(|| format!("results have no `{name}` column"))
    };
    let (time, sip, dip, proto) = (
        get(col::TRECEIVED)?,
        get(col::SIP)?,
        get(col::DIP)?,
        get(col::PROTO)?,
    );
    let (time, sip, dip, proto) = (
        time.as_string::<i32>(),
        sip.as_string::<i32>(),
        dip.as_string::<i32>(),
        proto.as_string::<i32>(),
    );
    let sport = get(col::SPORT)?.as_primitive::<Int32Type>().clone();
    let dport = get(col::DPORT)?.as_primitive::<Int32Type>().clone();
    let ibyt = get(col::IBYT)?.as_primitive::<Int64Type>().clone();
    let ipkt = get(col::IPKT)?.as_primitive::<Int64Type>().clone();
    let score = get("score")?.as_primitive::<Float64Type>().clone();
    let attack = get("attack")?.as_string::<i32>().clone();

    println!(
        "\nMost suspicious flows (Apache Spot scores, lowest first) out of {total} records:\n"
    );
    println!(
        "{:>4}  {:>9}  {:<19}  {:>21}  {:>21}  {:<5} {:>11} {:>7}  injected attack",
        "rank", "score", "time", "source", "destination", "proto", "bytes", "packets",
    );
    for i in 0..results.num_rows().min(top) {
        println!(
            "{:>4}  {:>9.2e}  {:<19}  {:>21}  {:>21}  {:<5} {:>11} {:>7}  {}",
            i + 1,
            score.value(i),
            time.value(i),
            format!("{}:{}", sip.value(i), sport.value(i)),
            format!("{}:{}", dip.value(i), dport.value(i)),
            proto.value(i),
            ibyt.value(i),
            ipkt.value(i),
            if attack.is_null(i) {
                "-"
            } else {
                attack.value(i)
            }
        );
    }
    let mut best: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for i in 0..results.num_rows() {
        if attack.is_valid(i) {
            let e = best.entry(attack.value(i)).or_insert((i + 1, 0));
            e.1 += 1;
        }
    }
    println!(
        "\nInjected attacks in the {} results kept:",
        results.num_rows()
    );
    for a in attacks {
        let label = a.kind.label();
        match best.get(label) {
            Some((rank, n)) => println!(
                "  {label:<13} best rank {rank:>5} (top {:.2}% of {total} records), {n} of its {} records kept",
                100.0 * *rank as f64 / total as f64,
                a.records
            ),
            None => println!("  {label:<13} not among the kept results (Spot's score misses it)"),
        }
    }
    Ok(())
}
