use std::path::PathBuf;

use arrow::error::ArrowError;
use parquet::errors::ParquetError;

/// Everything that can go wrong while reading or writing telemetry. Each variant names the file
/// and, where known, the line or byte offset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No input file was found under the given paths.
    #[error("no input files found under {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NoInput { paths: Vec<PathBuf> },
    /// A column the analysis needs is absent.
    #[error("{}: missing required column(s): {} (found: {})", path.display(), missing.join(", "), found.join(", "))]
    MissingColumns {
        path: PathBuf,
        missing: Vec<String>,
        found: Vec<String>,
    },
    /// Two inputs of the same run have different columns.
    #[error("{}: columns differ from {}: expected [{}], found [{}]", path.display(), first.display(), expected.join(", "), found.join(", "))]
    SchemaMismatch {
        path: PathBuf,
        first: PathBuf,
        expected: Vec<String>,
        found: Vec<String>,
    },
    /// A value could not be parsed as its column's type.
    #[error("{}:{line}: column `{column}`: expected {expected}, found {value:?}", path.display())]
    InvalidValue {
        path: PathBuf,
        line: u64,
        column: String,
        expected: &'static str,
        value: String,
    },
    /// A line has the wrong shape (field count, missing header...).
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// A CSV or Arrow-level error, with the file it came from.
    #[error("{}: {source}", path.display())]
    Arrow {
        path: PathBuf,
        #[source]
        source: ArrowError,
    },
    /// A Parquet-level error, with the file it came from.
    #[error("{}: {source}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: ParquetError,
    },
    /// A binary input (an nfcapd file, a NetFlow datagram) is corrupt at this byte offset.
    #[error("{}: offset {offset}: {message}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        message: String,
    },
    /// The input is a format or version this crate does not read (for example nfdump 1.6's
    /// file layout).
    #[error("{}: {message}", path.display())]
    Unsupported { path: PathBuf, message: String },
    /// A capture file is damaged or truncated at `offset`; the packets before it were read.
    #[error("{}: byte offset {offset}, frame {frame}: {message}", path.display())]
    Capture {
        path: PathBuf,
        offset: u64,
        frame: u64,
        message: String,
    },
    /// A log line could not be read (only fatal in strict mode; otherwise it is counted and
    /// skipped).
    #[error("{}:{line}: {error}", path.display())]
    BadLine {
        path: PathBuf,
        line: u64,
        #[source]
        error: crate::proxy::LineError,
    },
    /// The output path's extension names no format we write.
    #[error("{}: unsupported output format (use .csv or .parquet)", path.display())]
    UnsupportedOutput { path: PathBuf },
}

impl DecodeError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DecodeError::Io {
            path: path.into(),
            source,
        }
    }
    pub(crate) fn arrow(path: impl Into<PathBuf>, source: ArrowError) -> Self {
        DecodeError::Arrow {
            path: path.into(),
            source,
        }
    }
    pub(crate) fn parquet(path: impl Into<PathBuf>, source: ParquetError) -> Self {
        DecodeError::Parquet {
            path: path.into(),
            source,
        }
    }
}

/// Result type of this crate.
pub type Result<T, E = DecodeError> = std::result::Result<T, E>;
