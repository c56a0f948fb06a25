//! Flow readers: Apache Spot CSV, `nfdump -o csv` output, and Parquet files or Hive-partitioned
//! folders (`y=YYYY/m=MM/d=DD/h=HH`, the layout of Spot's `flow` table).
//!
//! [`FlowReader`] finds the input files, checks that they all have the columns the analysis
//! needs and the same column set, and streams them as record batches in the [flow
//! schema](crate::flow_schema) (Spot columns in their canonical types, other columns kept).
//! [`FlowReader::batches`] can be called again for a second pass over the same inputs.

mod nfdump;
mod record;

pub(crate) use record::flags_string;
pub use record::{FlowBatchBuilder, FlowRecord, NFDUMP_CSV_COLUMNS, nfdump_flow_schema};

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::canonical::{canonical_schema, check_required, conform};
use crate::error::{DecodeError, Result};
use crate::schema::{flow, flow_schema};

/// Default number of rows per batch.
pub const DEFAULT_BATCH_SIZE: usize = 64 * 1024;

/// How one input file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowFormat {
    /// CSV with a header of Apache Spot's flow column names (optionally gzip-compressed).
    SpotCsv,
    /// The CSV that `nfdump -o csv` writes (nfdump 1.7 column set).
    NfdumpCsv,
    /// Parquet.
    Parquet,
    /// nfdump 1.7's binary flow files (`nfcapd.YYYYMMDDhhmm`), read natively; recognised by
    /// their magic number. See [`crate::nfcapd`].
    Nfcapd,
    /// Zeek's `conn.log` (TSV or JSON lines, optionally gzip), recognised by its content. See
    /// [`crate::zeek::conn`].
    ZeekConn,
}

#[derive(Debug, Clone)]
struct InputFile {
    path: PathBuf,
    format: FlowFormat,
    gzip: bool,
    /// Hive partition `key=value` pairs found in the path below the given root.
    partitions: Vec<(String, String)>,
    /// Schema of the file as read, before partition columns.
    file_schema: SchemaRef,
}

/// Streams flow records from files and folders as Arrow batches.
///
/// ```no_run
/// use spot_decode::FlowReader;
/// let reader = FlowReader::open(&["flows/"])?.with_batch_size(8192);
/// for batch in reader.batches() {
///     println!("{} flows", batch?.num_rows());
/// }
/// # Ok::<(), spot_decode::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FlowReader {
    files: Vec<InputFile>,
    schema: SchemaRef,
    batch_size: usize,
    strict: bool,
}

/// The table a [`FlowReader`] reads: its canonical schema and the columns every file must have.
#[derive(Clone, Copy)]
struct Table {
    canonical: fn() -> SchemaRef,
    required: &'static [&'static str],
    /// Whether nfdump's CSV and nfcapd files are recognised (flows only).
    nfdump: bool,
}

const FLOW_TABLE: Table = Table {
    canonical: flow_schema,
    required: flow::REQUIRED,
    nfdump: true,
};

