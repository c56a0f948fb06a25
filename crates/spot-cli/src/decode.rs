//! `spot decode flow`: flow files (nfcapd, nfdump CSV, Spot CSV, Parquet, folders of them)
//! to one CSV/Parquet file or a Hive-partitioned folder.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use clap::{Args, Subcommand};
use spot_decode::flow::nfdump_flow_schema;
use spot_decode::netflow::capture::CaptureFlows;
use spot_decode::{BatchWriter, FlowReader, HiveWriter};

#[derive(Debug, Subcommand)]
pub enum DecodeCommand {
    /// Flows: nfcapd files (nfdump 1.7, any compression), `nfdump -o csv` output, Spot CSV,
    /// Parquet, folders of them (nfcapd's `nfcapd.YYYYMMDDhhmm` names included), and pcap /
    /// pcapng captures of NetFlow v5/v9/IPFIX export datagrams.
    Flow(FlowArgs),
    /// Proxy logs (Blue Coat W3C ELFF, Squid, Zeek http.log) into Spot's proxy columns.
    Proxy(crate::proxy::DecodeProxyArgs),
    /// DNS from packet captures (pcap, pcapng, gzip): Spot's `dns` columns plus extras.
    Dns(crate::dns::DecodeDnsArgs),
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
    /// Stop at the first unreadable line of a Zeek conn.log (default: count and skip it).
    #[arg(long)]
    strict: bool,
}

pub fn run(cmd: DecodeCommand) -> Result<()> {
    match cmd {
        DecodeCommand::Flow(a) => flow(a),
        DecodeCommand::Proxy(a) => crate::proxy::decode(&a),
        DecodeCommand::Dns(a) => crate::dns::decode(&a),
    }
}

fn is_capture(p: &std::path::Path) -> bool {
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    p.is_file() && (name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".cap"))
}

/// Batches from every input: flow files through [`FlowReader`], captures through the NetFlow
/// decoder.
struct Inputs {
    reader: Option<FlowReader>,
    captures: Vec<PathBuf>,
    batch_size: usize,
}

impl Inputs {
    fn open(inputs: &[PathBuf], batch_size: usize, strict: bool) -> Result<(Self, SchemaRef)> {
        let (captures, files): (Vec<PathBuf>, Vec<PathBuf>) =
            inputs.iter().cloned().partition(|p| is_capture(p));
        let reader = if files.is_empty() {
            None
        } else {
            Some(
                FlowReader::open(&files)?
                    .with_batch_size(batch_size)
                    .with_strict(strict),
            )
        };
        let schema = match &reader {
            Some(r) => r.schema(),
            None => nfdump_flow_schema(),
        };
        if !captures.is_empty() && schema.fields() != nfdump_flow_schema().fields() {
            bail!(
                "captures give nfdump's flow columns; the other inputs have different columns \
                 (decode them separately)"
            );
        }
        Ok((
            Inputs {
                reader,
                captures,
                batch_size,
            },
            schema,
        ))
    }

    fn for_each(&self, mut f: impl FnMut(RecordBatch) -> Result<()>) -> Result<()> {
        if let Some(r) = &self.reader {
            let mut batches = r.batches();
            for b in batches.by_ref() {
                f(b?)?;
            }
            crate::proxy::report_skipped(batches.zeek_lines());
        }
        for c in &self.captures {
            let mut flows = CaptureFlows::open(c)?.with_batch_size(self.batch_size);
            for b in &mut flows {
                f(b?)?;
            }
            let s = flows.decoder_stats();
            eprintln!(
                "{}: {} datagrams, {} flows, {} not NetFlow, {} data sets without template",
                c.display(),
                s.datagrams,
                s.flows,
                flows.stats().not_netflow,
                s.missing_template
            );
        }
        Ok(())
    }
}

fn flow(a: FlowArgs) -> Result<()> {
    let (inputs, schema) = Inputs::open(&a.inputs, a.batch_size, a.strict)?;
    let is_file = a
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("parquet"));
    let files = inputs.reader.as_ref().map_or(0, |r| r.files().count()) + inputs.captures.len();
    let rows = if is_file {
        let mut w = BatchWriter::create(&a.out, &schema)?;
        inputs.for_each(|b| Ok(w.write(&b)?))?;
        w.finish()?
    } else {
        let mut w = HiveWriter::new(&a.out, schema, ["tryear", "trmonth", "trday", "trhour"])
            .with_context(|| format!("writing Hive folder {}", a.out.display()))?;
        inputs.for_each(|b| Ok(w.write(&b)?))?;
        w.finish()?
    };
    eprintln!(
        "{rows} flows from {files} file(s) written to {}",
        a.out.display()
    );
    Ok(())
}
