//! `spot decode dns` and `spot ml dns`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::Int64Type;
use chrono::{DateTime, Datelike, Timelike};
use clap::Args;
use spot_decode::dns::{
    DnsInputKind, DnsReader, DnsStats, dns_parquet_properties, open_dns_records,
};
use spot_decode::{BatchWriter, DecodeError, FlowReader, OutputFormat, ParquetCompression};
use spot_features::CorpusBuilder;
use spot_features::dns::{DnsWords, add_dns_feedback, dns_feedback_batch, read_dns_feedback};
use spot_features::domain::TopDomains;
use spot_score::{Analysis, Progress, Summary};

use crate::flow::CommonArgs;
use crate::flow::InvalidOut;
use crate::progress::Bars;

/// Capture options shared by `decode dns` and `ml dns`.
#[derive(Args, Debug, Clone)]
pub struct CaptureArgs {
    /// Keep queries too (default: responses only, as Apache Spot).
    #[arg(long)]
    pub queries: bool,
    /// UDP/TCP port that carries DNS.
    #[arg(long, default_value_t = 53)]
    pub dns_port: u16,
    /// Stop a Zeek dns.log at its first unreadable line (default: count and skip it).
    #[arg(long)]
    pub strict: bool,
}

impl CaptureArgs {
    fn reader(&self, inputs: &[PathBuf], batch_size: usize) -> Result<DnsReader> {
        Ok(DnsReader::open(inputs)?
            .with_queries(self.queries)
            .with_dns_port(self.dns_port)
            .with_strict(self.strict)
            .with_batch_size(batch_size))
    }
}

#[derive(Args, Debug, Clone)]
pub struct DecodeDnsArgs {
    /// Capture files (pcap, pcapng, optionally gzip) or folders searched for them.
    #[arg(required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Output: `.csv`, `.parquet`, or a folder for Hive-partitioned Parquet
    /// (`y=YYYY/m=MM/d=DD/h=HH/`, the layout of Spot's `dns` table, hour of `unix_tstamp` UTC).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub capture: CaptureArgs,
    /// Rows per batch.
    #[arg(long, default_value_t = spot_decode::dns::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    /// Codec of Parquet output: zstd (smallest files), lz4 or snappy (about 5 % less CPU for the
    /// whole decoding, files about half again as large), or none.
    #[arg(long, default_value = "zstd")]
    pub compression: ParquetCompression,
}

/// One line per count: packets, messages, rows, skipped by reason.
fn print_stats(stats: &DnsStats) {
    eprintln!(
        "decoded {} files, {} packets, {} DNS messages, {} records",
        stats.files, stats.packets, stats.messages, stats.rows
    );
    let skips: Vec<String> = stats
        .skips()
        .map(|(r, n)| format!("{} {n}", r.name()))
        .collect();
    if !skips.is_empty() {
        eprintln!("  skipped: {}", skips.join(", "));
    }
    if stats.file_errors > 0 {
        eprintln!("  damaged files: {}", stats.file_errors);
    }
    crate::proxy::report_skipped(&stats.zeek_lines);
}

/// Writes batches to Hive-style hourly partitions under a folder.
struct HourlyParquet {
    root: PathBuf,
    props: parquet::file::properties::WriterProperties,
    writers: BTreeMap<(i32, u32, u32, u32), BatchWriter>,
    rows: u64,
}

impl HourlyParquet {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let ts = batch
            .column_by_name("unix_tstamp")
            .and_then(|c| c.as_primitive_opt::<Int64Type>())
            .context("batch has no unix_tstamp column")?;
        let mut parts: BTreeMap<(i32, u32, u32, u32), Vec<u32>> = BTreeMap::new();
        for i in 0..batch.num_rows() {
            let t = if ts.is_null(i) { 0 } else { ts.value(i) };
            let dt = DateTime::from_timestamp(t, 0).unwrap_or_default();
            parts
                .entry((dt.year(), dt.month(), dt.day(), dt.hour()))
                .or_default()
                .push(i as u32);
        }
        for (key, rows) in parts {
            let part = take_record_batch(batch, &UInt32Array::from(rows))?;
            let w = match self.writers.entry(key) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    let (y, m, d, h) = key;
                    let path = self.root.join(format!(
                        "y={y:04}/m={m:02}/d={d:02}/h={h:02}/part-00000.parquet"
                    ));
                    v.insert(BatchWriter::create_with_properties(
                        &path,
                        &batch.schema(),
                        self.props.clone(),
                    )?)
                }
            };
            w.write(&part)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<u64> {
        let mut n = 0;
        for (_, w) in self.writers {
            n += w.finish()?;
        }
        Ok(n.max(self.rows))
    }
}