impl FlowReader {
    /// Finds the flow files under `paths` (files, or folders searched recursively for
    /// `.csv`, `.csv.gz`, `.parquet` files and nfcapd's `nfcapd.YYYYMMDDhhmm` files) and checks
    /// their columns.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<Self> {
        Self::open_table(paths, FLOW_TABLE)
    }

    /// Reads CSV, Parquet and Hive folders of another table (e.g. decoded DNS records): columns
    /// named in `canonical` take its types, and every file must have the `required` columns.
    pub(crate) fn open_other<P: AsRef<Path>>(
        paths: &[P],
        canonical: fn() -> SchemaRef,
        required: &'static [&'static str],
    ) -> Result<Self> {
        Self::open_table(
            paths,
            Table {
                canonical,
                required,
                nfdump: false,
            },
        )
    }

    fn open_table<P: AsRef<Path>>(paths: &[P], table: Table) -> Result<Self> {
        let mut found = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let meta = std::fs::metadata(p).map_err(|e| DecodeError::io(p, e))?;
            if meta.is_dir() {
                walk(p, p, &mut found)?;
            } else {
                found.push((p.to_path_buf(), Vec::new()));
            }
        }
        if found.is_empty() {
            return Err(DecodeError::NoInput {
                paths: paths.iter().map(|p| p.as_ref().to_path_buf()).collect(),
            });
        }
        let mut files = Vec::with_capacity(found.len());
        let mut schema: Option<(PathBuf, SchemaRef)> = None;
        for (path, partitions) in found {
            let file = inspect(path, partitions, table)?;
            let s = output_schema(&file, table);
            match &schema {
                None => schema = Some((file.path.clone(), s)),
                Some((first, expected)) if expected.fields() != s.fields() => {
                    let names = |s: &Schema| -> Vec<String> {
                        s.fields()
                            .iter()
                            .map(|f| format!("{}: {}", f.name(), f.data_type()))
                            .collect()
                    };
                    return Err(DecodeError::SchemaMismatch {
                        path: file.path.clone(),
                        first: first.clone(),
                        expected: names(expected),
                        found: names(&s),
                    });
                }
                Some(_) => {}
            }
            files.push(file);
        }
        Ok(FlowReader {
            files,
            schema: schema
                .map(|(_, s)| s)
                .unwrap_or_else(|| (table.canonical)()),
            batch_size: DEFAULT_BATCH_SIZE,
            strict: false,
        })
    }

    /// Makes the first bad line of a Zeek `conn.log` an error that ends the read
    /// ([`DecodeError::BadLine`], naming the file and line). By default bad lines are skipped
    /// and counted in [`FlowBatches::zeek_lines`].
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Rows per batch (default [`DEFAULT_BATCH_SIZE`]).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The schema of every batch: the inputs' columns, Spot's in their canonical types,
    /// followed by Hive partition columns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The input files, in reading order, with their detected format.
    pub fn files(&self) -> impl Iterator<Item = (&Path, FlowFormat)> {
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

    /// Streams all files, in order, as batches of the reader's schema.
    pub fn batches(&self) -> FlowBatches<'_> {
        FlowBatches {
            reader: self,
            next_file: 0,
            current: None,
            zeek_lines: crate::proxy::ReadStats::default(),
        }
    }
}

/// Iterator over the batches of a [`FlowReader`]; see [`FlowReader::batches`].
pub struct FlowBatches<'a> {
    reader: &'a FlowReader,
    next_file: usize,
    current: Option<FileBatches>,
    zeek_lines: crate::proxy::ReadStats,
}

impl FlowBatches<'_> {
    /// The lines of the Zeek `conn.log` inputs read so far, with the bad lines skipped, by
    /// reason (complete once the iterator is exhausted; empty without such inputs).
    pub fn zeek_lines(&self) -> &crate::proxy::ReadStats {
        &self.zeek_lines
    }

    /// Adds the line counts of the file just finished to [`Self::zeek_lines`].
    fn close_current(&mut self) {
        if let Some(FileBatches {
            inner: Inner::Zeek(z),
            ..
        }) = self.current.take()
        {
            self.zeek_lines.merge(z.batches.stats());
        }
    }
}

