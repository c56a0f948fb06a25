//! Proxy logs: Blue Coat W3C ELFF, Squid access logs and Zeek `http.log`, read into the
//! [proxy schema](crate::proxy_schema).
//!
//! [`ProxyReader`] finds the input files, detects each one's format from its first lines
//! ([`detect_format`]; [`ProxyReader::with_format`] forces one), and streams them as record
//! batches. Plain or gzip-compressed files are read alike.
//!
//! A line that cannot be read (wrong field count, unbalanced quote, a byte count that is not a
//! number, invalid UTF-8, a line longer than [`ProxyReader::with_max_line_len`]) is skipped and
//! counted by reason in [`ReadStats`], which keeps the first errors with their file and line;
//! in [strict](ProxyReader::with_strict) mode the first such line ends the read with
//! [`DecodeError::BadLine`].
//!
//! The per-format line parsers ([`ElffParser`], [`SquidParser`], [`ZeekParser`]) implement
//! [`LineParser`] and can be used on their own.

mod column;
pub mod elff;
pub(crate) mod record;
pub mod squid;
pub mod zeek;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::basic::Encoding;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::error::{DecodeError, Result};
use crate::flow::open_text;
use crate::lines::{Line, LineReader};
use crate::schema::proxy_schema;
use crate::write::ParquetCompression;

pub use elff::{ElffMeta, ElffParser, SPOT_POSITIONAL_FIELDS, column_for_field};
pub use record::{Col, N_COLS, ProxyRecord};
pub use squid::{SquidParser, UrlParts, split_url};
pub use zeek::{HTTP_FIELDS, ZeekParser};

/// Default number of rows per batch.
pub const DEFAULT_BATCH_SIZE: usize = 64 * 1024;
/// Default longest line accepted, in bytes.
pub const DEFAULT_MAX_LINE_LEN: usize = 64 * 1024;
/// How many line errors [`ReadStats`] keeps (all are counted).
pub const MAX_KEPT_ERRORS: usize = 100;

/// A proxy log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProxyFormat {
    /// W3C Extended Log File Format as Blue Coat writes it (with or without `#Fields:`).
    Elff,
    /// Squid `access.log`: native `squid` format, `common` or `combined`.
    Squid,
    /// Zeek `http.log`, TSV or JSON lines.
    Zeek,
}

impl ProxyFormat {
    /// The format's name as [`FromStr`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            ProxyFormat::Elff => "elff",
            ProxyFormat::Squid => "squid",
            ProxyFormat::Zeek => "zeek",
        }
    }

    /// A fresh line parser for this format.
    pub fn parser(self) -> Box<dyn LineParser> {
        match self {
            ProxyFormat::Elff => Box::new(ElffParser::new()),
            ProxyFormat::Squid => Box::new(SquidParser::new()),
            ProxyFormat::Zeek => Box::new(ZeekParser::new()),
        }
    }
}

impl std::fmt::Display for ProxyFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ProxyFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "elff" | "bluecoat" | "w3c" => Ok(ProxyFormat::Elff),
            "squid" => Ok(ProxyFormat::Squid),
            "zeek" | "bro" => Ok(ProxyFormat::Zeek),
            other => Err(format!(
                "unknown proxy log format {other:?} (expected elff, squid or zeek)"
            )),
        }
    }
}

/// Why one line of a proxy log could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The line is not valid UTF-8.
    #[error("invalid UTF-8 at byte {offset} of the line")]
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The line is longer than the reader accepts.
    #[error("line of {len} bytes is longer than the limit of {max} bytes")]
    TooLong {
        /// Length of the line.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A quoted field has no closing quote.
    #[error("field {field}: opening quote without a closing quote")]
    UnbalancedQuote {
        /// 1-based field number.
        field: usize,
    },
    /// A closing quote is followed by more text in the same field.
    #[error("field {field}: text after the closing quote")]
    TextAfterQuote {
        /// 1-based field number.
        field: usize,
    },
    /// The line has a different number of fields than its layout.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// Fields of the layout.
        expected: usize,
        /// Fields on the line.
        found: usize,
    },
    /// A value does not have its column's type.
    #[error("column `{column}`: expected {expected}, found {value:?}")]
    InvalidValue {
        /// The column (or log field) name.
        column: &'static str,
        /// What was expected.
        expected: &'static str,
        /// The value found (cut to a readable length).
        value: String,
    },
    /// A JSON line could not be read.
    #[error("invalid JSON: {message}")]
    Json {
        /// serde_json's message.
        message: String,
    },
    /// A Zeek log other than `http.log`.
    #[error("Zeek `{path}` log: only http logs hold proxy records")]
    UnsupportedZeekLog {
        /// The log's `#path`.
        path: String,
    },
    /// Any other shape problem.
    #[error("{message}")]
    Malformed {
        /// What is wrong.
        message: String,
    },
}

