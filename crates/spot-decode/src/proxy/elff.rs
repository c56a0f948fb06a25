//! W3C Extended Log File Format as Blue Coat (Symantec) ProxySG appliances write it.
//!
//! Data lines are fields separated by spaces (or tabs); a field holding spaces is double-quoted
//! (`""` inside quotes is one `"`), and `-` is an empty field. Directive lines start with `#`:
//! `#Fields:` names the columns of the lines that follow (and may change mid-file);
//! `#Software:`, `#Version:`, `#Date:`, `#Start-Date:`, `#End-Date:` and `#Remark:` are kept as
//! [`ElffMeta`]; any other `#` line is a comment. Before any `#Fields:` directive, lines are read
//! in the 27-field order Apache Spot's ingest took by position ([`SPOT_POSITIONAL_FIELDS`]).
//!
//! Spot split lines with Python's `shlex` in non-POSIX mode, which kept the quote characters in
//! the values (a user agent of `"curl/8.0"`, a content type of `"text/html"`); we remove them, as
//! the W3C format intends.

use std::borrow::Cow;

use super::record::{Col, N_COLS, ProxyBatchBuilder, ProxyRecord, dash_none, parse_num};
use super::{LineError, LineParser};
use crate::lines::{Line, LineReader};

/// The Blue Coat field order Apache Spot's proxy ingest parsed by position.
pub const SPOT_POSITIONAL_FIELDS: [&str; 27] = [
    "date",
    "time",
    "time-taken",
    "c-ip",
    "cs-username",
    "cs-auth-group",
    "x-exception-id",
    "sc-filter-result",
    "cs-categories",
    "cs(Referer)",
    "sc-status",
    "s-action",
    "cs-method",
    "rs(Content-Type)",
    "cs-uri-scheme",
    "cs-host",
    "cs-uri-port",
    "cs-uri-path",
    "cs-uri-query",
    "cs-uri-extension",
    "cs(User-Agent)",
    "s-ip",
    "sc-bytes",
    "cs-bytes",
    "x-virus-id",
    "x-bluecoat-application-name",
    "x-bluecoat-application-operation",
];

/// The proxy column an ELFF field name maps to (case-insensitive); `None` for fields the proxy
/// schema has no place for.
pub fn column_for_field(name: &str) -> Option<Col> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "date" => Col::PDate,
        "time" => Col::PTime,
        "time-taken" => Col::Duration,
        "c-ip" => Col::ClientIp,
        "cs-username" => Col::Username,
        "cs-auth-group" => Col::AuthGroup,
        "x-exception-id" => Col::ExceptionId,
        "sc-filter-result" => Col::FilterResult,
        "cs-categories" => Col::WebCat,
        "cs(referer)" => Col::Referer,
        "sc-status" => Col::RespCode,
        "s-action" => Col::Action,
        "cs-method" => Col::ReqMethod,
        "rs(content-type)" => Col::ResContType,
        "cs-uri-scheme" => Col::UriScheme,
        "cs-host" => Col::Host,
        "cs-uri-port" => Col::UriPort,
        "cs-uri-path" | "cs-uri-stem" => Col::UriPath,
        "cs-uri-query" => Col::UriQuery,
        "cs-uri-extension" => Col::UriExtension,
        "cs(user-agent)" => Col::UserAgent,
        "s-ip" => Col::ServerIp,
        "sc-bytes" => Col::ScBytes,
        "cs-bytes" => Col::CsBytes,
        "x-virus-id" => Col::VirusId,
        "x-bluecoat-application-name" => Col::BcAppName,
        "x-bluecoat-application-operation" => Col::BcAppOper,
        _ => return None,
    })
}

/// The header directives of an ELFF file, as last seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElffMeta {
    /// `#Software:`.
    pub software: Option<String>,
    /// `#Version:`.
    pub version: Option<String>,
    /// `#Date:`.
    pub date: Option<String>,
    /// `#Start-Date:`.
    pub start_date: Option<String>,
    /// `#End-Date:`.
    pub end_date: Option<String>,
    /// Every `#Remark:`, in order.
    pub remarks: Vec<String>,
    /// The field names of the current `#Fields:` directive, if one was seen.
    pub fields: Option<Vec<String>>,
}

/// Where one field lies in a line.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    /// A quoted field holding `""`, to be unescaped.
    escaped: bool,
}

/// Bit masks of the separator (space, tab) and quote bytes of a line, bit `i % 64` of word
/// `i / 64` for byte `i`: the line is classified 16 bytes at a time, and fields are then found by
/// counting zeros instead of testing bytes one by one.
#[derive(Debug, Clone, Default)]
struct ByteMasks {
    sep: Vec<u64>,
    quote: Vec<u64>,
}

/// Bit `i` of the result is the parity of the bits `0..=i` of `x`.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Splits a line of the usual kind, whose quoted fields hold no `""` and whose other fields
/// hold no `"`, finding all field bounds from the masks at once: a separator between an odd and
/// an even quote is inside a quoted field, a field starts where a separator run ends. On such a
/// line every quote is the first byte of its field (opening) or the last (closing); with the
/// quotes balanced, each opening quote is then closed by the last byte of its own field. Returns
/// `false` for a line of another kind (then split it byte by byte, which also tells its error).
fn split_simple(b: &[u8], masks: &ByteMasks, out: &mut Vec<Span>) -> bool {
    out.clear();
    let n = b.len();
    // All ones while inside quotes at the end of the previous word.
    let mut in_quote = 0u64;
    // Whether the byte before the word is a separator (the line's start counts as one).
    let mut prev_sep = 1u64;
    // Whether the last byte of the previous word is a quote.
    let mut prev_quote = 0u64;
    // Quotes that are neither the first nor the last byte of a field.
    let mut stray = 0u64;
    // Whether the previous word's last byte is a quote that must be followed by a separator.
    let mut needs_sep = 0u64;
    // Field ends found so far.
    let mut ended = 0;
    for (w, (&sep_word, &q)) in masks.sep.iter().zip(&masks.quote).enumerate() {
        let inside = prefix_xor(q) ^ in_quote;
        in_quote = ((inside as i64) >> 63) as u64;
        let mut sep = sep_word & !inside;
        let past_end = n - w * 64;
        if past_end < 64 {
            sep |= u64::MAX << past_end;
        }
        stray |= needs_sep & !sep & 1;
        let before = (sep << 1) | prev_sep;
        // Bit 63 looks at the next word's first byte: checked there.
        let after = (sep >> 1) | (1 << 63);
        stray |= q & !before & !after;
        needs_sep = (q & !before) >> 63;
        // Bit i: byte i - 1 is a quote (a closing quote when byte i ends a field).
        let quote_before = (q << 1) | prev_quote;
        prev_quote = q >> 63;
        prev_sep = sep >> 63;
        let mut starts = !sep & before;
        let mut ends = sep & !before;
        let base = w * 64;
        while starts != 0 {
            let i = starts.trailing_zeros() as usize;
            out.push(Span {
                start: base + i + ((q >> i) & 1) as usize,
                end: 0,
                escaped: false,
            });
            starts &= starts - 1;
        }
        while ends != 0 {
            let i = ends.trailing_zeros() as usize;
            if let Some(span) = out.get_mut(ended) {
                span.end = base + i - ((quote_before >> i) & 1) as usize;
            }
            ended += 1;
            ends &= ends - 1;
        }
    }
    if prev_sep == 0 {
        if let Some(span) = out.get_mut(ended) {
            span.end = n - prev_quote as usize;
        }
        ended += 1;
    }
    in_quote == 0 && stray == 0 && ended == out.len()
}

