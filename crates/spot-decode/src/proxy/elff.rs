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

use super::record::{Col, ProxyRecord};
use super::{LineError, LineParser};

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

/// Splits an ELFF data line into fields: runs of spaces and tabs separate them; a field that
/// starts with `"` runs to the matching closing quote (`""` inside is one quote).
fn split_spans(line: &str, out: &mut Vec<Span>) -> Result<(), LineError> {
    out.clear();
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i == b.len() {
            return Ok(());
        }
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            loop {
                match memchr::memchr(b'"', &b[j..]) {
                    None => {
                        return Err(LineError::UnbalancedQuote {
                            field: out.len() + 1,
                        });
                    }
                    Some(k) => {
                        let q = j + k;
                        if b.get(q + 1) == Some(&b'"') {
                            escaped = true;
                            j = q + 2;
                            continue;
                        }
                        if let Some(&next) = b.get(q + 1)
                            && next != b' '
                            && next != b'\t'
                        {
                            return Err(LineError::TextAfterQuote {
                                field: out.len() + 1,
                            });
                        }
                        out.push(Span {
                            start,
                            end: q,
                            escaped,
                        });
                        i = q + 1;
                        break;
                    }
                }
            }
        } else {
            let start = i;
            i = memchr::memchr2(b' ', b'\t', &b[i..]).map_or(b.len(), |k| i + k);
            out.push(Span {
                start,
                end: i,
                escaped: false,
            });
        }
    }
}

/// Splits `line` into its fields (see [`split_spans`]), quotes removed.
pub(crate) fn split_fields<'a>(
    line: &'a str,
    out: &mut Vec<Cow<'a, str>>,
) -> Result<(), LineError> {
    let mut spans = Vec::new();
    split_spans(line, &mut spans)?;
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
    /// Names of the extra columns fields without a proxy column are carried into.
    extra_names: std::sync::Arc<[String]>,
    spans: Vec<Span>,
}

impl Default for ElffParser {
    fn default() -> Self {
        ElffParser {
            meta: ElffMeta::default(),
            layout: SPOT_POSITIONAL_FIELDS
                .iter()
                .map(|f| column_for_field(f))
                .collect(),
            extra_layout: Vec::new(),
            extra_names: std::sync::Arc::from(Vec::new()),
            spans: Vec::with_capacity(32),
        }
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
        self
    }

    /// The directives seen so far.
    pub fn meta(&self) -> &ElffMeta {
        &self.meta
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
                self.layout = names.iter().map(|n| column_for_field(n)).collect();
                self.extra_layout = names
                    .iter()
                    .zip(&self.layout)
                    .map(|(n, c)| match c {
                        Some(_) => None,
                        None => self.extra_names.iter().position(|e| e == n),
                    })
                    .collect();
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
}

impl LineParser for ElffParser {
    fn parse_line<'a>(&mut self, line: &'a str) -> Result<Option<ProxyRecord<'a>>, LineError> {
        if line.starts_with('#') {
            self.directive(line)?;
            return Ok(None);
        }
        if line.trim().is_empty() {
            return Ok(None);
        }
        split_spans(line, &mut self.spans)?;
        if self.spans.len() != self.layout.len() {
            return Err(LineError::FieldCount {
                expected: self.layout.len(),
                found: self.spans.len(),
            });
        }
        let mut r = ProxyRecord::default();
        for (i, (span, col)) in self.spans.iter().zip(&self.layout).enumerate() {
            if let Some(col) = col {
                r.set_field(*col, span_text(line, *span))?;
            } else if let Some(Some(e)) = self.extra_layout.get(i) {
                let v = span_text(line, *span);
                if super::record::dash_none(&v).is_some() {
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
        split_spans(line, &mut v)?;
        Ok(v.into_iter()
            .map(|s| span_text(line, s).into_owned())
            .collect())
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
}