impl Iterator for FlowBatches<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(cur) = &mut self.current {
                match cur.next() {
                    Some(Ok(b)) => return Some(Ok(b)),
                    Some(Err(e)) => {
                        self.close_current();
                        return Some(Err(e));
                    }
                    None => self.close_current(),
                }
            }
            let file = self.reader.files.get(self.next_file)?;
            self.next_file += 1;
            match FileBatches::open(
                file,
                self.reader.batch_size,
                self.reader.schema.clone(),
                self.reader.strict,
            ) {
                Ok(fb) => self.current = Some(fb),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

type BatchIter = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// A Zeek `conn.log` being read, kept apart from the other readers for its line counts.
struct ZeekFile {
    batches: crate::zeek::LogBatches<crate::zeek::conn::ConnMapper>,
    path: PathBuf,
    partitions: Vec<(String, String)>,
    target: SchemaRef,
}

enum Inner {
    Boxed(BatchIter),
    Zeek(Box<ZeekFile>),
}

struct FileBatches {
    inner: Inner,
    failed: bool,
}

impl FileBatches {
    fn open(file: &InputFile, batch_size: usize, target: SchemaRef, strict: bool) -> Result<Self> {
        let path = file.path.clone();
        let partitions = file.partitions.clone();
        let inner: BatchIter = match file.format {
            FlowFormat::Parquet => {
                let f = File::open(&path).map_err(|e| DecodeError::io(&path, e))?;
                let reader = ParquetRecordBatchReaderBuilder::try_new(f)
                    .and_then(|b| b.with_batch_size(batch_size).build())
                    .map_err(|e| DecodeError::parquet(&path, e))?;
                Box::new(reader.map(move |r| {
                    let b = r.map_err(|e| DecodeError::arrow(&path, e))?;
                    finish_batch(&path, b, &partitions, &target)
                }))
            }
            FlowFormat::SpotCsv => {
                let read = open_text(&path, file.gzip)?;
                let reader = arrow::csv::ReaderBuilder::new(file.file_schema.clone())
                    .with_header(true)
                    .with_batch_size(batch_size)
                    .build(read)
                    .map_err(|e| DecodeError::arrow(&path, e))?;
                Box::new(reader.map(move |r| {
                    let b = r.map_err(|e| DecodeError::arrow(&path, e))?;
                    finish_batch(&path, b, &partitions, &target)
                }))
            }
            FlowFormat::Nfcapd => {
                let reader = crate::nfcapd::NfcapdReader::open(&path)?.with_batch_size(batch_size);
                Box::new(reader.map(move |r| finish_batch(&path, r?, &partitions, &target)))
            }
            FlowFormat::ZeekConn => {
                let batches =
                    crate::zeek::conn::conn_log_batches(&path, batch_size)?.with_strict(strict);
                return Ok(FileBatches {
                    inner: Inner::Zeek(Box::new(ZeekFile {
                        batches,
                        path,
                        partitions,
                        target,
                    })),
                    failed: false,
                });
            }
            FlowFormat::NfdumpCsv => {
                let read = open_text(&path, file.gzip)?;
                let batches = nfdump::NfdumpBatches::new(path.clone(), read, batch_size)?;
                Box::new(batches.map(move |r| {
                    let b = r?;
                    finish_batch(&path, b, &partitions, &target)
                }))
            }
        };
        Ok(FileBatches {
            inner: Inner::Boxed(inner),
            failed: false,
        })
    }
}

impl Iterator for FileBatches {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = match &mut self.inner {
            Inner::Boxed(it) => it.next()?,
            Inner::Zeek(z) => {
                let b = z.batches.next()?;
                b.and_then(|b| finish_batch(&z.path, b, &z.partitions, &z.target))
            }
        };
        if item.is_err() {
            // A reader that failed mid-file may not resume at a record boundary.
            self.failed = true;
        }
        Some(item)
    }
}

fn finish_batch(
    path: &Path,
    batch: RecordBatch,
    partitions: &[(String, String)],
    target: &SchemaRef,
) -> Result<RecordBatch> {
    let n = batch.num_rows();
    let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
    let present = batch.schema();
    for (k, v) in partitions {
        if present.field_with_name(k).is_ok() {
            continue;
        }
        cols.push(partition_array(path, k, v, n)?);
    }
    let fields: Vec<Field> = target.fields().iter().map(|f| f.as_ref().clone()).collect();
    let widened = RecordBatch::try_new_with_options(
        Arc::new(Schema::new(
            fields
                .iter()
                .zip(&cols)
                .map(|(f, c)| Field::new(f.name(), c.data_type().clone(), true))
                .collect::<Vec<_>>(),
        )),
        cols,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(n)),
    )
    .map_err(|e| DecodeError::arrow(path, e))?;
    conform(path, widened, target)
}

