//! Squid access logs: the native `squid` format and the `common` / `combined` formats.
//!
//! - `squid`: `time.ms elapsed client code/status bytes method URL user hierarchy/peer type`
//!   (`logformat squid %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`).
//! - `common`: `client ident user [dd/Mon/yyyy:HH:MM:SS zone] "METHOD URL HTTP/v" status bytes
//!   code:hierarchy`, and `combined`, which adds `"referer" "user agent"` before `code:hierarchy`.
//!
//! Each line is recognised on its own, so a file may mix them. Times become UTC `p_date` and
//! `p_time`; the URL is split into scheme, host, port (the scheme's default when absent), path and
//! query (with its `?`, as Blue Coat's `cs-uri-query`).

use std::borrow::Cow;

use chrono::{DateTime, NaiveDateTime};

use super::record::{Col, ProxyRecord, dash_none, truncate};
use super::{LineError, LineParser};

/// Line parser for Squid access logs; see [`crate::proxy`].
#[derive(Debug, Clone, Default)]
pub struct SquidParser;

impl SquidParser {
    /// A new parser (Squid lines carry no state between them).
    pub fn new() -> Self {
        SquidParser
    }
}

impl LineParser for SquidParser {
    fn parse_line<'a>(&mut self, line: &'a str) -> Result<Option<ProxyRecord<'a>>, LineError> {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            return Ok(None);
        }
        let first = t.split_ascii_whitespace().next().unwrap_or("");
        if is_epoch(first) {
            parse_native(t).map(Some)
        } else {
            parse_common(t).map(Some)
        }
    }
}

/// `1795599606.781`: digits, optionally a dot and digits.
pub(crate) fn is_epoch(s: &str) -> bool {
    let (a, b) = s.split_once('.').unwrap_or((s, "0"));
    !a.is_empty()
        && !b.is_empty()
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.bytes().all(|c| c.is_ascii_digit())
}

/// Sets `p_date` and `p_time` (UTC) from seconds since the epoch.
pub(crate) fn set_epoch(r: &mut ProxyRecord<'_>, secs: i64, raw: &str) -> Result<(), LineError> {
    let dt = DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| LineError::InvalidValue {
            column: "p_date",
            expected: "a time in seconds since 1970",
            value: truncate(raw),
        })?
        .naive_utc();
    set_naive(r, dt);
    Ok(())
}

fn set_naive(r: &mut ProxyRecord<'_>, dt: NaiveDateTime) {
    r.set(
        Col::PDate,
        Some(Cow::Owned(dt.format("%Y-%m-%d").to_string())),
    );
    r.set(
        Col::PTime,
        Some(Cow::Owned(dt.format("%H:%M:%S").to_string())),
    );
}

fn parse_native(line: &str) -> Result<ProxyRecord<'_>, LineError> {
    let mut it = line.split_ascii_whitespace();
    let mut f = [""; 9];
    for (i, slot) in f.iter_mut().enumerate() {
        *slot = it.next().ok_or(LineError::FieldCount {
            expected: 10,
            found: i,
        })?;
    }
    // The content type is the rest of the line (it may be `-`, or hold spaces).
    let mime = {
        let after = field_end(line, 9);
        line[after..].trim()
    };
    let [
        ts,
        elapsed,
        client,
        code_status,
        bytes,
        method,
        url,
        user,
        hier,
    ] = f;
    let mut r = ProxyRecord::default();
    let secs = ts.split_once('.').map_or(ts, |(s, _)| s);
    let secs: i64 = secs.parse().map_err(|_| LineError::InvalidValue {
        column: "p_date",
        expected: "a time in seconds since 1970",
        value: truncate(ts),
    })?;
    set_epoch(&mut r, secs, ts)?;
    r.set_field(Col::Duration, elapsed.into())?;
    r.set_field(Col::ClientIp, client.into())?;
    let (code, status) = code_status.split_once('/').unwrap_or((code_status, "-"));
    r.set_field(Col::Action, code.into())?;
    r.set_field(Col::RespCode, status.into())?;
    r.set_field(Col::ScBytes, bytes.into())?;
    r.set_field(Col::ReqMethod, method.into())?;
    set_url(&mut r, url, method);
    r.set_field(Col::Username, user.into())?;
    if let Some((_, peer)) = hier.split_once('/') {
        r.set_field(Col::ServerIp, peer.into())?;
    }
    if !mime.is_empty() {
        r.set_field(Col::ResContType, mime.into())?;
    }
    r.compute_fulluri();
    Ok(r)
}

