//! `spot ml flow`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use arrow::array::RecordBatch;
use clap::Args;
use spot_decode::{BatchWriter, FlowReader};
use spot_features::CorpusBuilder;
use spot_features::feedback::{add_flow_feedback, flow_feedback_batch, read_flow_feedback};
use spot_features::flow::FlowWords;
use spot_model::{FittedModel, LdaConfig, Optimizer};
use spot_score::{Analysis, AnalysisConfig, ScoreFilter, Summary};

use crate::progress::Bars;

/// How results are ranked.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Apache Spot's topic score combined with behavioural detectors; output adds `rank`,
    /// `spot_score`, `signals`, `reason`; `score` is the suspicion, highest first.
    #[default]
    Combined,
    /// Apache Spot's scores exactly: lowest first.
    Spot,
}

/// Options shared by the analyses (Apache Spot's defaults).
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Ranking: `combined` (default) or `spot` (Apache Spot's scores exactly).
    #[arg(long, value_enum, default_value_t = Mode::Combined)]
    pub mode: Mode,
    /// Output file: `.csv` (with header) or `.parquet`; input columns then `score`.
    #[arg(long)]
    pub out: PathBuf,
    /// Keep records whose score is ≤ this (spot mode); in combined mode, records whose
    /// suspicion is ≥ 1 − this.
    #[arg(long, default_value_t = 1.0)]
    pub threshold: f64,
    /// Keep at most this many records, the lowest scores.
    #[arg(long)]
    pub max_results: Option<usize>,
    /// Topics of the LDA model.
    #[arg(long, default_value_t = 20)]
    pub topics: usize,
    /// Training iterations.
    #[arg(long, default_value_t = 20)]
    pub iterations: usize,
    /// Document concentration (must be > 1 for EM).
    #[arg(long, default_value_t = 1.02)]
    pub alpha: f64,
    /// Topic concentration (must be > 1 for EM).
    #[arg(long, default_value_t = 1.001)]
    pub beta: f64,
    /// Seed of every random step.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Analyst feedback file (Spot's tab-separated format); low-risk rows join training.
    #[arg(long)]
    pub feedback: Option<PathBuf>,
    /// Times each low-risk feedback row joins the training data.
    #[arg(long, default_value_t = 1000)]
    pub dupfactor: u64,
    /// Write the records that fail the validity rules here (`.csv` or `.parquet`).
    #[arg(long)]
    pub invalid_out: Option<PathBuf>,
    /// Rows per batch.
    #[arg(long, default_value_t = spot_decode::flow::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    #[command(flatten)]
    pub model: Box<ModelArgs>,
}

/// What `--unseen` does with documents a saved model (`--model`) has not seen.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unseen {
    /// Score them 0, the most suspicious (Apache Spot's behaviour).
    #[default]
    Zero,
    /// Fold them into the model (topics fixed) and score them like training documents.
    Infer,
}