impl LineError {
    /// A short snake_case name of the error's kind, for counts.
    pub fn kind(&self) -> &'static str {
        match self {
            LineError::InvalidUtf8 { .. } => "invalid_utf8",
            LineError::TooLong { .. } => "too_long",
            LineError::UnbalancedQuote { .. } => "unbalanced_quote",
            LineError::TextAfterQuote { .. } => "text_after_quote",
            LineError::FieldCount { .. } => "field_count",
            LineError::InvalidValue { .. } => "invalid_value",
            LineError::Json { .. } => "invalid_json",
            LineError::UnsupportedZeekLog { .. } => "unsupported_zeek_log",
            LineError::Malformed { .. } => "malformed",
        }
    }
}

/// Parses the lines of one log, in order (directives change the parser's state).
pub trait LineParser: Send {
    /// One line without its line end: `Ok(None)` for a directive, comment or blank line.
    fn parse_line<'a>(
        &mut self,
        line: &'a str,
    ) -> std::result::Result<Option<ProxyRecord<'a>>, LineError>;
}

/// One line that was skipped, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: u64,
    /// What was wrong.
    pub error: LineError,
}

/// What a read saw: lines, records, and the lines it skipped by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Files opened.
    pub files: u64,
    /// Lines read (all kinds).
    pub lines: u64,
    /// Records produced.
    pub records: u64,
    /// Directive, comment and blank lines.
    pub directives: u64,
    /// Lines skipped, by [`LineError::kind`].
    pub skipped: BTreeMap<&'static str, u64>,
    /// The first [`MAX_KEPT_ERRORS`] skipped lines.
    pub errors: Vec<BadLine>,
}

impl ReadStats {
    /// Lines skipped in total.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Adds the counts of `other` (another file's) to these, keeping at most
    /// [`MAX_KEPT_ERRORS`] errors.
    pub fn merge(&mut self, other: &ReadStats) {
        self.files += other.files;
        self.lines += other.lines;
        self.records += other.records;
        self.directives += other.directives;
        for (k, n) in &other.skipped {
            *self.skipped.entry(k).or_default() += n;
        }
        let room = MAX_KEPT_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(other.errors.iter().take(room).cloned());
    }
}

/// Guesses the format of a log from its first bytes (`None` if nothing matches).
pub fn detect_format(sample: &[u8]) -> Option<ProxyFormat> {
    let text = String::from_utf8_lossy(sample);
    for line in text.lines().map(|l| l.trim_end_matches('\r')) {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with("#separator")
            || line.starts_with("#fields\t")
            || line.starts_with("#path")
            || line.starts_with("#set_separator")
            || line.trim_start().starts_with('{')
        {
            return Some(ProxyFormat::Zeek);
        }
        if let Some(directive) = line.strip_prefix('#') {
            let name = directive
                .split(':')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "software" | "version" | "fields" | "date" | "start-date" | "end-date" | "remark"
            ) {
                return Some(ProxyFormat::Elff);
            }
            continue;
        }
        let first = line.split_ascii_whitespace().next().unwrap_or("");
        let b = first.as_bytes();
        if b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        {
            return Some(ProxyFormat::Elff);
        }
        if squid::is_epoch(first) {
            let tab_fields = line.split('\t').count();
            return Some(if tab_fields >= 10 {
                ProxyFormat::Zeek
            } else {
                ProxyFormat::Squid
            });
        }
        if line.contains(" [") && line.contains("] \"") {
            return Some(ProxyFormat::Squid);
        }
        return None;
    }
    None
}

#[derive(Debug, Clone)]
struct InputFile {
    path: PathBuf,
    format: ProxyFormat,
    gzip: bool,
}

