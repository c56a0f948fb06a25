//! DNS records: reading captures, words and Spot's DNS feedback file. Each function wires
//! library calls; the decoding and the words live in the spot crates.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spot_decode::DnsReader;
use spot_decode::dns::DnsStats;
use spot_features::dns::{DnsFeedbackRow, DnsWords, read_dns_feedback};

use crate::arrow_io::{ArrowStream, Batches, import};
use crate::errors::{arrow_err, decode_err, feature_err};
use crate::words::{top_domains, words_table};

fn stats_dict<'py>(
    py: Python<'py>,
    s: &DnsStats,
    damaged: &[String],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("files", s.files)?;
    d.set_item("packets", s.packets)?;
    d.set_item("messages", s.messages)?;
    d.set_item("rows", s.rows)?;
    d.set_item("file_errors", s.file_errors)?;
    d.set_item("fragments_expired", s.fragments_expired)?;
    d.set_item("tcp_flows_dropped", s.tcp_flows_dropped)?;
    let skipped = PyDict::new(py);
    for (reason, n) in s.skips() {
        skipped.set_item(reason.name(), n)?;
    }
    d.set_item("skipped", skipped)?;
    d.set_item("damaged", damaged.to_vec())?;
    Ok(d)
}

/// Reads DNS records from packet captures (pcap, pcapng, gzip; files or folders). Returns the
/// records and the read's counts; a damaged file keeps the records before the damage and is
/// listed under `damaged`, unless `strict`, which raises instead.
#[pyfunction]
#[pyo3(signature = (paths, queries = false, dns_port = 53, batch_size = spot_decode::dns::DEFAULT_BATCH_SIZE, strict = false))]
pub fn read_dns<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    queries: bool,
    dns_port: u16,
    batch_size: usize,
    strict: bool,
) -> PyResult<(ArrowStream, Bound<'py, PyDict>)> {
    let reader = DnsReader::open(&paths)
        .map_err(decode_err)?
        .with_queries(queries)
        .with_dns_port(dns_port)
        .with_batch_size(batch_size.max(1));
    let schema = reader.schema();
    let mut batches = Vec::new();
    let mut damaged = Vec::new();
    let mut it = reader.batches();
    loop {
        let next = py.detach(|| it.next());
        match next {
            Some(Ok(b)) => batches.push(b),
            Some(Err(e)) if strict => return Err(decode_err(e)),
            Some(Err(e)) => damaged.push(e.to_string()),
            None => break,
        }
        py.check_signals()?;
    }
    let stats = stats_dict(py, it.stats(), &damaged)?;
    Ok((Batches { schema, batches }.into(), stats))
}

/// Apache Spot's DNS words: the input's columns, then `word` (the word of `ip_dst`'s document)
/// and `invalid_reason`.
#[pyfunction]
#[pyo3(signature = (data, top_domains = None, user_domain = None))]
pub fn dns_words(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    top_domains: Option<&Bound<'_, PyAny>>,
    user_domain: Option<String>,
) -> PyResult<ArrowStream> {
    let input = import(data)?;
    let creator = DnsWords::new(Arc::new(self::top_domains(top_domains)?), user_domain);
    words_table(py, &creator, &input)
}

/// Spot's DNS feedback file (`dns_scores.csv`) as a table of its low-risk rows.
#[pyfunction]
pub fn read_dns_feedback_table(py: Python<'_>, path: PathBuf) -> PyResult<ArrowStream> {
    let rows = py
        .detach(|| read_dns_feedback(&path))
        .map_err(feature_err)?;
    let i32s = |f: fn(&DnsFeedbackRow) -> i32| {
        Arc::new(rows.iter().map(f).collect::<Int32Array>()) as ArrayRef
    };
    let strs = |f: fn(&DnsFeedbackRow) -> &str| {
        Arc::new(rows.iter().map(|r| Some(f(r))).collect::<StringArray>()) as ArrayRef
    };
    let batch = RecordBatch::try_from_iter_with_nullable([
        ("frame_time", strs(|r| &r.frame_time), false),
        (
            "unix_tstamp",
            Arc::new(rows.iter().map(|r| r.unix_tstamp).collect::<Int64Array>()) as ArrayRef,
            false,
        ),
        ("frame_len", i32s(|r| r.frame_len), false),
        ("ip_dst", strs(|r| &r.ip_dst), false),
        ("dns_qry_name", strs(|r| &r.dns_qry_name), false),
        ("dns_qry_class", strs(|r| &r.dns_qry_class), false),
        ("dns_qry_type", i32s(|r| r.dns_qry_type), false),
        ("dns_qry_rcode", i32s(|r| r.dns_qry_rcode), false),
        ("dns_sev", i32s(|r| r.dns_sev), false),
    ])
    .map_err(arrow_err)?;
    Ok(ArrowStream::one(batch))
}
