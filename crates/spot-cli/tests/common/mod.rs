//! Helpers shared by the CLI integration tests: run the `spot` binary, check how it ended,
//! write test inputs.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::RecordBatch;
use spot_decode::BatchWriter;

/// Runs the `spot` binary built for these tests.
pub fn spot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(args)
        .output()
        .expect("the spot binary runs")
}

/// Whether `spot args` succeeded, and its stderr.
pub fn status(args: &[&str]) -> (bool, String) {
    let out = spot(args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Runs `spot args`, which must succeed; returns (stdout, stderr).
pub fn ok_out(args: &[&str]) -> (String, String) {
    let out = spot(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "spot {args:?} failed: {stderr}");
    (String::from_utf8_lossy(&out.stdout).to_string(), stderr)
}

/// Runs `spot args`, which must succeed; returns its stderr.
pub fn ok(args: &[&str]) -> String {
    ok_out(args).1
}

/// Runs `spot args`, which must fail with a one-line `error: ...`; returns that stderr.
pub fn fails(args: &[&str]) -> String {
    let out = spot(args);
    assert!(!out.status.success(), "spot {args:?} should fail");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one-line error: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

/// A path as the `&str` argument the CLI takes.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Writes `batch` as CSV or Parquet, by the file's extension.
pub fn write_batch(path: &Path, batch: &RecordBatch) {
    let mut w = BatchWriter::create(path, &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
}

/// The real DNS capture (dig against dnsmasq) of spot-decode's tests.
pub fn dns_capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spot-decode/tests/data/dns/dns.pcap")
}
