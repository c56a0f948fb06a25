use std::path::PathBuf;

/// Errors of word creation and feedback reading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeatureError {
    /// A column the word creator needs is absent or has the wrong type.
    #[error("column `{column}`: {message}")]
    Column { column: String, message: String },
    /// The feedback file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A feedback line does not have the expected shape.
    #[error("{}:{line}: {message}", path.display())]
    Feedback {
        path: PathBuf,
        line: u64,
        message: String,
    },
}
