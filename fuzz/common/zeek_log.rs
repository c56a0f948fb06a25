//! Shared by the `zeek_conn` and `zeek_dns` targets: the input, behind a TSV header naming the
//! log (`#path`), is written to a file that the flow or DNS reader reads as a Zeek log, skipping
//! bad lines (no error may come out) and, in strict mode, stopping at the first one with an
//! error that names the file and line.

use std::path::PathBuf;

/// A file of this process holding `header` then `data`.
pub fn write_log(name: &str, header: &str, data: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("spot-fuzz-{}-{name}", std::process::id()));
    let mut bytes = header.as_bytes().to_vec();
    bytes.extend_from_slice(data);
    std::fs::write(&path, bytes).expect("writing the fuzz input file");
    path
}

/// Checks a strict read's error: one, naming the file and a line.
pub fn check_strict_error(err: &spot_decode::DecodeError, path: &std::path::Path) {
    match err {
        spot_decode::DecodeError::BadLine { path: p, line, .. } => {
            assert_eq!(p, path);
            assert!(*line >= 1);
        }
        other => panic!("strict read failed with {other}, not a bad line"),
    }
}