fn partition_type(key: &str) -> DataType {
    match key {
        "y" | "m" | "d" | "h" => DataType::Int32,
        _ => DataType::Utf8,
    }
}

fn partition_array(path: &Path, key: &str, value: &str, n: usize) -> Result<ArrayRef> {
    Ok(match partition_type(key) {
        DataType::Int32 => {
            let v: i32 = value.parse().map_err(|_| DecodeError::InvalidValue {
                path: path.to_path_buf(),
                line: 0,
                column: key.to_string(),
                expected: "an integer Hive partition value",
                value: value.to_string(),
            })?;
            Arc::new(Int32Array::from(vec![v; n]))
        }
        _ => Arc::new(StringArray::from(vec![value; n])),
    })
}

fn output_schema(file: &InputFile, table: Table) -> SchemaRef {
    let mut fields: Vec<Field> = file
        .file_schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for (k, _) in &file.partitions {
        if file.file_schema.field_with_name(k).is_err() {
            fields.push(Field::new(k, partition_type(k), true));
        }
    }
    canonical_schema(&Schema::new(fields), &(table.canonical)())
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<(String, String)>)>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DecodeError::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| DecodeError::io(dir, e)))
        .collect::<Result<_>>()?;
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if is_hidden(name) {
            continue;
        }
        if p.is_dir() {
            walk(root, &p, out)?;
        } else if name.ends_with(".parquet")
            || name.ends_with(".parq")
            || name.ends_with(".csv")
            || name.ends_with(".csv.gz")
            || is_nfcapd_name(name)
            || is_zeek_conn_name(name)
        {
            out.push((p.clone(), hive_partitions(root, &p)));
        }
    }
    Ok(())
}

/// nfcapd's names for finished files: `nfcapd.YYYYMMDDhhmm` (or with seconds). Files still being
/// written (`nfcapd.current.*`) are left out.
fn is_nfcapd_name(name: &str) -> bool {
    name.strip_prefix("nfcapd.")
        .is_some_and(|t| (t.len() == 12 || t.len() == 14) && t.bytes().all(|b| b.is_ascii_digit()))
}

/// Zeek's names for connection logs: `conn.log`, rotated `conn.HH:MM:SS-HH:MM:SS.log`, either
/// gzip-compressed; their content is checked when the file is opened.
fn is_zeek_conn_name(name: &str) -> bool {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    name.starts_with("conn.") && name.ends_with(".log")
}

/// The `key=value` folder names between `root` and `file`.
fn hive_partitions(root: &Path, file: &Path) -> Vec<(String, String)> {
    let rel = file.strip_prefix(root).unwrap_or(file);
    let mut parts = Vec::new();
    if let Some(parent) = rel.parent() {
        for c in parent.components() {
            if let Some((k, v)) = c.as_os_str().to_str().and_then(|s| s.split_once('='))
                && !k.is_empty()
            {
                parts.push((k.to_string(), v.to_string()));
            }
        }
    }
    parts
}

pub(crate) fn open_text(path: &Path, gzip: bool) -> Result<Box<dyn BufRead + Send>> {
    let f = File::open(path).map_err(|e| DecodeError::io(path, e))?;
    Ok(if gzip {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(BufReader::new(f)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, f))
    })
}

