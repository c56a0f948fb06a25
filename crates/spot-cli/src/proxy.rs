//! `spot decode proxy` and `spot ml proxy`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema};
use clap::Args;
use spot_decode::proxy::{
    PARTITION_COLUMNS, ProxyFormat, ProxyReader, ReadStats, proxy_parquet_properties_with,
    with_partition_columns,
};
use spot_decode::{BatchWriter, HiveWriter, ParquetCompression};
use spot_features::domain::TopDomains;
use spot_features::proxy::{ProxyWords, UserAgentCounts, add_proxy_feedback, read_proxy_feedback};
use spot_features::{CorpusBuilder, WordCreator};
use spot_score::{Analysis, Progress, Summary};

use crate::flow::CommonArgs;
use crate::flow::InvalidOut;
use crate::flow::Mode;
use crate::progress::Bars;

/// Where and how to read proxy logs.
#[derive(Args, Debug, Clone)]
pub struct ProxyInputArgs {
    /// Proxy log files or folders: Blue Coat W3C ELFF, Squid access.log, Zeek http.log (TSV or
    /// JSON); plain or gzip.
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Read every input as this format instead of detecting it: elff, squid or zeek.
    #[arg(long)]
    pub format: Option<ProxyFormat>,
    /// Stop at the first line that cannot be read (default: count and skip it).
    #[arg(long)]
    pub strict: bool,
}

impl ProxyInputArgs {
    fn reader(&self, batch_size: usize) -> Result<ProxyReader> {
        let r = match self.format {
            Some(f) => ProxyReader::open_as(&self.input, f)?,
            None => ProxyReader::open(&self.input)?,
        };
        Ok(r.with_strict(self.strict).with_batch_size(batch_size))
    }
}

/// One line on stderr for the lines a read skipped, with the first few errors.
pub(crate) fn report_skipped(stats: &ReadStats) {
    if stats.skipped_total() == 0 {
        return;
    }
    let parts: Vec<String> = stats
        .skipped
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    eprintln!(
        "skipped {} unreadable lines ({})",
        stats.skipped_total(),
        parts.join(", ")
    );
    for e in stats.errors.iter().take(3) {
        eprintln!("  {}:{}: {}", e.path.display(), e.line, e.error);
    }
}

#[derive(Args, Debug, Clone)]
pub struct DecodeProxyArgs {
    #[command(flatten)]
    pub input: ProxyInputArgs,
    /// Output: a `.csv` or `.parquet` file, or a folder for Hive-partitioned Parquet
    /// (`y=YYYY/m=MM/d=DD/h=HH/`, with `y m d h` columns as Spot's proxy table).
    #[arg(long)]
    pub out: PathBuf,
    /// Rows per batch.
    #[arg(long, default_value_t = spot_decode::proxy::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    /// Codec of the Parquet pages: zstd (smallest files), lz4, snappy or none.
    #[arg(long, default_value = "zstd")]
    pub compression: ParquetCompression,
}