/// Streams proxy records from log files and folders as Arrow batches of the
/// [proxy schema](crate::proxy_schema).
///
/// ```no_run
/// use spot_decode::proxy::{ProxyFormat, ProxyReader};
/// let reader = ProxyReader::open(&["access.log.gz"])?
///     .with_format(ProxyFormat::Squid)
///     .with_batch_size(8192);
/// let mut batches = reader.batches();
/// for batch in &mut batches {
///     println!("{} requests", batch?.num_rows());
/// }
/// println!("{} bad lines", batches.stats().skipped_total());
/// # Ok::<(), spot_decode::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ProxyReader {
    files: Vec<InputFile>,
    extra: std::sync::Arc<[String]>,
    schema: SchemaRef,
    batch_size: usize,
    strict: bool,
    max_line_len: usize,
    dictionary: bool,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DecodeError::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| DecodeError::io(dir, e)))
        .collect::<Result<_>>()?;
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads up to `n` bytes from the start of a file (decompressed when gzip).
fn sample(path: &Path, n: usize) -> Result<(Vec<u8>, bool)> {
    let mut magic = [0u8; 2];
    let got = {
        let mut f = File::open(path).map_err(|e| DecodeError::io(path, e))?;
        let mut got = 0;
        while got < 2 {
            match f.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) => return Err(DecodeError::io(path, e)),
            }
        }
        got
    };
    let gzip = got == 2 && magic == [0x1f, 0x8b];
    let mut buf = Vec::with_capacity(n);
    open_text(path, gzip)?
        .take(n as u64)
        .read_to_end(&mut buf)
        .map_err(|e| DecodeError::io(path, e))?;
    Ok((buf, gzip))
}

impl ProxyReader {
    /// Finds the log files under `paths` (files, or every non-hidden file in folders, searched
    /// recursively) and detects each one's format. A file whose format cannot be told is an
    /// error; name the format with [`with_format`](Self::with_format) after opening instead... or
    /// use [`open_as`](Self::open_as).
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<Self> {
        Self::open_impl(paths, None)
    }

    /// Like [`open`](Self::open), reading every file as `format`.
    pub fn open_as<P: AsRef<Path>>(paths: &[P], format: ProxyFormat) -> Result<Self> {
        Self::open_impl(paths, Some(format))
    }

