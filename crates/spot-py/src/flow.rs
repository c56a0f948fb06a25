//! Flow records: reading, words, feedback and the synthetic day; the corpus of any source. Each function wires
//! library calls; the analysis itself lives in the spot crates.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use spot_decode::FlowReader;
use spot_features::WordCreator;
use spot_features::dns::DnsWords;
use spot_features::feedback::{FlowFeedbackRow, read_flow_feedback};
use spot_features::flow::FlowWords;

use crate::arrow_io::{ArrowStream, Batches, import};
use crate::errors::{arrow_err, decode_err, feature_err};
use crate::words::{corpus_of, corpus_table, words_table};

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

/// The input's columns, then `src_word`, `dst_word` and `invalid_reason`.
#[pyfunction]
pub fn flow_words(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<ArrowStream> {
    words_table(py, &FlowWords, &import(data)?)
}

/// (doc, word, count) of every valid row of any source: the corpus a cluster aggregates
/// before fitting. `source` is `flow`, `dns` or `proxy`; `top_domains` and `user_domain` set
/// the DNS and proxy words.
#[pyfunction]
#[pyo3(signature = (data, source = "flow", top_domains = None, user_domain = None))]
pub fn word_counts(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    source: &str,
    top_domains: Option<&Bound<'_, PyAny>>,
    user_domain: Option<String>,
) -> PyResult<ArrowStream> {
    let input = import(data)?;
    let corpus = match source {
        "flow" => corpus_of(py, &FlowWords, &input)?,
        "dns" => {
            let top = std::sync::Arc::new(crate::words::top_domains(top_domains)?);
            corpus_of(py, &DnsWords::new(top, user_domain), &input)?
        }
        "proxy" => {
            let top = crate::words::top_domains(top_domains)?;
            let creator = py
                .detach(|| crate::proxy::proxy_creator(&input, top, user_domain))
                .map_err(feature_err)?;
            corpus_of(py, &creator, &input)?
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown source {other:?}: expected flow, dns or proxy"
            )));
        }
    };
    corpus_table(&corpus.build())
}

/// The columns word creation of `source` (`flow`, `dns` or `proxy`) reads: selecting them
/// first lets a caller (e.g. Spark) hand over only what the words need.
#[pyfunction]
pub fn word_columns(source: &str) -> PyResult<Vec<String>> {
    let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
    Ok(match source {
        "flow" => owned(FlowWords.required_columns()),
        "dns" => owned(DnsWords::new(Default::default(), None).required_columns()),
        "proxy" => owned(spot_decode::schema::proxy::REQUIRED),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown source {other:?}: expected flow, dns or proxy"
            )));
        }
    })
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

/// The synthetic flow day (records in time order with `id` and `attack`) and its attacks as
/// (kind, attacker, target, records) rows. `records` sizes the day as `spot generate flow
/// --records` does (the same seed then gives the same records), else `workstations` does.
#[pyfunction]
#[pyo3(signature = (seed = 1, workstations = 250, records = None))]
pub fn demo_flows(
    py: Python<'_>,
    seed: u64,
    workstations: usize,
    records: Option<usize>,
) -> PyResult<(ArrowStream, ArrowStream)> {
    let base = match records {
        Some(n) => spot_synth::FlowDayConfig::with_records(n),
        None => spot_synth::FlowDayConfig {
            workstations,
            ..spot_synth::FlowDayConfig::default()
        },
    };
    let cfg = spot_synth::FlowDayConfig { seed, ..base };
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
