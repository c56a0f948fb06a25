//! The CSV that `nfdump -o csv` writes (nfdump 1.7), mapped to Apache Spot's flow schema the way
//! Spot's ingest loaded it: `ts` → `treceived` and its parts, `td` → `tdur`, `sa`/`da` →
//! `sip`/`dip`, `pr` → `proto`, `flg` → `flag`, `in`/`out` → `input`/`output`, `ra` → `rip`.
//! nfdump's other columns (`te`, masks, next hops, VLANs, MACs, MPLS labels, latencies, engine,
//! exporter id, `tr`) follow as text columns. Times are read as UTC.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float32Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{DecodeError, Result};
use crate::schema::{flow, flow_schema};
use crate::time::CivilTime;

/// nfdump columns and the Spot column each one fills (`ts` fills the time columns).
const MAPPED: &[(&str, &str)] = &[
    ("td", flow::TDUR),
    ("sa", flow::SIP),
    ("da", flow::DIP),
    ("sp", flow::SPORT),
    ("dp", flow::DPORT),
    ("pr", flow::PROTO),
    ("flg", flow::FLAG),
    ("fwd", flow::FWD),
    ("stos", flow::STOS),
    ("ipkt", flow::IPKT),
    ("ibyt", flow::IBYT),
    ("opkt", flow::OPKT),
    ("obyt", flow::OBYT),
    ("in", flow::INPUT),
    ("out", flow::OUTPUT),
    ("sas", flow::SAS),
    ("das", flow::DAS),
    ("dtos", flow::DTOS),
    ("dir", flow::DIR),
    ("ra", flow::RIP),
];

pub(crate) fn is_nfdump_header(names: &[&str]) -> bool {
    names.len() >= 8 && names[..5] == ["ts", "te", "td", "sa", "da"]
}

/// Output schema for a file with these header names: the Spot flow schema, then every nfdump
/// column that has no Spot counterpart.
pub(crate) fn schema_for(path: &Path, names: &[&str]) -> Result<SchemaRef> {
    let missing: Vec<String> = std::iter::once("ts")
        .chain(MAPPED.iter().map(|(n, _)| *n))
        .filter(|n| !names.contains(n))
        .map(str::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(DecodeError::MissingColumns {
            path: path.to_path_buf(),
            missing,
            found: names.iter().map(|s| s.to_string()).collect(),
        });
    }
    let mut fields: Vec<Field> = flow_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for n in extras(names) {
        fields.push(Field::new(n, DataType::Utf8, true));
    }
    Ok(Arc::new(Schema::new(fields)))
}

pub(crate) fn extras<'a>(names: &'a [&'a str]) -> impl Iterator<Item = &'a str> + 'a {
    names
        .iter()
        .copied()
        .filter(|n| *n != "ts" && !MAPPED.iter().any(|(m, _)| m == n))
}

/// Streams an nfdump CSV as batches of [`schema_for`].
pub(crate) struct NfdumpBatches {
    path: PathBuf,
    read: Box<dyn BufRead + Send>,
    batch_size: usize,
    schema: SchemaRef,
    /// For each output column after the time columns, the index of its nfdump column.
    ts_idx: usize,
    spot_src: Vec<Option<usize>>,
    extra_src: Vec<usize>,
    ncols: usize,
    line_no: u64,
    done: bool,
    line: String,
}

impl NfdumpBatches {
    pub(crate) fn new(
        path: PathBuf,
        mut read: Box<dyn BufRead + Send>,
        batch_size: usize,
    ) -> Result<Self> {
        let mut header = String::new();
        read.read_line(&mut header)
            .map_err(|e| DecodeError::io(&path, e))?;
        let names: Vec<&str> = header
            .trim_end_matches(['\r', '\n'])
            .split(',')
            .map(str::trim)
            .collect();
        let schema = schema_for(&path, &names)?;
        let idx = |n: &str| names.iter().position(|h| *h == n);
        let spot_src = flow_schema()
            .fields()
            .iter()
            .map(|f| {
                MAPPED
                    .iter()
                    .find(|(_, s)| s == f.name())
                    .and_then(|(n, _)| idx(n))
            })
            .collect();
        let extra_src = extras(&names).filter_map(idx).collect();
        Ok(NfdumpBatches {
            ts_idx: idx("ts").unwrap_or(0),
            ncols: names.len(),
            path,
            read,
            batch_size,
            schema,
            spot_src,
            extra_src,
            line_no: 1,
            done: false,
            line: String::new(),
        })
    }

    fn bad(&self, column: &str, expected: &'static str, value: &str) -> DecodeError {
        DecodeError::InvalidValue {
            path: self.path.clone(),
            line: self.line_no,
            column: column.to_string(),
            expected,
            value: value.to_string(),
        }
    }