/// The separator, quote, non-ASCII and `\n` masks of 64 bytes.
#[cfg(target_arch = "x86_64")]
#[inline]
fn masks64(chunk: &[u8; 64]) -> (u64, u64, u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let (mut sep, mut quote, mut high, mut newline) = (0u64, 0u64, 0u64, 0u64);
    // SAFETY: SSE2 is part of the x86_64 baseline, and each unaligned 16-byte load reads
    // within `chunk` (offsets 0, 16, 32 and 48 of 64 bytes).
    unsafe {
        let space = _mm_set1_epi8(b' ' as i8);
        let tab = _mm_set1_epi8(b'\t' as i8);
        let dquote = _mm_set1_epi8(b'"' as i8);
        let nl = _mm_set1_epi8(b'\n' as i8);
        for k in 0..4 {
            let v = _mm_loadu_si128(chunk.as_ptr().add(16 * k).cast::<__m128i>());
            let s = _mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, tab));
            let q = _mm_cmpeq_epi8(v, dquote);
            let n = _mm_cmpeq_epi8(v, nl);
            sep |= u64::from(_mm_movemask_epi8(s) as u16) << (16 * k);
            quote |= u64::from(_mm_movemask_epi8(q) as u16) << (16 * k);
            high |= u64::from(_mm_movemask_epi8(v) as u16) << (16 * k);
            newline |= u64::from(_mm_movemask_epi8(n) as u16) << (16 * k);
        }
    }
    (sep, quote, high, newline)
}

/// The separator, quote, non-ASCII and `\n` masks of 64 bytes.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn masks64(chunk: &[u8; 64]) -> (u64, u64, u64, u64) {
    masks64_scalar(chunk)
}

/// [`masks64`] a byte at a time.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn masks64_scalar(chunk: &[u8; 64]) -> (u64, u64, u64, u64) {
    let (mut sep, mut quote, mut high, mut newline) = (0u64, 0u64, 0u64, 0u64);
    for (i, &c) in chunk.iter().enumerate() {
        sep |= u64::from(c == b' ' || c == b'\t') << i;
        quote |= u64::from(c == b'"') << i;
        high |= u64::from(c >= 0x80) << i;
        newline |= u64::from(c == b'\n') << i;
    }
    (sep, quote, high, newline)
}

impl ByteMasks {
    /// Computes the masks of `b`; returns whether all its bytes are ASCII (then it is UTF-8,
    /// which spares the line a separate UTF-8 check).
    fn compute(&mut self, b: &[u8]) -> bool {
        self.sep.clear();
        self.quote.clear();
        let mut high = 0;
        let mut chunks = b.chunks_exact(64);
        for chunk in &mut chunks {
            let (s, q, h, _) = masks64(chunk.try_into().unwrap_or(&[0; 64]));
            self.sep.push(s);
            self.quote.push(q);
            high |= h;
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // Zero bytes are neither separators nor quotes, and are ASCII.
            let mut last = [0u8; 64];
            last[..rest.len()].copy_from_slice(rest);
            let (s, q, h, _) = masks64(&last);
            self.sep.push(s);
            self.quote.push(q);
            high |= h;
        }
        high == 0
    }

    /// Computes the masks of the line that starts at `buf[start]`, and finds its end with the
    /// same scan: the first `\n` before `data_end` (the bytes of `buf` read so far), looked
    /// for in at most `max + 1` bytes. Returns where that `\n` is and whether the line's bytes
    /// are all ASCII, or `None` when there is none (the line is not complete in `buf`, or longer
    /// than `max`; then the masks hold nothing useful). The masks are those
    /// [`compute`](Self::compute) gives for the bytes up to the `\n`.
    #[inline]
    fn compute_line(
        &mut self,
        buf: &[u8],
        start: usize,
        data_end: usize,
        max: usize,
    ) -> Option<(usize, bool)> {
        self.sep.clear();
        self.quote.clear();
        let mut high = 0;
        let limit = data_end
            .min(buf.len())
            .min(start.saturating_add(max).saturating_add(1));
        let mut p = start;
        while p < limit {
            let (s, q, h, nl) = match buf.get(p..p + 64) {
                Some(chunk) => masks64(chunk.try_into().unwrap_or(&[0; 64])),
                None => {
                    let mut last = [0u8; 64];
                    let rest = &buf[p..];
                    last[..rest.len()].copy_from_slice(rest);
                    masks64(&last)
                }
            };
            // Bytes past `limit` are not the line's (nor read yet, past `data_end`).
            let valid = limit - p;
            let nl = if valid < 64 {
                nl & ((1u64 << valid) - 1)
            } else {
                nl
            };
            if nl != 0 {
                let k = nl.trailing_zeros();
                if k > 0 {
                    let keep = u64::MAX >> (64 - k);
                    self.sep.push(s & keep);
                    self.quote.push(q & keep);
                    high |= h & keep;
                }
                return Some((p + k as usize, high == 0));
            }
            self.sep.push(s);
            self.quote.push(q);
            high |= h;
            p += 64;
        }
        None
    }

