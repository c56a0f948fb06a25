//! The line layer shared by the Zeek log readers: TSV header directives, field lookup by name,
//! unset/empty markers, `\xHH` escapes, containers; and JSON lines with the same field names.

use serde_json::{Map, Value};

use crate::proxy::LineError;
use crate::proxy::zeek::unescape;

/// One data line, reduced to the fields a reader asked for (in the order it asked).
///
/// A value is `None` when the field is absent or unset (`-`), an empty list for an empty
/// container (`(empty)`), and otherwise its elements (one for a scalar).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Row {
    values: Vec<Option<Vec<String>>>,
}

impl Row {
    /// The first element of wanted field `i`.
    pub(crate) fn str(&self, i: usize) -> Option<&str> {
        self.values
            .get(i)?
            .as_ref()?
            .first()
            .map(|s| s.as_str())
            .filter(|s| !s.is_empty())
    }

    /// All elements of wanted field `i` (empty when unset).
    pub(crate) fn list(&self, i: usize) -> &[String] {
        self.values
            .get(i)
            .and_then(|v| v.as_deref())
            .unwrap_or_default()
    }
}

/// Parser state of one Zeek log file.
#[derive(Debug, Clone)]
pub(crate) struct ZeekLines {
    /// The `#path` this reader accepts (`conn`, `dns`).
    expected_path: &'static str,
    wanted: &'static [&'static str],
    containers: &'static [&'static str],
    separator: String,
    set_separator: String,
    empty: String,
    unset: String,
    /// For each TSV column, the wanted index it fills.
    layout: Vec<Option<usize>>,
}

impl ZeekLines {
    /// A parser for a log whose `#path` is `expected_path`, keeping the `wanted` fields;
    /// `default_fields` is the column order of TSV data before any `#fields` line, and
    /// `containers` the wanted fields that are sets or vectors.
    pub(crate) fn new(
        expected_path: &'static str,
        wanted: &'static [&'static str],
        default_fields: &[&str],
        containers: &'static [&'static str],
    ) -> Self {
        let mut p = ZeekLines {
            expected_path,
            wanted,
            containers,
            separator: "\t".into(),
            set_separator: ",".into(),
            empty: "(empty)".into(),
            unset: "-".into(),
            layout: Vec::new(),
        };
        p.set_fields(default_fields);
        p
    }

    fn set_fields(&mut self, fields: &[&str]) {
        self.layout = fields
            .iter()
            .map(|f| self.wanted.iter().position(|w| w == f))
            .collect();
    }

    /// Reads one line into `row`; `Ok(false)` for directives, comments and blank lines.
    pub(crate) fn parse(&mut self, line: &str, row: &mut Row) -> Result<bool, LineError> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.starts_with('#') {
            self.directive(line)?;
            return Ok(false);
        }
        if line.trim().is_empty() {
            return Ok(false);
        }
        row.values.clear();
        row.values.resize(self.wanted.len(), None);
        if line.trim_start().starts_with('{') {
            self.json(line.trim(), row)?;
        } else {
            self.tsv(line, row)?;
        }
        Ok(true)
    }

    fn directive(&mut self, line: &str) -> Result<(), LineError> {
        if let Some(sep) = line.strip_prefix("#separator ") {
            let sep = unescape(sep);
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
            "#set_separator" => self.set_separator = first().unwrap_or_else(|| ",".into()),
            "#empty_field" => self.empty = first().unwrap_or_else(|| "(empty)".into()),
            "#unset_field" => self.unset = first().unwrap_or_else(|| "-".into()),
            "#path" => {
                let p = first().unwrap_or_default();
                if p != self.expected_path {
                    return Err(LineError::Malformed {
                        message: format!(
                            "Zeek `{}` log where a `{}` log was expected",
                            crate::proxy::record::truncate(&p),
                            self.expected_path
                        ),
                    });
                }
            }
            "#fields" => {
                if values.is_empty() {
                    return Err(LineError::Malformed {
                        message: "`#fields` names no fields".into(),
                    });
                }
                self.set_fields(&values);
            }
            _ => {} // #open, #close, #types, comments
        }
        Ok(())
    }

    fn tsv(&self, line: &str, row: &mut Row) -> Result<(), LineError> {
        let mut n = 0;
        for (i, raw) in line.split(self.separator.as_str()).enumerate() {
            n = i + 1;
            let Some(Some(w)) = self.layout.get(i) else {
                continue;
            };
            if raw == self.unset {
                continue;
            }
            let value = if raw == self.empty {
                Vec::new()
            } else if self.containers.contains(&self.wanted[*w]) {
                raw.split(self.set_separator.as_str())
                    .map(|e| unescape(e).into_owned())
                    .collect()
            } else {
                vec![unescape(raw).into_owned()]
            };
            row.values[*w] = Some(value);
        }
        if n != self.layout.len() {
            return Err(LineError::FieldCount {
                expected: self.layout.len(),
                found: n,
            });
        }
        Ok(())
    }

    fn json(&self, line: &str, row: &mut Row) -> Result<(), LineError> {
        let obj: Map<String, Value> = serde_json::from_str(line).map_err(|e| LineError::Json {
            message: e.to_string(),
        })?;
        if let Some(Value::String(p)) = obj.get("_path")
            && p != self.expected_path
        {
            return Err(LineError::Malformed {
                message: format!(
                    "Zeek `{}` record where a `{}` log was expected",
                    crate::proxy::record::truncate(p),
                    self.expected_path
                ),
            });
        }
        for (i, name) in self.wanted.iter().enumerate() {
            // Flat (`"id.orig_h"`) or nested (`"id": {"orig_h": ...}`) names.
            let v = obj.get(*name).or_else(|| {
                let (head, tail) = name.split_once('.')?;
                obj.get(head)?.as_object()?.get(tail)
            });
            row.values[i] = match v {
                None | Some(Value::Null) => None,
                Some(Value::Array(items)) => Some(items.iter().filter_map(text).collect()),
                Some(v) => text(v).map(|t| vec![t]),
            };
        }
        Ok(())
    }
}

