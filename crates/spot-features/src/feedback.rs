//! Analyst feedback in Apache Spot's formats.
//!
//! Spot's flow feedback file (`flow_scores.csv` as the operational analytics wrote it) is
//! tab-separated: `0 sev, 1 tstart ('YYYY-MM-DD HH:MM:SS'), 2 srcIP, 3 dstIP, 4 sport, 5 dport,
//! 6 ipkt, 7 ibyt`. Rows with severity 3 (low risk) join the training data `dupfactor` times, so
//! that traffic like them stops looking rare. Blank lines are skipped; a first line whose first
//! field is `sev` is a header and then columns are found by name, which also lets a file carry a
//! `proto` column. Spot's file has no protocol, yet the flow word contains one: rows without a
//! protocol use the `default_proto` given to [`add_flow_feedback`].

use std::path::Path;

use crate::flow::write_flow_words;
use crate::{CorpusBuilder, FeatureError};

/// The severity Spot treats as "low risk, learn it as normal".
pub const LOW_RISK: i32 = 3;

/// One row of a flow feedback file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowFeedbackRow {
    /// Analyst severity: 1 high, 2 medium, 3 low risk.
    pub sev: i32,
    /// Hour, minute and second of `tstart`.
    pub hour: i32,
    pub minute: i32,
    pub second: i32,
    pub sip: String,
    pub dip: String,
    pub sport: i32,
    pub dport: i32,
    pub ipkt: i64,
    pub ibyt: i64,
    /// Protocol, when the file has a `proto` column.
    pub proto: Option<String>,
}

/// Reads a flow feedback file; see the [module docs](self) for its layout.
pub fn read_flow_feedback(path: &Path) -> Result<Vec<FlowFeedbackRow>, FeatureError> {
    let text = std::fs::read_to_string(path).map_err(|e| FeatureError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    parse_flow_feedback(&text, path)
}

/// Parses the text of a flow feedback file; `path` only names it in errors.
pub fn parse_flow_feedback(text: &str, path: &Path) -> Result<Vec<FlowFeedbackRow>, FeatureError> {
    const NAMES: [&str; 8] = [
        "sev", "tstart", "srcIP", "dstIP", "sport", "dport", "ipkt", "ibyt",
    ];
    let mut idx: [usize; 8] = [0, 1, 2, 3, 4, 5, 6, 7];
    let mut proto_idx: Option<usize> = None;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n as u64 + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let err = |message: String| FeatureError::Feedback {
            path: path.to_path_buf(),
            line: line_no,
            message,
        };
        if rows.is_empty() && f[0].trim().eq_ignore_ascii_case("sev") {
            for (i, name) in NAMES.iter().enumerate() {
                idx[i] = f
                    .iter()
                    .position(|h| h.trim().eq_ignore_ascii_case(name))
                    .ok_or_else(|| err(format!("header has no `{name}` column")))?;
            }
            proto_idx = f
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case("proto"));
            continue;
        }
        let need = idx
            .iter()
            .chain(proto_idx.iter())
            .max()
            .copied()
            .unwrap_or(7)
            + 1;
        if f.len() < need {
            return Err(err(format!(
                "expected at least {need} tab-separated fields (sev, tstart, srcIP, dstIP, sport, dport, ipkt, ibyt), found {}",
                f.len()
            )));
        }
        let field = |i: usize| f[idx[i]].trim();
        fn num<T: std::str::FromStr>(
            v: &str,
            what: &str,
            err: &dyn Fn(String) -> FeatureError,
        ) -> Result<T, FeatureError> {
            v.parse()
                .map_err(|_| err(format!("`{what}`: expected an integer, found {v:?}")))
        }
        let tstart = field(1);
        let time = tstart
            .split_once(' ')
            .map(|(_, t)| t)
            .and_then(|t| {
                let mut it = t.split(':').map(|x| x.trim().parse::<i32>());
                match (it.next(), it.next(), it.next()) {
                    (Some(Ok(h)), Some(Ok(m)), Some(Ok(s))) => Some((h, m, s)),
                    _ => None,
                }
            })
            .ok_or_else(|| {
                err(format!(
                    "`tstart`: expected 'YYYY-MM-DD HH:MM:SS', found {tstart:?}"
                ))
            })?;
        rows.push(FlowFeedbackRow {
            sev: num(field(0), "sev", &err)?,
            hour: time.0,
            minute: time.1,
            second: time.2,
            sip: field(2).to_string(),
            dip: field(3).to_string(),
            sport: num(field(4), "sport", &err)?,
            dport: num(field(5), "dport", &err)?,
            ipkt: num(field(6), "ipkt", &err)?,
            ibyt: num(field(7), "ibyt", &err)?,
            proto: proto_idx
                .map(|i| f[i].trim().to_string())
                .filter(|p| !p.is_empty()),
        });
    }
    Ok(rows)
}