    /// Drops the words past a line of `len` bytes (after its `\r` was cut off).
    #[inline]
    fn truncate(&mut self, len: usize) {
        let words = len.div_ceil(64);
        self.sep.truncate(words);
        self.quote.truncate(words);
    }

    /// The first byte at or after `from` whose bit is set in `words` (bits past the line's
    /// end are clear).
    #[inline]
    fn next_set(words: &[u64], from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut bits = *words.get(w)? >> (from % 64);
        if bits != 0 {
            return Some(from + bits.trailing_zeros() as usize);
        }
        loop {
            w += 1;
            bits = *words.get(w)?;
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
        }
    }

    /// The first byte at or after `from` that is not a separator (at or past `len` if none).
    #[inline]
    fn next_non_sep(&self, from: usize, len: usize) -> usize {
        let mut w = from / 64;
        let Some(&word) = self.sep.get(w) else {
            return len;
        };
        let bits = !word >> (from % 64);
        if bits != 0 {
            return from + bits.trailing_zeros() as usize;
        }
        loop {
            w += 1;
            let Some(&word) = self.sep.get(w) else {
                return len;
            };
            if word != u64::MAX {
                return w * 64 + (!word).trailing_zeros() as usize;
            }
        }
    }
}

/// Splits an ELFF data line into fields: runs of spaces and tabs separate them; a field that
/// starts with `"` runs to the matching closing quote (`""` inside is one quote).
fn split_spans(line: &str, masks: &mut ByteMasks, out: &mut Vec<Span>) -> Result<(), LineError> {
    masks.compute(line.as_bytes());
    split_masked(line.as_bytes(), masks, out)
}

/// [`split_spans`] of a line whose `masks` are computed.
fn split_masked(b: &[u8], masks: &mut ByteMasks, out: &mut Vec<Span>) -> Result<(), LineError> {
    let n = b.len();
    if split_simple(b, masks, out) {
        return Ok(());
    }
    out.clear();
    let mut i = 0;
    loop {
        i = masks.next_non_sep(i, n);
        if i >= n {
            return Ok(());
        }
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            loop {
                let Some(q) = ByteMasks::next_set(&masks.quote, j) else {
                    return Err(LineError::UnbalancedQuote {
                        field: out.len() + 1,
                    });
                };
                match b.get(q + 1) {
                    Some(b'"') => {
                        escaped = true;
                        j = q + 2;
                        continue;
                    }
                    Some(b' ' | b'\t') | None => {}
                    Some(_) => {
                        return Err(LineError::TextAfterQuote {
                            field: out.len() + 1,
                        });
                    }
                }
                out.push(Span {
                    start,
                    end: q,
                    escaped,
                });
                i = q + 1;
                break;
            }
        } else {
            let end = ByteMasks::next_set(&masks.sep, i).unwrap_or(n);
            out.push(Span {
                start: i,
                end,
                escaped: false,
            });
            i = end;
        }
    }
}

/// `b` as text, or the error of a line that is not UTF-8.
fn utf8(b: &[u8]) -> Result<&str, LineError> {
    std::str::from_utf8(b).map_err(|e| LineError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })
}

/// Splits `line` into its fields (see [`split_spans`]), quotes removed.
pub(crate) fn split_fields<'a>(
    line: &'a str,
    out: &mut Vec<Cow<'a, str>>,
) -> Result<(), LineError> {
    let mut spans = Vec::new();
    split_spans(line, &mut ByteMasks::default(), &mut spans)?;
    out.clear();
    out.extend(spans.into_iter().map(|s| span_text(line, s)));
    Ok(())
}

fn span_text(line: &str, s: Span) -> Cow<'_, str> {
    let t = &line[s.start..s.end];
    if s.escaped {
        Cow::Owned(t.replace("\"\"", "\""))
    } else {
        Cow::Borrowed(t)
    }
}

/// Adds to `out` the fields named by `#Fields:` directives in `sample` that have no proxy
/// column (and are not a proxy column's name), in order, once each.
pub(crate) fn extra_fields(sample: &[u8], out: &mut Vec<String>) {
    let text = String::from_utf8_lossy(sample);
    // A line cut by the end of the sample is left out.
    for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let line = line.trim_end_matches(['\r', '\n']);
        let Some(body) = line.strip_prefix('#') else {
            continue;
        };
        let Some((name, value)) = body.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("fields") {
            continue;
        }
        for f in value.split_whitespace() {
            if column_for_field(f).is_none()
                && !Col::ALL.iter().any(|c| c.name() == f)
                && !out.iter().any(|o| o == f)
            {
                out.push(f.to_string());
            }
        }
    }
}

/// Line parser for W3C ELFF (Blue Coat) logs; see [`crate::proxy`].
#[derive(Debug, Clone)]
pub struct ElffParser {
    meta: ElffMeta,
    /// Column of each field of the current layout.
    layout: Vec<Option<Col>>,
    /// Extra column of each field of the current layout that has no proxy column.
    extra_layout: Vec<Option<usize>>,
    /// For each proxy column, the field of the current layout that fills it (the last one
    /// when several do).
    col_field: [Option<usize>; N_COLS],
    /// `(field, extra column)` of the fields carried into extra columns, in field order.
    extra_fields: Vec<(usize, usize)>,
    /// Names of the extra columns fields without a proxy column are carried into.
    extra_names: std::sync::Arc<[String]>,
    spans: Vec<Span>,
    masks: ByteMasks,
    /// Per extra column, the field whose value it takes on the current line.
    extra_values: Vec<Option<usize>>,
    /// The text columns [`append_line`](Self::append_line) fills from one field each, with
    /// that field (`None`: the layout has none, the column is null).
    text_fields: Vec<(Col, Option<usize>)>,
    /// Lines read by [`scan_line`](Self::scan_line) and not yet in the batch.
    block: Block,
}

/// Lines of a block, at most, before their values go into the batch column by column.
const BLOCK_ROWS: usize = 256;

