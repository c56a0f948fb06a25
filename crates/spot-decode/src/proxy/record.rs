//! One proxy request as the line parsers produce it, before it joins a batch.

use std::borrow::Cow;

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, RecordBatch};

use super::LineError;
use super::column::{TextColumn, dictionary_type};

/// The columns of the [proxy schema](crate::proxy_schema), in schema order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Col {
    PDate,
    PTime,
    ClientIp,
    Host,
    ReqMethod,
    UserAgent,
    ResContType,
    Duration,
    Username,
    AuthGroup,
    ExceptionId,
    FilterResult,
    WebCat,
    Referer,
    RespCode,
    Action,
    UriScheme,
    UriPort,
    UriPath,
    UriQuery,
    UriExtension,
    ServerIp,
    ScBytes,
    CsBytes,
    VirusId,
    BcAppName,
    BcAppOper,
    FullUri,
}

/// Number of proxy columns.
pub const N_COLS: usize = 28;

impl Col {
    /// All columns in schema order.
    pub const ALL: [Col; N_COLS] = [
        Col::PDate,
        Col::PTime,
        Col::ClientIp,
        Col::Host,
        Col::ReqMethod,
        Col::UserAgent,
        Col::ResContType,
        Col::Duration,
        Col::Username,
        Col::AuthGroup,
        Col::ExceptionId,
        Col::FilterResult,
        Col::WebCat,
        Col::Referer,
        Col::RespCode,
        Col::Action,
        Col::UriScheme,
        Col::UriPort,
        Col::UriPath,
        Col::UriQuery,
        Col::UriExtension,
        Col::ServerIp,
        Col::ScBytes,
        Col::CsBytes,
        Col::VirusId,
        Col::BcAppName,
        Col::BcAppOper,
        Col::FullUri,
    ];

    /// The column's name in the proxy schema.
    pub fn name(self) -> &'static str {
        match self {
            Col::PDate => "p_date",
            Col::PTime => "p_time",
            Col::ClientIp => "clientip",
            Col::Host => "host",
            Col::ReqMethod => "reqmethod",
            Col::UserAgent => "useragent",
            Col::ResContType => "resconttype",
            Col::Duration => "duration",
            Col::Username => "username",
            Col::AuthGroup => "authgroup",
            Col::ExceptionId => "exceptionid",
            Col::FilterResult => "filterresult",
            Col::WebCat => "webcat",
            Col::Referer => "referer",
            Col::RespCode => "respcode",
            Col::Action => "action",
            Col::UriScheme => "urischeme",
            Col::UriPort => "uriport",
            Col::UriPath => "uripath",
            Col::UriQuery => "uriquery",
            Col::UriExtension => "uriextension",
            Col::ServerIp => "serverip",
            Col::ScBytes => "scbytes",
            Col::CsBytes => "csbytes",
            Col::VirusId => "virusid",
            Col::BcAppName => "bcappname",
            Col::BcAppOper => "bcappoper",
            Col::FullUri => "fulluri",
        }
    }
}

