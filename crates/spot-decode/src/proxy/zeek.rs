//! Zeek `http.log`, in Zeek's TSV format and as JSON lines.
//!
//! TSV files start with header lines: `#separator \x09` (the separator, escaped), then
//! `#set_separator`, `#empty_field`, `#unset_field`, `#path`, `#open`, `#fields`, `#types`, each
//! followed by the separator and its values; `#close` ends the file. A field equal to the unset
//! marker (`-`) is null, one equal to the empty marker (`(empty)`) is an empty set; `\xHH` escapes
//! (the separator, non-printable bytes) are decoded. Columns are found by their `#fields` name;
//! data before any `#fields` line is read in the field order of current Zeek ([`HTTP_FIELDS`]).
//! JSON lines (`{"ts":...,"id.orig_h":...}`) may carry `ts` as epoch seconds or ISO 8601.
//!
//! Mapping to the proxy schema: `ts` → `p_date`/`p_time` (UTC), `id.orig_h` → `clientip`,
//! `id.resp_h` → `serverip`, `id.resp_p` → `uriport`, `host`, `method` → `reqmethod`, `uri` →
//! `uripath` + `uriquery`, `referrer`, `user_agent`, `status_code` → `respcode`, `username`,
//! the first of `resp_mime_types` (or old Zeek's `mime_type`) → `resconttype`,
//! `response_body_len` → `scbytes`, `request_body_len` → `csbytes`, `urischeme` = `http`.

use std::borrow::Cow;

use chrono::DateTime;
use serde::Deserialize;

use super::record::{Col, ProxyRecord, truncate};
use super::squid::{set_epoch, split_url};
use super::{LineError, LineParser};

/// The columns of current Zeek's `http.log`, in order.
pub const HTTP_FIELDS: [&str; 30] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "trans_depth",
    "method",
    "host",
    "uri",
    "referrer",
    "version",
    "user_agent",
    "origin",
    "request_body_len",
    "response_body_len",
    "status_code",
    "status_msg",
    "info_code",
    "info_msg",
    "tags",
    "username",
    "password",
    "proxied",
    "orig_fuids",
    "orig_filenames",
    "orig_mime_types",
    "resp_fuids",
    "resp_filenames",
    "resp_mime_types",
];

/// What one `http.log` field becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Ts,
    Col(Col),
    /// The uri: path and query.
    Uri,
    /// A set or vector whose first element is the content type.
    MimeTypes,
    Ignored,
}

fn field_for(name: &str) -> Field {
    match name {
        "ts" => Field::Ts,
        "id.orig_h" => Field::Col(Col::ClientIp),
        "id.resp_h" => Field::Col(Col::ServerIp),
        "id.resp_p" => Field::Col(Col::UriPort),
        "method" => Field::Col(Col::ReqMethod),
        "host" => Field::Col(Col::Host),
        "uri" => Field::Uri,
        "referrer" => Field::Col(Col::Referer),
        "user_agent" => Field::Col(Col::UserAgent),
        "request_body_len" => Field::Col(Col::CsBytes),
        "response_body_len" => Field::Col(Col::ScBytes),
        "status_code" => Field::Col(Col::RespCode),
        "username" => Field::Col(Col::Username),
        "resp_mime_types" | "mime_type" => Field::MimeTypes,
        _ => Field::Ignored,
    }
}

/// Line parser for Zeek `http.log` (TSV or JSON); see [`crate::proxy`].
#[derive(Debug, Clone)]
pub struct ZeekParser {
    separator: String,
    set_separator: String,
    empty: String,
    unset: String,
    path: Option<String>,
    layout: Vec<Field>,
}

impl Default for ZeekParser {
    fn default() -> Self {
        ZeekParser {
            separator: "\t".into(),
            set_separator: ",".into(),
            empty: "(empty)".into(),
            unset: "-".into(),
            path: None,
            layout: HTTP_FIELDS.iter().map(|f| field_for(f)).collect(),
        }
    }
}

/// Decodes Zeek's `\xHH` escapes (and `\\`).
pub(crate) fn unescape(v: &str) -> Cow<'_, str> {
    if !v.contains('\\') {
        return Cow::Borrowed(v);
    }
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'x') {
                if let Some(h) = b
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    && let Ok(x) = u8::from_str_radix(h, 16)
                {
                    out.push(x);
                    i += 4;
                    continue;
                }
            } else if b.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn set_ts(r: &mut ProxyRecord<'_>, ts: &str) -> Result<(), LineError> {
    let bad = || LineError::InvalidValue {
        column: "ts",
        expected: "seconds since 1970 or an ISO 8601 time",
        value: truncate(ts),
    };
    if let Ok(secs) = ts.parse::<f64>() {
        if !secs.is_finite() || secs.abs() > 1e15 {
            return Err(bad());
        }
        return set_epoch(r, secs.floor() as i64, ts);
    }
    let dt = DateTime::parse_from_rfc3339(ts).map_err(|_| bad())?;
    set_epoch(r, dt.timestamp(), ts)
}