/// Engine choice and saved models.
#[derive(Args, Debug, Clone, Default)]
pub struct ModelArgs {
    /// LDA engine: `em` (Spark's EMLDAOptimizer, Spot's model), `online` (online variational
    /// Bayes) or `gibbs` (collapsed Gibbs, the fastest on large corpora; alpha and beta
    /// may then be below 1).
    #[arg(long, default_value_t = Optimizer::Em)]
    pub optimizer: Optimizer,
    /// Stop training once the training log-likelihood changes by less than this (relative).
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Save the trained model to this file (spot's binary model format).
    #[arg(long)]
    pub model_out: Option<PathBuf>,
    /// Score with this saved model instead of training one.
    #[arg(long, conflicts_with = "init_model")]
    pub model: Option<PathBuf>,
    /// Start training from this saved model (warm start: yesterday's topics, new words and
    /// hosts added).
    #[arg(long)]
    pub init_model: Option<PathBuf>,
    /// With `--model`: how to score hosts the model has never seen.
    #[arg(long, value_enum, default_value_t = Unseen::Zero)]
    pub unseen: Unseen,
    /// Print the training log-likelihood per token after every iteration (on stderr).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// With `--optimizer gibbs`: keep the sampler's per-token state in a temporary file in this
    /// folder, read and written one block at a time, so that its memory stays flat in the number
    /// of hosts (same model; costs one read and write of the state per iteration).
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
}

impl CommonArgs {
    pub fn config(&self) -> AnalysisConfig {
        AnalysisConfig {
            lda: LdaConfig {
                topics: self.topics,
                alpha: self.alpha,
                beta: self.beta,
                iterations: self.iterations,
                seed: self.seed,
                optimizer: self.model.optimizer,
                tolerance: self.model.tolerance,
                track_likelihood: self.model.verbose,
                spill_dir: self.model.spill_dir.clone(),
                ..LdaConfig::default()
            },
            filter: ScoreFilter {
                threshold: self.threshold,
                max_results: self.max_results,
            },
            dupfactor: self.dupfactor,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct FlowArgs {
    /// Input files or folders (Spot CSV, `nfdump -o csv` output, Parquet, Hive `y=/m=/d=/h=`).
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Protocol for feedback rows (Spot's flow feedback file has no protocol column).
    #[arg(long, default_value = "TCP")]
    pub feedback_proto: String,
    /// Also write the entity view of the results (one row per host pair and per host, by best
    /// rank) to this `.csv` or `.parquet` file.
    #[arg(long)]
    pub entities: Option<PathBuf>,
    /// Stop at the first unreadable line of a Zeek conn.log (default: count and skip it).
    #[arg(long)]
    pub strict: bool,
}

/// Runs the flow analysis; prints the summary line on stderr and returns the results.
pub fn run(args: &FlowArgs) -> Result<(RecordBatch, Summary)> {
    let (results, summary) = analyse(args, true)?;
    let results = results.context("the scoring pass produced no table")?;
    eprintln!("{summary}");
    Ok((results, summary))
}

/// `spot train flow`: the analysis up to the trained model, saved with `--model-out`; no
/// scoring pass. Prints the summary line on stderr.
pub fn train(args: &FlowArgs) -> Result<Summary> {
    if args.common.model.model_out.is_none() {
        anyhow::bail!("spot train flow needs --model-out FILE");
    }
    let (_, summary) = analyse(args, false)?;
    eprintln!("{summary}");
    Ok(summary)
}

fn analyse(args: &FlowArgs, score: bool) -> Result<(Option<RecordBatch>, Summary)> {
    let c = &args.common;
    // Fail on a bad output path before doing any work.
    if score {
        spot_decode::OutputFormat::from_path(&c.out)?;
    }
    if let Some(p) = &args.entities {
        spot_decode::OutputFormat::from_path(p)?;
    }
    if let Some(p) = &c.invalid_out {
        spot_decode::OutputFormat::from_path(p)?;
    }
    let reader = FlowReader::open(&args.input)?
        .with_batch_size(c.batch_size)
        .with_strict(args.strict);
    let creator = FlowWords;
    let feedback = c.feedback.as_deref().map(read_flow_feedback).transpose()?;
    let mut analysis = Analysis::new(&creator, c.config());
    if c.mode == Mode::Combined {
        analysis = analysis.with_detectors(spot_score::detect::flow::default_flow_detectors());
        if let Some(rows) = &feedback {
            analysis = analysis.with_low_risk(flow_feedback_batch(rows, &args.feedback_proto));
        }
    }
    let mut summary = Summary::default();
    let mut bars = Bars::new().with_iterations(c.model.verbose);
    let mut corpus = CorpusBuilder::new();

    let schema = reader.schema();
    let mut invalid = InvalidOut::new(c.invalid_out.as_deref(), schema.clone());
    let mut sink = |b: &RecordBatch| invalid.write(b);
    use spot_score::Progress;
    bars.stage("words", None);
    let mut batches = reader.batches();
    analysis.corpus(
        batches.by_ref(),
        &mut corpus,
        &mut sink,
        &mut summary,
        &mut bars,
    )?;
    crate::proxy::report_skipped(batches.zeek_lines());
    invalid.finish()?;
    if let Some(rows) = &feedback {
        summary.feedback_rows =
            add_flow_feedback(&mut corpus, rows, c.dupfactor, &args.feedback_proto) as u64;
    }
    let model = model(&analysis, corpus, &c.model, &mut summary, &mut bars)?;
    if !score {
        bars.finish();
        return Ok((None, summary));
    }
    bars.stage("score", Some(summary.read));
    let results = analysis.score(&model, reader.batches(), &mut summary, &mut bars)?;
    bars.finish();

    let start = std::time::Instant::now();
    // Inputs with no rows give no batch to learn the output's columns from.
    let results = if results.num_columns() == 0 {
        RecordBatch::new_empty(spot_score::scored_schema(&reader.schema()))
    } else {
        results
    };
    let mut w = BatchWriter::create(&c.out, &results.schema())?;
    w.write(&results)?;
    w.finish()?;
    if let Some(path) = &args.entities {
        let view =
            spot_score::entities::entity_view(&results, &spot_score::entities::EntitySpec::FLOW)?;
        let mut w = BatchWriter::create(path, &view.schema())?;
        w.write(&view)?;
        w.finish()?;
    }
    summary.stages.push(("write", start.elapsed()));
    Ok((Some(results), summary))
}

/// The model of a run: loaded (`--model`, folding unseen documents in with `--unseen infer`,
/// and calibrating the combined mode's topic scores on this corpus) or trained (from
/// `--init-model` if given), then saved with `--model-out`.
pub fn model(
    analysis: &Analysis,
    corpus: CorpusBuilder,
    m: &ModelArgs,
    summary: &mut Summary,
    bars: &mut Bars,
) -> Result<FittedModel> {
    let model = match &m.model {
        Some(path) => {
            let mut model = FittedModel::load(path)?;
            let corpus = corpus.build();
            if m.unseen == Unseen::Infer {
                use spot_score::Progress;
                bars.stage("fold-in", None);
                model.fold_in(&corpus, 50);
            }
            if analysis.is_combined() {
                analysis.calibrate(&model, &corpus);
            }
            model
        }
        None => {
            let init = m.init_model.as_ref().map(FittedModel::load).transpose()?;
            analysis
                .fit_from(corpus, init.as_ref(), summary, bars)
                .context("training the topic model")?
        }
    };
    if let Some(path) = &m.model_out {
        model.save(path)?;
    }
    Ok(model)
}

/// `--invalid-out`: the records that fail the validity rules, written as they are found; the
/// file is created on the first one, or empty (with its header) when none fails.
pub struct InvalidOut<'a> {
    path: Option<&'a std::path::Path>,
    schema: arrow::datatypes::SchemaRef,
    writer: Option<BatchWriter>,
}

impl<'a> InvalidOut<'a> {
    pub fn new(path: Option<&'a std::path::Path>, schema: arrow::datatypes::SchemaRef) -> Self {
        InvalidOut {
            path,
            schema,
            writer: None,
        }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), spot_score::AnalysisError> {
        let Some(path) = self.path else {
            return Ok(());
        };
        if self.writer.is_none() {
            self.writer = Some(BatchWriter::create(path, &self.schema)?);
        }
        if let Some(w) = self.writer.as_mut() {
            w.write(batch)?;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        match (self.writer, self.path) {
            (Some(w), _) => {
                w.finish()?;
            }
            (None, Some(path)) => {
                BatchWriter::create(path, &self.schema)?.finish()?;
            }
            (None, None) => {}
        }
        Ok(())
    }
}
