//! Rust errors as Python exceptions: `SpotError` and one subclass per layer, each carrying the
//! message and the `path`, `line`, `offset` (bytes) and `frame` attributes (`None` when unknown).

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
    "Base class of every spot error; `path`, `line`, `offset` and `frame` locate the problem when known."
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

/// Where an error happened, as far as it is known.
#[derive(Default)]
struct Location<'a> {
    path: Option<&'a Path>,
    line: Option<u64>,
    offset: Option<u64>,
    frame: Option<u64>,
}

/// Builds exception `E` with `message` and its `path` / `line` / `offset` / `frame` attributes.
fn with_context<E: pyo3::PyTypeInfo>(message: String, at: Location<'_>) -> PyErr {
    Python::attach(|py| {
        let err = PyErr::from_type(E::type_object(py), message);
        let value = err.value(py);
        let path = at.path.map(|p| p.display().to_string());
        // Setting an attribute on a fresh exception instance cannot fail in practice; if it
        // does, the exception still carries its message.
        let _ = value.setattr("path", path);
        let _ = value.setattr("line", at.line);
        let _ = value.setattr("offset", at.offset);
        let _ = value.setattr("frame", at.frame);
        err
    })
}

/// A decode error as `spot.DecodeError`.
pub fn decode_err(e: RsDecodeError) -> PyErr {
    let at = match &e {
        RsDecodeError::Io { path, .. }
        | RsDecodeError::MissingColumns { path, .. }
        | RsDecodeError::SchemaMismatch { path, .. }
        | RsDecodeError::Arrow { path, .. }
        | RsDecodeError::Parquet { path, .. }
        | RsDecodeError::Unsupported { path, .. }
        | RsDecodeError::UnsupportedOutput { path } => Location {
            path: Some(path.as_path()),
            ..Location::default()
        },
        RsDecodeError::InvalidValue { path, line, .. }
        | RsDecodeError::Malformed { path, line, .. }
        | RsDecodeError::BadLine { path, line, .. } => Location {
            path: Some(path.as_path()),
            line: Some(*line),
            ..Location::default()
        },
        RsDecodeError::Corrupt { path, offset, .. } => Location {
            path: Some(path.as_path()),
            offset: Some(*offset),
            ..Location::default()
        },
        RsDecodeError::Capture {
            path,
            offset,
            frame,
            ..
        } => Location {
            path: Some(path.as_path()),
            offset: Some(*offset),
            frame: Some(*frame),
            ..Location::default()
        },
        _ => Location::default(),
    };
    with_context::<DecodeError>(e.to_string(), at)
}

/// A feature error as `spot.FeatureError`.
pub fn feature_err(e: RsFeatureError) -> PyErr {
    let at = match &e {
        RsFeatureError::Io { path, .. } => Location {
            path: Some(path.as_path()),
            ..Location::default()
        },
        RsFeatureError::Feedback { path, line, .. } => Location {
            path: Some(path.as_path()),
            line: Some(*line),
            ..Location::default()
        },
        _ => Location::default(),
    };
    with_context::<FeatureError>(e.to_string(), at)
}

/// A model error as `spot.ModelError` (with the model file and byte offset for file errors).
pub fn model_err(e: RsModelError) -> PyErr {
    let at = match &e {
        RsModelError::Io { path, .. }
        | RsModelError::NotAModel { path }
        | RsModelError::UnsupportedVersion { path, .. } => Location {
            path: Some(path.as_path()),
            ..Location::default()
        },
        RsModelError::Corrupt { path, offset, .. } => Location {
            path: Some(path.as_path()),
            offset: Some(*offset),
            ..Location::default()
        },
        _ => Location::default(),
    };
    with_context::<ModelError>(e.to_string(), at)
}

/// An Arrow error as `spot.SpotError`.
pub fn arrow_err(e: ArrowError) -> PyErr {
    with_context::<SpotError>(format!("arrow: {e}"), Location::default())
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
        other => with_context::<SpotError>(other.to_string(), Location::default()),
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