fn set_uri<'a>(r: &mut ProxyRecord<'a>, uri: Cow<'a, str>) {
    match uri {
        Cow::Borrowed(u) => apply_uri(r, u, Cow::Borrowed),
        Cow::Owned(u) => apply_uri(r, &u, |s| Cow::Owned(s.to_string())),
    }
}

/// An absolute uri (a proxied request) gives scheme, host, port, path and query; an origin-form
/// one only path and query.
fn apply_uri<'a, 'b>(r: &mut ProxyRecord<'a>, uri: &'b str, own: impl Fn(&'b str) -> Cow<'a, str>) {
    if uri.contains("://") {
        let p = split_url(uri, "");
        for (c, v) in [
            (Col::UriScheme, p.scheme),
            (Col::Host, p.host),
            (Col::UriPort, p.port),
        ] {
            if let Some(v) = v {
                r.set(c, Some(own(v)));
            }
        }
        r.set(Col::UriPath, p.path.map(&own));
        r.set(Col::UriQuery, p.query.map(&own));
    } else {
        let (path, query) = match uri.find('?') {
            Some(i) => (&uri[..i], Some(&uri[i..])),
            None => (uri, None),
        };
        r.set(Col::UriPath, Some(path).filter(|p| !p.is_empty()).map(&own));
        r.set(Col::UriQuery, query.map(&own));
    }
}

impl ZeekParser {
    /// A parser expecting TSV with the default header, or JSON lines.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `#path` of the log (`http`), once its header was read.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    fn header(&mut self, line: &str) -> Result<(), LineError> {
        if let Some(sep) = line.strip_prefix("#separator ") {
            let sep = unescape(sep.trim_end_matches(['\r', '\n']));
            if sep.is_empty() {
                return Err(LineError::Malformed {
                    message: "empty `#separator`".into(),
                });
            }
            self.separator = sep.into_owned();
            return Ok(());
        }
        let mut parts = line.split(self.separator.as_str());
        let name = parts.next().unwrap_or("");
        let values: Vec<&str> = parts.collect();
        let first = || values.first().map(|v| unescape(v).into_owned());
        match name {
            "#set_separator" => {
                if let Some(v) = first() {
                    self.set_separator = v
                }
            }
            "#empty_field" => {
                if let Some(v) = first() {
                    self.empty = v
                }
            }
            "#unset_field" => {
                if let Some(v) = first() {
                    self.unset = v
                }
            }
            "#path" => {
                let p = first().unwrap_or_default();
                if p != "http" {
                    return Err(LineError::UnsupportedZeekLog { path: truncate(&p) });
                }
                self.path = Some(p);
            }
            "#fields" => {
                if values.is_empty() {
                    return Err(LineError::Malformed {
                        message: "`#fields` names no fields".into(),
                    });
                }
                self.layout = values.iter().map(|f| field_for(f)).collect();
            }
            _ => {} // #open, #close, #types, comments
        }
        Ok(())
    }

    fn tsv<'a>(&self, line: &'a str) -> Result<ProxyRecord<'a>, LineError> {
        let mut r = ProxyRecord::default();
        let mut n = 0;
        let mut has_ts = false;
        for (i, raw) in line.split(self.separator.as_str()).enumerate() {
            n = i + 1;
            let Some(field) = self.layout.get(i) else {
                continue;
            };
            if *field == Field::Ignored || raw == self.unset {
                continue;
            }
            let is_empty = raw == self.empty;
            match *field {
                Field::Ts => {
                    set_ts(&mut r, raw)?;
                    has_ts = true;
                }
                Field::Col(c) => {
                    if !is_empty {
                        let v = unescape(raw);
                        match c {
                            Col::ScBytes | Col::CsBytes => r.set_field(c, v)?,
                            _ => r.set(c, Some(v)),
                        }
                    }
                }
                Field::Uri => set_uri(&mut r, unescape(raw)),
                Field::MimeTypes => {
                    if !is_empty {
                        let first = raw.split(self.set_separator.as_str()).next().unwrap_or("");
                        if !first.is_empty() {
                            r.set(Col::ResContType, Some(unescape(first)));
                        }
                    }
                }
                Field::Ignored => {}
            }
        }
        if n != self.layout.len() {
            return Err(LineError::FieldCount {
                expected: self.layout.len(),
                found: n,
            });
        }
        if !has_ts {
            return Err(LineError::Malformed {
                message: "no `ts` value".into(),
            });
        }
        if r.get(Col::UriScheme).is_none() {
            r.set(Col::UriScheme, Some(Cow::Borrowed("http")));
        }
        r.compute_fulluri();
        Ok(r)
    }
}

