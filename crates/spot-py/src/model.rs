//! The topic model of any source (flow, DNS, proxy): fit, score, save and load. It holds the
//! source's word settings and a fitted [`FittedModel`]; the analysis is [`Analysis`]'s.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spot_features::dns::{DnsFeedbackRow, DnsWords, add_dns_feedback, read_dns_feedback};
use spot_features::domain::TopDomains;
use spot_features::feedback::{FlowFeedbackRow, add_flow_feedback, read_flow_feedback};
use spot_features::flow::FlowWords;
use spot_features::proxy::{
    ProxyFeedbackRow, ProxyWords, UserAgentCounts, add_proxy_feedback, read_proxy_feedback,
};
use spot_features::{CorpusBuilder, FeatureError, WordCreator};
use spot_model::{FittedModel, LdaConfig, Optimizer};
use spot_score::{Analysis, AnalysisConfig, AnalysisError, ScoreFilter};

use crate::arrow_io::{ArrowStream, Batches, import};
use crate::errors::{ModelError, analysis_err, arrow_err, model_err};
use crate::progress::PyProgress;
use crate::summary::Summary;
use crate::words::top_domains;

/// The kind of records a model learns from, with its word settings.
#[derive(Clone)]
enum Source {
    Flow,
    Dns {
        top: Arc<TopDomains>,
        user_domain: Option<String>,
    },
    Proxy {
        top: TopDomains,
        user_domain: Option<String>,
    },
}

/// A source's word creator, built for the data at hand.
enum Creator {
    Flow(FlowWords),
    Dns(DnsWords),
    Proxy(ProxyWords),
}

impl Creator {
    fn as_dyn(&self) -> &dyn WordCreator {
        match self {
            Creator::Flow(c) => c,
            Creator::Dns(c) => c,
            Creator::Proxy(c) => c,
        }
    }
}

/// Rows of a source's feedback file.
enum Feedback {
    None,
    Flow(Vec<FlowFeedbackRow>),
    Dns(Vec<DnsFeedbackRow>),
    Proxy(Vec<ProxyFeedbackRow>),
}

impl Source {
    fn name(&self) -> &'static str {
        match self {
            Source::Flow => "flow",
            Source::Dns { .. } => "dns",
            Source::Proxy { .. } => "proxy",
        }
    }

    fn read_feedback(&self, path: Option<&Path>) -> Result<Feedback, FeatureError> {
        let Some(path) = path else {
            return Ok(Feedback::None);
        };
        Ok(match self {
            Source::Flow => Feedback::Flow(read_flow_feedback(path)?),
            Source::Dns { .. } => Feedback::Dns(read_dns_feedback(path)?),
            Source::Proxy { .. } => Feedback::Proxy(read_proxy_feedback(path)?),
        })
    }

    /// The word creator for `data` (proxy: user agents counted over it, and over the feedback
    /// rows `dupfactor` times each when training, as Spot did).
    fn creator(
        &self,
        data: Option<&Batches>,
        feedback: &Feedback,
        dupfactor: u64,
    ) -> Result<Creator, FeatureError> {
        Ok(match self {
            Source::Flow => Creator::Flow(FlowWords),
            Source::Dns { top, user_domain } => {
                Creator::Dns(DnsWords::new(top.clone(), user_domain.clone()))
            }
            Source::Proxy { top, user_domain } => {
                let mut agents = UserAgentCounts::default();
                for b in data.map_or(&[][..], |d| &d.batches) {
                    agents.add_batch(b)?;
                }
                if let Feedback::Proxy(rows) = feedback {
                    agents.add_feedback(rows, dupfactor);
                }
                Creator::Proxy(ProxyWords::new(top.clone(), user_domain.clone(), agents))
            }
        })
    }
}

/// Adds the low-risk feedback rows to the corpus; returns how many joined.
fn add_feedback(
    corpus: &mut CorpusBuilder,
    feedback: &Feedback,
    creator: &Creator,
    dupfactor: u64,
    feedback_proto: &str,
) -> u64 {
    (match (feedback, creator) {
        (Feedback::Flow(rows), _) => add_flow_feedback(corpus, rows, dupfactor, feedback_proto),
        (Feedback::Dns(rows), Creator::Dns(c)) => add_dns_feedback(corpus, rows, dupfactor, c),
        (Feedback::Proxy(rows), Creator::Proxy(c)) => {
            add_proxy_feedback(corpus, rows, dupfactor, c)
        }
        _ => 0,
    }) as u64
}