/// Byte offset just after the `n`-th whitespace-separated field (0-based count of fields seen).
fn field_end(line: &str, n: usize) -> usize {
    let b = line.as_bytes();
    let mut i = 0;
    for _ in 0..n {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
    }
    i
}

fn parse_common(line: &str) -> Result<ProxyRecord<'_>, LineError> {
    let malformed = |message: &str| LineError::Malformed {
        message: format!("not a Squid log line: {message}"),
    };
    let open = line
        .find(" [")
        .ok_or_else(|| malformed("no epoch time and no `[date]`"))?;
    let head: Vec<&str> = line[..open].split_ascii_whitespace().collect();
    let [client, _ident, user] = head[..] else {
        return Err(LineError::FieldCount {
            expected: 3,
            found: head.len(),
        });
    };
    let rest = &line[open + 2..];
    let close = rest.find(']').ok_or_else(|| malformed("`[` without `]`"))?;
    let when = &rest[..close];
    let dt = DateTime::parse_from_str(when, "%d/%b/%Y:%H:%M:%S %z").map_err(|_| {
        LineError::InvalidValue {
            column: "p_date",
            expected: "a time like 25/Nov/2026:09:40:06 +0000",
            value: truncate(when),
        }
    })?;
    let mut r = ProxyRecord::default();
    set_naive(&mut r, dt.naive_utc());
    r.set_field(Col::ClientIp, client.into())?;
    r.set_field(Col::Username, user.into())?;
    let tail = &rest[close + 1..];
    let mut spans = Vec::new();
    super::elff::split_fields(tail, &mut spans)?;
    if spans.len() < 3 {
        return Err(LineError::FieldCount {
            expected: 3,
            found: spans.len(),
        });
    }
    let (method, url): (Cow<'_, str>, Cow<'_, str>) = match &spans[0] {
        Cow::Borrowed(req) => {
            let mut parts = req.split(' ').filter(|p| !p.is_empty());
            (
                Cow::Borrowed(parts.next().unwrap_or("-")),
                Cow::Borrowed(parts.next().unwrap_or("-")),
            )
        }
        Cow::Owned(req) => {
            let mut parts = req.split(' ').filter(|p| !p.is_empty());
            (
                Cow::Owned(parts.next().unwrap_or("-").to_string()),
                Cow::Owned(parts.next().unwrap_or("-").to_string()),
            )
        }
    };
    set_url_cow(&mut r, url, &method);
    r.set_field(Col::ReqMethod, method)?;
    r.set_field(Col::RespCode, spans[1].clone())?;
    r.set_field(Col::ScBytes, spans[2].clone())?;
    let mut i = 3;
    if spans.len() >= 5 {
        r.set_field(Col::Referer, spans[3].clone())?;
        r.set_field(Col::UserAgent, spans[4].clone())?;
        i = 5;
    }
    if let Some(code) = spans.get(i) {
        let code = code.split(':').next().unwrap_or("-").to_string();
        r.set_field(Col::Action, Cow::Owned(code))?;
    }
    r.compute_fulluri();
    Ok(r)
}

fn set_url<'a>(r: &mut ProxyRecord<'a>, url: &'a str, method: &str) {
    set_url_cow(r, Cow::Borrowed(url), method)
}