/// Adds every low-risk row `dupfactor` times to the corpus (its source word to `sip`, its
/// destination word to `dip`). Returns the number of low-risk rows used.
pub fn add_flow_feedback(
    corpus: &mut CorpusBuilder,
    rows: &[FlowFeedbackRow],
    dupfactor: u64,
    default_proto: &str,
) -> usize {
    let (mut src, mut dst) = (String::new(), String::new());
    let mut used = 0;
    for r in rows.iter().filter(|r| r.sev == LOW_RISK) {
        let proto = r.proto.as_deref().unwrap_or(default_proto);
        write_flow_words(
            r.hour, r.sport, r.dport, proto, r.ibyt, r.ipkt, &mut src, &mut dst,
        );
        corpus.add(&r.sip, &src, dupfactor);
        corpus.add(&r.dip, &dst, dupfactor);
        used += 1;
    }
    used
}

/// The low-risk rows of a flow feedback file as a batch of flow columns (`treceived`,
/// `trhour`, `trminute`, `trsec`, `sip`, `dip`, `sport`, `dport`, `proto`, `ipkt`, `ibyt`), so
/// that behavioural detectors can say which of their findings the analyst dismissed. Rows
/// without a protocol get `default_proto`.
pub fn flow_feedback_batch(
    rows: &[FlowFeedbackRow],
    default_proto: &str,
) -> arrow::array::RecordBatch {
    use arrow::array::{ArrayRef, Int32Array, Int64Array, StringArray};
    use std::sync::Arc;
    let low: Vec<&FlowFeedbackRow> = rows.iter().filter(|r| r.sev == LOW_RISK).collect();
    let strs = |f: &dyn Fn(&FlowFeedbackRow) -> String| -> ArrayRef {
        Arc::new(StringArray::from(
            low.iter().map(|r| f(r)).collect::<Vec<_>>(),
        ))
    };
    let i32s = |f: &dyn Fn(&FlowFeedbackRow) -> i32| -> ArrayRef {
        Arc::new(Int32Array::from(
            low.iter().map(|r| f(r)).collect::<Vec<_>>(),
        ))
    };
    let i64s = |f: &dyn Fn(&FlowFeedbackRow) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from(
            low.iter().map(|r| f(r)).collect::<Vec<_>>(),
        ))
    };
    arrow::array::RecordBatch::try_from_iter([
        (
            "treceived",
            strs(&|r| format!("{:02}:{:02}:{:02}", r.hour, r.minute, r.second)),
        ),
        ("trhour", i32s(&|r| r.hour)),
        ("trminute", i32s(&|r| r.minute)),
        ("trsec", i32s(&|r| r.second)),
        ("sip", strs(&|r| r.sip.clone())),
        ("dip", strs(&|r| r.dip.clone())),
        ("sport", i32s(&|r| r.sport)),
        ("dport", i32s(&|r| r.dport)),
        (
            "proto",
            strs(&|r| r.proto.clone().unwrap_or_else(|| default_proto.to_string())),
        ),
        ("ipkt", i64s(&|r| r.ipkt)),
        ("ibyt", i64s(&|r| r.ibyt)),
    ])
    .expect("columns of equal length")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "3\t2026-11-25 13:05:09\t10.0.0.5\t203.0.113.9\t51000\t443\t12\t4800\n\
                        \n\
                        1\t2026-11-25 02:00:00\t10.0.0.6\t203.0.113.10\t4444\t80\t1\t40\n";

    #[test]
    fn parses_spot_layout() {
        let rows = parse_flow_feedback(FILE, Path::new("fb.tsv")).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].sev, 3);
        assert_eq!((rows[0].hour, rows[0].minute, rows[0].second), (13, 5, 9));
        assert_eq!(rows[0].dport, 443);
        assert_eq!(rows[0].ibyt, 4800);
        assert_eq!(rows[0].proto, None);
    }

    #[test]
    fn header_maps_columns_by_name_and_reads_proto() {
        let text = "sev\tproto\ttstart\tsrcIP\tdstIP\tsport\tdport\tipkt\tibyt\n\
                    3\tUDP\t2026-11-25 01:02:03\ta\tb\t5353\t53\t1\t60\n";
        let rows = parse_flow_feedback(text, Path::new("fb")).unwrap();
        assert_eq!(rows[0].proto.as_deref(), Some("UDP"));
        assert_eq!(rows[0].dport, 53);
        let mut c = CorpusBuilder::new();
        assert_eq!(add_flow_feedback(&mut c, &rows, 1000, "TCP"), 1);
        let c = c.build();
        assert_eq!(c.word_names(), ["-1_53_UDP_1_6_1", "53_UDP_1_6_1"]);
        assert_eq!(c.total_tokens(), 2000.0);
    }

    #[test]
    fn malformed_lines_name_their_line_number() {
        let text = "3\t2026-11-25 13:05:09\t10.0.0.5\t203.0.113.9\t51000\t443\t12\t4800\n\
                    3\t2026-11-25 13:05:09\t10.0.0.5\n";
        let e = parse_flow_feedback(text, Path::new("fb.tsv")).unwrap_err();
        assert!(
            e.to_string().starts_with("fb.tsv:2: expected at least 8"),
            "{e}"
        );
        let text = "\n3\tyesterday\ta\tb\t1\t2\t3\t4\n";
        let e = parse_flow_feedback(text, Path::new("fb.tsv")).unwrap_err();
        assert!(e.to_string().starts_with("fb.tsv:2: `tstart`"), "{e}");
        let text = "x\t2026-11-25 13:05:09\ta\tb\t1\t2\t3\t4\n";
        let e = parse_flow_feedback(text, Path::new("fb.tsv")).unwrap_err();
        assert!(
            e.to_string()
                .contains("fb.tsv:1: `sev`: expected an integer"),
            "{e}"
        );
    }

    #[test]
    fn only_low_risk_rows_are_duplicated() {
        let rows = parse_flow_feedback(FILE, Path::new("fb")).unwrap();
        let mut c = CorpusBuilder::new();
        assert_eq!(add_flow_feedback(&mut c, &rows, 7, "TCP"), 1);
        let c = c.build();
        assert_eq!(c.doc_names(), ["10.0.0.5", "203.0.113.9"]);
        assert_eq!(c.total_tokens(), 14.0);
    }

    #[test]
    fn low_risk_rows_become_a_batch_for_the_detectors() {
        let rows = parse_flow_feedback(
            "3\t2026-11-25 13:05:09\t10.0.9.50\t10.1.0.4\t50000\t445\t1\t44\n\
             1\t2026-11-25 13:05:10\t10.0.9.50\t10.1.0.5\t50000\t445\t1\t44\n",
            Path::new("fb.tsv"),
        )
        .unwrap();
        let b = flow_feedback_batch(&rows, "TCP");
        assert_eq!(b.num_rows(), 1, "only low-risk rows");
        let c = crate::flow::FlowColumns::new(&b).unwrap();
        assert_eq!(c.dip().value(0), "10.1.0.4");
        assert_eq!(c.proto().value(0), "TCP");
        assert_eq!(c.hour().value(0), 13);
    }
}
