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
//! A line that cannot be read (wrong field count, a value of the wrong type, invalid UTF-8 or
//! JSON, a line longer than [`DEFAULT_MAX_LINE_LEN`](crate::proxy::DEFAULT_MAX_LINE_LEN)) is
//! skipped and counted by reason in the reader's [`ReadStats`], which keeps the first errors
//! with their file and line, as the proxy reader does; in strict mode
//! ([`FlowReader::with_strict`](crate::FlowReader::with_strict),
//! [`DnsReader::with_strict`](crate::DnsReader::with_strict)) the first one ends the read with
//! [`DecodeError::BadLine`] naming the file and line.

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
use crate::lines::{Line, LineReader};
use crate::proxy::{BadLine, LineError, MAX_KEPT_ERRORS, ReadStats};
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
    /// Whether every column holds exactly one value per finished row.
    fn aligned(&self) -> bool {
        use arrow::array::ArrayBuilder;
        self.cols.iter().all(|b| {
            let n = match b {
                Builder::Utf8(b) => b.len(),
                Builder::I32(b) => b.len(),
                Builder::I64(b) => b.len(),
                Builder::F32(b) => b.len(),
            };
            n == self.rows
        })
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
    /// Appends the row to `out`; `Ok(false)` when the row is skipped on purpose. An error must
    /// come before the first value is appended (check every value, then append), so that a bad
    /// line can be skipped.
    fn map(&mut self, row: &Row, out: &mut Columns) -> std::result::Result<bool, LineError>;
}

/// Streams one Zeek log file as batches, through a [`RowMapper`]; bad lines are skipped and
/// counted, or end the file in strict mode.
pub(crate) struct LogBatches<M> {
    path: PathBuf,
    read: Box<dyn BufRead + Send>,
    lines: LineReader,
    parser: ZeekLines,
    mapper: M,
    out: Columns,
    row: Row,
    line_no: u64,
    batch_size: usize,
    strict: bool,
    done: bool,
    stats: ReadStats,
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
            lines: LineReader::new(crate::proxy::DEFAULT_MAX_LINE_LEN),
            parser: lines,
            mapper,
            out: Columns::new(schema),
            row: Row::default(),
            line_no: 0,
            batch_size: batch_size.max(1),
            strict: false,
            done: false,
            stats: ReadStats {
                files: 1,
                ..ReadStats::default()
            },
            skipped: 0,
        })
    }

    /// Makes the first bad line an error that ends the file (default: skip and count it).
    pub(crate) fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Lines read and skipped so far (complete once the iterator is exhausted).
    pub(crate) fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// Reads the next line into the batch; `Err` only for a failure that ends the file.
    fn step(&mut self) -> Result<bool> {
        let line = match self.lines.next_line(self.read.as_mut()) {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(false),
            Err(e) => return Err(DecodeError::io(&self.path, e)),
        };
        self.line_no += 1;
        self.stats.lines += 1;
        let result = match line {
            Line::TooLong(len) => Err(LineError::TooLong {
                len,
                max: crate::proxy::DEFAULT_MAX_LINE_LEN,
            }),
            Line::Text { start, end } => match std::str::from_utf8(&self.lines.bytes()[start..end])
            {
                Ok(line) => self.parser.parse(line, &mut self.row).and_then(|data| {
                    if data {
                        self.mapper.map(&self.row, &mut self.out).map(Some)
                    } else {
                        Ok(None)
                    }
                }),
                Err(e) => Err(LineError::InvalidUtf8 {
                    offset: e.valid_up_to(),
                }),
            },
        };
        match result {
            Ok(Some(true)) => self.stats.records += 1,
            Ok(Some(false)) => self.skipped += 1,
            Ok(None) => self.stats.directives += 1,
            Err(error) => {
                let bad = BadLine {
                    path: self.path.clone(),
                    line: self.line_no,
                    error,
                };
                // A mapper that failed half-way through a row would misalign the columns.
                if self.strict || !self.out.aligned() {
                    return Err(DecodeError::BadLine {
                        path: bad.path,
                        line: bad.line,
                        error: bad.error,
                    });
                }
                *self.stats.skipped.entry(bad.error.kind()).or_default() += 1;
                if self.stats.errors.len() < MAX_KEPT_ERRORS {
                    self.stats.errors.push(bad);
                }
            }
        }
        Ok(true)
    }
}

impl<M: RowMapper> Iterator for LogBatches<M> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        while self.out.len() < self.batch_size {
            match self.step() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
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
            // Skipping: every line is a record, a directive or a counted bad line.
            let lines = 2 + body.len() as u64 + u64::from(body.is_empty());
            let stats = if dns {
                let mut it = super::dns::read_dns_log(&path, 3, queries).unwrap();
                for b in &mut it {
                    prop_assert!(b.is_ok(), "{:?}", b.err());
                }
                let mut s = it.stats().clone();
                s.records += it.skipped;
                s
            } else {
                let mut it = super::conn::conn_log_batches(&path, 3).unwrap();
                for b in &mut it {
                    prop_assert!(b.is_ok(), "{:?}", b.err());
                }
                it.stats().clone()
            };
            prop_assert_eq!(stats.lines, lines);
            prop_assert_eq!(stats.records + stats.directives + stats.skipped_total(), lines);
            // Strict: the first bad line is an error naming the file and line.
            let strict: Vec<_> = if dns {
                super::dns::read_dns_log(&path, 3, queries).unwrap().with_strict(true).collect()
            } else {
                super::conn::read_conn_log(&path, 3).unwrap().collect()
            };
            let errors: Vec<_> = strict.iter().filter_map(|b| b.as_ref().err()).collect();
            prop_assert_eq!(errors.len(), usize::from(stats.skipped_total() > 0));
            for e in errors {
                prop_assert!(e.to_string().contains("x.log:"), "{e}");
            }
        }
    }
}