enum Sink {
    File(Box<BatchWriter>),
    Hive(Box<HourlyParquet>),
}

pub fn decode(args: &DecodeDnsArgs) -> Result<()> {
    let reader = args.capture.reader(&args.input, args.batch_size)?;
    let file = args.out.extension().is_some();
    if file && OutputFormat::from_path(&args.out)? == OutputFormat::Csv {
        return decode_csv(args, &reader);
    }
    let props = dns_parquet_properties(args.compression);
    let mut sink = if file {
        Sink::File(Box::new(BatchWriter::create_with_properties(
            &args.out,
            &reader.schema(),
            props,
        )?))
    } else {
        Sink::Hive(Box::new(HourlyParquet {
            root: args.out.clone(),
            props,
            writers: BTreeMap::new(),
            rows: 0,
        }))
    };
    let mut bars = Bars::new();
    bars.stage("decode", None);
    let mut batches = reader.batches();
    let mut damaged = Vec::new();
    for b in batches.by_ref() {
        if bars.cancelled() {
            bail!("interrupted");
        }
        match b {
            Ok(b) => {
                bars.advance(b.num_rows() as u64);
                match &mut sink {
                    Sink::File(w) => w.write(&b)?,
                    Sink::Hive(h) => h.write(&b)?,
                }
            }
            // A damaged file: its records before the damage are kept; go on with the others.
            Err(e) => {
                eprintln!("warning: {e}");
                damaged.push(e);
            }
        }
    }
    bars.finish();
    let rows = match sink {
        Sink::File(w) => w.finish()?,
        Sink::Hive(h) => (*h).finish()?,
    };
    decoded(args, batches.stats(), rows, damaged)
}

/// `decode dns --out FILE.csv`: the records are written as CSV straight from the parsed
/// messages (the same bytes as their record batches through `BatchWriter`, without building
/// the batches).
fn decode_csv(args: &DecodeDnsArgs, reader: &DnsReader) -> Result<()> {
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut out = spot_decode::OutputFile::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut bars = Bars::new();
    bars.stage("decode", None);
    let mut chunks = reader.csv();
    let mut damaged = Vec::new();
    let mut rows = 0;
    while let Some(chunk) = chunks.next() {
        if bars.cancelled() {
            bail!("interrupted");
        }
        match chunk {
            Ok(text) => out
                .write_all(&text)
                .with_context(|| format!("writing {}", args.out.display()))?,
            // A damaged file: its records before the damage are kept; go on with the others.
            Err(e) => {
                eprintln!("warning: {e}");
                damaged.push(e);
            }
        }
        bars.advance(chunks.stats().rows - rows);
        rows = chunks.stats().rows;
    }
    out.flush()
        .with_context(|| format!("writing {}", args.out.display()))?;
    bars.finish();
    decoded(args, chunks.stats(), rows, damaged)
}

/// The summary of `decode dns`; an error if some inputs were damaged.
fn decoded(
    args: &DecodeDnsArgs,
    stats: &DnsStats,
    rows: u64,
    damaged: Vec<DecodeError>,
) -> Result<()> {
    print_stats(stats);
    eprintln!("wrote {rows} DNS records to {}", args.out.display());
    if let Some(e) = damaged.into_iter().next() {
        return Err(e).context(
            "some capture files are damaged (their records before the damage were written)",
        );
    }
    Ok(())
}

/// The input of `spot ml dns`: captures, or records already decoded.
enum DnsSource {
    Capture(DnsReader),
    Records(FlowReader),
}

type Batches<'a> = Box<dyn Iterator<Item = Result<RecordBatch, DecodeError>> + 'a>;

impl DnsSource {
    /// Captures or decoded records, detected per input; all inputs must be of one kind.
    fn open(inputs: &[PathBuf], capture: &CaptureArgs, batch_size: usize) -> Result<Self> {
        let mut kind = None;
        for p in inputs {
            let k = DnsInputKind::detect(p)?;
            match kind {
                None => kind = Some((k, p)),
                Some((first, q)) if first != k => bail!(
                    "{} holds {} but {} holds {}: give captures or decoded records, not both",
                    q.display(),
                    describe(first),
                    p.display(),
                    describe(k)
                ),
                Some(_) => {}
            }
        }
        Ok(match kind.map(|k| k.0) {
            Some(DnsInputKind::Records) => {
                DnsSource::Records(open_dns_records(inputs)?.with_batch_size(batch_size))
            }
            _ => DnsSource::Capture(capture.reader(inputs, batch_size)?),
        })
    }

    fn schema(&self) -> arrow::datatypes::SchemaRef {
        match self {
            DnsSource::Capture(r) => r.schema(),
            DnsSource::Records(r) => r.schema(),
        }
    }

