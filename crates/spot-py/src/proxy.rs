//! Proxy records: reading logs (ELFF, Squid, Zeek http), words and Spot's proxy feedback file.
//! Each function wires library calls; the parsing and the words live in the spot crates.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spot_decode::ProxyReader;
use spot_decode::proxy::{ProxyFormat, ReadStats};
use spot_features::proxy::{ProxyFeedbackRow, ProxyWords, UserAgentCounts, read_proxy_feedback};

use crate::arrow_io::{ArrowStream, Batches, import};
use crate::errors::{arrow_err, decode_err, feature_err};
use crate::words::{top_domains, words_table};

/// How many skipped lines the stats list (all are counted).
const LISTED_ERRORS: usize = 20;

fn stats_dict<'py>(py: Python<'py>, s: &ReadStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("files", s.files)?;
    d.set_item("lines", s.lines)?;
    d.set_item("records", s.records)?;
    d.set_item("directives", s.directives)?;
    let skipped = PyDict::new(py);
    for (kind, n) in &s.skipped {
        skipped.set_item(*kind, n)?;
    }
    d.set_item("skipped", skipped)?;
    let errors: Vec<(String, u64, String)> = s
        .errors
        .iter()
        .take(LISTED_ERRORS)
        .map(|e| (e.path.display().to_string(), e.line, e.error.to_string()))
        .collect();
    d.set_item("errors", errors)?;
    Ok(d)
}

/// Reads proxy logs (Blue Coat ELFF, Squid access.log, Zeek http.log TSV/JSON; plain or gzip;
/// files or folders) into Spot's proxy schema. The format is detected per file unless given.
/// Unreadable lines are counted and skipped (listed in the stats), or raise with `strict`.
#[pyfunction]
#[pyo3(signature = (paths, format = None, strict = false, batch_size = spot_decode::proxy::DEFAULT_BATCH_SIZE))]
pub fn read_proxy<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    format: Option<&str>,
    strict: bool,
    batch_size: usize,
) -> PyResult<(ArrowStream, Bound<'py, PyDict>)> {
    let reader = match format {
        Some(f) => {
            let f: ProxyFormat = f.parse().map_err(PyValueError::new_err)?;
            ProxyReader::open_as(&paths, f)
        }
        None => ProxyReader::open(&paths),
    }
    .map_err(decode_err)?
    .with_strict(strict)
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
    let stats = stats_dict(py, it.stats())?;
    Ok((Batches { schema, batches }.into(), stats))
}

/// The proxy word creator for `input`: Spot weighs user agents by their count in the data
/// being analysed.
pub fn proxy_creator(
    input: &Batches,
    top: spot_features::domain::TopDomains,
    user_domain: Option<String>,
) -> Result<ProxyWords, spot_features::FeatureError> {
    let mut agents = UserAgentCounts::default();
    for b in &input.batches {
        agents.add_batch(b)?;
    }
    Ok(ProxyWords::new(top, user_domain, agents))
}

/// Apache Spot's proxy words: the input's columns, then `word` (the word of `clientip`'s
/// document) and `invalid_reason`. User agents are counted over `data`, as Spot did.
#[pyfunction]
#[pyo3(signature = (data, top_domains = None, user_domain = None))]
pub fn proxy_words(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    top_domains: Option<&Bound<'_, PyAny>>,
    user_domain: Option<String>,
) -> PyResult<ArrowStream> {
    let input = import(data)?;
    let top = self::top_domains(top_domains)?;
    let creator = py
        .detach(|| proxy_creator(&input, top, user_domain))
        .map_err(feature_err)?;
    words_table(py, &creator, &input)
}

/// Spot's proxy feedback file as a table.
#[pyfunction]
pub fn read_proxy_feedback_table(py: Python<'_>, path: PathBuf) -> PyResult<ArrowStream> {
    let rows = py
        .detach(|| read_proxy_feedback(&path))
        .map_err(feature_err)?;
    let strs = |f: fn(&ProxyFeedbackRow) -> &str| {
        Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>()) as ArrayRef
    };
    let batch = RecordBatch::try_from_iter_with_nullable([
        ("p_date", strs(|r| &r.p_date), false),
        ("p_time", strs(|r| &r.p_time), false),
        ("clientip", strs(|r| &r.clientip), false),
        ("host", strs(|r| &r.host), false),
        ("reqmethod", strs(|r| &r.reqmethod), false),
        ("useragent", strs(|r| &r.useragent), false),
        ("resconttype", strs(|r| &r.resconttype), false),
        ("respcode", strs(|r| &r.respcode), false),
        ("fulluri", strs(|r| &r.fulluri), false),
        (
            "sev",
            Arc::new(rows.iter().map(|r| r.sev).collect::<Int32Array>()) as ArrayRef,
            false,
        ),
    ])
    .map_err(arrow_err)?;
    Ok(ArrowStream::one(batch))
}
