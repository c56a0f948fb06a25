//! Writing batches as CSV or Parquet, chosen by the output file's extension, and as
//! Hive-partitioned Parquet folders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::{Int32Type, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterPropertiesBuilder};

use crate::OutputFile;
use crate::error::{DecodeError, Result};

/// Rows per Parquet row group in the files spot writes. Readers that split work by row group
/// (Spark, DuckDB, polars, spot's own readers) then share a file of a few million rows among
/// their threads: a 1.2 M-row day in groups of the parquet crate's default 1 Mi rows gives one
/// thread seven eighths of the work.
pub const PARQUET_ROW_GROUP_ROWS: usize = 128 * 1024;

/// Output encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// CSV with a header line.
    Csv,
    /// Parquet, zstd-compressed.
    Parquet,
}

impl OutputFormat {
    /// The format named by `path`'s extension (`.csv` or `.parquet`).
    pub fn from_path(path: &Path) -> Result<Self> {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Ok(OutputFormat::Csv),
            Some(e) if e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("parq") => {
                Ok(OutputFormat::Parquet)
            }
            _ => Err(DecodeError::UnsupportedOutput {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Codec of the pages of a Parquet file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParquetCompression {
    /// Stored as is: largest files, least CPU.
    None,
    /// Snappy: fast, larger files than zstd.
    Snappy,
    /// Zstandard at its default level: small files, the default.
    #[default]
    Zstd,
    /// LZ4 (Parquet's `LZ4_RAW`): fast, larger files than zstd.
    Lz4,
}

impl ParquetCompression {
    /// The writer properties every Parquet file of spot starts from: this codec and row groups
    /// of [`PARQUET_ROW_GROUP_ROWS`] rows.
    pub(crate) fn properties(self) -> WriterPropertiesBuilder {
        WriterProperties::builder()
            .set_compression(self.codec())
            .set_max_row_group_row_count(Some(PARQUET_ROW_GROUP_ROWS))
    }

    /// The Parquet codec.
    pub fn codec(self) -> Compression {
        match self {
            ParquetCompression::None => Compression::UNCOMPRESSED,
            ParquetCompression::Snappy => Compression::SNAPPY,
            ParquetCompression::Zstd => Compression::ZSTD(ZstdLevel::default()),
            ParquetCompression::Lz4 => Compression::LZ4_RAW,
        }
    }
}

impl std::str::FromStr for ParquetCompression {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => Ok(ParquetCompression::None),
            "snappy" => Ok(ParquetCompression::Snappy),
            "zstd" => Ok(ParquetCompression::Zstd),
            "lz4" => Ok(ParquetCompression::Lz4),
            _ => Err(format!(
                "unknown Parquet compression {s:?} (use none, snappy, zstd or lz4)"
            )),
        }
    }
}

// One per output file: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Inner {
    Csv(crate::csv_writer::CsvWriter<OutputFile>),
    Parquet(ArrowWriter<OutputFile>),
}

/// Writes batches of one schema to a CSV or Parquet file.
pub struct BatchWriter {
    inner: Inner,
    path: PathBuf,
    rows: u64,
}

impl BatchWriter {
    /// Creates `path` (format from its extension) for batches of `schema`; Parquet files are
    /// zstd-compressed.
    pub fn create(path: impl AsRef<Path>, schema: &SchemaRef) -> Result<Self> {
        Self::create_with(path, schema, ParquetCompression::default())
    }

    /// Like [`BatchWriter::create`], with the codec of Parquet files (CSV ignores it).
    pub fn create_with(
        path: impl AsRef<Path>,
        schema: &SchemaRef,
        compression: ParquetCompression,
    ) -> Result<Self> {
        let props = compression.properties().build();
        Self::create_with_properties(path, schema, props)
    }

    /// Like [`BatchWriter::create`], with all the properties of Parquet files (codec, encodings,
    /// statistics per column; CSV ignores them).
    pub fn create_with_properties(
        path: impl AsRef<Path>,
        schema: &SchemaRef,
        props: WriterProperties,
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let format = OutputFormat::from_path(&path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DecodeError::io(dir, e))?;
        }
        let file = OutputFile::create(&path).map_err(|e| DecodeError::io(&path, e))?;
        let inner = match format {
            OutputFormat::Csv => Inner::Csv(crate::csv_writer::CsvWriter::new(file)),
            OutputFormat::Parquet => Inner::Parquet(
                ArrowWriter::try_new(file, schema.clone(), Some(props))
                    .map_err(|e| DecodeError::parquet(&path, e))?,
            ),
        };
        Ok(BatchWriter {
            inner,
            path,
            rows: 0,
        })
    }