fn set_url_cow<'a>(r: &mut ProxyRecord<'a>, url: Cow<'a, str>, method: &str) {
    if dash_none(&url).is_none() {
        return;
    }
    let cols = [
        Col::UriScheme,
        Col::Host,
        Col::UriPort,
        Col::UriPath,
        Col::UriQuery,
    ];
    match url {
        Cow::Borrowed(u) => {
            let p = split_url(u, method);
            for (c, v) in cols
                .into_iter()
                .zip([p.scheme, p.host, p.port, p.path, p.query])
            {
                r.set(c, v.map(Cow::Borrowed));
            }
        }
        Cow::Owned(u) => {
            let p = split_url(&u, method);
            for (c, v) in cols
                .into_iter()
                .zip([p.scheme, p.host, p.port, p.path, p.query])
            {
                r.set(c, v.map(|v| Cow::Owned(v.to_string())));
            }
        }
    }
}

/// The parts of a request URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// `http`, `https`, `ftp`...; `None` for `CONNECT host:port`.
    pub scheme: Option<&'a str>,
    /// Host name or address (IPv6 without brackets).
    pub host: Option<&'a str>,
    /// Port as written, else the scheme's default (`CONNECT` → 443).
    pub port: Option<&'a str>,
    /// Path from the first `/` up to `?` (or the end).
    pub path: Option<&'a str>,
    /// Query from `?` (included) to the end, fragment included.
    pub query: Option<&'a str>,
}

