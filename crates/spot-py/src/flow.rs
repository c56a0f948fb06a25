//! Flow records: reading, words, the model, scoring and the synthetic day. Each function wires
//! library calls; the analysis itself lives in the spot crates.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spot_decode::FlowReader;
use spot_features::feedback::{FlowFeedbackRow, add_flow_feedback, read_flow_feedback};
use spot_features::flow::FlowWords;
use spot_features::{CorpusBuilder, WordCreator};
use spot_model::{FittedModel, LdaConfig};
use spot_score::{Analysis, AnalysisConfig, ScoreFilter};

use crate::arrow_io::{ArrowStream, Batches, import};
use crate::errors::{ModelError, analysis_err, arrow_err, decode_err, feature_err, model_err};
use crate::progress::PyProgress;
use crate::summary::Summary;

/// Reads flow files or folders (Spot CSV, `nfdump -o csv`, Parquet, Hive folders).
#[pyfunction]
#[pyo3(signature = (paths, batch_size = spot_decode::flow::DEFAULT_BATCH_SIZE))]
pub fn read_flows(py: Python<'_>, paths: Vec<PathBuf>, batch_size: usize) -> PyResult<ArrowStream> {
    let reader = FlowReader::open(&paths)
        .map_err(decode_err)?
        .with_batch_size(batch_size.max(1));
    let schema = reader.schema();
    let mut batches = Vec::new();
    let mut it = reader.batches();
    loop {
        let next = py.detach(|| it.next());
        match next {
            Some(b) => batches.push(b.map_err(decode_err)?),
            None => break,
        }
        py.check_signals()?;
    }
    Ok(Batches { schema, batches }.into())
}