    fn open_impl<P: AsRef<Path>>(paths: &[P], format: Option<ProxyFormat>) -> Result<Self> {
        let mut found = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let meta = std::fs::metadata(p).map_err(|e| DecodeError::io(p, e))?;
            if meta.is_dir() {
                walk(p, &mut found)?;
            } else {
                found.push(p.to_path_buf());
            }
        }
        if found.is_empty() {
            return Err(DecodeError::NoInput {
                paths: paths.iter().map(|p| p.as_ref().to_path_buf()).collect(),
            });
        }
        let mut files = Vec::with_capacity(found.len());
        let mut extra: Vec<String> = Vec::new();
        for path in found {
            let (head, gzip) = sample(&path, 16 * 1024)?;
            elff::extra_fields(&head, &mut extra);
            let format = match format.or_else(|| detect_format(&head)) {
                Some(f) => f,
                None if head.iter().all(|b| b.is_ascii_whitespace()) => ProxyFormat::Elff,
                None => {
                    return Err(DecodeError::Malformed {
                        path,
                        line: 1,
                        message: "not a proxy log this reader knows (W3C ELFF / Blue Coat, \
                                  Squid, Zeek http.log); name the format to force one"
                            .into(),
                    });
                }
            };
            files.push(InputFile { path, format, gzip });
        }
        let schema = extended_schema(&extra);
        Ok(ProxyReader {
            files,
            extra: extra.into(),
            schema,
            batch_size: DEFAULT_BATCH_SIZE,
            strict: false,
            max_line_len: DEFAULT_MAX_LINE_LEN,
            dictionary: false,
        })
    }

    /// Reads every file as `format`, whatever was detected.
    pub fn with_format(mut self, format: ProxyFormat) -> Self {
        for f in &mut self.files {
            f.format = format;
        }
        self
    }

    /// Rows per batch (default [`DEFAULT_BATCH_SIZE`]).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Makes the first bad line an error that ends the read (default: skip and count).
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Longest line accepted, in bytes (default [`DEFAULT_MAX_LINE_LEN`], at most 512 MiB);
    /// longer lines are bad lines, read past without holding them in memory.
    pub fn with_max_line_len(mut self, max: usize) -> Self {
        self.max_line_len = max.clamp(1, 1 << 29);
        self
    }

    /// Makes every text column `Dictionary(Int32, Utf8)` instead of `Utf8` (default: off): the
    /// same values, each distinct value of a batch stored once. Writing such batches to Parquet
    /// is much cheaper, as the writer then hashes each distinct value once per batch instead of
    /// every row's value; write them under [`text_schema`](Self::text_schema), and the file is
    /// the same as for plain batches.
    pub fn with_dictionary_encoding(mut self, dictionary: bool) -> Self {
        self.dictionary = dictionary;
        self
    }

    /// The schema of every batch: [`text_schema`](Self::text_schema), with the text columns
    /// dictionary-encoded under [`with_dictionary_encoding`](Self::with_dictionary_encoding).
    pub fn schema(&self) -> SchemaRef {
        if !self.dictionary {
            return self.schema.clone();
        }
        let fields: Vec<arrow::datatypes::Field> = self
            .schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                arrow::datatypes::DataType::Utf8 => {
                    f.as_ref().clone().with_data_type(column::dictionary_type())
                }
                _ => f.as_ref().clone(),
            })
            .collect();
        std::sync::Arc::new(arrow::datatypes::Schema::new(fields))
    }

    /// The records' schema with every text column plain `Utf8`: [`proxy_schema`], then one Utf8
    /// column per [extra field](Self::extra_columns).
    pub fn text_schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// ELFF fields without a proxy column, carried through as extra Utf8 columns named as the
    /// `#Fields:` directives write them: those named by a directive in the first 16 KiB of an
    /// input file, in order of first appearance. (A field first named by a directive further
    /// into a file has no column and is not read.)
    pub fn extra_columns(&self) -> &[String] {
        &self.extra
    }

    /// The input files, in reading order, with their format.
    pub fn files(&self) -> impl Iterator<Item = (&Path, ProxyFormat)> {
        self.files.iter().map(|f| (f.path.as_path(), f.format))
    }

    /// Total size in bytes of the input files (for progress reporting).
    pub fn total_bytes(&self) -> u64 {
        self.files
            .iter()
            .filter_map(|f| std::fs::metadata(&f.path).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Streams all files, in order, as batches.
    pub fn batches(&self) -> ProxyBatches<'_> {
        ProxyBatches {
            reader: self,
            next_file: 0,
            current: None,
            builder: record::ProxyBatchBuilder::new(self.batch_size.min(1 << 16), self.schema()),
            stats: ReadStats::default(),
            done: false,
        }
    }
}

/// The line parser of an open file: ELFF lines go straight into the batch builder.
enum FileParser {
    Elff(Box<ElffParser>),
    Other(Box<dyn LineParser>),
}

struct OpenFile {
    path: PathBuf,
    input: Box<dyn BufRead + Send>,
    lines: LineReader,
    parser: FileParser,
    line_no: u64,
}

/// Iterator over the batches of a [`ProxyReader`]; see [`ProxyReader::batches`].
pub struct ProxyBatches<'a> {
    reader: &'a ProxyReader,
    next_file: usize,
    current: Option<OpenFile>,
    builder: record::ProxyBatchBuilder,
    stats: ReadStats,
    done: bool,
}

