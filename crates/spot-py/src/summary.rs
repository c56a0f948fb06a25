//! Counts and timings of a run, as the CLI prints them.

use std::collections::BTreeMap;

use pyo3::prelude::*;

/// Counts and timings of a run.
#[pyclass(module = "spot._spot", frozen, get_all)]
pub struct Summary {
    /// Records read.
    read: u64,
    /// Invalid records by reason.
    invalid: BTreeMap<String, u64>,
    /// Records scored.
    scored: u64,
    /// Results kept after threshold and top-N.
    written: u64,
    /// Low-risk feedback rows that joined training.
    feedback_rows: u64,
    /// Documents (IPs) and words in the model.
    documents: usize,
    words: usize,
    /// (stage, seconds), in order.
    stages: Vec<(String, f64)>,
    text: String,
}

impl From<spot_score::Summary> for Summary {
    fn from(s: spot_score::Summary) -> Self {
        Summary {
            read: s.read,
            invalid: s
                .invalid
                .iter()
                .map(|(r, n)| (r.name().to_string(), n))
                .collect(),
            scored: s.scored,
            written: s.written,
            feedback_rows: s.feedback_rows,
            documents: s.documents,
            words: s.words,
            stages: s
                .stages
                .iter()
                .map(|(n, d)| (n.to_string(), d.as_secs_f64()))
                .collect(),
            text: s.to_string(),
        }
    }
}

#[pymethods]
impl Summary {
    fn __str__(&self) -> String {
        self.text.clone()
    }

    fn __repr__(&self) -> String {
        format!("Summary({})", self.text)
    }
}
