//! The `spot` command line: a thin shell over the spot crates.

mod collect;
mod decode;
mod demo;
mod demo_dns;
mod demo_proxy;
mod dns;
mod eval;
mod flow;
mod progress;
mod proxy;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Find the few suspicious events among network records (Apache Spot's suspicious-connects
/// analysis, without Hadoop).
#[derive(Parser)]
#[command(name = "spot", version, about, long_about = None)]
struct Cli {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a suspicious-connects analysis.
    #[command(subcommand)]
    Ml(MlCommand),
    /// Train a topic model and save it (`spot ml` up to the model; `--model-out` required).
    #[command(subcommand)]
    Train(TrainCommand),
    /// Score with a saved model (`spot ml` with `--model` required).
    #[command(subcommand)]
    Score(ScoreCommand),
    /// Generate a synthetic day with injected attacks, analyse it and show the top results.
    Demo(demo::DemoArgs),
    /// Ranking quality of a results file against labels (best rank per attack, recall, average
    /// precision).
    Eval(eval::EvalArgs),
    /// Write a synthetic day of labeled records (for tests, benchmarks, evaluation).
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Convert telemetry to Spot's tables (CSV, Parquet or Hive folders).
    #[command(subcommand)]
    Decode(decode::DecodeCommand),
    /// Collect NetFlow v5/v9/IPFIX over UDP into Hive-partitioned Parquet.
    Collect(collect::CollectArgs),
}

#[derive(Subcommand)]
enum GenerateCommand {
    /// Flow records: `.csv`, `.parquet`, or a folder (Hive `y=/m=/d=/h=` Parquet layout).
    Flow(demo::GenerateFlowArgs),
    /// A DNS day: a pcap of queries and responses, a top-domains file and `row_id,attack` labels.
    Dns(demo_dns::GenerateDnsArgs),
    /// Proxy requests: a Blue Coat ELFF log, a top-domains CSV and a labels file in a folder.
    Proxy(demo_proxy::GenerateProxyArgs),
}

#[derive(Subcommand)]
enum TrainCommand {
    /// Network flows: the corpus and training of `spot ml flow`, then `--model-out FILE`.
    #[command(
        mut_arg("out", |a| a.required(false).hide(true).default_value("-")),
        mut_arg("model_out", |a| a.required(true)),
        mut_arg("model", |a| a.hide(true)),
        mut_arg("unseen", |a| a.hide(true)),
        mut_arg("threshold", |a| a.hide(true)),
        mut_arg("max_results", |a| a.hide(true)),
        mut_arg("mode", |a| a.hide(true))
    )]
    Flow(flow::FlowArgs),
}

#[derive(Subcommand)]
enum ScoreCommand {
    /// Network flows: `spot ml flow --model FILE` (no training).
    #[command(mut_arg("model", |a| a.required(true)))]
    Flow(flow::FlowArgs),
}

#[derive(Subcommand)]
enum MlCommand {
    /// Network flows (Spot CSV, nfdump CSV, nfcapd files, Zeek conn.log, Parquet files or Hive
    /// folders).
    Flow(flow::FlowArgs),
    /// Proxy logs (Blue Coat W3C ELFF, Squid, Zeek http.log).
    Proxy(proxy::ProxyArgs),
    /// DNS responses from packet captures (pcap, pcapng, gzip), Zeek dns.log, or decoded records
    /// (CSV, Parquet, Hive folders).
    Dns(dns::DnsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
    {
        eprintln!("error: cannot start {n} threads: {e}");
        return ExitCode::FAILURE;
    }
    progress::install_interrupt_handler();
    let result = match cli.command {
        Command::Ml(MlCommand::Flow(args)) => flow::run(&args).map(|_| ()),
        Command::Train(TrainCommand::Flow(args)) => flow::train(&args).map(|_| ()),
        Command::Score(ScoreCommand::Flow(args)) => flow::run(&args).map(|_| ()),
        Command::Ml(MlCommand::Proxy(args)) => proxy::run(&args).map(|_| ()),
        Command::Demo(args) => demo::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Generate(GenerateCommand::Flow(args)) => demo::generate_flow(&args),
        Command::Generate(GenerateCommand::Dns(args)) => demo_dns::generate(&args),
        Command::Generate(GenerateCommand::Proxy(args)) => demo_proxy::generate(&args),
        Command::Ml(MlCommand::Dns(args)) => dns::run(&args).map(|_| ()),
        Command::Decode(cmd) => decode::run(cmd),
        Command::Collect(args) => collect::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