/// Data lines whose fields are found and whose numbers are read, waiting to be added to a batch
/// column by column: one column's lookup table and dictionary stay in the cache while it takes
/// the block's values, instead of every column's in turn for each line.
#[derive(Debug, Clone, Default)]
struct Block {
    /// Lines held.
    rows: usize,
    /// Bounds of field `f` of line `r` in the line buffer: `bounds[f * BLOCK_ROWS + r]`.
    bounds: Vec<(u32, u32)>,
    /// The numbers of each line.
    duration: Vec<Option<i32>>,
    scbytes: Vec<Option<i64>>,
    csbytes: Vec<Option<i64>>,
}

impl Default for ElffParser {
    fn default() -> Self {
        let mut p = ElffParser {
            meta: ElffMeta::default(),
            layout: Vec::new(),
            extra_layout: Vec::new(),
            col_field: [None; N_COLS],
            extra_fields: Vec::new(),
            extra_names: std::sync::Arc::from(Vec::new()),
            spans: Vec::with_capacity(32),
            masks: ByteMasks::default(),
            extra_values: Vec::new(),
            text_fields: Vec::new(),
            block: Block::default(),
        };
        p.set_layout(&SPOT_POSITIONAL_FIELDS);
        p
    }
}

impl ElffParser {
    /// A parser that reads Spot's positional layout until a `#Fields:` directive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Carries the fields named `names` (as `#Fields:` directives write them) that have no
    /// proxy column into the record's [`extra`](ProxyRecord::extra) values, by their index in
    /// `names`; other unknown fields are ignored.
    pub fn with_extra_columns(mut self, names: std::sync::Arc<[String]>) -> Self {
        self.extra_names = names;
        let fields: Vec<String> = match &self.meta.fields {
            Some(f) => f.clone(),
            None => SPOT_POSITIONAL_FIELDS
                .iter()
                .map(|f| f.to_string())
                .collect(),
        };
        self.set_layout(&fields);
        self
    }

    /// The directives seen so far.
    pub fn meta(&self) -> &ElffMeta {
        &self.meta
    }