impl ProxyBatches<'_> {
    /// What the read has seen so far (complete once the iterator is exhausted).
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    fn skip(&mut self, path: &Path, line: u64, error: LineError) -> Option<DecodeError> {
        if self.reader.strict {
            return Some(DecodeError::BadLine {
                path: path.to_path_buf(),
                line,
                error,
            });
        }
        *self.stats.skipped.entry(error.kind()).or_default() += 1;
        if self.stats.errors.len() < MAX_KEPT_ERRORS {
            self.stats.errors.push(BadLine {
                path: path.to_path_buf(),
                line,
                error,
            });
        }
        None
    }

    /// Reads lines of the current file into the builder until the batch is full or the file ends.
    /// Returns `Ok(true)` if the file ended.
    fn fill_from_current(&mut self) -> Result<bool> {
        let max = self.reader.max_line_len;
        let Some(mut file) = self.current.take() else {
            return Ok(true);
        };
        let ended = self.fill_lines(&mut file, max);
        // The lines of a block are in the batch before it is handed out or the file changes.
        if let FileParser::Elff(p) = &mut file.parser {
            p.flush_block(file.lines.bytes(), &mut self.builder);
        }
        if !matches!(ended, Ok(false)) {
            return ended;
        }
        self.current = Some(file);
        Ok(false)
    }

    /// The loop of [`fill_from_current`](Self::fill_from_current), which may leave lines in
    /// the ELFF parser's block.
    fn fill_lines(&mut self, file: &mut OpenFile, max: usize) -> Result<bool> {
        loop {
            let pending = match &file.parser {
                FileParser::Elff(p) => p.pending(),
                FileParser::Other(_) => 0,
            };
            if self.builder.len() + pending >= self.reader.batch_size || self.builder.bytes_full() {
                return Ok(false);
            }
            // An ELFF line is found by the scan that also computes its field masks.
            let found = match &mut file.parser {
                FileParser::Elff(p) => p
                    .find_line(&mut file.lines, max)
                    .map(|(line, ascii)| (line, Some(ascii))),
                FileParser::Other(_) => None,
            };
            let (line, masked) =
                match found.or_else(|| file.lines.next_buffered().map(|l| (l, None))) {
                    Some(found) => found,
                    None => {
                        // Reading may move the buffer that the block's lines lie in.
                        if let FileParser::Elff(p) = &mut file.parser {
                            p.flush_block(file.lines.bytes(), &mut self.builder);
                        }
                        match file.lines.next_line(file.input.as_mut()) {
                            Ok(Some(line)) => (line, None),
                            Ok(None) => return Ok(true),
                            Err(e) => return Err(DecodeError::io(&file.path, e)),
                        }
                    }
                };
            file.line_no += 1;
            self.stats.lines += 1;
            let line_no = file.line_no;
            let (start, end) = match line {
                Line::Text { start, end } => (start, end),
                Line::TooLong(len) => {
                    if let Some(e) = self.skip(&file.path, line_no, LineError::TooLong { len, max })
                    {
                        return Err(e);
                    }
                    continue;
                }
            };
            let (mut start, mut end) = (start, end);
            let buf = file.lines.bytes();
            if end > start && buf[end - 1] == b'\r' {
                end -= 1;
            }
            // The masks found with the line are its own only while it starts where it did.
            let mut masked = masked;
            if line_no == 1 && buf[start..end].starts_with(b"\xEF\xBB\xBF") {
                start += 3;
                masked = None;
            }
            let bytes = &buf[start..end];
            self.builder.add_line_bytes(bytes.len());
            let step = match &mut file.parser {
                // The ELFF parser checks UTF-8 itself, as part of its field scan.
                FileParser::Elff(p) => p.scan_line(buf, start, end, masked, &mut self.builder),
                FileParser::Other(p) => match std::str::from_utf8(bytes) {
                    Ok(text) => p.parse_line(text).map(|rec| match rec {
                        Some(rec) => {
                            self.builder.append(&rec);
                            true
                        }
                        None => false,
                    }),
                    Err(e) => Err(LineError::InvalidUtf8 {
                        offset: e.valid_up_to(),
                    }),
                },
            };
            match step {
                Ok(true) => self.stats.records += 1,
                Ok(false) => self.stats.directives += 1,
                Err(err) => {
                    if let Some(e) = self.skip(&file.path, line_no, err) {
                        return Err(e);
                    }
                }
            }
        }
    }

    fn flush(&mut self) -> Option<Result<RecordBatch>> {
        if self.builder.len() == 0 {
            return None;
        }
        let path = self
            .current
            .as_ref()
            .map(|f| f.path.clone())
            .unwrap_or_default();
        Some(
            self.builder
                .finish()
                .map_err(|e| DecodeError::arrow(path, e)),
        )
    }
}

