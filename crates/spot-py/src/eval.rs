//! Ranking quality against labels (`spot eval`): the evaluation is spot-score's.

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spot_score::eval::Evaluation;

use crate::arrow_io::{Batches, import};
use crate::errors::arrow_err;

/// The values of column `name` of every batch, as text (null as the empty string).
fn texts(input: &Batches, name: &str, what: &str) -> PyResult<Vec<String>> {
    let mut out = Vec::new();
    for b in &input.batches {
        let col = b
            .column_by_name(name)
            .ok_or_else(|| PyValueError::new_err(format!("{what} have no `{name}` column")))?;
        let col = cast(col, &DataType::Utf8).map_err(arrow_err)?;
        let col = col.as_string::<i32>();
        out.extend((0..col.len()).map(|i| {
            if col.is_null(i) {
                String::new()
            } else {
                col.value(i).to_string()
            }
        }));
    }
    Ok(out)
}

/// Scores a ranking (`results`, best first) against labeled records (`labels`: `id` and
/// `attack`, null or empty for normal records), as `spot eval`.
#[pyfunction]
#[pyo3(signature = (labels, results, id = "id", attack = "attack"))]
pub fn evaluate<'py>(
    py: Python<'py>,
    labels: &Bound<'py, PyAny>,
    results: &Bound<'py, PyAny>,
    id: &str,
    attack: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let labels = import(labels)?;
    let results = import(results)?;
    let ids = texts(&labels, id, "labels")?;
    let kinds = texts(&labels, attack, "labels")?;
    let labels: HashMap<String, Option<String>> = ids
        .into_iter()
        .zip(kinds)
        .map(|(i, k)| (i, (!k.is_empty()).then_some(k)))
        .collect();
    let ranked = texts(&results, id, "results")?;
    let e = py.detach(|| Evaluation::new(&labels, &ranked));
    let d = PyDict::new(py);
    d.set_item("records", e.total)?;
    d.set_item("attack_records", e.positives)?;
    d.set_item("ranked", ranked.len())?;
    d.set_item("average_precision", e.average_precision)?;
    let within = PyDict::new(py);
    for f in [0.001, 0.01, 0.05] {
        within.set_item(f, e.kinds_within(f))?;
    }
    d.set_item("kinds_within", within)?;
    let kinds = PyDict::new(py);
    for (kind, (n, best)) in &e.kinds {
        let k = PyDict::new(py);
        k.set_item("records", n)?;
        k.set_item("best_rank", best)?;
        kinds.set_item(kind, k)?;
    }
    d.set_item("kinds", kinds)?;
    Ok(d)
}
