//! `spot decode flow`: flow files (nfcapd, nfdump CSV, Spot CSV, Parquet, folders of them)
//! to one CSV/Parquet file or a Hive-partitioned folder.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use spot_decode::{BatchWriter, FlowReader, HiveWriter};

#[derive(Debug, Subcommand)]
pub enum DecodeCommand {
    /// Flows: nfcapd files (nfdump 1.7, any compression), `nfdump -o csv` output, Spot CSV,
    /// Parquet, or folders of them (nfcapd's `nfcapd.YYYYMMDDhhmm` names included).
    Flow(FlowArgs),
}

#[derive(Debug, Args)]
pub struct FlowArgs {
    /// Input files or folders.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output: a `.csv` or `.parquet` file, or a folder for Hive-partitioned Parquet
    /// (`y=YYYY/m=MM/d=DD/h=HH/`, Spot's `flow` table layout).
    #[arg(long)]
    out: PathBuf,
    /// Rows per batch.
    #[arg(long, default_value_t = 64 * 1024)]
    batch_size: usize,
}

pub fn run(cmd: DecodeCommand) -> Result<()> {
    match cmd {
        DecodeCommand::Flow(a) => flow(a),
    }
}

fn flow(a: FlowArgs) -> Result<()> {
    let reader = FlowReader::open(&a.inputs)?.with_batch_size(a.batch_size);
    let schema = reader.schema();
    let is_file = a
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("parquet"));
    let files = reader.files().count();
    let rows = if is_file {
        let mut w = BatchWriter::create(&a.out, &schema)?;
        for b in reader.batches() {
            w.write(&b?)?;
        }
        w.finish()?
    } else {
        let mut w = HiveWriter::new(&a.out, schema, ["tryear", "trmonth", "trday", "trhour"])
            .with_context(|| format!("writing Hive folder {}", a.out.display()))?;
        for b in reader.batches() {
            w.write(&b?)?;
        }
        w.finish()?
    };
    eprintln!(
        "{rows} flows from {files} file(s) written to {}",
        a.out.display()
    );
    Ok(())
}