fn total_rows(input: &Batches) -> u64 {
    input.batches.iter().map(|b| b.num_rows() as u64).sum()
}

/// A topic model of one source: LDA over documents (IPs) of words, Apache Spot's defaults.
#[pyclass(module = "spot._spot", name = "Model")]
pub struct Model {
    source: Source,
    lda: LdaConfig,
    model: Option<Arc<FittedModel>>,
}

impl Model {
    fn fitted(&self) -> PyResult<Arc<FittedModel>> {
        self.model
            .clone()
            .ok_or_else(|| ModelError::new_err("the model is not fitted: call fit() first"))
    }

    fn analysis_config(&self, dupfactor: u64, filter: ScoreFilter) -> AnalysisConfig {
        AnalysisConfig {
            lda: self.lda.clone(),
            filter,
            dupfactor,
        }
    }
}

fn parse_source(
    source: &str,
    top: Option<&Bound<'_, PyAny>>,
    user_domain: Option<String>,
) -> PyResult<Source> {
    match source {
        "flow" => Ok(Source::Flow),
        "dns" => Ok(Source::Dns {
            top: Arc::new(top_domains(top)?),
            user_domain,
        }),
        "proxy" => Ok(Source::Proxy {
            top: top_domains(top)?,
            user_domain,
        }),
        other => Err(PyValueError::new_err(format!(
            "unknown source {other:?}: expected flow, dns or proxy"
        ))),
    }
}

fn topic_table(
    key: &str,
    names: &[String],
    k: usize,
    row: impl Fn(usize) -> Vec<f64>,
) -> PyResult<RecordBatch> {
    let mut cols: Vec<(String, ArrayRef)> = vec![(
        key.to_string(),
        Arc::new(StringArray::from_iter_values(names)),
    )];
    let rows: Vec<Vec<f64>> = (0..names.len()).map(row).collect();
    for t in 0..k {
        cols.push((
            format!("topic_{t}"),
            Arc::new(rows.iter().map(|r| r[t]).collect::<Float64Array>()),
        ));
    }
    RecordBatch::try_from_iter(cols).map_err(arrow_err)
}

/// Puts each proxy result's `word` before its `score`, as Spot's proxy output (and `spot ml
/// proxy`) has it.
fn with_word_column(
    results: RecordBatch,
    words: &ProxyWords,
) -> Result<RecordBatch, AnalysisError> {
    if results.num_columns() == 0 {
        return Ok(results);
    }
    let w = words.words(&results)?;
    let word: ArrayRef = Arc::new(w.pairs[0].1.clone());
    let schema = results.schema();
    let n = results.num_columns();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut cols = results.columns().to_vec();
    fields.insert(n - 1, Field::new("word", DataType::Utf8, true));
    cols.insert(n - 1, word);
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}