/// The input's columns, then one word column per (document, word) pair and `invalid_reason`.
#[pyfunction]
pub fn flow_words(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<ArrowStream> {
    let input = import(data)?;
    let creator = FlowWords;
    let mut out = Vec::with_capacity(input.batches.len());
    for b in &input.batches {
        let words = py.detach(|| creator.words(b)).map_err(feature_err)?;
        let mut fields: Vec<Field> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        let mut cols: Vec<ArrayRef> = b.columns().to_vec();
        for ((_, name), (_, ws)) in creator.pair_names().iter().zip(&words.pairs) {
            fields.push(Field::new(*name, DataType::Utf8, true));
            cols.push(Arc::new(ws.clone()));
        }
        fields.push(Field::new("invalid_reason", DataType::Utf8, true));
        cols.push(Arc::new(
            words
                .invalid
                .iter()
                .map(|r| r.map(|r| r.name()))
                .collect::<StringArray>(),
        ));
        out.push(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(arrow_err)?);
        py.check_signals()?;
    }
    let schema = match out.first() {
        Some(b) => b.schema(),
        None => {
            let mut fields: Vec<Field> = input
                .schema
                .fields()
                .iter()
                .map(|f| f.as_ref().clone())
                .collect();
            for (_, name) in creator.pair_names() {
                fields.push(Field::new(*name, DataType::Utf8, true));
            }
            fields.push(Field::new("invalid_reason", DataType::Utf8, true));
            Arc::new(Schema::new(fields))
        }
    };
    Ok(Batches {
        schema,
        batches: out,
    }
    .into())
}

/// (document, word, count) of every valid row: the corpus a cluster aggregates before fitting.
#[pyfunction]
pub fn flow_word_counts(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<ArrowStream> {
    let input = import(data)?;
    let progress = PyProgress::new(None);
    let corpus = py
        .detach(|| {
            let creator = FlowWords;
            let analysis = Analysis::new(&creator, AnalysisConfig::default());
            let mut corpus = CorpusBuilder::new();
            let mut summary = spot_score::Summary::default();
            let mut progress = &progress;
            analysis
                .corpus(
                    input.iter(),
                    &mut corpus,
                    &mut |_| Ok(()),
                    &mut summary,
                    &mut progress,
                )
                .map(|_| corpus.build())
        })
        .map_err(|e| analysis_err(e, progress.take_raised()))?;
    let (mut docs, mut words, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    for d in 0..corpus.num_docs() {
        let (ws, cs) = corpus.doc(d);
        for (w, c) in ws.iter().zip(cs) {
            docs.push(corpus.doc_names()[d].as_str());
            words.push(corpus.word_names()[*w as usize].as_str());
            counts.push(*c as i64);
        }
    }
    let batch = RecordBatch::try_from_iter([
        ("doc", Arc::new(StringArray::from(docs)) as ArrayRef),
        ("word", Arc::new(StringArray::from(words)) as ArrayRef),
        ("count", Arc::new(Int64Array::from(counts)) as ArrayRef),
    ])
    .map_err(arrow_err)?;
    Ok(ArrowStream::one(batch))
}

/// Spot's flow feedback file as a table.
#[pyfunction]
pub fn read_flow_feedback_table(py: Python<'_>, path: PathBuf) -> PyResult<ArrowStream> {
    let rows = py
        .detach(|| read_flow_feedback(&path))
        .map_err(feature_err)?;
    let i32s = |f: fn(&FlowFeedbackRow) -> i32| {
        Arc::new(rows.iter().map(f).collect::<Int32Array>()) as ArrayRef
    };
    let i64s = |f: fn(&FlowFeedbackRow) -> i64| {
        Arc::new(rows.iter().map(f).collect::<Int64Array>()) as ArrayRef
    };
    let strs = |f: fn(&FlowFeedbackRow) -> Option<&str>| {
        Arc::new(rows.iter().map(f).collect::<StringArray>()) as ArrayRef
    };
    let batch = RecordBatch::try_from_iter_with_nullable([
        ("sev", i32s(|r| r.sev), false),
        ("hour", i32s(|r| r.hour), false),
        ("minute", i32s(|r| r.minute), false),
        ("second", i32s(|r| r.second), false),
        ("sip", strs(|r| Some(r.sip.as_str())), false),
        ("dip", strs(|r| Some(r.dip.as_str())), false),
        ("sport", i32s(|r| r.sport), false),
        ("dport", i32s(|r| r.dport), false),
        ("ipkt", i64s(|r| r.ipkt), false),
        ("ibyt", i64s(|r| r.ibyt), false),
        ("proto", strs(|r| r.proto.as_deref()), true),
    ])
    .map_err(arrow_err)?;
    Ok(ArrowStream::one(batch))
}

/// Spot's flow topic model: LDA over IP documents, fitted by Spark-compatible EM.
#[pyclass(module = "spot._spot", name = "FlowModel")]
pub struct FlowModel {
    lda: LdaConfig,
    model: Option<Arc<FittedModel>>,
}

impl FlowModel {
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

    /// Fits on a corpus the caller filled, adding feedback rows first.
    #[allow(clippy::too_many_arguments)]
    fn fit_corpus(
        &mut self,
        py: Python<'_>,
        mut corpus: CorpusBuilder,
        mut summary: spot_score::Summary,
        feedback: Option<PathBuf>,
        dupfactor: u64,
        feedback_proto: &str,
        progress: &PyProgress,
    ) -> PyResult<Summary> {
        let config = self.analysis_config(dupfactor, ScoreFilter::default());
        let model = py
            .detach(|| {
                if let Some(fb) = &feedback {
                    let rows = read_flow_feedback(fb)?;
                    summary.feedback_rows =
                        add_flow_feedback(&mut corpus, &rows, dupfactor, feedback_proto) as u64;
                }
                let creator = FlowWords;
                let mut progress = progress;
                Analysis::new(&creator, config).fit(corpus, &mut summary, &mut progress)
            })
            .map_err(|e| analysis_err(e, progress.take_raised()))?;
        self.model = Some(Arc::new(model));
        Ok(summary.into())
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

/// Reads a `topic_table` back: names and row-major probabilities.
fn read_topic_table(
    data: &Bound<'_, PyAny>,
    key: &str,
    k: usize,
) -> PyResult<(Vec<String>, Vec<f64>)> {
    let input = import(data)?;
    let (mut names, mut probs) = (Vec::new(), Vec::new());
    for b in &input.batches {
        let bad = |what: String| PyValueError::new_err(format!("model table: {what}"));
        let col = b
            .column_by_name(key)
            .ok_or_else(|| bad(format!("no `{key}` column")))?;
        let col = col
            .as_string_opt::<i32>()
            .ok_or_else(|| bad(format!("`{key}` is not utf8")))?;
        let mut topics = Vec::with_capacity(k);
        for t in 0..k {
            let c = b
                .column_by_name(&format!("topic_{t}"))
                .and_then(|c| c.as_primitive_opt::<Float64Type>())
                .ok_or_else(|| bad(format!("no float64 `topic_{t}` column")))?;
            topics.push(c);
        }
        for i in 0..b.num_rows() {
            names.push(col.value(i).to_string());
            probs.extend(topics.iter().map(|c| c.value(i)));
        }
    }
    Ok((names, probs))
}

#[pymethods]
impl FlowModel {
    #[new]
    #[pyo3(signature = (topics = 20, alpha = 1.02, beta = 1.001, iterations = 20, seed = 0))]
    fn new(topics: usize, alpha: f64, beta: f64, iterations: usize, seed: u64) -> Self {
        FlowModel {
            lda: LdaConfig {
                topics,
                alpha,
                beta,
                iterations,
                seed,
                ..LdaConfig::default()
            },
            model: None,
        }
    }

    /// Fits on flow records (pass 1 of the analysis, then EM).
    #[pyo3(signature = (data, feedback = None, dupfactor = 1000, feedback_proto = "TCP", progress = None))]
    fn fit(
        &mut self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        feedback: Option<PathBuf>,
        dupfactor: u64,
        feedback_proto: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Summary> {
        let input = import(data)?;
        let progress = PyProgress::new(progress);
        let creator = FlowWords;
        let config = self.analysis_config(dupfactor, ScoreFilter::default());
        let mut summary = spot_score::Summary::default();
        let mut corpus = CorpusBuilder::new();
        py.detach(|| {
            let mut p = &progress;
            spot_score::Progress::stage(
                &mut p,
                "words",
                Some(input.batches.iter().map(|b| b.num_rows() as u64).sum()),
            );
            Analysis::new(&creator, config).corpus(
                input.iter(),
                &mut corpus,
                &mut |_| Ok(()),
                &mut summary,
                &mut p,
            )
        })
        .map_err(|e| analysis_err(e, progress.take_raised()))?;
        self.fit_corpus(
            py,
            corpus,
            summary,
            feedback,
            dupfactor,
            feedback_proto,
            &progress,
        )
    }

    /// Fits on (doc, word, count) rows, e.g. counts aggregated by Spark from `flow_word_counts`.
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
        self.fit_corpus(
            py,
            corpus,
            spot_score::Summary::default(),
            feedback,
            dupfactor,
            feedback_proto,
            &progress,
        )
    }

    /// Scores flow records; returns the kept rows (score ≤ threshold, at most max_results, lowest
    /// first) with a `score` column, and the run's summary.
    #[pyo3(signature = (data, threshold = 1.0, max_results = None, progress = None))]
    fn score(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        threshold: f64,
        max_results: Option<usize>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<(ArrowStream, Summary)> {
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
        let mut summary = spot_score::Summary::default();
        let out = py
            .detach(|| {
                let creator = FlowWords;
                let mut p = &progress;
                spot_score::Progress::stage(
                    &mut p,
                    "score",
                    Some(input.batches.iter().map(|b| b.num_rows() as u64).sum()),
                );
                Analysis::new(&creator, config).score(&model, input.iter(), &mut summary, &mut p)
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

    /// Rebuilds a fitted model from `doc_topics()` and `topics()` tables, bit-identically.
    #[staticmethod]
    #[pyo3(signature = (doc_topics, topics, *, n_topics, alpha, beta, iterations, seed))]
    #[allow(clippy::too_many_arguments)]
    fn from_tables(
        doc_topics: &Bound<'_, PyAny>,
        topics: &Bound<'_, PyAny>,
        n_topics: usize,
        alpha: f64,
        beta: f64,
        iterations: usize,
        seed: u64,
    ) -> PyResult<Self> {
        let lda = LdaConfig {
            topics: n_topics,
            alpha,
            beta,
            iterations,
            seed,
            ..LdaConfig::default()
        };
        let (docs, dt) = read_topic_table(doc_topics, "doc", n_topics)?;
        let (words, wt) = read_topic_table(topics, "word", n_topics)?;
        let model =
            FittedModel::from_probabilities(lda.clone(), docs, words, dt, wt).map_err(model_err)?;
        Ok(FlowModel {
            lda,
            model: Some(Arc::new(model)),
        })
    }

    /// The hyper-parameters as a dict.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("topics", self.lda.topics)?;
        d.set_item("alpha", self.lda.alpha)?;
        d.set_item("beta", self.lda.beta)?;
        d.set_item("iterations", self.lda.iterations)?;
        d.set_item("seed", self.lda.seed)?;
        Ok(d)
    }

    /// Whether `fit` has run.
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
        format!(
            "FlowModel(topics={}, alpha={}, beta={}, iterations={}, seed={}; {state})",
            l.topics, l.alpha, l.beta, l.iterations, l.seed
        )
    }
}

/// The synthetic flow day (records in time order with `id` and `attack`) and its attacks as
/// (kind, attacker, target, records) rows.
#[pyfunction]
#[pyo3(signature = (seed = 1, workstations = 250))]
pub fn demo_flows(
    py: Python<'_>,
    seed: u64,
    workstations: usize,
) -> PyResult<(ArrowStream, ArrowStream)> {
    let cfg = spot_synth::FlowDayConfig {
        seed,
        workstations,
        ..spot_synth::FlowDayConfig::default()
    };
    let day = py.detach(|| spot_synth::flow_day(&cfg));
    let a = &day.attacks;
    let attacks = RecordBatch::try_from_iter([
        (
            "kind",
            Arc::new(
                a.iter()
                    .map(|x| Some(x.kind.label()))
                    .collect::<StringArray>(),
            ) as ArrayRef,
        ),
        (
            "attacker",
            Arc::new(
                a.iter()
                    .map(|x| Some(x.attacker.as_str()))
                    .collect::<StringArray>(),
            ) as ArrayRef,
        ),
        (
            "target",
            Arc::new(
                a.iter()
                    .map(|x| Some(x.target.as_str()))
                    .collect::<StringArray>(),
            ) as ArrayRef,
        ),
        (
            "records",
            Arc::new(a.iter().map(|x| x.records as i64).collect::<Int64Array>()) as ArrayRef,
        ),
    ])
    .map_err(arrow_err)?;
    Ok((ArrowStream::one(day.batch), ArrowStream::one(attacks)))
}