/// A Zeek JSON number or string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar<'a> {
    Int(i64),
    Float(f64),
    #[serde(borrow)]
    Str(Cow<'a, str>),
}

impl<'a> Scalar<'a> {
    fn text(self) -> Cow<'a, str> {
        match self {
            Scalar::Int(i) => Cow::Owned(i.to_string()),
            Scalar::Float(f) => Cow::Owned(f.to_string()),
            Scalar::Str(s) => s,
        }
    }
}

#[derive(Deserialize)]
struct JsonHttp<'a> {
    #[serde(borrow)]
    ts: Option<Scalar<'a>>,
    #[serde(rename = "id.orig_h", borrow)]
    orig_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.resp_h", borrow)]
    resp_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.resp_p", borrow)]
    resp_p: Option<Scalar<'a>>,
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    host: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uri: Option<Cow<'a, str>>,
    #[serde(borrow)]
    referrer: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_agent: Option<Cow<'a, str>>,
    request_body_len: Option<i64>,
    response_body_len: Option<i64>,
    #[serde(borrow)]
    status_code: Option<Scalar<'a>>,
    #[serde(borrow)]
    username: Option<Cow<'a, str>>,
    #[serde(borrow)]
    resp_mime_types: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    mime_type: Option<Cow<'a, str>>,
}

fn json(line: &str) -> Result<ProxyRecord<'_>, LineError> {
    let j: JsonHttp<'_> = serde_json::from_str(line).map_err(|e| LineError::Json {
        message: e.to_string(),
    })?;
    let mut r = ProxyRecord::default();
    match j.ts {
        Some(ts) => set_ts(&mut r, &ts.text())?,
        None => {
            return Err(LineError::Malformed {
                message: "no `ts` value".into(),
            });
        }
    }
    r.set(Col::ClientIp, j.orig_h);
    r.set(Col::ServerIp, j.resp_h);
    r.set(Col::UriPort, j.resp_p.map(Scalar::text));
    r.set(Col::ReqMethod, j.method);
    r.set(Col::Host, j.host);
    if let Some(uri) = j.uri {
        set_uri(&mut r, uri);
    }
    r.set(Col::Referer, j.referrer);
    r.set(Col::UserAgent, j.user_agent);
    r.csbytes = j.request_body_len;
    r.scbytes = j.response_body_len;
    r.set(Col::RespCode, j.status_code.map(Scalar::text));
    r.set(Col::Username, j.username);
    let mime = j
        .resp_mime_types
        .and_then(|v| v.into_iter().next())
        .or(j.mime_type);
    r.set(Col::ResContType, mime);
    if r.get(Col::UriScheme).is_none() {
        r.set(Col::UriScheme, Some(Cow::Borrowed("http")));
    }
    r.compute_fulluri();
    Ok(r)
}