/// A JSON scalar as Zeek's TSV would print it (booleans as `T`/`F`).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "T" } else { "F" }.into()),
        _ => None,
    }
}

/// A Zeek `time` value (epoch seconds, or ISO 8601 in JSON logs) as seconds and nanoseconds.
pub(crate) fn parse_time(ts: &str) -> Result<(i64, u32), LineError> {
    let bad = || LineError::InvalidValue {
        column: "ts",
        expected: "seconds since 1970 or an ISO 8601 time",
        value: crate::proxy::record::truncate(ts),
    };
    // Decimal text is read digit by digit: an f64 of 1.8e9 s keeps only ~0.2 µs.
    let (int, frac) = ts.split_once('.').unwrap_or((ts, ""));
    if !int.is_empty()
        && int.len() <= 12
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        let secs: i64 = int.parse().map_err(|_| bad())?;
        let mut nanos = 0u32;
        for (i, d) in frac.bytes().take(9).enumerate() {
            nanos += (d - b'0') as u32 * 10u32.pow(8 - i as u32);
        }
        return Ok((secs, nanos));
    }
    if let Ok(secs) = ts.parse::<f64>() {
        if !secs.is_finite() || secs.abs() > 1e12 {
            return Err(bad());
        }
        let s = secs.floor();
        let nanos = ((secs - s) * 1e9).round().min(999_999_999.0) as u32;
        return Ok((s as i64, nanos));
    }
    let dt = chrono::DateTime::parse_from_rfc3339(ts).map_err(|_| bad())?;
    Ok((dt.timestamp(), dt.timestamp_subsec_nanos()))
}

/// Parses an optional numeric field.
pub(crate) fn parse_num<T: std::str::FromStr>(
    v: Option<&str>,
    column: &'static str,
    expected: &'static str,
) -> Result<Option<T>, LineError> {
    match v {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| LineError::InvalidValue {
            column,
            expected,
            value: crate::proxy::record::truncate(s),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WANTED: &[&str] = &["ts", "id.orig_h", "answers", "flag"];

    fn lines() -> ZeekLines {
        ZeekLines::new("dns", WANTED, &["ts", "id.orig_h", "answers"], &["answers"])
    }

    #[test]
    fn tsv_directives_markers_and_escapes() {
        let mut p = lines();
        let mut row = Row::default();
        for d in [
            "#separator \\x7c",
            "#set_separator|;",
            "#empty_field|(none)",
            "#unset_field|?",
            "#path|dns",
            "#fields|flag|ts|id.orig_h|answers|other",
            "#types|bool|time|addr|vector[string]|string",
        ] {
            assert!(!p.parse(d, &mut row).unwrap(), "{d}");
        }
        assert!(p.parse("T|1.5|10.0.0.1|a;b\\x7cc|x\r\n", &mut row).unwrap());
        assert_eq!(row.str(0), Some("1.5"));
        assert_eq!(row.str(1), Some("10.0.0.1"));
        assert_eq!(row.list(2), ["a", "b|c"]);
        assert_eq!(row.str(3), Some("T"));
        p.parse("F|2|?|(none)|x", &mut row).unwrap();
        assert_eq!(row.str(1), None);
        assert!(row.list(2).is_empty());
        assert!(matches!(
            p.parse("F|2", &mut row),
            Err(LineError::FieldCount {
                expected: 5,
                found: 2
            })
        ));
        assert!(matches!(
            lines().parse("#path\tconn", &mut row),
            Err(LineError::Malformed { .. })
        ));
    }

    #[test]
    fn json_flat_and_nested() {
        let mut p = lines();
        let mut row = Row::default();
        p.parse(
            r#"{"ts":"2026-11-25T09:40:06.5Z","id":{"orig_h":"10.0.0.1"},"answers":["a",1],"flag":true}"#,
            &mut row,
        )
        .unwrap();
        assert_eq!(
            parse_time(row.str(0).unwrap()).unwrap(),
            (1795599606, 500_000_000)
        );
        assert_eq!(row.str(1), Some("10.0.0.1"));
        assert_eq!(row.list(2), ["a", "1"]);
        assert_eq!(row.str(3), Some("T"));
        assert!(matches!(
            p.parse(r#"{"_path":"conn","ts":1}"#, &mut row),
            Err(LineError::Malformed { .. })
        ));
        assert!(matches!(
            p.parse(r#"{"ts":1,"#, &mut row),
            Err(LineError::Json { .. })
        ));
    }

    #[test]
    fn times() {
        assert_eq!(
            parse_time("1795599606.250000").unwrap(),
            (1795599606, 250_000_000)
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("1e300").is_err());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any line either parses or gives a typed error; the parser never panics, whatever
        /// directives came before.
        #[test]
        fn any_line_parses_or_is_a_typed_error(
            directives in proptest::collection::vec("#[a-z_]{0,12}[\t ][^\n]{0,20}", 0..4),
            line in "[^\n]{0,200}",
        ) {
            let mut p = ZeekLines::new("dns", &["ts", "id.orig_h", "answers"], &["ts", "id.orig_h", "answers"], &["answers"]);
            let mut row = Row::default();
            for d in &directives {
                let _ = p.parse(d, &mut row);
            }
            let _ = p.parse(&line, &mut row);
            let _ = parse_time(&line);
        }
    }
}