/// `spot decode proxy`: logs → CSV, Parquet or a Hive folder.
pub fn decode(args: &DecodeProxyArgs) -> Result<()> {
    let start = std::time::Instant::now();
    let is_file = args.out.extension().is_some_and(|e| {
        let e = e.to_string_lossy().to_ascii_lowercase();
        e == "csv" || e == "parquet" || e == "parq"
    });
    // Parquet is written from dictionary-encoded batches: the same files, written at a
    // fraction of the cost (the writer hashes each distinct value of a batch once).
    let parquet = !is_file
        || spot_decode::OutputFormat::from_path(&args.out)? == spot_decode::OutputFormat::Parquet;
    let reader = args
        .input
        .reader(args.batch_size)?
        .with_dictionary_encoding(parquet);
    let (rows, unpartitioned, stats) = if is_file {
        let schema = reader.text_schema();
        let mut w = BatchWriter::create_with_properties(
            &args.out,
            &schema,
            proxy_parquet_properties_with(&schema, args.compression),
        )?;
        let stats = read_beside(&reader, |b| Ok(w.write(&b)?))?;
        (w.finish()?, 0, stats)
    } else {
        let mut schema_fields: Vec<Field> = reader
            .text_schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for c in PARTITION_COLUMNS {
            schema_fields.push(Field::new(c, arrow::datatypes::DataType::Int32, true));
        }
        let schema = std::sync::Arc::new(Schema::new(schema_fields));
        let props = proxy_parquet_properties_with(&schema, args.compression);
        let mut w = HiveWriter::new(&args.out, schema, PARTITION_COLUMNS)?.with_properties(props);
        let mut dropped = 0u64;
        let stats = read_beside(&reader, |b| {
            let b = with_partition_columns(&b)?;
            // Rows without a readable date and hour have no partition.
            let y = b.column(b.num_columns() - 1).clone();
            let keep = arrow::compute::is_not_null(&y)?;
            dropped += (b.num_rows() - keep.true_count()) as u64;
            let b = arrow::compute::filter_record_batch(&b, &keep)?;
            Ok(w.write(&b)?)
        })?;
        (w.finish()?, dropped, stats)
    };
    let stats = &stats;
    report_skipped(stats);
    if unpartitioned > 0 {
        eprintln!(
            "left out {unpartitioned} records without a readable p_date and p_time (no partition)"
        );
    }
    eprintln!(
        "read {} lines from {} files, wrote {rows} records to {} in {:.2}s",
        stats.lines,
        stats.files,
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Reads every batch of `reader` and hands it to `write`; returns what the read saw. With more
/// than one worker thread (`--threads`), the logs are read on a thread of their own while this
/// one writes, two batches at most in between: the wall time nears the larger of reading and
/// writing instead of their sum, for the same CPU time.
fn read_beside(
    reader: &ProxyReader,
    mut write: impl FnMut(RecordBatch) -> Result<()>,
) -> Result<ReadStats> {
    if rayon::current_num_threads() < 2 {
        let mut batches = reader.batches();
        for b in &mut batches {
            write(b?)?;
        }
        return Ok(batches.stats().clone());
    }
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let read = scope.spawn(move || {
            let mut batches = reader.batches();
            for b in &mut batches {
                let failed = b.is_err();
                if tx.send(b).is_err() || failed {
                    break;
                }
            }
            batches.stats().clone()
        });
        let mut written = Ok(());
        for b in rx.iter() {
            written = b.map_err(anyhow::Error::from).and_then(&mut write);
            if written.is_err() {
                break;
            }
        }
        // A writer that failed stops the reader at its next batch.
        drop(rx);
        let stats = read
            .join()
            .map_err(|_| anyhow::anyhow!("the log reader thread panicked"))?;
        written.map(|()| stats)
    })
}

#[derive(Args, Debug, Clone)]
pub struct ProxyArgs {
    #[command(flatten)]
    pub input: ProxyInputArgs,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Top domains (`rank,domain` CSV such as Alexa/Tranco top-1m, or one domain per line):
    /// hosts in them get class 1.
    #[arg(long)]
    pub top_domains: Option<PathBuf>,
    /// The user's own domain label (`intel` in Spot): hosts in it get class 2.
    #[arg(long)]
    pub user_domain: Option<String>,
    /// Also write the entity view of the results (one row per client → host and per client,
    /// by best rank) to this `.csv` or `.parquet` file.
    #[arg(long)]
    pub entities: Option<PathBuf>,
}

/// Proxy entities: a client and the host it requested; a client.
const PROXY_ENTITIES: spot_score::entities::EntitySpec<'static> =
    spot_score::entities::EntitySpec {
        pair: ("clientip", "host"),
        unordered: false,
        hosts: &["clientip"],
        time: None,
    };