    /// Maps the fields of lines to come, named `names`, to proxy and extra columns.
    fn set_layout<S: AsRef<str>>(&mut self, names: &[S]) {
        self.layout = names.iter().map(|n| column_for_field(n.as_ref())).collect();
        self.extra_layout = names
            .iter()
            .zip(&self.layout)
            .map(|(n, c)| match c {
                Some(_) => None,
                None => self.extra_names.iter().position(|e| e == n.as_ref()),
            })
            .collect();
        self.col_field = [None; N_COLS];
        for (i, c) in self.layout.iter().enumerate() {
            if let Some(c) = c {
                self.col_field[*c as usize] = Some(i);
            }
        }
        self.extra_fields = self
            .extra_layout
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.map(|e| (i, e)))
            .collect();
        self.text_fields = Col::ALL
            .into_iter()
            .filter(|c| {
                !matches!(
                    c,
                    Col::Duration | Col::ScBytes | Col::CsBytes | Col::FullUri
                )
            })
            .map(|c| (c, self.col_field[c as usize]))
            .collect();
    }

    fn directive(&mut self, line: &str) -> Result<(), LineError> {
        let body = &line[1..];
        let (name, value) = match body.split_once(':') {
            Some((n, v)) => (n.trim(), v.trim()),
            None => return Ok(()), // a comment
        };
        let value = value.to_string();
        match name.to_ascii_lowercase().as_str() {
            "fields" => {
                let names: Vec<String> = value.split_whitespace().map(str::to_string).collect();
                if names.is_empty() {
                    return Err(LineError::Malformed {
                        message: "`#Fields:` directive names no fields".into(),
                    });
                }
                self.set_layout(&names);
                self.meta.fields = Some(names);
            }
            "software" => self.meta.software = Some(value),
            "version" => self.meta.version = Some(value),
            "date" => self.meta.date = Some(value),
            "start-date" => self.meta.start_date = Some(value),
            "end-date" => self.meta.end_date = Some(value),
            "remark" => self.meta.remarks.push(value),
            _ => {}
        }
        Ok(())
    }

    /// Splits a data line and checks its field count.
    fn split<'a>(&mut self, line: &'a str) -> Result<Option<&'a str>, LineError> {
        if line.starts_with('#') {
            self.directive(line)?;
            return Ok(None);
        }
        if line.trim().is_empty() {
            return Ok(None);
        }
        split_spans(line, &mut self.masks, &mut self.spans)?;
        if self.spans.len() != self.layout.len() {
            return Err(LineError::FieldCount {
                expected: self.layout.len(),
                found: self.spans.len(),
            });
        }
        Ok(Some(line))
    }

    /// The text of column `col` on the line just split (`None` when absent or `-`).
    fn value<'a>(&self, line: &'a str, col: Col) -> Option<Cow<'a, str>> {
        let v = span_text(line, self.spans[self.col_field[col as usize]?]);
        dash_none(&v).is_some().then_some(v)
    }

    /// The number in column `col` on the line just split (`None` when absent or `-`).
    #[inline]
    fn number<T>(&self, line: &str, col: Col) -> Result<Option<T>, LineError>
    where
        T: std::str::FromStr + TryFrom<u64>,
    {
        let Some(f) = self.col_field[col as usize] else {
            return Ok(None);
        };
        let span = self.spans[f];
        if span.escaped {
            return self
                .value(line, col)
                .map(|v| parse_num(col, &v))
                .transpose();
        }
        match &line[span.start..span.end] {
            "" | "-" => Ok(None),
            v => parse_num(col, v).map(Some),
        }
    }

    /// The unescaped bytes of column `col` on the line just split, with Spot's `fulluri` rule
    /// for paths and queries applied: `None` when absent, `-`, or (with `min_chars` 2) a
    /// single character.
    #[inline]
    fn part<'a>(&self, line: &'a str, col: Col, min_chars: usize) -> Option<Cow<'a, str>> {
        let f = self.col_field[col as usize]?;
        let span = self.spans[f];
        let v: Cow<'a, str> = if span.escaped {
            span_text(line, span)
        } else {
            Cow::Borrowed(&line[span.start..span.end])
        };
        if v.is_empty() || v == "-" {
            return None;
        }
        // A character is at most 4 bytes: only short values need counting.
        if min_chars > 1 && v.len() < 4 * min_chars && v.chars().nth(min_chars - 1).is_none() {
            return None;
        }
        Some(v)
    }

    /// Splits a data line into `self.spans`, one per field of the layout: `None` for a blank
    /// line. The line's bytes are checked to be UTF-8 only when the field scan finds a byte
    /// that is not ASCII.
    /// `masked` tells that [`find_line`](Self::find_line) computed the masks of this line
    /// already, as `Some(all ASCII)`.
    #[inline(always)]
    fn split_data_line<'a>(
        &mut self,
        bytes: &'a [u8],
        masked: Option<bool>,
    ) -> Result<Option<&'a str>, LineError> {
        let ascii = match masked {
            Some(ascii) => {
                self.masks.truncate(bytes.len());
                ascii
            }
            None => self.masks.compute(bytes),
        };
        let line = if ascii {
            // SAFETY: every byte is ASCII (the scan found no byte with its high bit set), and
            // ASCII is UTF-8.
            let line = unsafe { std::str::from_utf8_unchecked(bytes) };
            if bytes.iter().all(|&c| (c as char).is_whitespace()) {
                return Ok(None);
            }
            line
        } else {
            let line = utf8(bytes)?;
            if line.trim().is_empty() {
                return Ok(None);
            }
            line
        };
        split_masked(bytes, &mut self.masks, &mut self.spans)?;
        if self.spans.len() != self.layout.len() {
            return Err(LineError::FieldCount {
                expected: self.layout.len(),
                found: self.spans.len(),
            });
        }
        Ok(Some(line))
    }

    /// Reads one line straight into the batch builder, as [`parse_line`](LineParser::parse_line)
    /// of the line as text followed by [`ProxyBatchBuilder::append`] would, without building a
    /// [`ProxyRecord`]: `Ok(true)` when a record was appended, `Ok(false)` for a directive or
    /// blank line. On an error nothing is appended. The line's bytes are checked to be UTF-8
    /// only when the field scan finds a byte that is not ASCII.
    pub(crate) fn append_line(
        &mut self,
        bytes: &[u8],
        out: &mut ProxyBatchBuilder,
    ) -> Result<bool, LineError> {
        if bytes.first() == Some(&b'#') {
            self.directive(utf8(bytes)?)?;
            return Ok(false);
        }
        let Some(line) = self.split_data_line(bytes, None)? else {
            return Ok(false);
        };
        // Numbers first: a bad one turns the line away before any column has its value.
        let duration = self.number(line, Col::Duration)?;
        let scbytes = self.number(line, Col::ScBytes)?;
        let csbytes = self.number(line, Col::CsBytes)?;
        for &(col, field) in &self.text_fields {
            let column = out.text(col);
            let Some(f) = field else {
                column.append_null();
                continue;
            };
            let span = self.spans[f];
            let v = &bytes[span.start..span.end];
            if v.is_empty() || v == b"-" {
                column.append_null();
            } else if span.escaped {
                column.append_value(span_text(line, span).as_bytes());
            } else {
                column.append_value(v);
            }
        }
        match self.part(line, Col::Host, 1) {
            None => out.text(Col::FullUri).append_null(),
            Some(host) => {
                let path = self.part(line, Col::UriPath, 2);
                let query = self.part(line, Col::UriQuery, 2);
                fn bytes<'a>(p: &'a Option<Cow<'_, str>>) -> &'a [u8] {
                    p.as_deref().unwrap_or("").as_bytes()
                }
                let parts = [host.as_bytes(), bytes(&path), bytes(&query)];
                out.text(Col::FullUri).append_concat(&parts);
            }
        }
        let n_extra = out.extra_len();
        if n_extra > 0 {
            self.extra_values.clear();
            self.extra_values.resize(n_extra, None);
            for &(f, e) in &self.extra_fields {
                if self.extra_values.get(e) == Some(&None)
                    && dash_none(&span_text(line, self.spans[f])).is_some()
                {
                    self.extra_values[e] = Some(f);
                }
            }
            for (e, f) in self.extra_values.iter().enumerate() {
                let v = f.map(|f| span_text(line, self.spans[f]));
                out.extra(e).append_option(v.as_deref());
            }
        }
        out.end_row(duration, scbytes, csbytes);
        Ok(true)
    }
}

impl ElffParser {
    /// The next line of `lines` if it is already in its buffer, found by the scan that also
    /// computes the line's separator and quote masks (one pass over its bytes instead of a
    /// search for its end and then a scan of the line), with whether the line is all ASCII;
    /// `None` when the reader must search or read the usual way (the line is not complete in
    /// the buffer, or longer than `max`).
    #[inline]
    pub(crate) fn find_line(&mut self, lines: &mut LineReader, max: usize) -> Option<(Line, bool)> {
        let (buf, start, end) = lines.unread();
        let (newline, ascii) = self.masks.compute_line(buf, start, end, max)?;
        Some((lines.take_line(newline), ascii))
    }

    /// Lines taken by [`scan_line`](Self::scan_line) that are not yet in the batch.
    #[inline]
    pub(crate) fn pending(&self) -> usize {
        self.block.rows
    }