#[pymethods]
impl Model {
    #[new]
    #[pyo3(signature = (source = "flow", topics = 20, alpha = 1.02, beta = 1.001, iterations = 20, seed = 0, optimizer = "em", tolerance = None, top_domains = None, user_domain = None, spill_dir = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        source: &str,
        topics: usize,
        alpha: f64,
        beta: f64,
        iterations: usize,
        seed: u64,
        optimizer: &str,
        tolerance: Option<f64>,
        top_domains: Option<&Bound<'_, PyAny>>,
        user_domain: Option<String>,
        spill_dir: Option<PathBuf>,
    ) -> PyResult<Self> {
        let optimizer: Optimizer = optimizer.parse().map_err(PyValueError::new_err)?;
        Ok(Model {
            source: parse_source(source, top_domains, user_domain)?,
            lda: LdaConfig {
                topics,
                alpha,
                beta,
                iterations,
                seed,
                optimizer,
                tolerance,
                spill_dir,
                ..LdaConfig::default()
            },
            model: None,
        })
    }

    /// Fits on records (pass 1 of the analysis, then the engine), optionally warm-started from
    /// `init`'s topics.
    #[pyo3(signature = (data, feedback = None, dupfactor = 1000, feedback_proto = "TCP", init = None, progress = None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        &mut self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        feedback: Option<PathBuf>,
        dupfactor: u64,
        feedback_proto: &str,
        init: Option<PyRef<'_, Model>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Summary> {
        let input = import(data)?;
        let init = init.map(|m| m.fitted()).transpose()?;
        let progress = PyProgress::new(progress);
        let config = self.analysis_config(dupfactor, ScoreFilter::default());
        let source = self.source.clone();
        let mut summary = spot_score::Summary::default();
        let model = py
            .detach(|| {
                let mut p = &progress;
                let feedback = source.read_feedback(feedback.as_deref())?;
                let creator = source.creator(Some(&input), &feedback, dupfactor)?;
                spot_score::Progress::stage(&mut p, "words", Some(total_rows(&input)));
                let analysis = Analysis::new(creator.as_dyn(), config);
                let mut corpus = CorpusBuilder::new();
                analysis.corpus(
                    input.iter(),
                    &mut corpus,
                    &mut |_| Ok(()),
                    &mut summary,
                    &mut p,
                )?;
                summary.feedback_rows =
                    add_feedback(&mut corpus, &feedback, &creator, dupfactor, feedback_proto);
                analysis.fit_from(corpus, init.as_deref(), &mut summary, &mut p)
            })
            .map_err(|e| analysis_err(e, progress.take_raised()))?;
        self.model = Some(Arc::new(model));
        Ok(summary.into())
    }

    /// Fits on (doc, word, count) rows, e.g. counts aggregated by Spark from `word_counts`.
    #[pyo3(signature = (counts, feedback = None, dupfactor = 1000, feedback_proto = "TCP", progress = None))]
    fn fit_counts(
        &mut self,
        py: Python<'_>,
        counts: &Bound<'_, PyAny>,
        feedback: Option<PathBuf>,
        dupfactor: u64,
        feedback_proto: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Summary> {
        if matches!(self.source, Source::Proxy { .. }) && feedback.is_some() {
            return Err(PyValueError::new_err(
                "proxy feedback needs the records' user agents: use fit() instead of fit_counts()",
            ));
        }
        let input = import(counts)?;
        let mut corpus = CorpusBuilder::new();
        for b in &input.batches {
            let bad = || {
                PyValueError::new_err("counts need columns doc (utf8), word (utf8), count (int64)")
            };
            let docs = b
                .column_by_name("doc")
                .and_then(|c| c.as_string_opt::<i32>())
                .ok_or_else(bad)?;
            let words = b
                .column_by_name("word")
                .and_then(|c| c.as_string_opt::<i32>())
                .ok_or_else(bad)?;
            let counts = b
                .column_by_name("count")
                .and_then(|c| c.as_primitive_opt::<Int64Type>())
                .ok_or_else(bad)?;
            for i in 0..b.num_rows() {
                if docs.is_valid(i)
                    && words.is_valid(i)
                    && counts.is_valid(i)
                    && counts.value(i) > 0
                {
                    corpus.add(docs.value(i), words.value(i), counts.value(i) as u64);
                }
            }
        }
        let progress = PyProgress::new(progress);
        let config = self.analysis_config(dupfactor, ScoreFilter::default());
        let source = self.source.clone();
        let mut summary = spot_score::Summary::default();
        let model = py
            .detach(|| {
                let mut p = &progress;
                let feedback = source.read_feedback(feedback.as_deref())?;
                let creator = source.creator(None, &feedback, dupfactor)?;
                summary.feedback_rows =
                    add_feedback(&mut corpus, &feedback, &creator, dupfactor, feedback_proto);
                Analysis::new(creator.as_dyn(), config).fit(corpus, &mut summary, &mut p)
            })
            .map_err(|e| analysis_err(e, progress.take_raised()))?;
        self.model = Some(Arc::new(model));
        Ok(summary.into())
    }

    /// Apache Spot's score of every row of `data`, in input order, null for invalid rows: no
    /// threshold, no sorting (a column to attach to the rows, as `spot.spark` does).
    fn row_scores(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<ArrowStream> {
        let model = self.fitted()?;
        let input = import(data)?;
        let source = self.source.clone();
        let scores = py
            .detach(|| -> Result<Vec<ArrayRef>, FeatureError> {
                let creator = source.creator(Some(&input), &Feedback::None, 0)?;
                input
                    .batches
                    .iter()
                    .map(|b| {
                        let words = creator.as_dyn().words(b)?;
                        Ok(Arc::new(spot_score::score_words(&model, &words)) as ArrayRef)
                    })
                    .collect()
            })
            .map_err(crate::errors::feature_err)?;
        let schema = Arc::new(Schema::new(vec![Field::new(
            "score",
            DataType::Float64,
            true,
        )]));
        let batches = scores
            .into_iter()
            .map(|c| RecordBatch::try_new(schema.clone(), vec![c]).map_err(arrow_err))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Batches { schema, batches }.into())
    }

    /// Scores records; returns the kept rows and the run's summary. `mode="spot"`: Apache
    /// Spot's scores, score ≤ threshold, lowest first. `mode="combined"` (flows): the topic
    /// score with the behavioural detectors, as `spot ml flow`'s default.
    #[pyo3(signature = (data, threshold = 1.0, max_results = None, mode = "spot", progress = None))]
    fn score(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        threshold: f64,
        max_results: Option<usize>,
        mode: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<(ArrowStream, Summary)> {
        let combined = match (mode, &self.source) {
            ("spot", _) => false,
            ("combined", Source::Flow) => true,
            ("combined", s) => {
                return Err(PyValueError::new_err(format!(
                    "mode=\"combined\" has detectors for flows only, not {}: use mode=\"spot\"",
                    s.name()
                )));
            }
            (other, _) => {
                return Err(PyValueError::new_err(format!(
                    "unknown mode {other:?}: expected spot or combined"
                )));
            }
        };
        let model = self.fitted()?;
        let input = import(data)?;
        let progress = PyProgress::new(progress);
        let config = self.analysis_config(
            1000,
            ScoreFilter {
                threshold,
                max_results,
            },
        );
        let source = self.source.clone();
        let mut summary = spot_score::Summary::default();
        let out = py
            .detach(|| {
                let mut p = &progress;
                let rows = total_rows(&input);
                let creator = source.creator(Some(&input), &Feedback::None, 0)?;
                let mut analysis = Analysis::new(creator.as_dyn(), config);
                if combined {
                    // The detectors learn from the records first, as in the CLI's corpus pass.
                    analysis =
                        analysis.with_detectors(spot_score::detect::flow::default_flow_detectors());
                    spot_score::Progress::stage(&mut p, "observe", Some(rows));
                    let mut corpus = CorpusBuilder::new();
                    analysis.corpus(
                        input.iter(),
                        &mut corpus,
                        &mut |_| Ok(()),
                        &mut spot_score::Summary::default(),
                        &mut p,
                    )?;
                    // The calibrated topic score learns the records' rarity curve, as the CLI
                    // does from the records it trains on.
                    analysis.calibrate(&model, &corpus.build());
                }
                spot_score::Progress::stage(&mut p, "score", Some(rows));
                let out = analysis.score(&model, input.iter(), &mut summary, &mut p)?;
                summary.read = rows;
                match &creator {
                    Creator::Proxy(c) => with_word_column(out, c),
                    _ => Ok(out),
                }
            })
            .map_err(|e| analysis_err(e, progress.take_raised()))?;
        // Inputs with no rows give no batch to learn the output's columns from.
        let out = if out.num_columns() == 0 {
            RecordBatch::new_empty(spot_score::scored_schema(&input.schema))
        } else {
            out
        };
        Ok((ArrowStream::one(out), summary.into()))
    }

    /// Saves the fitted model to `path` (spot's versioned binary model file, as `--model-out`).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let model = self.fitted()?;
        py.detach(|| model.save(&path)).map_err(model_err)
    }

    /// Loads a model file saved by `save` or `spot ml ... --model-out`, for `source` records.
    #[staticmethod]
    #[pyo3(signature = (path, source = "flow", top_domains = None, user_domain = None))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        source: &str,
        top_domains: Option<&Bound<'_, PyAny>>,
        user_domain: Option<String>,
    ) -> PyResult<Self> {
        let source = parse_source(source, top_domains, user_domain)?;
        let model = py.detach(|| FittedModel::load(&path)).map_err(model_err)?;
        Ok(Model {
            source,
            lda: model.config().clone(),
            model: Some(Arc::new(model)),
        })
    }

    /// Folds `data`'s documents the model has not seen into it (topics fixed), so that they are
    /// scored like training documents instead of 0 (`--unseen infer`). Returns how many joined.
    #[pyo3(signature = (data, iterations = 50))]
    fn fold_in(
        &mut self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        iterations: usize,
    ) -> PyResult<usize> {
        let model = self.fitted()?;
        let input = import(data)?;
        let source = self.source.clone();
        let mut model = (*model).clone();
        let added = py
            .detach(|| -> Result<usize, AnalysisError> {
                let creator = source.creator(Some(&input), &Feedback::None, 0)?;
                let analysis = Analysis::new(creator.as_dyn(), AnalysisConfig::default());
                let mut corpus = CorpusBuilder::new();
                analysis.corpus(
                    input.iter(),
                    &mut corpus,
                    &mut |_| Ok(()),
                    &mut spot_score::Summary::default(),
                    &mut (),
                )?;
                Ok(model.fold_in(&corpus.build(), iterations))
            })
            .map_err(|e| analysis_err(e, None))?;
        self.model = Some(Arc::new(model));
        Ok(added)
    }

    /// P(word | topic): `word`, then `topic_0` … `topic_{K-1}`.
    fn topics(&self) -> PyResult<ArrowStream> {
        let m = self.fitted()?;
        let t = topic_table("word", m.word_names(), m.num_topics(), |w| {
            m.word_topics(w).to_vec()
        })?;
        Ok(ArrowStream::one(t))
    }

    /// P(topic | document): `doc` (the IP), then `topic_0` … `topic_{K-1}`.
    fn doc_topics(&self) -> PyResult<ArrowStream> {
        let m = self.fitted()?;
        let t = topic_table("doc", m.doc_names(), m.num_topics(), |d| {
            m.doc_topics(d).to_vec()
        })?;
        Ok(ArrowStream::one(t))
    }

    /// The hyper-parameters as a dict.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("topics", self.lda.topics)?;
        d.set_item("alpha", self.lda.alpha)?;
        d.set_item("beta", self.lda.beta)?;
        d.set_item("iterations", self.lda.iterations)?;
        d.set_item("seed", self.lda.seed)?;
        d.set_item("optimizer", self.lda.optimizer.name())?;
        d.set_item("tolerance", self.lda.tolerance)?;
        Ok(d)
    }

    /// `flow`, `dns` or `proxy`.
    #[getter]
    fn source(&self) -> &'static str {
        self.source.name()
    }

    /// Whether the model is fitted.
    #[getter]
    fn is_fitted(&self) -> bool {
        self.model.is_some()
    }

    /// Documents (IPs) and words the model knows, `(0, 0)` before fitting.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        self.model
            .as_ref()
            .map_or((0, 0), |m| (m.num_docs(), m.num_words()))
    }

    /// Spot's score of one word for one document (0 when either is unknown).
    fn word_prob(&self, word: &str, doc: &str) -> PyResult<f64> {
        Ok(self.fitted()?.word_prob(word, doc))
    }

    fn __repr__(&self) -> String {
        let l = &self.lda;
        let state = match &self.model {
            Some(m) => format!(
                "fitted: {} documents, {} words",
                m.num_docs(),
                m.num_words()
            ),
            None => "not fitted".into(),
        };
        let name = match self.source {
            Source::Flow => "FlowModel",
            Source::Dns { .. } => "DnsModel",
            Source::Proxy { .. } => "ProxyModel",
        };
        format!(
            "{name}(topics={}, alpha={}, beta={}, iterations={}, seed={}, optimizer={:?}; {state})",
            l.topics,
            l.alpha,
            l.beta,
            l.iterations,
            l.seed,
            l.optimizer.name()
        )
    }
}