/// One decoded request. Text values borrow from the line where they can; `None` is a value the
/// log left empty (`-`, or Zeek's unset field).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyRecord<'a> {
    text: [Option<Cow<'a, str>>; N_COLS],
    /// `duration` (milliseconds, Blue Coat's `time-taken`).
    pub duration: Option<i32>,
    /// `scbytes`: bytes from the proxy to the client.
    pub scbytes: Option<i64>,
    /// `csbytes`: bytes from the client to the proxy.
    pub csbytes: Option<i64>,
    /// Values of the reader's extra columns (fields the proxy schema has no place for), by
    /// index into [`ProxyReader::extra_columns`](super::ProxyReader::extra_columns).
    pub extra: Vec<(usize, Cow<'a, str>)>,
}

/// `-` is how W3C ELFF and Squid write an empty field.
pub(crate) fn dash_none(v: &str) -> Option<&str> {
    if v.is_empty() || v == "-" {
        None
    } else {
        Some(v)
    }
}

impl<'a> ProxyRecord<'a> {
    /// The text of a column (`None` when empty). Numeric columns have no text: read the fields.
    pub fn get(&self, col: Col) -> Option<&str> {
        self.text[col as usize].as_deref()
    }

    /// Sets the text of a non-numeric column.
    pub fn set(&mut self, col: Col, value: Option<Cow<'a, str>>) {
        self.text[col as usize] = value;
    }

    /// Sets a column from a log field written as text, `-` meaning empty; numeric columns are
    /// parsed, and a value that is not a number is an error naming the column.
    pub fn set_field(&mut self, col: Col, value: Cow<'a, str>) -> Result<(), LineError> {
        let Some(v) = dash_none(&value) else {
            self.set_num_none(col);
            self.text[col as usize] = None;
            return Ok(());
        };
        match col {
            Col::Duration => self.duration = Some(parse_num(col, v)?),
            Col::ScBytes => self.scbytes = Some(parse_num(col, v)?),
            Col::CsBytes => self.csbytes = Some(parse_num(col, v)?),
            _ => {
                // `value` holds exactly `v` here (only "" and "-" were turned away).
                self.text[col as usize] = Some(value);
            }
        }
        Ok(())
    }

    fn set_num_none(&mut self, col: Col) {
        match col {
            Col::Duration => self.duration = None,
            Col::ScBytes => self.scbytes = None,
            Col::CsBytes => self.csbytes = None,
            _ => {}
        }
    }

    /// Computes `fulluri` by Apache Spot's rule: the host, then the path if it is longer than one
    /// character, then the query if it is longer than one character. No host, no `fulluri`.
    pub fn compute_fulluri(&mut self) {
        let Some(host) = self.get(Col::Host) else {
            self.text[Col::FullUri as usize] = None;
            return;
        };
        let path = self.get(Col::UriPath).filter(|p| p.chars().count() > 1);
        let query = self.get(Col::UriQuery).filter(|q| q.chars().count() > 1);
        let full = match (path, query) {
            (None, None) => host.to_string(),
            _ => {
                let mut s = String::with_capacity(
                    host.len() + path.map_or(0, str::len) + query.map_or(0, str::len),
                );
                s.push_str(host);
                s.push_str(path.unwrap_or(""));
                s.push_str(query.unwrap_or(""));
                s
            }
        };
        self.text[Col::FullUri as usize] = Some(Cow::Owned(full));
    }
}

/// Parses an integer exactly as `str::parse` does; a value of plain digits (the usual case)
/// is read without it.
#[inline]
pub(crate) fn parse_num<T>(col: Col, v: &str) -> Result<T, LineError>
where
    T: std::str::FromStr + TryFrom<u64>,
{
    let b = v.as_bytes();
    // Up to 19 digits fit in a u64; wrapping arithmetic keeps a line of other bytes from
    // overflowing before it is turned away.
    if !b.is_empty() && b.len() <= 19 {
        let mut n = 0u64;
        let mut digits = true;
        for &c in b {
            let d = c.wrapping_sub(b'0');
            digits &= d < 10;
            n = n.wrapping_mul(10).wrapping_add(u64::from(d));
        }
        if digits && let Ok(n) = T::try_from(n) {
            return Ok(n);
        }
    }
    v.parse().map_err(|_| LineError::InvalidValue {
        column: col.name(),
        expected: "an integer",
        value: truncate(v),
    })
}

/// A value for an error message, cut to a readable length.
pub(crate) fn truncate(v: &str) -> String {
    const MAX: usize = 80;
    if v.len() <= MAX {
        v.to_string()
    } else {
        let mut end = MAX;
        while !v.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &v[..end])
    }
}

/// Column builders for one batch of the proxy schema.
pub(crate) struct ProxyBatchBuilder {
    schema: arrow::datatypes::SchemaRef,
    extra: Vec<TextColumn>,
    text: Vec<TextColumn>,
    duration: Int32Builder,
    scbytes: Int64Builder,
    csbytes: Int64Builder,
    rows: usize,
    /// Bytes of the lines read into this batch.
    line_bytes: usize,
}

/// Bytes to reserve for one text column of `rows` rows, for a first batch.
fn first_guess(rows: usize) -> usize {
    rows * 16
}

/// Bytes of lines a batch may take in before it is full: with lines of at most 512 MiB, every
/// text column stays within the `i32` offsets of a `Utf8` array.
const MAX_COLUMN_BYTES: usize = 1 << 30;