    /// Reads the line `buf[start..end]` as [`append_line`](Self::append_line) does, with the
    /// same result and errors, but a data line of the usual kind is only split and its numbers
    /// read: its values join the batch, column by column with the lines around it, when the
    /// block is full or [`flush_block`](Self::flush_block) is called. `buf` must hold the
    /// lines of the block unchanged until then. Other lines (directives, lines with `""` in a
    /// quoted field, layouts with extra columns) first flush the block, then go through
    /// `append_line`, so the batch keeps the lines' order.
    ///
    /// `masked` is `Some(all ASCII)` when [`find_line`](Self::find_line) found this line,
    /// starting at `start` (its masks are computed).
    pub(crate) fn scan_line(
        &mut self,
        buf: &[u8],
        start: usize,
        end: usize,
        masked: Option<bool>,
        out: &mut ProxyBatchBuilder,
    ) -> Result<bool, LineError> {
        let bytes = &buf[start..end];
        if bytes.first() == Some(&b'#') || out.extra_len() > 0 || u32::try_from(end).is_err() {
            self.flush_block(buf, out);
            return self.append_line(bytes, out);
        }
        let Some(line) = self.split_data_line(bytes, masked)? else {
            return Ok(false);
        };
        if self.spans.iter().any(|s| s.escaped) {
            self.flush_block(buf, out);
            return self.append_line(bytes, out);
        }
        let duration = self.number(line, Col::Duration)?;
        let scbytes = self.number(line, Col::ScBytes)?;
        let csbytes = self.number(line, Col::CsBytes)?;
        let block = &mut self.block;
        let n = self.spans.len();
        if block.bounds.len() < n * BLOCK_ROWS {
            block.bounds.resize(n * BLOCK_ROWS, (0, 0));
        }
        let r = block.rows;
        // `end` fits in a u32 (checked above), and so does every bound before it.
        for (f, span) in self.spans.iter().enumerate() {
            block.bounds[f * BLOCK_ROWS + r] =
                ((start + span.start) as u32, (start + span.end) as u32);
        }
        block.duration.push(duration);
        block.scbytes.push(scbytes);
        block.csbytes.push(csbytes);
        block.rows += 1;
        if block.rows == BLOCK_ROWS {
            self.flush_block(buf, out);
        }
        Ok(true)
    }

    /// Adds the lines of the block (in `buf`, as given to [`scan_line`](Self::scan_line)) to
    /// the batch, one column at a time.
    pub(crate) fn flush_block(&mut self, buf: &[u8], out: &mut ProxyBatchBuilder) {
        let block = &mut self.block;
        let rows = block.rows;
        if rows == 0 {
            return;
        }
        let value = |f: usize, r: usize| {
            let (s, e) = block.bounds[f * BLOCK_ROWS + r];
            &buf[s as usize..e as usize]
        };
        for &(col, field) in &self.text_fields {
            let column = out.text(col);
            let Some(f) = field else {
                for _ in 0..rows {
                    column.append_null();
                }
                continue;
            };
            column.append_fields(buf, &block.bounds[f * BLOCK_ROWS..f * BLOCK_ROWS + rows]);
        }
        let fulluri = out.text(Col::FullUri);
        match self.col_field[Col::Host as usize] {
            None => {
                for _ in 0..rows {
                    fulluri.append_null();
                }
            }
            Some(host) => {
                // Spot's rule: the path and the query count when longer than one character.
                let part = |field: Option<usize>, r: usize| -> &[u8] {
                    let Some(f) = field else { return b"" };
                    let v = value(f, r);
                    // A character is at most 4 bytes: only short values need counting.
                    let long = v.len() >= 8 || v.iter().filter(|&&c| c & 0xc0 != 0x80).count() > 1;
                    if long { v } else { b"" }
                };
                let (path, query) = (
                    self.col_field[Col::UriPath as usize],
                    self.col_field[Col::UriQuery as usize],
                );
                for r in 0..rows {
                    let h = value(host, r);
                    if h.is_empty() || h == b"-" {
                        fulluri.append_null();
                    } else {
                        fulluri.append_concat(&[h, part(path, r), part(query, r)]);
                    }
                }
            }
        }
        for r in 0..rows {
            out.end_row(block.duration[r], block.scbytes[r], block.csbytes[r]);
        }
        block.duration.clear();
        block.scbytes.clear();
        block.csbytes.clear();
        block.rows = 0;
    }
}