/// `spot ml proxy`: the proxy suspicious-connects analysis; prints the summary on stderr.
pub fn run(args: &ProxyArgs) -> Result<(RecordBatch, Summary)> {
    let c = &args.common;
    spot_decode::OutputFormat::from_path(&c.out)?;
    for p in [&c.invalid_out, &args.entities].into_iter().flatten() {
        spot_decode::OutputFormat::from_path(p)?;
    }
    let reader = args.input.reader(c.batch_size)?;
    let top = match &args.top_domains {
        Some(p) => TopDomains::from_csv_path(p)?,
        None => TopDomains::default(),
    };
    let feedback = match &c.feedback {
        Some(p) => read_proxy_feedback(p)?,
        None => Vec::new(),
    };
    let mut bars = Bars::new().with_iterations(c.model.verbose);
    let mut summary = Summary::default();

    // Pass 0: user agents of the valid records (Spot counted them over what it trained on and
    // over what it scored: the same records, plus the feedback rows for training).
    bars.stage("agents", None);
    let mut scored_agents = UserAgentCounts::default();
    let mut batches = reader.batches();
    for b in &mut batches {
        if bars.cancelled() {
            bail!("interrupted");
        }
        let b = b?;
        scored_agents.add_batch(&b)?;
        bars.advance(b.num_rows() as u64);
    }
    report_skipped(batches.stats());
    let mut train_agents = scored_agents.clone();
    train_agents.add_feedback(&feedback, c.dupfactor);
    let train_words = ProxyWords::new(top.clone(), args.user_domain.clone(), train_agents);
    let score_words = ProxyWords::new(top, args.user_domain.clone(), scored_agents);

    // Pass 1: words and corpus.
    let mut train = Analysis::new(&train_words, c.config());
    if c.mode == Mode::Combined {
        train = train.with_detectors(spot_score::detect::proxy::default_proxy_detectors());
        if !feedback.is_empty() {
            train = train.with_low_risk(low_risk_batch(&feedback)?);
        }
    }
    let mut corpus = CorpusBuilder::new();
    let schema = reader.schema();
    let mut invalid = InvalidOut::new(c.invalid_out.as_deref(), schema.clone());
    let mut sink = |b: &RecordBatch| invalid.write(b);
    bars.stage("words", None);
    train.corpus(
        reader.batches(),
        &mut corpus,
        &mut sink,
        &mut summary,
        &mut bars,
    )?;
    invalid.finish()?;
    summary.feedback_rows =
        add_proxy_feedback(&mut corpus, &feedback, c.dupfactor, &train_words) as u64;
    let model = train
        .fit(corpus, &mut summary, &mut bars)
        .context("training the topic model")?;

    // Pass 2: scores, with the user-agent counts of the scored records.
    bars.stage("score", Some(summary.read));
    // The detectors observed the corpus pass; they score with the scoring words.
    let scorer = train.hand_over(Analysis::new(&score_words, c.config()));
    let results = scorer.score(&model, reader.batches(), &mut summary, &mut bars)?;
    bars.finish();
    let results = with_word_column(&results, &score_words)?;

    let start = std::time::Instant::now();
    let mut w = BatchWriter::create(&c.out, &results.schema())?;
    if results.num_columns() > 0 {
        w.write(&results)?;
    }
    w.finish()?;
    if let Some(path) = &args.entities
        && results.num_columns() > 0
    {
        let view = spot_score::entities::entity_view(&results, &PROXY_ENTITIES)?;
        let mut w = BatchWriter::create(path, &view.schema())?;
        w.write(&view)?;
        w.finish()?;
    }
    summary.stages.push(("write", start.elapsed()));
    eprintln!("{summary}");
    Ok((results, summary))
}

/// The low-risk (severity 3) feedback rows as a batch of proxy columns, for the detectors: a
/// finding (a beacon, a rare agent, an upload...) that flags one of them is dismissed.
fn low_risk_batch(rows: &[spot_features::proxy::ProxyFeedbackRow]) -> Result<RecordBatch> {
    let low: Vec<_> = rows.iter().filter(|r| r.sev == 3).collect();
    let col = |f: &dyn Fn(&spot_features::proxy::ProxyFeedbackRow) -> &str| -> ArrayRef {
        std::sync::Arc::new(arrow::array::StringArray::from(
            low.iter()
                .map(|r| Some(f(r)).filter(|v| !v.is_empty() && *v != "-"))
                .collect::<Vec<_>>(),
        ))
    };
    Ok(RecordBatch::try_from_iter([
        ("p_date", col(&|r| &r.p_date)),
        ("p_time", col(&|r| &r.p_time)),
        ("clientip", col(&|r| &r.clientip)),
        ("host", col(&|r| &r.host)),
        ("reqmethod", col(&|r| &r.reqmethod)),
        ("useragent", col(&|r| &r.useragent)),
        ("resconttype", col(&|r| &r.resconttype)),
        ("respcode", col(&|r| &r.respcode)),
        ("fulluri", col(&|r| &r.fulluri)),
    ])?)
}

/// Puts each result's `word` before its `score`, as Spot's proxy output had it.
fn with_word_column(results: &RecordBatch, words: &ProxyWords) -> Result<RecordBatch> {
    if results.num_columns() == 0 {
        return Ok(results.clone());
    }
    let w = words.words(results)?;
    let word: ArrayRef = std::sync::Arc::new(w.pairs[0].1.clone());
    let schema = results.schema();
    // Before `score` (the last column in spot mode; combined mode adds columns after it).
    let n = schema
        .index_of("score")
        .map_or(results.num_columns(), |i| i + 1);
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut cols = results.columns().to_vec();
    fields.insert(
        n - 1,
        Field::new("word", arrow::datatypes::DataType::Utf8, true),
    );
    cols.insert(n - 1, word);
    Ok(RecordBatch::try_new(
        std::sync::Arc::new(Schema::new(fields)),
        cols,
    )?)
}
