//! The suspicious-connects analysis as two streaming passes around a model fit:
//! 1. **corpus**: batches → validity + words → (document, word) counts; invalid rows counted by
//!    reason and handed to a sink;
//! 2. **fit**: the corpus (plus any feedback rows the caller added) → [`FittedModel`];
//! 3. **score**: batches again → words → scores → threshold and top-N.
//!
//! Each pass works on groups of batches in parallel and merges results in input order, so the
//! outcome does not depend on the thread count.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::error::ArrowError;
use rayon::prelude::*;
use spot_decode::DecodeError;
use spot_features::{CorpusBuilder, FeatureError, InvalidCounts, WordCreator};
use spot_model::{FittedModel, Iteration, Lda, LdaConfig, ModelError, TopicModel};

use crate::calibrate::TopicCalibration;
use crate::combined;
use crate::detect::Detector;
use crate::score::score_words;
use crate::topn::{ScoreFilter, TopN};

/// Anything that can stop an analysis.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// Reading or writing records failed.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Word creation or feedback failed.
    #[error(transparent)]
    Feature(#[from] FeatureError),
    /// The model could not be fitted.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// An Arrow kernel failed.
    #[error(transparent)]
    Arrow(#[from] ArrowError),
    /// The run was interrupted.
    #[error("interrupted")]
    Interrupted,
}

/// Settings of an analysis, with Apache Spot's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    /// Topic model hyper-parameters.
    pub lda: LdaConfig,
    /// Threshold and top-N.
    pub filter: ScoreFilter,
    /// How many times each low-risk feedback row joins the training data (spot.conf's
    /// DUPFACTOR, 1000).
    pub dupfactor: u64,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            lda: LdaConfig::default(),
            filter: ScoreFilter::default(),
            dupfactor: 1000,
        }
    }
}

/// Receives progress; every method has a no-op default, and `()` ignores everything.
pub trait Progress {
    /// A stage starts; `total` is its length in units of [`advance`](Self::advance), if known.
    fn stage(&mut self, _name: &'static str, _total: Option<u64>) {}
    /// `n` more units of the current stage are done.
    fn advance(&mut self, _n: u64) {}
    /// A training iteration finished (with its log-likelihood when the configuration tracks
    /// it, [`LdaConfig::track_likelihood`]).
    fn iteration(&mut self, _it: &Iteration) {}
    /// Whether the caller asked to stop (checked between batches and iterations).
    fn cancelled(&self) -> bool {
        false
    }
}

impl Progress for () {}

/// Counts and timings of a run, shown by the CLI and the bindings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Records read (each pass reads the same records; counted once).
    pub read: u64,
    /// Invalid records by reason.
    pub invalid: InvalidCounts,
    /// Records scored.
    pub scored: u64,
    /// Results kept after threshold and top-N.
    pub written: u64,
    /// Low-risk feedback rows that joined training (before duplication).
    pub feedback_rows: u64,
    /// Detector findings (a detector's entity) dismissed because an analyst marked one of their
    /// rows low risk (combined mode).
    pub dismissed: u64,
    /// Documents (IPs) and words in the model.
    pub documents: usize,
    pub words: usize,
    /// Wall time of each stage, in order.
    pub stages: Vec<(&'static str, Duration)>,
    /// Training log-likelihood per token after each iteration, when tracked
    /// ([`LdaConfig::track_likelihood`] or a tolerance); empty otherwise.
    pub log_likelihood: Vec<f64>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {} records, invalid {}, scored {}, written {}",
            self.read,
            self.invalid.total(),
            self.scored,
            self.written
        )?;
        if self.invalid.total() > 0 {
            let parts: Vec<String> = self
                .invalid
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            write!(f, " (invalid: {})", parts.join(", "))?;
        }
        if self.feedback_rows > 0 {
            write!(f, ", feedback rows {}", self.feedback_rows)?;
        }
        if self.dismissed > 0 {
            write!(f, ", findings dismissed by feedback {}", self.dismissed)?;
        }
        write!(f, "; {} documents, {} words", self.documents, self.words)?;
        let total: f64 = self.stages.iter().map(|(_, d)| d.as_secs_f64()).sum();
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|(n, d)| format!("{n} {:.2}s", d.as_secs_f64()))
            .collect();
        write!(f, "; seconds: {} (total {total:.2}s)", stages.join(", "))
    }
}

