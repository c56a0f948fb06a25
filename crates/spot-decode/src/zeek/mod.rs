//! Zeek `conn.log` and `dns.log` (TSV with `#separator`/`#fields` headers, or JSON lines),
//! mapped to the [flow schema](crate::flow_schema) and the [DNS schema](crate::dns_schema), so
//! that the flow and DNS analyses read Zeek's logs as they read nfdump's and tshark's output.
//! (`http.log` is a proxy source: see [`crate::proxy`].)
//!
//! [`sniff`] tells which Zeek log a file holds, from its content: the `#path` directive of a TSV
//! log, or the field names of the first JSON record. [`FlowReader`](crate::FlowReader) reads
//! `conn.log` files through [`conn`], and [`DnsReader`](crate::DnsReader) reads `dns.log` files
//! through [`dns`], next to their native inputs.
//!
//! A bad line is an error naming the file and line ([`DecodeError::BadLine`]).

pub mod conn;
pub mod dns;
mod log;

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float32Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{DataType, SchemaRef};

use crate::error::{DecodeError, Result};
use crate::proxy::LineError;
use log::{Row, ZeekLines};

/// Which Zeek log a file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZeekLogKind {
    /// `conn.log`: one row per connection.
    Conn,
    /// `dns.log`: one row per DNS transaction.
    Dns,
    /// `http.log`: one row per HTTP request.
    Http,
    /// Another log, with its `#path` (or `_path`).
    Other(String),
}

impl ZeekLogKind {
    fn from_path(p: &str) -> Self {
        match p {
            "conn" => ZeekLogKind::Conn,
            "dns" => ZeekLogKind::Dns,
            "http" => ZeekLogKind::Http,
            other => ZeekLogKind::Other(other.to_string()),
        }
    }
}

/// Opens a text file, gzip-compressed or not (told by its magic bytes).
fn open(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let mut magic = [0u8; 2];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut magic))
        .map_err(|e| DecodeError::io(path, e))?;
    crate::flow::open_text(path, n == 2 && magic == [0x1f, 0x8b])
}

/// Tells which Zeek log `path` holds (plain or gzip), from its first lines: a TSV log's
/// `#path` directive, or the field names of the first JSON record (its `_path` when present).
/// `None` when the file does not look like a Zeek log.
pub fn sniff(path: &Path) -> Result<Option<ZeekLogKind>> {
    let mut r = open(path)?;
    let mut line = Vec::new();
    let mut separator = b"\t".to_vec();
    for n in 0..16 {
        line.clear();
        if r.read_until(b'\n', &mut line)
            .map_err(|e| DecodeError::io(path, e))?
            == 0
        {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if let Some(sep) = text.strip_prefix("#separator ") {
            separator = crate::proxy::zeek::unescape(sep).as_bytes().to_vec();
            continue;
        }
        let sep = String::from_utf8_lossy(&separator).into_owned();
        if let Some(p) = text.strip_prefix(&format!("#path{sep}")) {
            return Ok(Some(ZeekLogKind::from_path(p.trim())));
        }
        if text.starts_with('#') {
            if n == 0 {
                return Ok(None); // a comment, an ELFF directive: not a Zeek log
            }
            continue;
        }
        if text.trim_start().starts_with('{') {
            let Ok(obj) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
            else {
                return Ok(None);
            };
            if let Some(serde_json::Value::String(p)) = obj.get("_path") {
                return Ok(Some(ZeekLogKind::from_path(p)));
            }
            let has = |k: &str| {
                obj.contains_key(k)
                    || k.split_once('.').is_some_and(|(h, t)| {
                        obj.get(h)
                            .and_then(|v| v.as_object())
                            .is_some_and(|o| o.contains_key(t))
                    })
            };
            if !has("ts") || !has("id.orig_h") {
                return Ok(None);
            }
            return Ok(Some(
                if has("conn_state") || has("history") || has("orig_bytes") {
                    ZeekLogKind::Conn
                } else if has("query") || has("qtype") || has("trans_id") {
                    ZeekLogKind::Dns
                } else if has("method") || has("uri") || has("status_code") {
                    ZeekLogKind::Http
                } else {
                    ZeekLogKind::Other(String::new())
                },
            ));
        }
        return Ok(None);
    }
    Ok(None)
}

/// One Arrow builder per column of a schema, filled row by row.
pub(crate) struct Columns {
    schema: SchemaRef,
    cols: Vec<Builder>,
    rows: usize,
}

enum Builder {
    Utf8(StringBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    F32(Float32Builder),
}

impl Columns {
    pub(crate) fn new(schema: SchemaRef) -> Self {
        let cols = schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Int32 => Builder::I32(Int32Builder::new()),
                DataType::Int64 => Builder::I64(Int64Builder::new()),
                DataType::Float32 => Builder::F32(Float32Builder::new()),
                _ => Builder::Utf8(StringBuilder::new()),
            })
            .collect();
        Columns {
            schema,
            cols,
            rows: 0,
        }
    }

    pub(crate) fn str(&mut self, i: usize, v: Option<&str>) {
        if let Some(Builder::Utf8(b)) = self.cols.get_mut(i) {
            b.append_option(v);
        }
    }
    pub(crate) fn i32(&mut self, i: usize, v: Option<i32>) {
        if let Some(Builder::I32(b)) = self.cols.get_mut(i) {
            b.append_option(v);
        }
    }
    pub(crate) fn i64(&mut self, i: usize, v: Option<i64>) {
        if let Some(Builder::I64(b)) = self.cols.get_mut(i) {
            b.append_option(v);
        }
    }
    pub(crate) fn f32(&mut self, i: usize, v: Option<f32>) {
        if let Some(Builder::F32(b)) = self.cols.get_mut(i) {
            b.append_option(v);
        }
    }
    /// Marks the end of a row (every column must have received one value).
    pub(crate) fn end_row(&mut self) {
        self.rows += 1;
    }
    pub(crate) fn len(&self) -> usize {
        self.rows
    }
    pub(crate) fn finish(&mut self, path: &Path) -> Result<RecordBatch> {
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Utf8(b) => Arc::new(b.finish()),
                    Builder::I32(b) => Arc::new(b.finish()),
                    Builder::I64(b) => Arc::new(b.finish()),
                    Builder::F32(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| DecodeError::arrow(path, e))
    }
}