impl LineParser for ZeekParser {
    fn parse_line<'a>(&mut self, line: &'a str) -> Result<Option<ProxyRecord<'a>>, LineError> {
        if line.starts_with('#') {
            self.header(line)?;
            return Ok(None);
        }
        if line.trim().is_empty() {
            return Ok(None);
        }
        if line.trim_start().starts_with('{') {
            return json(line.trim()).map(Some);
        }
        self.tsv(line).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n#open\t2026-11-25-09-00-00\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\torigin\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_fuids\torig_filenames\torig_mime_types\tresp_fuids\tresp_filenames\tresp_mime_types\n#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\tstring\tcount\tcount\tcount\tstring\tcount\tstring\tset[enum]\tstring\tstring\tset[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]\tvector[string]";

    fn parser() -> ZeekParser {
        let mut p = ZeekParser::new();
        for l in HEADER.lines() {
            assert!(p.parse_line(l).unwrap().is_none(), "{l}");
        }
        p
    }

    #[test]
    fn tsv_line() {
        let mut p = parser();
        let line = "1795599606.781000\tCHhAvVGS1DHFjwGM9\t10.0.0.5\t51234\t93.184.216.34\t80\t1\tGET\texample.com\t/a/b?c=d\\x09e\thttp://ref.example/\t1.1\tcurl/8.0 (x)\t-\t0\t1256\t200\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\tFx\t-\ttext/html,image/png";
        let r = p.parse_line(line).unwrap().unwrap();
        assert_eq!(r.get(Col::PDate), Some("2026-11-25"));
        assert_eq!(r.get(Col::PTime), Some("09:40:06"));
        assert_eq!(r.get(Col::ClientIp), Some("10.0.0.5"));
        assert_eq!(r.get(Col::ServerIp), Some("93.184.216.34"));
        assert_eq!(r.get(Col::UriPort), Some("80"));
        assert_eq!(r.get(Col::ReqMethod), Some("GET"));
        assert_eq!(r.get(Col::Host), Some("example.com"));
        assert_eq!(r.get(Col::UriPath), Some("/a/b"));
        assert_eq!(r.get(Col::UriQuery), Some("?c=d\te"));
        assert_eq!(r.get(Col::Referer), Some("http://ref.example/"));
        assert_eq!(r.get(Col::UserAgent), Some("curl/8.0 (x)"));
        assert_eq!((r.csbytes, r.scbytes), (Some(0), Some(1256)));
        assert_eq!(r.get(Col::RespCode), Some("200"));
        assert_eq!(r.get(Col::ResContType), Some("text/html"));
        assert_eq!(r.get(Col::UriScheme), Some("http"));
        assert_eq!(r.get(Col::FullUri), Some("example.com/a/b?c=d\te"));
        assert!(
            p.parse_line("#close\t2026-11-25-10-00-00")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn unset_and_short_lines() {
        let mut p = parser();
        let line = "1795599606.1\tC1\t10.0.0.5\t1\t10.0.0.6\t80\t0\t-\t-\t-\t-\t-\t-\t-\t0\t925\t400\tBad Request\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t(empty)";
        let r = p.parse_line(line).unwrap().unwrap();
        assert_eq!(r.get(Col::Host), None);
        assert_eq!(r.get(Col::ReqMethod), None);
        assert_eq!(r.get(Col::ResContType), None);
        assert_eq!(r.get(Col::FullUri), None);
        assert!(matches!(
            p.parse_line("1795599606.1\tC1"),
            Err(LineError::FieldCount {
                expected: 30,
                found: 2
            })
        ));
        assert!(matches!(
            p.parse_line(&line.replacen("1795599606.1", "yesterday", 1)),
            Err(LineError::InvalidValue { column: "ts", .. })
        ));
        let mut q = ZeekParser::new();
        assert!(matches!(
            q.parse_line("#path\tconn"),
            Err(LineError::UnsupportedZeekLog { .. })
        ));
    }

    #[test]
    fn old_layout_by_name() {
        let mut p = ZeekParser::new();
        p.parse_line("#fields\tts\tid.orig_h\thost\turi\tmime_type\tresponse_body_len")
            .unwrap();
        let r = p
            .parse_line("1354328870.191989\t128.2.6.136\twww.google.com\t*\ttext/html\t962")
            .unwrap()
            .unwrap();
        assert_eq!(r.get(Col::PDate), Some("2012-12-01"));
        assert_eq!(r.get(Col::ResContType), Some("text/html"));
        assert_eq!(r.get(Col::UriPath), Some("*"));
        assert_eq!(r.scbytes, Some(962));
    }

    #[test]
    fn json_lines() {
        let mut p = ZeekParser::new();
        let line = r#"{"ts":1795599606.781,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":51234,"id.resp_h":"93.184.216.34","id.resp_p":80,"trans_depth":1,"method":"POST","host":"example.com","uri":"/up?x=1","version":"1.1","user_agent":"Mozilla/5.0 \"q\"","request_body_len":300,"response_body_len":20,"status_code":201,"status_msg":"Created","tags":[],"resp_mime_types":["application/json"]}"#;
        let r = p.parse_line(line).unwrap().unwrap();
        assert_eq!(r.get(Col::PTime), Some("09:40:06"));
        assert_eq!(r.get(Col::UriPort), Some("80"));
        assert_eq!(r.get(Col::RespCode), Some("201"));
        assert_eq!(r.get(Col::UserAgent), Some("Mozilla/5.0 \"q\""));
        assert_eq!((r.csbytes, r.scbytes), (Some(300), Some(20)));
        assert_eq!(r.get(Col::ResContType), Some("application/json"));
        assert_eq!(r.get(Col::FullUri), Some("example.com/up?x=1"));
        let iso = r#"{"ts":"2026-11-25T09:40:06.781Z","id.orig_h":"10.0.0.5","host":"a.example","uri":"/"}"#;
        let r = p.parse_line(iso).unwrap().unwrap();
        assert_eq!(r.get(Col::PDate), Some("2026-11-25"));
        assert_eq!(r.get(Col::FullUri), Some("a.example"));
        assert!(matches!(
            p.parse_line(r#"{"ts":1,"#),
            Err(LineError::Json { .. })
        ));
    }
}