    fn read_batch(&mut self) -> Result<Option<RecordBatch>> {
        let spot = flow_schema();
        let mut cols = Columns::new(&spot, self.extra_src.len(), self.batch_size);
        let mut rows = 0;
        while rows < self.batch_size && !self.done {
            self.line.clear();
            let n = self
                .read
                .read_line(&mut self.line)
                .map_err(|e| DecodeError::io(&self.path, e))?;
            self.line_no += 1;
            let line = std::mem::take(&mut self.line);
            let text = line.trim_end_matches(['\r', '\n']);
            // nfdump 1.6 ends its CSV with a blank line and a summary block.
            if n == 0 || text.is_empty() || text.starts_with("Summary") {
                self.done = true;
                self.line = line;
                break;
            }
            let fields: Vec<&str> = text.split(',').collect();
            if fields.len() != self.ncols {
                let err = DecodeError::Malformed {
                    path: self.path.clone(),
                    line: self.line_no,
                    message: format!(
                        "expected {} comma-separated fields as in the header, found {}",
                        self.ncols,
                        fields.len()
                    ),
                };
                return Err(err);
            }
            self.push_row(&fields, &mut cols)?;
            rows += 1;
            drop(fields);
            self.line = line;
        }
        if rows == 0 {
            return Ok(None);
        }
        let arrays = cols.finish();
        RecordBatch::try_new(self.schema.clone(), arrays)
            .map(Some)
            .map_err(|e| DecodeError::arrow(&self.path, e))
    }

    fn push_row(&self, fields: &[&str], cols: &mut Columns) -> Result<()> {
        let ts = fields[self.ts_idx].trim();
        let t = CivilTime::parse(ts)
            .ok_or_else(|| self.bad("ts", "a time 'YYYY-MM-DD HH:MM:SS'", ts))?;
        for (i, src) in self.spot_src.iter().enumerate() {
            let name = spot_name(i);
            let col = &mut cols.spot[i];
            match (src, col) {
                (None, Col::Str(b)) if name == flow::TRECEIVED => {
                    b.append_value(t.to_spot_string())
                }
                (None, Col::I64(b)) if name == flow::UNIX_TSTAMP => b.append_value(t.unix),
                (None, Col::I32(b)) => b.append_value(match name {
                    flow::TRYEAR => t.year,
                    flow::TRMONTH => t.month,
                    flow::TRDAY => t.day,
                    flow::TRHOUR => t.hour,
                    flow::TRMINUTE => t.minute,
                    flow::TRSEC => t.second,
                    _ => unreachable!("every other Spot column has an nfdump source"),
                }),
                (None, _) => unreachable!("time columns only"),
                (Some(j), col) => {
                    let v = fields[*j].trim();
                    match col {
                        Col::Str(b) => b.append_value(v),
                        Col::I32(b) => b.append_value(
                            v.parse()
                                .map_err(|_| self.bad(nfdump_name(name), "an integer", v))?,
                        ),
                        Col::I64(b) => b.append_value(
                            v.parse()
                                .map_err(|_| self.bad(nfdump_name(name), "an integer", v))?,
                        ),
                        Col::F32(b) => b.append_value(
                            v.parse()
                                .map_err(|_| self.bad(nfdump_name(name), "a number", v))?,
                        ),
                    }
                }
            }
        }
        for (b, j) in cols.extra.iter_mut().zip(&self.extra_src) {
            b.append_value(fields[*j].trim());
        }
        Ok(())
    }
}

fn nfdump_name(spot: &str) -> &'static str {
    MAPPED
        .iter()
        .find(|(_, s)| *s == spot)
        .map(|(n, _)| *n)
        .unwrap_or("ts")
}

fn spot_name(i: usize) -> &'static str {
    const NAMES: [&str; 28] = [
        flow::TRECEIVED,
        flow::UNIX_TSTAMP,
        flow::TRYEAR,
        flow::TRMONTH,
        flow::TRDAY,
        flow::TRHOUR,
        flow::TRMINUTE,
        flow::TRSEC,
        flow::TDUR,
        flow::SIP,
        flow::DIP,
        flow::SPORT,
        flow::DPORT,
        flow::PROTO,
        flow::FLAG,
        flow::FWD,
        flow::STOS,
        flow::IPKT,
        flow::IBYT,
        flow::OPKT,
        flow::OBYT,
        flow::INPUT,
        flow::OUTPUT,
        flow::SAS,
        flow::DAS,
        flow::DTOS,
        flow::DIR,
        flow::RIP,
    ];
    NAMES[i]
}

enum Col {
    Str(StringBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    F32(Float32Builder),
}

struct Columns {
    spot: Vec<Col>,
    extra: Vec<StringBuilder>,
}

impl Columns {
    fn new(spot: &Schema, extras: usize, cap: usize) -> Self {
        let spot = spot
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Int32 => Col::I32(Int32Builder::with_capacity(cap)),
                DataType::Int64 => Col::I64(Int64Builder::with_capacity(cap)),
                DataType::Float32 => Col::F32(Float32Builder::with_capacity(cap)),
                _ => Col::Str(StringBuilder::with_capacity(cap, cap * 16)),
            })
            .collect();
        Columns {
            spot,
            extra: (0..extras)
                .map(|_| StringBuilder::with_capacity(cap, cap * 8))
                .collect(),
        }
    }

    fn finish(mut self) -> Vec<ArrayRef> {
        let mut out: Vec<ArrayRef> = self
            .spot
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Col::Str(b) => Arc::new(b.finish()),
                    Col::I32(b) => Arc::new(b.finish()),
                    Col::I64(b) => Arc::new(b.finish()),
                    Col::F32(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        out.extend(
            self.extra
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        out
    }
}

impl Iterator for NfdumpBatches {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_batch() {
            Ok(Some(b)) => Some(Ok(b)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