/// What a log-specific mapper does with one parsed row.
pub(crate) trait RowMapper: Send {
    /// Appends the row to `out`; `Ok(false)` when the row is skipped on purpose.
    fn map(&mut self, row: &Row, out: &mut Columns) -> std::result::Result<bool, LineError>;
}

/// Streams one Zeek log file as batches, through a [`RowMapper`].
pub(crate) struct LogBatches<M> {
    path: PathBuf,
    read: Box<dyn BufRead + Send>,
    lines: ZeekLines,
    mapper: M,
    out: Columns,
    row: Row,
    buf: Vec<u8>,
    line_no: u64,
    batch_size: usize,
    done: bool,
    /// Rows the mapper skipped on purpose.
    pub(crate) skipped: u64,
}

impl<M: RowMapper> LogBatches<M> {
    pub(crate) fn open(
        path: &Path,
        lines: ZeekLines,
        mapper: M,
        schema: SchemaRef,
        batch_size: usize,
    ) -> Result<Self> {
        Ok(LogBatches {
            path: path.to_path_buf(),
            read: open(path)?,
            lines,
            mapper,
            out: Columns::new(schema),
            row: Row::default(),
            buf: Vec::new(),
            line_no: 0,
            batch_size: batch_size.max(1),
            done: false,
            skipped: 0,
        })
    }

    fn bad(&self, error: LineError) -> DecodeError {
        DecodeError::BadLine {
            path: self.path.clone(),
            line: self.line_no,
            error,
        }
    }
}

impl<M: RowMapper> Iterator for LogBatches<M> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        while self.out.len() < self.batch_size {
            self.buf.clear();
            match self.read.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => self.line_no += 1,
                Err(e) => {
                    self.done = true;
                    return Some(Err(DecodeError::io(&self.path, e)));
                }
            }
            let step = match std::str::from_utf8(&self.buf) {
                Ok(line) => self.lines.parse(line, &mut self.row).and_then(|data| {
                    if data {
                        self.mapper.map(&self.row, &mut self.out)
                    } else {
                        Ok(true)
                    }
                }),
                Err(e) => Err(LineError::InvalidUtf8 {
                    offset: e.valid_up_to(),
                }),
            };
            match step {
                Ok(true) => {}
                Ok(false) => self.skipped += 1,
                Err(e) => {
                    // A half-appended row would misalign the columns: stop this file.
                    self.done = true;
                    return Some(Err(self.bad(e)));
                }
            }
        }
        if self.out.len() == 0 {
            return None;
        }
        Some(self.out.finish(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    fn lines() -> impl Strategy<Value = Vec<String>> {
        // Tab-separated fields of digits, dots, letters and markers, as real lines are.
        let field = prop_oneof![
            Just("-".to_string()),
            Just("(empty)".to_string()),
            "[0-9]{1,12}(\\.[0-9]{1,9})?",
            "[a-zA-Z0-9.:,_-]{0,20}",
        ];
        proptest::collection::vec(
            proptest::collection::vec(field, 0..26).prop_map(|f| f.join("\t")),
            0..8,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any data lines under a conn or dns header give batches or a typed error naming the
        /// line; the mappers never panic.
        #[test]
        fn conn_and_dns_logs_never_panic(body in lines(), dns in any::<bool>(), queries in any::<bool>()) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("x.log");
            let head = if dns { "#separator \\x09\n#path\tdns\n" } else { "#separator \\x09\n#path\tconn\n" };
            std::fs::write(&path, format!("{head}{}\n", body.join("\n"))).unwrap();
            if dns {
                let it = super::dns::read_dns_log(&path, 3, queries).unwrap();
                for b in it {
                    if let Err(e) = b {
                        prop_assert!(e.to_string().contains("x.log:"), "{e}");
                    }
                }
            } else {
                for b in super::conn::read_conn_log(&path, 3).unwrap() {
                    if let Err(e) = b {
                        prop_assert!(e.to_string().contains("x.log:"), "{e}");
                    }
                }
            }
        }
    }
}
