//! CSV output of record batches, byte for byte what `arrow::csv::Writer` writes with its
//! defaults (header line, `,` separator, `\n` terminator, empty nulls, fields quoted only when
//! they hold `,` `"` `\r` or `\n`, quotes doubled), but written column-type by column-type
//! straight into one output buffer: strings are copied, integers formatted without the
//! formatting machinery. Other column types go through Arrow's own formatter, so they read
//! exactly as before.

use std::io::Write;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type, Int64Type, Schema};
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// Flush the output buffer to the file past this size.
const FLUSH_AT: usize = 1 << 20;

/// A CSV writer for batches of one schema.
pub(crate) struct CsvWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    header_done: bool,
    /// Scratch for values formatted by Arrow.
    text: String,
}

/// How one column is written.
enum Column<'a> {
    /// Strings of which none needs quotes.
    Utf8Plain(&'a arrow::array::StringArray),
    Utf8(&'a arrow::array::StringArray),
    Int32(&'a arrow::array::Int32Array),
    Int64(&'a arrow::array::Int64Array),
    Other(ArrayFormatter<'a>),
}

impl<W: Write> CsvWriter<W> {
    /// A writer into `out` that starts with a header line.
    pub(crate) fn new(out: W) -> Self {
        CsvWriter {
            out,
            buf: Vec::with_capacity(FLUSH_AT + 64 * 1024),
            header_done: false,
            text: String::new(),
        }
    }

    /// Appends the rows of `batch` (after the header line, for the first batch).
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        if !self.header_done {
            self.header_done = true;
            header(&mut self.buf, batch.schema_ref());
        }
        // Slices of at most this many rows, so that the buffer is flushed at about `FLUSH_AT`.
        const SLICE: usize = 8192;
        let mut at = 0;
        while at < batch.num_rows() {
            let n = SLICE.min(batch.num_rows() - at);
            rows(&mut self.buf, &batch.slice(at, n), at, &mut self.text)?;
            at += n;
            if self.buf.len() >= FLUSH_AT {
                self.flush_buf()?;
            }
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> Result<(), ArrowError> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Writes what is buffered and returns the output.
    pub(crate) fn into_inner(mut self) -> Result<W, ArrowError> {
        self.flush_buf()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Appends the header line: the column names of `schema`.
pub(crate) fn header(buf: &mut Vec<u8>, schema: &Schema) {
    let names = schema.fields().iter().map(|f| f.name().as_bytes());
    let line_start = buf.len();
    for (i, name) in names.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        field(buf, name);
    }
    if schema.fields().len() == 1 && buf.len() == line_start {
        buf.extend_from_slice(b"\"\"");
    }
    buf.push(b'\n');
}

/// Appends the rows of `batch` (no header line); `first_row` numbers its first row in error
/// messages, `text` is scratch for values formatted by Arrow.
pub(crate) fn rows(
    buf: &mut Vec<u8>,
    batch: &RecordBatch,
    first_row: usize,
    text: &mut String,
) -> Result<(), ArrowError> {
    let options = FormatOptions::default().with_null("");
    let mut columns = Vec::with_capacity(batch.num_columns());
    for a in batch.columns() {
        let a = a.as_ref();
        columns.push(match a.data_type() {
            DataType::Utf8 => {
                let s = a.as_string::<i32>();
                // One scan of the column's bytes tells whether any of its values needs quotes;
                // usually none does, and values are then copied without a scan each.
                let offsets = s.value_offsets();
                let (lo, hi) = (offsets[0] as usize, offsets[offsets.len() - 1] as usize);
                let bytes = &s.value_data()[lo..hi];
                if needs_quotes(bytes) {
                    Column::Utf8(s)
                } else {
                    Column::Utf8Plain(s)
                }
            }
            DataType::Int32 => Column::Int32(a.as_primitive::<Int32Type>()),
            DataType::Int64 => Column::Int64(a.as_primitive::<Int64Type>()),
            t if t.is_nested() => {
                return Err(ArrowError::CsvError(format!(
                    "Nested type {t} is not supported in CSV"
                )));
            }
            _ => Column::Other(ArrayFormatter::try_new(a, &options)?),
        });
    }
    let single = columns.len() == 1;
    for row in 0..batch.num_rows() {
        let line_start = buf.len();
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            match c {
                Column::Utf8Plain(a) => {
                    if a.is_valid(row) {
                        buf.extend_from_slice(a.value(row).as_bytes());
                    }
                }
                Column::Utf8(a) => {
                    if a.is_valid(row) {
                        field(buf, a.value(row).as_bytes());
                    }
                }
                Column::Int32(a) => {
                    if a.is_valid(row) {
                        push_int(buf, a.value(row) as i64);
                    }
                }
                Column::Int64(a) => {
                    if a.is_valid(row) {
                        push_int(buf, a.value(row));
                    }
                }
                Column::Other(f) => {
                    text.clear();
                    f.value(row).write(text).map_err(|e| {
                        ArrowError::CsvError(format!(
                            "Error processing row {}, col {}: {e}",
                            first_row + row + 1,
                            i + 1
                        ))
                    })?;
                    field(buf, text.as_bytes());
                }
            }
        }
        // The csv crate writes a lone empty field as `""` so the line is not blank.
        if single && buf.len() == line_start {
            buf.extend_from_slice(b"\"\"");
        }
        buf.push(b'\n');
    }
    Ok(())
}

/// The bytes that make a field quoted.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

/// Whether a field holding `v` is quoted: it holds `,` `"` `\r` or `\n`.
pub(crate) fn needs_quotes(v: &[u8]) -> bool {
    if v.len() >= 64 {
        memchr::memchr3(b',', b'"', b'\n', v).is_some() || memchr::memchr(b'\r', v).is_some()
    } else {
        v.iter().any(|&c| SPECIAL[c as usize])
    }
}

/// Appends a field, quoted (with doubled quotes) if it holds `,` `"` `\r` or `\n`.
pub(crate) fn field(buf: &mut Vec<u8>, v: &[u8]) {
    if !needs_quotes(v) {
        buf.extend_from_slice(v);
        return;
    }
    buf.push(b'"');
    for part in v.split_inclusive(|&b| b == b'"') {
        buf.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            buf.push(b'"');
        }
    }
    buf.push(b'"');
}

/// Appends an integer in decimal.
fn push_int(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Float64Array, Int32Array, Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    /// What arrow's own CSV writer makes of `batches`.
    fn arrow_csv(batches: &[RecordBatch]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            for b in batches {
                w.write(b).unwrap();
            }
        }
        out
    }

    fn ours(batches: &[RecordBatch]) -> Vec<u8> {
        let mut w = CsvWriter::new(Vec::new());
        for b in batches {
            w.write(b).unwrap();
        }
        w.into_inner().unwrap()
    }

    fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        let fields: Vec<Field> = cols
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            cols.into_iter().map(|(_, a)| a).collect(),
        )
        .unwrap()
    }

    #[test]
    fn same_bytes_as_arrow() {
        let strings = StringArray::from(vec![
            Some("plain"),
            None,
            Some(""),
            Some("Nov 25, 2026 09:38:00.033394000 UTC"),
            Some("say \"hi\""),
            Some("two\nlines"),
            Some("cr\rhere"),
            Some("\"\""),
            Some(" spaced "),
            Some("ünï"),
        ]);
        let n = strings.len();
        let ints: Int32Array = (0..n as i32)
            .map(|i| (i % 3 != 1).then_some(i32::MIN + i * 1_000_003))
            .collect();
        let longs: Int64Array = (0..n as i64)
            .map(|i| (i % 4 != 2).then_some(if i % 2 == 0 { i64::MAX - i } else { -i }))
            .collect();
        let floats: Float64Array = (0..n)
            .map(|i| (i % 5 != 0).then_some(i as f64 / 3.0))
            .collect();
        let b = batch(vec![
            ("s", Arc::new(strings)),
            ("i", Arc::new(ints)),
            ("l", Arc::new(longs)),
            ("f", Arc::new(floats)),
        ]);
        let b2 = b.slice(3, 4);
        assert_eq!(ours(&[b.clone(), b2.clone()]), arrow_csv(&[b, b2]));
    }

    #[test]
    fn long_batches_and_columns_without_quotes() {
        // More rows than one slice; one column never needs quotes, one only in its last slice.
        let n = 20_000;
        let plain: StringArray = (0..n)
            .map(|i| (i % 7 != 3).then(|| format!("v{i}.x")))
            .collect();
        let late: StringArray = (0..n)
            .map(|i| {
                Some(if i == n - 2 {
                    "a,\"b\"".to_string()
                } else {
                    i.to_string()
                })
            })
            .collect();
        let b = batch(vec![("p", Arc::new(plain)), ("l", Arc::new(late))]);
        assert_eq!(
            ours(&[b.clone(), b.slice(8191, 9000)]),
            arrow_csv(&[b.clone(), b.slice(8191, 9000)])
        );
    }

    #[test]
    fn lone_empty_fields_and_headers() {
        let s = StringArray::from(vec![None, Some(""), Some("x")]);
        let b = batch(vec![("a,b", Arc::new(s))]);
        assert_eq!(ours(std::slice::from_ref(&b)), arrow_csv(&[b]));
        let b = batch(vec![
            ("x", Arc::new(Int32Array::from(vec![None, Some(0)]))),
            ("y", Arc::new(StringArray::from(vec![None::<&str>, None]))),
        ]);
        assert_eq!(ours(std::slice::from_ref(&b)), arrow_csv(&[b]));
    }
}