    fn batches(&self) -> Batches<'_> {
        match self {
            DnsSource::Capture(r) => Box::new(r.batches()),
            DnsSource::Records(r) => Box::new(r.batches()),
        }
    }
}

fn describe(kind: DnsInputKind) -> &'static str {
    match kind {
        DnsInputKind::Capture => "packet captures",
        DnsInputKind::Records => "decoded DNS records",
    }
}

#[derive(Args, Debug, Clone)]
pub struct DnsArgs {
    /// Packet captures (pcap, pcapng, optionally gzip), or DNS records decoded by `spot decode
    /// dns` (CSV, Parquet, Hive folders); files or folders, detected per input.
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub capture: CaptureArgs,
    /// Popular domains (`rank,domain` CSV of the Alexa / Tranco top lists): class 1 in words.
    #[arg(long)]
    pub top_domains: Option<PathBuf>,
    /// Your own domain label (e.g. `intel`): class 2 in words.
    #[arg(long)]
    pub user_domain: Option<String>,
    /// Also write the entity view of the results (one row per client and query name, and per
    /// client, by best rank) to this `.csv` or `.parquet` file.
    #[arg(long)]
    pub entities: Option<PathBuf>,
}

/// DNS entities: a client and the name it asked; a client.
const DNS_ENTITIES: spot_score::entities::EntitySpec<'static> = spot_score::entities::EntitySpec {
    pair: ("ip_dst", "dns_qry_name"),
    unordered: false,
    hosts: &["ip_dst"],
    time: Some("unix_tstamp"),
};

/// Runs the DNS analysis; prints the summary on stderr and returns the results.
pub fn run(args: &DnsArgs) -> Result<(RecordBatch, Summary)> {
    let c = &args.common;
    OutputFormat::from_path(&c.out)?;
    if let Some(p) = &c.invalid_out {
        OutputFormat::from_path(p)?;
    }
    if let Some(p) = &args.entities {
        OutputFormat::from_path(p)?;
    }
    let top = match &args.top_domains {
        Some(p) => TopDomains::from_csv_path(p)?,
        None => TopDomains::default(),
    };
    let creator = DnsWords::new(Arc::new(top), args.user_domain.clone());
    let source = DnsSource::open(&args.input, &args.capture, c.batch_size)?;
    let mut analysis = Analysis::new(&creator, c.config());
    let feedback = c.feedback.as_deref().map(read_dns_feedback).transpose()?;
    if c.mode == crate::flow::Mode::Combined {
        analysis = analysis.with_detectors(spot_score::detect::dns::default_dns_detectors());
        if let Some(rows) = &feedback {
            analysis = analysis.with_low_risk(dns_feedback_batch(rows));
        }
    }
    let mut summary = Summary::default();
    let mut bars = Bars::new().with_iterations(c.model.verbose);
    let mut corpus = CorpusBuilder::new();
    let schema = source.schema();
    let mut invalid = InvalidOut::new(c.invalid_out.as_deref(), schema.clone());
    let mut sink = |b: &RecordBatch| invalid.write(b);
    bars.stage("words", None);
    let stats = match &source {
        DnsSource::Capture(reader) => {
            let mut batches = reader.batches();
            analysis.corpus(
                batches.by_ref(),
                &mut corpus,
                &mut sink,
                &mut summary,
                &mut bars,
            )?;
            Some(batches.stats().clone())
        }
        DnsSource::Records(reader) => {
            analysis.corpus(
                reader.batches(),
                &mut corpus,
                &mut sink,
                &mut summary,
                &mut bars,
            )?;
            None
        }
    };
    invalid.finish()?;
    if let Some(rows) = &feedback {
        summary.feedback_rows = add_dns_feedback(&mut corpus, rows, c.dupfactor, &creator) as u64;
    }
    let model = crate::flow::model(&analysis, corpus, &c.model, &mut summary, &mut bars)?;
    bars.stage("score", Some(summary.read));
    let results = analysis.score(&model, source.batches(), &mut summary, &mut bars)?;
    bars.finish();
    let results = if results.num_columns() == 0 {
        RecordBatch::new_empty(spot_score::scored_schema(&schema))
    } else {
        results
    };
    let start = std::time::Instant::now();
    let mut w = BatchWriter::create(&c.out, &results.schema())?;
    w.write(&results)?;
    w.finish()?;
    if let Some(path) = &args.entities {
        let view = spot_score::entities::entity_view(&results, &DNS_ENTITIES)?;
        let mut w = BatchWriter::create(path, &view.schema())?;
        w.write(&view)?;
        w.finish()?;
    }
    summary.stages.push(("write", start.elapsed()));
    if let Some(stats) = &stats {
        print_stats(stats);
    }
    eprintln!("{summary}");
    Ok((results, summary))
}