/// Splits a request URL as a proxy logs it: `scheme://[user@]host[:port][/path][?query]`, or
/// `host:port` (CONNECT), or an origin-form `/path?query`.
pub fn split_url<'a>(url: &'a str, method: &str) -> UrlParts<'a> {
    let (scheme, rest) = match url.find("://") {
        Some(i)
            if url[..i]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'-' || c == b'.') =>
        {
            (Some(&url[..i]), &url[i + 3..])
        }
        _ => (None, url),
    };
    let (authority, target) = if scheme.is_none() && rest.starts_with('/') {
        ("", rest)
    } else {
        match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        }
    };
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => (v6, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (authority, None),
        }
    };
    let (path, query) = match target.find('?') {
        Some(i) => (&target[..i], Some(&target[i..])),
        None => (target, None),
    };
    let lower = scheme.map(|s| s.to_ascii_lowercase());
    let default_port = match lower.as_deref() {
        Some("http") => Some("80"),
        Some("https") => Some("443"),
        Some("ftp") => Some("21"),
        None if method.eq_ignore_ascii_case("CONNECT") => Some("443"),
        _ => None,
    };
    UrlParts {
        scheme,
        host: Some(host).filter(|h| !h.is_empty()),
        port: port.filter(|p| !p.is_empty()).or(default_port),
        path: Some(path).filter(|p| !p.is_empty()),
        query,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<ProxyRecord<'_>, LineError> {
        SquidParser::new().parse_line(line).map(|r| r.unwrap())
    }

    #[test]
    fn native_line() {
        let r = parse("1795599606.781      1 127.0.0.1 TCP_MISS/200 246 POST http://127.0.0.1:8080/upload?x=1 - HIER_DIRECT/127.0.0.1 application/octet-stream").unwrap();
        assert_eq!(r.get(Col::PDate), Some("2026-11-25"));
        assert_eq!(r.get(Col::PTime), Some("09:40:06"));
        assert_eq!(r.duration, Some(1));
        assert_eq!(r.get(Col::ClientIp), Some("127.0.0.1"));
        assert_eq!(r.get(Col::Action), Some("TCP_MISS"));
        assert_eq!(r.get(Col::RespCode), Some("200"));
        assert_eq!(r.scbytes, Some(246));
        assert_eq!(r.get(Col::ReqMethod), Some("POST"));
        assert_eq!(r.get(Col::UriScheme), Some("http"));
        assert_eq!(r.get(Col::Host), Some("127.0.0.1"));
        assert_eq!(r.get(Col::UriPort), Some("8080"));
        assert_eq!(r.get(Col::UriPath), Some("/upload"));
        assert_eq!(r.get(Col::UriQuery), Some("?x=1"));
        assert_eq!(r.get(Col::Username), None);
        assert_eq!(r.get(Col::ServerIp), Some("127.0.0.1"));
        assert_eq!(r.get(Col::ResContType), Some("application/octet-stream"));
        assert_eq!(r.get(Col::FullUri), Some("127.0.0.1/upload?x=1"));
    }

    #[test]
    fn connect_and_short_lines() {
        let r = parse("1795599606.781 5 10.0.0.1 TCP_TUNNEL/200 4000 CONNECT example.com:443 alice HIER_DIRECT/93.184.216.34 -").unwrap();
        assert_eq!(r.get(Col::Host), Some("example.com"));
        assert_eq!(r.get(Col::UriPort), Some("443"));
        assert_eq!(r.get(Col::UriScheme), None);
        assert_eq!(r.get(Col::Username), Some("alice"));
        assert_eq!(r.get(Col::ResContType), None);
        assert_eq!(r.get(Col::FullUri), Some("example.com"));
        assert!(matches!(
            parse("1795599606.781 5 10.0.0.1 TCP_MISS/200"),
            Err(LineError::FieldCount {
                expected: 10,
                found: 4
            })
        ));
        assert!(matches!(
            parse("1795599606.781 5x 10.0.0.1 TCP_MISS/200 1 GET http://a/ - - -"),
            Err(LineError::InvalidValue {
                column: "duration",
                ..
            })
        ));
    }

    #[test]
    fn common_and_combined() {
        let r = parse("10.0.0.1 - bob [25/Nov/2026:10:40:06 +0100] \"GET http://example.com/a?b=1 HTTP/1.1\" 404 512 TCP_MISS:HIER_DIRECT").unwrap();
        assert_eq!(r.get(Col::PDate), Some("2026-11-25"));
        assert_eq!(r.get(Col::PTime), Some("09:40:06"));
        assert_eq!(r.get(Col::Username), Some("bob"));
        assert_eq!(r.get(Col::ReqMethod), Some("GET"));
        assert_eq!(r.get(Col::Host), Some("example.com"));
        assert_eq!(r.get(Col::UriPath), Some("/a"));
        assert_eq!(r.get(Col::RespCode), Some("404"));
        assert_eq!(r.scbytes, Some(512));
        assert_eq!(r.get(Col::Action), Some("TCP_MISS"));
        assert_eq!(r.get(Col::UserAgent), None);
        let r = parse("10.0.0.1 - - [25/Nov/2026:09:40:06 +0000] \"POST https://h.example/u HTTP/1.1\" 200 99 \"https://r.example/\" \"Mozilla/5.0 (X11; Linux)\" TCP_MISS:HIER_DIRECT").unwrap();
        assert_eq!(r.get(Col::Referer), Some("https://r.example/"));
        assert_eq!(r.get(Col::UserAgent), Some("Mozilla/5.0 (X11; Linux)"));
        assert_eq!(r.get(Col::UriPort), Some("443"));
        assert!(parse("10.0.0.1 - - [yesterday] \"GET / HTTP/1.1\" 200 1").is_err());
        assert!(parse("garbage").is_err());
    }

    #[test]
    fn url_forms() {
        let p = split_url("http://u:p@[::1]:8080/x/y?z#f", "GET");
        assert_eq!(p.host, Some("::1"));
        assert_eq!(p.port, Some("8080"));
        assert_eq!(p.path, Some("/x/y"));
        assert_eq!(p.query, Some("?z#f"));
        let p = split_url("https://example.com", "GET");
        assert_eq!(
            (p.host, p.port, p.path),
            (Some("example.com"), Some("443"), None)
        );
        let p = split_url("/only/path", "GET");
        assert_eq!((p.host, p.path), (None, Some("/only/path")));
        let p = split_url("example.com?q", "GET");
        assert_eq!((p.host, p.query), (Some("example.com"), Some("?q")));
    }
}