/// Detects the format of one file and reads its schema.
fn inspect(path: PathBuf, partitions: Vec<(String, String)>, table: Table) -> Result<InputFile> {
    let flows = table.nfdump;
    let mut magic = [0u8; 4];
    let n = {
        let mut f = File::open(&path).map_err(|e| DecodeError::io(&path, e))?;
        let mut n = 0;
        while n < 4 {
            match f.read(&mut magic[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => return Err(DecodeError::io(&path, e)),
            }
        }
        n
    };
    if n == 4 && &magic == b"PAR1" {
        let f = File::open(&path).map_err(|e| DecodeError::io(&path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(f)
            .map_err(|e| DecodeError::parquet(&path, e))?;
        let raw = builder.schema().clone();
        check_required(&path, &raw, table.required)?;
        return Ok(InputFile {
            file_schema: canonical_schema(&raw, &(table.canonical)()),
            path,
            format: FlowFormat::Parquet,
            gzip: false,
            partitions,
        });
    }
    if flows && n == 4 && crate::nfcapd::is_nfdump_magic(&magic) {
        // Reading the header rejects other layouts (nfdump 1.6) with a typed error here.
        crate::nfcapd::NfcapdReader::open(&path)?;
        return Ok(InputFile {
            path,
            format: FlowFormat::Nfcapd,
            gzip: false,
            partitions,
            file_schema: nfdump_flow_schema(),
        });
    }
    let gzip = n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    match crate::zeek::sniff(&path)? {
        Some(crate::zeek::ZeekLogKind::Conn) => {
            return Ok(InputFile {
                path,
                format: FlowFormat::ZeekConn,
                gzip,
                partitions,
                file_schema: crate::zeek::conn::conn_flow_schema(),
            });
        }
        Some(other) => {
            return Err(DecodeError::Unsupported {
                path,
                message: format!(
                    "a Zeek {other:?} log: flows are read from Zeek's conn.log (DNS logs go to \
                     `spot ml dns`, HTTP logs to `spot ml proxy`)"
                ),
            });
        }
        None => {}
    }
    let mut header = String::new();
    open_text(&path, gzip)?
        .read_line(&mut header)
        .map_err(|e| DecodeError::io(&path, e))?;
    let header = header.trim_end_matches(['\r', '\n']);
    if header.is_empty() {
        return Err(DecodeError::Malformed {
            path,
            line: 1,
            message: "expected a CSV header line naming the columns, found an empty line".into(),
        });
    }
    let names: Vec<&str> = header
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .collect();
    if flows && nfdump::is_nfdump_header(&names) {
        let file_schema = nfdump::schema_for(&path, &names)?;
        return Ok(InputFile {
            path,
            format: FlowFormat::NfdumpCsv,
            gzip,
            partitions,
            file_schema,
        });
    }
    let raw = Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    check_required(&path, &raw, table.required)?;
    Ok(InputFile {
        file_schema: canonical_schema(&raw, &(table.canonical)()),
        path,
        format: FlowFormat::SpotCsv,
        gzip,
        partitions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_partitions_are_read_from_folder_names() {
        let p = hive_partitions(
            Path::new("/data/flow"),
            Path::new("/data/flow/y=2026/m=11/d=25/h=09/part-0.parquet"),
        );
        assert_eq!(
            p,
            vec![
                ("y".into(), "2026".into()),
                ("m".into(), "11".into()),
                ("d".into(), "25".into()),
                ("h".into(), "09".into())
            ]
        );
        assert!(hive_partitions(Path::new("/a"), Path::new("/a/b/c.csv")).is_empty());
    }

    #[test]
    fn nfcapd_file_names() {
        assert!(is_nfcapd_name("nfcapd.202611250935"));
        assert!(is_nfcapd_name("nfcapd.20261125093512"));
        assert!(!is_nfcapd_name("nfcapd.current.1234"));
        assert!(!is_nfcapd_name("nfcapd.2026"));
        assert!(is_zeek_conn_name("conn.log"));
        assert!(is_zeek_conn_name("conn.09:00:00-10:00:00.log.gz"));
        assert!(!is_zeek_conn_name("dns.log"));
    }
}