impl LineParser for ElffParser {
    fn parse_line<'a>(&mut self, line: &'a str) -> Result<Option<ProxyRecord<'a>>, LineError> {
        let Some(line) = self.split(line)? else {
            return Ok(None);
        };
        let mut r = ProxyRecord::default();
        for (i, (span, col)) in self.spans.iter().zip(&self.layout).enumerate() {
            if let Some(col) = col {
                r.set_field(*col, span_text(line, *span))?;
            } else if let Some(Some(e)) = self.extra_layout.get(i) {
                let v = span_text(line, *span);
                if dash_none(&v).is_some() {
                    r.extra.push((*e, v));
                }
            }
        }
        r.compute_fulluri();
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Result<Vec<String>, LineError> {
        let mut v = Vec::new();
        split_spans(line, &mut ByteMasks::default(), &mut v)?;
        Ok(v.into_iter()
            .map(|s| span_text(line, s).into_owned())
            .collect())
    }

    /// The splitter byte by byte, as the format reads: what [`split_spans`] must agree with.
    fn fields_by_bytes(line: &str) -> Result<Vec<String>, LineError> {
        let b = line.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            if i == b.len() {
                return Ok(out);
            }
            let mut v = Vec::new();
            if b[i] == b'"' {
                i += 1;
                loop {
                    match b.get(i) {
                        None => {
                            return Err(LineError::UnbalancedQuote {
                                field: out.len() + 1,
                            });
                        }
                        Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                            v.push(b'"');
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            if matches!(b.get(i), Some(c) if *c != b' ' && *c != b'\t') {
                                return Err(LineError::TextAfterQuote {
                                    field: out.len() + 1,
                                });
                            }
                            break;
                        }
                        Some(&c) => {
                            v.push(c);
                            i += 1;
                        }
                    }
                }
            } else {
                while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                    v.push(b[i]);
                    i += 1;
                }
            }
            out.push(String::from_utf8(v).unwrap());
        }
    }

    proptest::proptest! {
        /// Lines of separators, quotes and text, short and longer than a 64-byte mask word.
        #[test]
        fn mask_splitter_matches_byte_splitter(
            parts in proptest::collection::vec("[ \t\"a-zé-]{0,40}", 0..12),
        ) {
            let line = parts.concat();
            proptest::prop_assert_eq!(fields(&line), fields_by_bytes(&line));
        }

        #[test]
        fn sse2_masks_match_scalar_masks(bytes in proptest::collection::vec(
            proptest::sample::select(vec![b' ', b'\t', b'"', b'a', 0, 0xff, 0x80, 0x7f, b'-']), 64)) {
            let chunk: [u8; 64] = bytes.try_into().unwrap();
            proptest::prop_assert_eq!(masks64(&chunk), masks64_scalar(&chunk));
        }
    }

    proptest::proptest! {
        /// The line end and masks found in one scan of the buffer are the `\n` that a search
        /// finds and the masks of the line's bytes, whatever the line's length (across mask
        /// words, ending at a word's edge, with or without `\r`), the bytes after it, or the
        /// limit on its length.
        #[test]
        fn line_scan_finds_the_line_and_its_masks(
            bytes in proptest::collection::vec(proptest::sample::select(
                vec![b' ', b'\t', b'"', b'a', b'\r', 0xc3, 0xa9, b'\n', b'-']), 0..400),
            newline_every in 1usize..200,
            start in 0usize..100,
            cut in 0usize..50,
            max in 1usize..300,
        ) {
            let mut buf = bytes;
            for i in (newline_every..buf.len()).step_by(newline_every) {
                buf[i] = b'\n';
            }
            let start = start.min(buf.len());
            // Bytes past `data_end` are in the buffer but not read: they never end a line.
            let data_end = buf.len() - cut.min(buf.len() - start);
            let mut masks = ByteMasks::default();
            let found = masks.compute_line(&buf, start, data_end, max);
            let expected = buf[start..data_end]
                .iter()
                .position(|&c| c == b'\n')
                .filter(|&len| len <= max)
                .map(|len| start + len);
            proptest::prop_assert_eq!(found.map(|f| f.0), expected);
            if let Some((newline, ascii)) = found {
                let mut line = &buf[start..newline];
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                    masks.truncate(line.len());
                }
                let mut direct = ByteMasks::default();
                let direct_ascii = direct.compute(line);
                proptest::prop_assert_eq!(ascii, line.is_ascii());
                proptest::prop_assert_eq!(direct_ascii, line.is_ascii());
                proptest::prop_assert_eq!(&masks.sep, &direct.sep);
                proptest::prop_assert_eq!(&masks.quote, &direct.quote);
            }
        }
    }

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(
            fields("a  \"b c\"\t- \"\" \"x \"\"y\"\"\"").unwrap(),
            ["a", "b c", "-", "", "x \"y\""]
        );
        assert_eq!(fields("  ").unwrap(), Vec::<String>::new());
        assert!(matches!(
            fields("a \"b c"),
            Err(LineError::UnbalancedQuote { field: 2 })
        ));
        assert!(matches!(
            fields("\"a\"b"),
            Err(LineError::TextAfterQuote { field: 1 })
        ));
        // A quote inside an unquoted field is an ordinary character.
        assert_eq!(fields("a\"b c").unwrap(), ["a\"b", "c"]);
    }

    const LINE: &str = "2026-11-25 09:40:06 1 10.0.0.1 - - - TCP_MISS/200 - \"-\" 200 TCP_MISS GET \"text/html; charset=utf-8\" http example.com 80 /a/b.html ?q=1 html \"Mozilla/5.0 (X11)\" 10.0.0.2 246 135 - - -";

    #[test]
    fn positional_layout_maps_spot_columns() {
        let mut p = ElffParser::new();
        let r = p.parse_line(LINE).unwrap().unwrap();
        assert_eq!(r.get(Col::PDate), Some("2026-11-25"));
        assert_eq!(r.get(Col::PTime), Some("09:40:06"));
        assert_eq!(r.duration, Some(1));
        assert_eq!(r.get(Col::ClientIp), Some("10.0.0.1"));
        assert_eq!(r.get(Col::Username), None);
        assert_eq!(r.get(Col::FilterResult), Some("TCP_MISS/200"));
        assert_eq!(r.get(Col::Referer), None);
        assert_eq!(r.get(Col::RespCode), Some("200"));
        assert_eq!(r.get(Col::ReqMethod), Some("GET"));
        assert_eq!(r.get(Col::ResContType), Some("text/html; charset=utf-8"));
        assert_eq!(r.get(Col::Host), Some("example.com"));
        assert_eq!(r.get(Col::UriPort), Some("80"));
        assert_eq!(r.get(Col::UriExtension), Some("html"));
        assert_eq!(r.get(Col::UserAgent), Some("Mozilla/5.0 (X11)"));
        assert_eq!(r.get(Col::ServerIp), Some("10.0.0.2"));
        assert_eq!((r.scbytes, r.csbytes), (Some(246), Some(135)));
        assert_eq!(r.get(Col::FullUri), Some("example.com/a/b.html?q=1"));
    }

    #[test]
    fn fields_directive_maps_by_name_and_may_change() {
        let mut p = ElffParser::new();
        assert!(p.parse_line("#Software: SGOS 6.7").unwrap().is_none());
        assert!(p.parse_line("#Remark: hello").unwrap().is_none());
        assert!(
            p.parse_line("#Fields: cs-host c-ip sc-bytes x-unknown")
                .unwrap()
                .is_none()
        );
        let r = p.parse_line("a.example 10.0.0.9 77 zzz").unwrap().unwrap();
        assert_eq!(r.get(Col::Host), Some("a.example"));
        assert_eq!(r.get(Col::ClientIp), Some("10.0.0.9"));
        assert_eq!(r.scbytes, Some(77));
        assert_eq!(r.get(Col::FullUri), Some("a.example"));
        assert!(matches!(
            p.parse_line("a.example 10.0.0.9"),
            Err(LineError::FieldCount {
                expected: 4,
                found: 2
            })
        ));
        p.parse_line("#Fields: c-ip cs-host").unwrap();
        let r = p.parse_line("10.0.0.8 b.example").unwrap().unwrap();
        assert_eq!(r.get(Col::Host), Some("b.example"));
        assert_eq!(p.meta().software.as_deref(), Some("SGOS 6.7"));
        assert_eq!(p.meta().remarks, ["hello"]);
    }

    #[test]
    fn bad_numbers_are_typed_errors() {
        let mut p = ElffParser::new();
        let bad = LINE.replace(" 246 ", " 2x6 ");
        let e = p.parse_line(&bad).unwrap_err();
        assert!(
            matches!(
                e,
                LineError::InvalidValue {
                    column: "scbytes",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn lines_that_are_not_utf8_are_turned_away() {
        let schema = crate::schema::proxy_schema();
        let mut out = ProxyBatchBuilder::new(4, schema);
        let mut p = ElffParser::new();
        for (line, offset) in [
            (&b"2026-11-25 \xff"[..], 11),
            (b"#Fields: date \xe9", 14),
            (b"\xc3", 0),
            (b"  \xe2\x80", 2),
        ] {
            assert_eq!(
                p.append_line(line, &mut out),
                Err(LineError::InvalidUtf8 { offset }),
                "{line:?}"
            );
        }
        // Blank by Unicode's rule, as `str::trim` has it: no record.
        assert_eq!(p.append_line(" \u{3000}\t".as_bytes(), &mut out), Ok(false));
        assert_eq!(p.append_line(b" \x0b\x0c\r", &mut out), Ok(false));
        assert_eq!(out.len(), 0);
        let line = LINE.replace("Mozilla/5.0", "Mozilla/5.0 été");
        assert_eq!(p.append_line(line.as_bytes(), &mut out), Ok(true));
        let batch = out.finish().unwrap();
        use arrow::array::AsArray;
        let agents = batch
            .column_by_name("useragent")
            .unwrap()
            .as_string::<i32>();
        assert_eq!(agents.value(0), "Mozilla/5.0 été (X11)");
    }

    proptest::proptest! {
        /// Lines scanned into blocks (of many lines, directives, escaped quotes and bad
        /// numbers among them) give the batch and the errors of lines appended one by one.
        #[test]
        fn blocks_match_lines_appended_one_by_one(
            lines in proptest::collection::vec(
                proptest::collection::vec("[a-z0-9\"/ é-]{0,5}", 4), 0..700),
            directive_at in proptest::collection::vec(0usize..700, 0..3),
        ) {
            use arrow::array::Array;
            let mut text: Vec<String> = lines.iter().map(|f| f.join(" ")).collect();
            for (k, &at) in directive_at.iter().enumerate() {
                let d = if k % 2 == 0 {
                    "#Fields: cs-host cs-uri-path sc-bytes cs-uri-query"
                } else {
                    "#Fields: cs-uri-query cs-host time-taken cs-uri-path"
                };
                text.insert(at.min(text.len()), d.to_string());
            }
            text.insert(0, "#Fields: cs-host cs-uri-path sc-bytes cs-uri-query".to_string());
            let schema = crate::schema::proxy_schema();
            let dict_schema = std::sync::Arc::new(arrow::datatypes::Schema::new(
                schema
                    .fields()
                    .iter()
                    .map(|f| match f.data_type() {
                        arrow::datatypes::DataType::Utf8 => {
                            f.as_ref().clone().with_data_type(super::super::column::dictionary_type())
                        }
                        _ => f.as_ref().clone(),
                    })
                    .collect::<Vec<_>>(),
            ));
            for schema in [schema, dict_schema] {
                let buf = text.join("\n").into_bytes();
                let (mut blocks, mut one) = (ElffParser::new(), ElffParser::new());
                let (mut a, mut b) = (
                    ProxyBatchBuilder::new(4, schema.clone()),
                    ProxyBatchBuilder::new(4, schema.clone()),
                );
                let (mut ra, mut rb) = (Vec::new(), Vec::new());
                // Lines found as `ProxyBatches` finds them: by the mask scan while they are in
                // the reader's buffer, else read (which may move the buffer: the block goes
                // into the batch first).
                let mut lines = LineReader::new(1 << 16);
                let mut input: &[u8] = &buf;
                loop {
                    let (line, masked) = match blocks.find_line(&mut lines, 1 << 16) {
                        Some((line, ascii)) => (line, Some(ascii)),
                        None => {
                            blocks.flush_block(lines.bytes(), &mut a);
                            match lines.next_line(&mut input).unwrap() {
                                Some(line) => (line, None),
                                None => break,
                            }
                        }
                    };
                    let Line::Text { start, end } = line else {
                        panic!("no line is too long here");
                    };
                    ra.push(blocks.scan_line(lines.bytes(), start, end, masked, &mut a));
                }
                for line in &text {
                    rb.push(one.append_line(line.as_bytes(), &mut b));
                }
                blocks.flush_block(lines.bytes(), &mut a);
                proptest::prop_assert_eq!(&ra, &rb);
                let (a, b) = (a.finish().unwrap(), b.finish().unwrap());
                proptest::prop_assert_eq!(a.num_rows(), b.num_rows());
                for (x, y) in a.columns().iter().zip(b.columns()) {
                    let x = arrow::compute::cast(x, &arrow::datatypes::DataType::Utf8).unwrap();
                    let y = arrow::compute::cast(y, &arrow::datatypes::DataType::Utf8).unwrap();
                    proptest::prop_assert_eq!(x.to_data(), y.to_data());
                }
            }
        }

        /// Straight into the builder or through a record: the same batch, the same errors.
        #[test]
        fn append_line_matches_parse_line(
            fields in proptest::collection::vec("[a-z0-9\"/ é\u{3000}-]{0,6}", 0..6),
            extra in proptest::bool::ANY,
        ) {
            use arrow::array::Array;
            let directive = if extra {
                "#Fields: cs-host x-one cs-uri-path sc-bytes x-two cs-uri-query"
            } else {
                "#Fields: cs-host cs-uri-path sc-bytes cs-uri-query"
            };
            let names: std::sync::Arc<[String]> = vec!["x-one".to_string(), "x-two".to_string()].into();
            let schema = super::super::extended_schema(&names);
            let line = fields.join(" ");
            let mut direct = ElffParser::new().with_extra_columns(names.clone());
            let mut via = ElffParser::new().with_extra_columns(names.clone());
            let (mut a, mut b) = (
                ProxyBatchBuilder::new(4, schema.clone()),
                ProxyBatchBuilder::new(4, schema),
            );
            direct.append_line(directive.as_bytes(), &mut a).unwrap();
            via.parse_line(directive).unwrap();
            let ra = direct.append_line(line.as_bytes(), &mut a);
            let rb = via.parse_line(&line).map(|r| r.map(|r| b.append(&r)).is_some());
            proptest::prop_assert_eq!(&ra, &rb);
            let (a, b) = (a.finish().unwrap(), b.finish().unwrap());
            proptest::prop_assert_eq!(a.num_rows(), usize::from(ra == Ok(true)));
            for (x, y) in a.columns().iter().zip(b.columns()) {
                proptest::prop_assert_eq!(x.to_data(), y.to_data());
            }
        }
    }
}