impl Iterator for ProxyBatches<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            if self.current.is_none() {
                let Some(file) = self.reader.files.get(self.next_file) else {
                    self.done = true;
                    return self.flush();
                };
                self.next_file += 1;
                match open_text(&file.path, file.gzip) {
                    Ok(input) => {
                        self.stats.files += 1;
                        self.current = Some(OpenFile {
                            path: file.path.clone(),
                            input,
                            lines: LineReader::new(self.reader.max_line_len),
                            parser: match file.format {
                                ProxyFormat::Elff => FileParser::Elff(Box::new(
                                    ElffParser::new().with_extra_columns(self.reader.extra.clone()),
                                )),
                                f => FileParser::Other(f.parser()),
                            },
                            line_no: 0,
                        });
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
            match self.fill_from_current() {
                Ok(_)
                    if self.builder.len() >= self.reader.batch_size
                        || self.builder.bytes_full() =>
                {
                    return self.flush();
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// The proxy schema followed by one Utf8 column per name of `extra`.
fn extended_schema(extra: &[String]) -> SchemaRef {
    if extra.is_empty() {
        return proxy_schema();
    }
    let mut fields: Vec<arrow::datatypes::Field> = proxy_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for n in extra {
        fields.push(arrow::datatypes::Field::new(
            n,
            arrow::datatypes::DataType::Utf8,
            true,
        ));
    }
    std::sync::Arc::new(arrow::datatypes::Schema::new(fields))
}

/// The columns that keep min/max statistics in Parquet files: the date and time, by which a
/// query over a log (written in time order) skips row groups and pages, and the numbers, whose
/// min/max costs little. Every other column holds, in each row group of a real log, values
/// from all over its range (many clients, hosts, servers and statuses), so its min/max would
/// let a query skip nothing; computing it compares every row's value, which for the client,
/// host, status and server columns alone cost about 4 % of the writing time, and for all text
/// columns about a tenth.
const WITH_STATISTICS: [Col; 5] = [
    Col::PDate,
    Col::PTime,
    Col::Duration,
    Col::ScBytes,
    Col::CsBytes,
];

/// The number columns, written `DELTA_BINARY_PACKED` without a dictionary: byte counts and
/// durations take thousands of distinct values per row group (in the benchmark's log, about
/// 2 K durations, 4 K request and 9 K response sizes per 128 Ki rows), so a dictionary costs
/// a hash of every row's value and saves little space. Delta-packed, `spot decode proxy` takes
/// less CPU time for a file about 4 % larger (`BENCHMARKS.md`).
const DELTA_ENCODED: [Col; 3] = [Col::Duration, Col::ScBytes, Col::CsBytes];

/// Parquet writer properties for proxy records of `schema` (a [`ProxyReader::text_schema`]):
/// zstd pages, dictionary encoding of the text columns, the numbers delta-packed without a
/// dictionary, and min/max statistics for the date, time, duration and byte counts and the
/// Hive partition columns only (see [`proxy_parquet_properties_with`]).
pub fn proxy_parquet_properties(schema: &arrow::datatypes::Schema) -> WriterProperties {
    proxy_parquet_properties_with(schema, ParquetCompression::default())
}

/// [`proxy_parquet_properties`] with pages compressed by `compression`. For proxy logs the
/// codec matters little to the CPU time (dictionary-encoded pages are small: zstd, lz4, snappy
/// and none cost within a few percent of each other), and much to the size: zstd, the default,
/// gives the smallest files (about 10 % smaller than lz4 or snappy, 22 % smaller than none).
pub fn proxy_parquet_properties_with(
    schema: &arrow::datatypes::Schema,
    compression: ParquetCompression,
) -> WriterProperties {
    let mut b = compression.properties();
    for f in schema.fields() {
        let name = f.name().as_str();
        let keep =
            WITH_STATISTICS.iter().any(|c| c.name() == name) || PARTITION_COLUMNS.contains(&name);
        if !keep {
            b = b.set_column_statistics_enabled(ColumnPath::from(name), EnabledStatistics::None);
        }
        if DELTA_ENCODED.iter().any(|c| c.name() == name) {
            b = b
                .set_column_dictionary_enabled(ColumnPath::from(name), false)
                .set_column_encoding(ColumnPath::from(name), Encoding::DELTA_BINARY_PACKED);
        }
    }
    b.build()
}

/// Names of the Hive partition columns [`with_partition_columns`] adds.
pub const PARTITION_COLUMNS: [&str; 4] = ["y", "m", "d", "h"];

/// `batch` with four Int32 columns `y`, `m`, `d`, `h` appended, read from `p_date`
/// (`YYYY-MM-DD`) and the hour of `p_time` (plain or dictionary-encoded text), as Spot's proxy
/// table was partitioned; null where the date or time cannot be read.
pub fn with_partition_columns(
    batch: &RecordBatch,
) -> std::result::Result<RecordBatch, arrow::error::ArrowError> {
    use arrow::array::{Array, ArrayRef, AsArray, Int32Builder};
    use arrow::datatypes::{DataType, Field, Schema};
    let n = batch.num_rows();
    // Plain or dictionary-encoded text.
    let text = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| arrow::compute::cast(c, &DataType::Utf8).ok())
            .and_then(|c| c.as_string_opt::<i32>().cloned())
    };
    let (date, time) = (text("p_date"), text("p_time"));
    let mut b: Vec<Int32Builder> = (0..4).map(|_| Int32Builder::with_capacity(n)).collect();
    for i in 0..n {
        fn get(a: &Option<arrow::array::StringArray>, i: usize) -> Option<&str> {
            a.as_ref().filter(|a| a.is_valid(i)).map(|a| a.value(i))
        }
        let ymd = get(&date, i).and_then(|d| {
            let mut it = d.split('-').map(|p| p.trim().parse::<i32>().ok());
            match (it.next(), it.next(), it.next(), it.next()) {
                (Some(Some(y)), Some(Some(m)), Some(Some(d)), None) => Some([y, m, d]),
                _ => None,
            }
        });
        let h = get(&time, i).and_then(|t| t.split(':').next()?.trim().parse::<i32>().ok());
        match (ymd, h) {
            (Some([y, m, d]), Some(h)) => {
                for (builder, v) in b.iter_mut().zip([y, m, d, h]) {
                    builder.append_value(v);
                }
            }
            _ => b.iter_mut().for_each(|x| x.append_null()),
        }
    }
    let schema = batch.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
    for (name, mut builder) in PARTITION_COLUMNS.iter().zip(b) {
        fields.push(Field::new(*name, DataType::Int32, true));
        cols.push(std::sync::Arc::new(builder.finish()));
    }
    RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_columns_come_from_date_and_time() {
        use arrow::array::{Array, AsArray};
        use arrow::datatypes::Int32Type;
        let mut b = record::ProxyBatchBuilder::new(2, proxy_schema());
        let mut r = ProxyRecord::default();
        r.set(Col::PDate, Some("2026-11-25".into()));
        r.set(Col::PTime, Some("09:40:06".into()));
        b.append(&r);
        r.set(Col::PTime, None);
        b.append(&r);
        let out = with_partition_columns(&b.finish().unwrap()).unwrap();
        assert_eq!(out.num_columns(), N_COLS + 4);
        let h = out.column_by_name("h").unwrap().as_primitive::<Int32Type>();
        assert_eq!((h.value(0), h.is_null(1)), (9, true));
        let y = out.column_by_name("y").unwrap().as_primitive::<Int32Type>();
        assert_eq!(y.value(0), 2026);
    }

    #[test]
    fn numbers_are_delta_packed_and_text_dictionary_encoded() {
        use parquet::basic::Encoding;
        let schema = proxy_schema();
        let props = proxy_parquet_properties(&schema);
        for col in Col::ALL {
            let path = ColumnPath::from(col.name());
            let number = DELTA_ENCODED.contains(&col);
            assert_eq!(props.dictionary_enabled(&path), !number, "{}", col.name());
            let encoding = props.encoding(&path);
            assert_eq!(
                encoding,
                number.then_some(Encoding::DELTA_BINARY_PACKED),
                "{}",
                col.name()
            );
        }
        assert_eq!(
            props.max_row_group_row_count(),
            Some(crate::PARQUET_ROW_GROUP_ROWS)
        );
    }

    #[test]
    fn detects_formats() {
        assert_eq!(detect_format(b"#Software: SGOS\n"), Some(ProxyFormat::Elff));
        assert_eq!(
            detect_format(b"\r\n2026-11-25 09:40:06 1 127.0.0.1 -"),
            Some(ProxyFormat::Elff)
        );
        assert_eq!(
            detect_format(b"1795599606.781      1 127.0.0.1 TCP_MISS/200 246 POST http://a/ - HIER_NONE/- -\n"),
            Some(ProxyFormat::Squid)
        );
        assert_eq!(
            detect_format(
                b"10.0.0.1 - - [25/Nov/2026:09:40:06 +0000] \"GET http://a/ HTTP/1.1\" 200 1"
            ),
            Some(ProxyFormat::Squid)
        );
        assert_eq!(
            detect_format(b"#separator \\x09\n"),
            Some(ProxyFormat::Zeek)
        );
        assert_eq!(detect_format(b"{\"ts\":1}\n"), Some(ProxyFormat::Zeek));
        assert_eq!(detect_format(b"hello world\n"), None);
        assert_eq!("Zeek".parse::<ProxyFormat>(), Ok(ProxyFormat::Zeek));
        assert!("csv".parse::<ProxyFormat>().is_err());
    }
}