/// One source's analysis: its word creator, the settings, and (in the default, combined mode)
/// its behavioural detectors.
pub struct Analysis<'a> {
    creator: &'a dyn WordCreator,
    config: AnalysisConfig,
    detectors: Mutex<Vec<Box<dyn Detector>>>,
    calibration: Mutex<Option<TopicCalibration>>,
    low_risk: Option<RecordBatch>,
    /// (detector index, entity) findings dismissed by low-risk feedback.
    dismissed: Mutex<rustc_hash::FxHashSet<(usize, u64)>>,
}

/// One batch's share of pass 1: its counts, invalid counts, invalid rows and row count.
type BatchCorpus = (CorpusBuilder, InvalidCounts, Option<RecordBatch>, u64);

/// Batches processed together in parallel per thread.
const GROUP_PER_THREAD: usize = 2;

fn groups<I>(batches: I) -> impl Iterator<Item = Result<Vec<RecordBatch>, DecodeError>>
where
    I: Iterator<Item = Result<RecordBatch, DecodeError>>,
{
    let size = rayon::current_num_threads().max(1) * GROUP_PER_THREAD;
    let mut it = batches.fuse();
    std::iter::from_fn(move || {
        let mut g = Vec::with_capacity(size);
        for b in it.by_ref() {
            match b {
                Ok(b) => {
                    g.push(b);
                    if g.len() == size {
                        break;
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
        (!g.is_empty()).then_some(Ok(g))
    })
}

impl<'a> Analysis<'a> {
    /// An analysis of records with `creator`'s words.
    pub fn new(creator: &'a dyn WordCreator, config: AnalysisConfig) -> Self {
        Analysis {
            creator,
            config,
            detectors: Mutex::new(Vec::new()),
            calibration: Mutex::new(None),
            low_risk: None,
            dismissed: Mutex::new(Default::default()),
        }
    }

    /// Adds behavioural detectors: [`score`](Self::score) then ranks in the combined mode (see
    /// [`crate::combined`]) instead of Apache Spot's scores alone.
    pub fn with_detectors(mut self, detectors: Vec<Box<dyn Detector>>) -> Self {
        self.detectors = Mutex::new(detectors);
        self
    }

    /// Hands what this analysis learned for the combined mode (its detectors, which observed
    /// the corpus pass, the topic calibration of [`fit`](Self::fit), the dismissed findings) to
    /// `to`, an analysis that scores with other words (the proxy analysis trains with user-agent
    /// counts that include feedback rows and scores with those of the scored records alone).
    pub fn hand_over<'b>(&self, to: Analysis<'b>) -> Analysis<'b> {
        *to.detectors.lock().unwrap_or_else(|e| e.into_inner()) =
            std::mem::take(&mut *self.detectors());
        *to.calibration.lock().unwrap_or_else(|e| e.into_inner()) = self.calibration().take();
        *to.dismissed.lock().unwrap_or_else(|e| e.into_inner()) =
            std::mem::take(&mut *self.dismissed.lock().unwrap_or_else(|e| e.into_inner()));
        to
    }

    /// Low-risk feedback rows (the analyst's "this is normal"), in columns the detectors read:
    /// in the combined mode, a detector finding (a scan, a beacon...) that flags any of them is
    /// dismissed, and its rows rank by their topic score alone. Apache Spot's mode ignores this;
    /// both modes retrain with the feedback rows added to the corpus by the caller.
    pub fn with_low_risk(mut self, rows: RecordBatch) -> Self {
        self.low_risk = Some(rows);
        self
    }

    /// Whether detectors are attached (combined mode).
    pub fn is_combined(&self) -> bool {
        !self.detectors().is_empty()
    }

    fn detectors(&self) -> std::sync::MutexGuard<'_, Vec<Box<dyn Detector>>> {
        // A detector that panicked left no half-updated state we rely on.
        self.detectors.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Learns the default mode's calibrated topic scores (see [`crate::calibrate`]) of `model`
    /// on `corpus`. [`fit`](Self::fit) does it by itself in the combined mode; call it when
    /// scoring with a model loaded from a file, with the corpus of the records to score.
    pub fn calibrate(&self, model: &FittedModel, corpus: &spot_features::Corpus) {
        *self.calibration.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(TopicCalibration::new(model, corpus));
    }

    fn calibration(&self) -> std::sync::MutexGuard<'_, Option<TopicCalibration>> {
        self.calibration.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The settings.
    pub fn config(&self) -> &AnalysisConfig {
        &self.config
    }

    /// Pass 1: adds the words of every valid record to `corpus`; hands each batch's invalid
    /// rows to `invalid_sink`.
    pub fn corpus<I>(
        &self,
        batches: I,
        corpus: &mut CorpusBuilder,
        invalid_sink: &mut dyn FnMut(&RecordBatch) -> Result<(), AnalysisError>,
        summary: &mut Summary,
        progress: &mut dyn Progress,
    ) -> Result<(), AnalysisError>
    where
        I: Iterator<Item = Result<RecordBatch, DecodeError>>,
    {
        let start = Instant::now();
        for group in groups(batches) {
            if progress.cancelled() {
                return Err(AnalysisError::Interrupted);
            }
            let group = group?;
            let results: Vec<Result<BatchCorpus, AnalysisError>> = group
                .par_iter()
                .map(|b| {
                    let words = self.creator.words(b)?;
                    let mut local = CorpusBuilder::new();
                    local.add_words(&words);
                    let bad: Vec<u32> = words
                        .invalid
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.is_some())
                        .map(|(i, _)| i as u32)
                        .collect();
                    let invalid = if bad.is_empty() {
                        None
                    } else {
                        Some(take_record_batch(b, &UInt32Array::from(bad))?)
                    };
                    Ok((local, words.invalid_counts(), invalid, b.num_rows() as u64))
                })
                .collect();
            {
                let mut detectors = self.detectors();
                detectors
                    .par_iter_mut()
                    .try_for_each(|d| group.iter().try_for_each(|b| d.observe(b)))?;
            }
            for r in results {
                let (local, counts, invalid, rows) = r?;
                corpus.merge(local);
                summary.invalid.merge(&counts);
                summary.read += rows;
                if let Some(inv) = invalid {
                    invalid_sink(&inv)?;
                }
                progress.advance(rows);
            }
        }
        for d in self.detectors().iter_mut() {
            d.finish();
        }
        if let Some(rows) = &self.low_risk {
            let mut dismissed = self.dismissed.lock().unwrap_or_else(|e| e.into_inner());
            for (i, d) in self.detectors().iter().enumerate() {
                for f in d.strengths(rows)? {
                    if f.strength > 0.0 {
                        dismissed.insert((i, f.entity));
                    }
                }
            }
            summary.dismissed = dismissed.len() as u64;
        }
        summary.stages.push(("words", start.elapsed()));
        Ok(())
    }

    /// Fits the topic model on `corpus` with the configured engine (`lda.optimizer`, Spark's EM
    /// by default).
    pub fn fit(
        &self,
        corpus: CorpusBuilder,
        summary: &mut Summary,
        progress: &mut dyn Progress,
    ) -> Result<FittedModel, AnalysisError> {
        self.fit_from(corpus, None, summary, progress)
    }

    /// [`fit`](Self::fit), starting from a previous model when given (a warm start: known
    /// words and documents start from its topics, new ones fresh).
    pub fn fit_from(
        &self,
        corpus: CorpusBuilder,
        init: Option<&FittedModel>,
        summary: &mut Summary,
        progress: &mut dyn Progress,
    ) -> Result<FittedModel, AnalysisError> {
        let start = Instant::now();
        let corpus = corpus.build();
        summary.documents = corpus.num_docs();
        summary.words = corpus.num_words();
        progress.stage("train", Some(self.config.lda.iterations as u64));
        let engine = Lda::new(self.config.lda.clone());
        let mut cancelled = false;
        summary.log_likelihood.clear();
        let trace = &mut summary.log_likelihood;
        let model = engine.fit_from(&corpus, init, &mut |it| {
            trace.extend(it.log_likelihood);
            progress.iteration(&it);
            progress.advance(1);
            cancelled |= progress.cancelled();
        })?;
        if cancelled {
            return Err(AnalysisError::Interrupted);
        }
        if self.is_combined() {
            self.calibrate(&model, &corpus);
        }
        summary.stages.push(("train", start.elapsed()));
        Ok(model)
    }

    /// Pass 2: scores every record and keeps those that pass the filter, sorted ascending, with
    /// a `score` column after the input's columns.
    pub fn score<I>(
        &self,
        model: &FittedModel,
        batches: I,
        summary: &mut Summary,
        progress: &mut dyn Progress,
    ) -> Result<RecordBatch, AnalysisError>
    where
        I: Iterator<Item = Result<RecordBatch, DecodeError>>,
    {
        let start = Instant::now();
        let detectors = self.detectors();
        let combined = !detectors.is_empty();
        let cal_guard = self.calibration();
        let cal = cal_guard.as_ref();
        let dismissed = self.dismissed.lock().unwrap_or_else(|e| e.into_inner());
        let mut top = TopN::new(self.config.filter);
        let mut occurrences = combined::Occurrences::default();
        let mut seq = 0u64;
        for group in groups(batches) {
            if progress.cancelled() {
                return Err(AnalysisError::Interrupted);
            }
            let group = group?;
            let scored: Vec<Result<_, AnalysisError>> = group
                .par_iter()
                .map(|b| {
                    let words = self.creator.words(b)?;
                    let valid = words.valid_rows() as u64;
                    let spot = score_words(model, &words);
                    let signals = if combined {
                        let topic = cal.map(|c| combined::calibrated_signals(c, model, &words));
                        Some(combined::row_signals(
                            &spot,
                            topic.as_deref(),
                            b,
                            &detectors,
                            &dismissed,
                        )?)
                    } else {
                        None
                    };
                    Ok((spot, signals, valid))
                })
                .collect();
            for (b, r) in group.iter().zip(scored) {
                let (spot, signals, valid) = r?;
                let scores = match signals {
                    Some(s) => occurrences.keys(&s),
                    None => spot,
                };
                top.push(b, &scores, seq)?;
                seq += b.num_rows() as u64;
                summary.scored += valid;
                progress.advance(b.num_rows() as u64);
            }
        }
        let mut out = top.finish()?;
        if combined && out.num_columns() > 0 {
            out = combined::explain(out, self.creator, model, &detectors, cal, &dismissed)?;
        }
        summary.written = out.num_rows() as u64;
        summary.stages.push(("score", start.elapsed()));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spot_features::flow::FlowWords;

    #[derive(Default)]
    struct Trace(Vec<Iteration>);
    impl Progress for Trace {
        fn iteration(&mut self, it: &Iteration) {
            self.0.push(*it);
        }
    }

    #[test]
    fn fit_reports_every_iteration_and_keeps_the_likelihood_trace() {
        let mut corpus = CorpusBuilder::new();
        for d in 0..20 {
            corpus.add(&format!("10.0.0.{d}"), "443_TCP_9_12_4", 5 + d);
            corpus.add(&format!("10.0.0.{d}"), "53_UDP_9_7_1", 3);
        }
        let lda = LdaConfig {
            topics: 2,
            iterations: 4,
            track_likelihood: true,
            ..LdaConfig::default()
        };
        let config = AnalysisConfig {
            lda,
            ..AnalysisConfig::default()
        };
        let creator = FlowWords;
        let analysis = Analysis::new(&creator, config);
        let mut summary = Summary::default();
        let mut trace = Trace::default();
        analysis.fit(corpus, &mut summary, &mut trace).unwrap();
        assert_eq!(trace.0.len(), 4);
        assert_eq!(summary.log_likelihood.len(), 4);
        let from_progress: Vec<f64> = trace.0.iter().filter_map(|it| it.log_likelihood).collect();
        assert_eq!(from_progress, summary.log_likelihood);
        assert!(
            summary
                .log_likelihood
                .iter()
                .all(|ll| ll.is_finite() && *ll < 0.0)
        );
    }
}
