//! The `spot` command.

mod collect;
mod decode;

use clap::{Parser, Subcommand};

/// Find the few suspicious events among billions of network records.
#[derive(Debug, Parser)]
#[command(name = "spot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert telemetry to Spot's tables (CSV, Parquet or Hive folders).
    Decode {
        #[command(subcommand)]
        what: decode::DecodeCommand,
    },
    /// Collect NetFlow v5/v9/IPFIX over UDP into Hive-partitioned Parquet.
    Collect(collect::CollectArgs),
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Decode { what } => decode::run(what),
        Command::Collect(args) => collect::run(args),
    };
    if let Err(e) = r {
        eprintln!("spot: {e:#}");
        std::process::exit(1);
    }
}
