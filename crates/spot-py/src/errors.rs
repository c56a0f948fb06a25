//! Rust errors as Python exceptions: `SpotError` and one subclass per layer, each carrying the
//! message and, where known, `path` and `line` attributes.

use std::path::Path;

use arrow::error::ArrowError;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt};
use pyo3::prelude::*;
use spot_decode::DecodeError as RsDecodeError;
use spot_features::FeatureError as RsFeatureError;
use spot_model::ModelError as RsModelError;
use spot_score::AnalysisError;

create_exception!(
    spot,
    SpotError,
    PyException,
    "Base class of every spot error; `path` and `line` name the input when known."
);
create_exception!(
    spot,
    DecodeError,
    SpotError,
    "Records could not be read or written (bad file, value, line or column)."
);
create_exception!(
    spot,
    FeatureError,
    SpotError,
    "Words could not be made (missing column, wrong type, bad feedback line)."
);
create_exception!(
    spot,
    ModelError,
    SpotError,
    "The topic model could not be fitted or used (bad parameters, empty corpus, not fitted)."
);

/// Builds exception `E` with `message` and its `path` / `line` attributes.
fn with_context<E: pyo3::PyTypeInfo>(
    message: String,
    path: Option<&Path>,
    line: Option<u64>,
) -> PyErr {
    Python::attach(|py| {
        let err = PyErr::from_type(E::type_object(py), message);
        let value = err.value(py);
        let path = path.map(|p| p.display().to_string());
        // Setting an attribute on a fresh exception instance cannot fail in practice; if it
        // does, the exception still carries its message.
        let _ = value.setattr("path", path);
        let _ = value.setattr("line", line);
        err
    })
}

/// A decode error as `spot.DecodeError`.
pub fn decode_err(e: RsDecodeError) -> PyErr {
    let (path, line) = match &e {
        RsDecodeError::Io { path, .. }
        | RsDecodeError::MissingColumns { path, .. }
        | RsDecodeError::SchemaMismatch { path, .. }
        | RsDecodeError::Arrow { path, .. }
        | RsDecodeError::Parquet { path, .. }
        | RsDecodeError::UnsupportedOutput { path } => (Some(path.as_path()), None),
        RsDecodeError::InvalidValue { path, line, .. }
        | RsDecodeError::Malformed { path, line, .. } => (Some(path.as_path()), Some(*line)),
        _ => (None, None),
    };
    with_context::<DecodeError>(e.to_string(), path, line)
}

/// A feature error as `spot.FeatureError`.
pub fn feature_err(e: RsFeatureError) -> PyErr {
    let (path, line) = match &e {
        RsFeatureError::Io { path, .. } => (Some(path.as_path()), None),
        RsFeatureError::Feedback { path, line, .. } => (Some(path.as_path()), Some(*line)),
        _ => (None, None),
    };
    with_context::<FeatureError>(e.to_string(), path, line)
}

/// A model error as `spot.ModelError`.
pub fn model_err(e: RsModelError) -> PyErr {
    with_context::<ModelError>(e.to_string(), None, None)
}

/// An Arrow error as `spot.SpotError`.
pub fn arrow_err(e: ArrowError) -> PyErr {
    with_context::<SpotError>(format!("arrow: {e}"), None, None)
}

/// An analysis error as the exception of its layer; an interruption as `KeyboardInterrupt`
/// (or the error a progress callback raised, when that stopped the run).
pub fn analysis_err(e: AnalysisError, raised: Option<PyErr>) -> PyErr {
    match e {
        AnalysisError::Decode(e) => decode_err(e),
        AnalysisError::Feature(e) => feature_err(e),
        AnalysisError::Model(e) => model_err(e),
        AnalysisError::Arrow(e) => arrow_err(e),
        AnalysisError::Interrupted => {
            raised.unwrap_or_else(|| PyKeyboardInterrupt::new_err("interrupted"))
        }
        other => with_context::<SpotError>(other.to_string(), None, None),
    }
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SpotError", py.get_type::<SpotError>())?;
    m.add("DecodeError", py.get_type::<DecodeError>())?;
    m.add("FeatureError", py.get_type::<FeatureError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    Ok(())
}