impl ProxyBatchBuilder {
    /// Builders for `schema`: the proxy schema, then extra text columns; a text column typed
    /// `Dictionary(Int32, Utf8)` there is built dictionary-encoded.
    pub(crate) fn new(capacity: usize, schema: arrow::datatypes::SchemaRef) -> Self {
        let column = |i: usize| {
            let dictionary = schema.field(i).data_type() == &dictionary_type();
            let c = TextColumn::new(capacity, first_guess(capacity), dictionary);
            if i == Col::PTime as usize {
                c.with_times_of_day()
            } else {
                c
            }
        };
        ProxyBatchBuilder {
            extra: (N_COLS..schema.fields().len()).map(column).collect(),
            text: (0..N_COLS).map(column).collect(),
            schema,
            duration: Int32Builder::with_capacity(capacity),
            scbytes: Int64Builder::with_capacity(capacity),
            csbytes: Int64Builder::with_capacity(capacity),
            rows: 0,
            line_bytes: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Counts the bytes of a line read into this batch: no column gets more bytes from a line
    /// than the line holds.
    #[inline]
    pub(crate) fn add_line_bytes(&mut self, n: usize) {
        self.line_bytes += n;
    }

    /// Whether the batch should end now although it has fewer rows than asked for: its lines
    /// hold so many bytes that one more could overflow a column's offsets.
    #[inline]
    pub(crate) fn bytes_full(&self) -> bool {
        self.line_bytes > MAX_COLUMN_BYTES
    }

    /// The builder of text column `col` (not one of the numeric columns, which stay empty).
    #[inline]
    pub(crate) fn text(&mut self, col: Col) -> &mut TextColumn {
        &mut self.text[col as usize]
    }

    /// Number of extra columns.
    pub(crate) fn extra_len(&self) -> usize {
        self.extra.len()
    }

    /// The builder of extra column `i`.
    pub(crate) fn extra(&mut self, i: usize) -> &mut TextColumn {
        &mut self.extra[i]
    }

    /// Ends a row whose text and extra columns have each received one value.
    #[inline]
    pub(crate) fn end_row(
        &mut self,
        duration: Option<i32>,
        scbytes: Option<i64>,
        csbytes: Option<i64>,
    ) {
        self.duration.append_option(duration);
        self.scbytes.append_option(scbytes);
        self.csbytes.append_option(csbytes);
        self.rows += 1;
    }

    pub(crate) fn append(&mut self, r: &ProxyRecord<'_>) {
        for col in Col::ALL {
            match col {
                Col::Duration | Col::ScBytes | Col::CsBytes => {}
                _ => self.text[col as usize].append_option(r.get(col)),
            }
        }
        for (i, b) in self.extra.iter_mut().enumerate() {
            b.append_option(
                r.extra
                    .iter()
                    .find(|(j, _)| *j == i)
                    .map(|(_, v)| v.as_ref()),
            );
        }
        self.end_row(r.duration, r.scbytes, r.csbytes);
    }

    pub(crate) fn finish(&mut self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for col in Col::ALL {
            cols.push(match col {
                Col::Duration => std::sync::Arc::new(self.duration.finish()),
                Col::ScBytes => std::sync::Arc::new(self.scbytes.finish()),
                Col::CsBytes => std::sync::Arc::new(self.csbytes.finish()),
                _ => self.text[col as usize].finish()?,
            });
        }
        for b in &mut self.extra {
            cols.push(b.finish()?);
        }
        self.rows = 0;
        self.line_bytes = 0;
        RecordBatch::try_new(self.schema.clone(), cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::proxy_schema;

    #[test]
    fn columns_follow_the_schema() {
        let schema = proxy_schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let ours: Vec<&str> = Col::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names, ours);
    }

    #[test]
    fn fulluri_follows_spot() {
        let mut r = ProxyRecord::default();
        r.set(Col::Host, Some("example.com".into()));
        r.set(Col::UriPath, Some("/".into()));
        r.set(Col::UriQuery, Some("?".into()));
        r.compute_fulluri();
        assert_eq!(r.get(Col::FullUri), Some("example.com"));
        r.set(Col::UriPath, Some("/a".into()));
        r.set(Col::UriQuery, Some("?q=1".into()));
        r.compute_fulluri();
        assert_eq!(r.get(Col::FullUri), Some("example.com/a?q=1"));
        r.set(Col::UriPath, None);
        r.compute_fulluri();
        assert_eq!(r.get(Col::FullUri), Some("example.com?q=1"));
        r.set(Col::Host, None);
        r.compute_fulluri();
        assert_eq!(r.get(Col::FullUri), None);
    }

    #[test]
    fn dash_is_empty_and_numbers_are_checked() {
        let mut r = ProxyRecord::default();
        r.set_field(Col::ScBytes, "123".into()).unwrap();
        assert_eq!(r.scbytes, Some(123));
        r.set_field(Col::ScBytes, "-".into()).unwrap();
        assert_eq!(r.scbytes, None);
        r.set_field(Col::Username, "-".into()).unwrap();
        assert_eq!(r.get(Col::Username), None);
        let e = r.set_field(Col::Duration, "12x".into()).unwrap_err();
        assert!(e.to_string().contains("duration"), "{e}");
    }

    proptest::proptest! {
        /// The digit fast path agrees with `str::parse`, errors included.
        #[test]
        fn numbers_parse_as_str_parse(v in "[-+0-9a]{0,22}|[0-9]{1,21}") {
            proptest::prop_assert_eq!(
                parse_num::<i32>(Col::Duration, &v).ok(),
                v.parse::<i32>().ok()
            );
            proptest::prop_assert_eq!(
                parse_num::<i64>(Col::ScBytes, &v).ok(),
                v.parse::<i64>().ok()
            );
        }
    }
}