    /// Appends one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.inner {
            Inner::Csv(w) => w
                .write(batch)
                .map_err(|e| DecodeError::arrow(&self.path, e))?,
            Inner::Parquet(w) => w
                .write(batch)
                .map_err(|e| DecodeError::parquet(&self.path, e))?,
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Flushes and closes the file; returns the number of rows written.
    pub fn finish(self) -> Result<u64> {
        match self.inner {
            Inner::Csv(w) => {
                w.into_inner()
                    .map_err(|e| DecodeError::arrow(&self.path, e))?;
            }
            Inner::Parquet(w) => {
                w.close().map_err(|e| DecodeError::parquet(&self.path, e))?;
            }
        }
        Ok(self.rows)
    }
}

/// Writes batches into a Hive-partitioned Parquet folder `y=YYYY/m=MM/d=DD/h=HH/`, the layout of
/// Apache Spot's tables, taking the partition from four integer columns of each row (for flows:
/// `tryear`, `trmonth`, `trday`, `trhour`).
pub struct HiveWriter {
    root: PathBuf,
    schema: SchemaRef,
    columns: [usize; 4],
    writers: BTreeMap<[i32; 4], BatchWriter>,
    props: Option<WriterProperties>,
}

impl HiveWriter {
    /// A writer under `root` for batches of `schema`, partitioned by the named Int32 columns
    /// (year, month, day, hour).
    pub fn new(root: impl Into<PathBuf>, schema: SchemaRef, columns: [&str; 4]) -> Result<Self> {
        let root = root.into();
        let mut idx = [0usize; 4];
        for (i, c) in columns.iter().enumerate() {
            idx[i] = schema
                .index_of(c)
                .map_err(|_| DecodeError::MissingColumns {
                    path: root.clone(),
                    missing: vec![c.to_string()],
                    found: schema.fields().iter().map(|f| f.name().clone()).collect(),
                })?;
        }
        Ok(HiveWriter {
            root,
            schema,
            columns: idx,
            writers: BTreeMap::new(),
            props: None,
        })
    }

    /// Writes the partition files with these Parquet properties (default: zstd, as
    /// [`BatchWriter::create`]).
    pub fn with_properties(mut self, props: WriterProperties) -> Self {
        self.props = Some(props);
        self
    }

    /// Splits `batch` by partition and appends each part to its partition's file. A null
    /// partition value is an error naming the row.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let cols: Vec<_> = self
            .columns
            .iter()
            .map(|&i| batch.column(i).as_primitive_opt::<Int32Type>())
            .collect();
        if cols.iter().any(Option::is_none) {
            return Err(DecodeError::Malformed {
                path: self.root.clone(),
                line: 0,
                message: "partition columns must be 32-bit integers".into(),
            });
        }
        let cols: Vec<_> = cols.into_iter().flatten().collect();
        let mut parts: BTreeMap<[i32; 4], Vec<u32>> = BTreeMap::new();
        for row in 0..batch.num_rows() {
            let mut key = [0i32; 4];
            for (k, c) in key.iter_mut().zip(&cols) {
                if c.is_null(row) {
                    return Err(DecodeError::Malformed {
                        path: self.root.clone(),
                        line: row as u64,
                        message: "null partition value".into(),
                    });
                }
                *k = c.value(row);
            }
            parts.entry(key).or_default().push(row as u32);
        }
        for (key, rows) in parts {
            let part = take_record_batch(batch, &UInt32Array::from(rows))
                .map_err(|e| DecodeError::arrow(&self.root, e))?;
            let w = match self.writers.entry(key) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    let [y, m, d, h] = key;
                    let path = self.root.join(format!(
                        "y={y:04}/m={m:02}/d={d:02}/h={h:02}/part-00000.parquet"
                    ));
                    v.insert(match &self.props {
                        Some(p) => {
                            BatchWriter::create_with_properties(&path, &self.schema, p.clone())?
                        }
                        None => BatchWriter::create(&path, &self.schema)?,
                    })
                }
            };
            w.write(&part)?;
        }
        Ok(())
    }

    /// Closes every partition file; returns the rows written.
    pub fn finish(self) -> Result<u64> {
        let mut rows = 0;
        for (_, w) in self.writers {
            rows += w.finish()?;
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    #[test]
    fn parquet_files_have_row_groups_of_bounded_size() {
        let schema: SchemaRef =
            Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.parquet");
        let mut w = BatchWriter::create(&path, &schema).unwrap();
        let rows = 2 * PARQUET_ROW_GROUP_ROWS + 10;
        for start in (0..rows).step_by(50_000) {
            let end = (start + 50_000).min(rows) as i64;
            let col = Int64Array::from_iter_values(start as i64..end);
            w.write(&RecordBatch::try_new(schema.clone(), vec![Arc::new(col)]).unwrap())
                .unwrap();
        }
        assert_eq!(w.finish().unwrap(), rows as u64);
        let file = std::fs::File::open(&path).unwrap();
        let meta = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let groups: Vec<i64> = meta
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let full = PARQUET_ROW_GROUP_ROWS as i64;
        assert_eq!(groups, vec![full, full, 10]);
    }
}
