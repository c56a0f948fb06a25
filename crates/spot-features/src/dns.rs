//! Apache Spot's DNS words (`DNSWordCreation`), validity rules (`DNSSuspiciousConnectsAnalysis`)
//! and feedback file (`DNSFeedback`).
//!
//! A DNS response becomes one word for its client's document (`ip_dst`):
//!
//! `[top-domain class, floor_log2(frame_len), hour of frame_time, floor_log2(subdomain length),
//! entropy bin of the subdomain, floor_log2(number of labels), qtype, rcode]` joined by `_`.
//!
//! ```
//! use spot_features::dns::dns_word;
//! use spot_features::domain::TopDomains;
//! let top = TopDomains::from_names(["google.com"]);
//! let w = dns_word("Nov 25, 2026 09:39:52.741815000 UTC", 92, "www.google.com", Some(1), Some(0), &top, None);
//! assert_eq!(w.as_deref(), Some("1_6_9_1_0_1_1_0"));
//! ```

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int32Type, Int64Type};

use crate::domain::{TopDomains, entropy_bin, extract_domain_info, floor_log2};
use crate::words::{InvalidReason, WordCreator, Words};
use crate::{CorpusBuilder, FeatureError};

/// Column names the DNS analysis reads (Apache Spot's DNS model schema).
pub mod col {
    /// tshark's `frame.time` string.
    pub const FRAME_TIME: &str = "frame_time";
    /// Seconds since the epoch.
    pub const UNIX_TSTAMP: &str = "unix_tstamp";
    /// Frame length.
    pub const FRAME_LEN: &str = "frame_len";
    /// The client (destination of the response): the document.
    pub const IP_DST: &str = "ip_dst";
    /// Query name.
    pub const DNS_QRY_NAME: &str = "dns_qry_name";
    /// Query class as tshark prints it (`0x0001`).
    pub const DNS_QRY_CLASS: &str = "dns_qry_class";
    /// Query type.
    pub const DNS_QRY_TYPE: &str = "dns_qry_type";
    /// Response code.
    pub const DNS_QRY_RCODE: &str = "dns_qry_rcode";
}

/// Spot fills a missing query type or rcode with -1 before building words.
pub const DEFAULT_CODE: i32 = -1;

/// Spot's `TimeUtilities.getTimeAsHour(frameTime.split(" +")(3))`: the hour of a tshark
/// `frame.time` such as `Nov 25, 2026 09:39:52.741815000 UTC`. `None` where Spot would throw
/// (and so produce `word_error`).
pub fn frame_time_hour(frame_time: &str) -> Option<i32> {
    // Java's split on " +": a leading empty field is kept, trailing empty ones dropped.
    let mut fields = frame_time.split(' ').filter({
        let mut first = true;
        move |f| {
            let keep = first || !f.is_empty();
            first = false;
            keep
        }
    });
    let time = fields.nth(3)?;
    if time.is_empty() {
        return None;
    }
    time.split(':').next()?.parse().ok()
}

/// Apache Spot's `DNSWordCreation.dnsWord`; `None` where Spot produces `word_error`.
/// Missing `qtype` / `rcode` count as -1, as Spot's `na.fill` makes them.
pub fn dns_word(
    frame_time: &str,
    frame_len: i32,
    query_name: &str,
    qtype: Option<i32>,
    rcode: Option<i32>,
    top_domains: &TopDomains,
    user_domain: Option<&str>,
) -> Option<String> {
    let mut s = String::new();
    write_dns_word(
        &mut s,
        frame_time,
        frame_len,
        query_name,
        qtype,
        rcode,
        top_domains,
        user_domain,
    )
    .then_some(s)
}

/// Like [`dns_word`], into a reusable buffer (cleared first); false for `word_error`.
#[allow(clippy::too_many_arguments)]
pub fn write_dns_word(
    out: &mut String,
    frame_time: &str,
    frame_len: i32,
    query_name: &str,
    qtype: Option<i32>,
    rcode: Option<i32>,
    top_domains: &TopDomains,
    user_domain: Option<&str>,
) -> bool {
    out.clear();
    let Some(hour) = frame_time_hour(frame_time) else {
        return false;
    };
    let info = extract_domain_info(query_name, top_domains, user_domain);
    let _ = write!(
        out,
        "{}_{}_{}_{}_{}_{}_{}_{}",
        info.top_domain_class,
        floor_log2(frame_len as f64),
        hour,
        floor_log2(info.subdomain_length as f64),
        entropy_bin(info.subdomain_entropy),
        floor_log2(info.num_periods as f64),
        qtype.unwrap_or(DEFAULT_CODE),
        rcode.unwrap_or(DEFAULT_CODE),
    );
    true
}

/// Apache Spot's DNS validity rules (`filterRecords`) for one record; `None` means valid.
#[allow(clippy::too_many_arguments)]
pub fn dns_invalid_reason(
    frame_time: Option<&str>,
    unix_tstamp: Option<i64>,
    frame_len: Option<i32>,
    ip_dst: Option<&str>,
    query_name: Option<&str>,
    query_class: Option<&str>,
    qtype: Option<i32>,
    rcode: Option<i32>,
) -> Option<InvalidReason> {
    let text_ok = |v: Option<&str>| matches!(v, Some(s) if !s.is_empty() && s != "-");
    if !text_ok(frame_time) {
        Some(InvalidReason::NullTime)
    } else if !matches!(unix_tstamp, Some(t) if t >= 0) {
        Some(InvalidReason::BadTimestamp)
    } else if !matches!(frame_len, Some(l) if l >= 0) {
        Some(InvalidReason::BadFrameLength)
    } else if !text_ok(query_name) || query_name == Some("(empty)") {
        Some(InvalidReason::BadQueryName)
    } else if !text_ok(ip_dst) {
        Some(InvalidReason::NullIp)
    } else if !(text_ok(query_class) || qtype.is_some() || matches!(rcode, Some(r) if r >= 0)) {
        Some(InvalidReason::NoQueryFields)
    } else {
        None
    }
}

/// The DNS [`WordCreator`]: one word per valid record, for the client `ip_dst`.
#[derive(Debug, Clone, Default)]
pub struct DnsWords {
    top_domains: Arc<TopDomains>,
    user_domain: Option<String>,
}

impl DnsWords {
    /// A word creator with a top-domains set and the user's own domain label (class 2).
    pub fn new(top_domains: Arc<TopDomains>, user_domain: Option<String>) -> Self {
        DnsWords {
            top_domains,
            user_domain: user_domain.filter(|u| !u.is_empty()),
        }
    }

    /// The top-domain set.
    pub fn top_domains(&self) -> &TopDomains {
        &self.top_domains
    }

    /// The user's domain label, if any.
    pub fn user_domain(&self) -> Option<&str> {
        self.user_domain.as_deref()
    }

    /// The word of one record (see [`dns_word`]).
    pub fn word(
        &self,
        frame_time: &str,
        frame_len: i32,
        query_name: &str,
        qtype: Option<i32>,
        rcode: Option<i32>,
    ) -> Option<String> {
        dns_word(
            frame_time,
            frame_len,
            query_name,
            qtype,
            rcode,
            &self.top_domains,
            self.user_domain(),
        )
    }
}

const REQUIRED: &[&str] = &[
    col::FRAME_TIME,
    col::UNIX_TSTAMP,
    col::FRAME_LEN,
    col::IP_DST,
    col::DNS_QRY_NAME,
    col::DNS_QRY_CLASS,
    col::DNS_QRY_TYPE,
    col::DNS_QRY_RCODE,
];

fn column(batch: &RecordBatch, name: &str, ty: DataType) -> Result<ArrayRef, FeatureError> {
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| FeatureError::Column {
            column: name.to_string(),
            message: "missing".into(),
        })?;
    if *c.data_type() == ty {
        Ok(c.clone())
    } else {
        cast(c, &ty).map_err(|e| FeatureError::Column {
            column: name.to_string(),
            message: format!("cannot be read as {ty}: {e}"),
        })
    }
}

fn opt_str(a: &StringArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i))
}

impl WordCreator for DnsWords {
    fn required_columns(&self) -> &[&str] {
        REQUIRED
    }

    fn pair_names(&self) -> &[(&str, &str)] {
        &[(col::IP_DST, "word")]
    }

    fn words(&self, batch: &RecordBatch) -> Result<Words, FeatureError> {
        let n = batch.num_rows();
        let time = column(batch, col::FRAME_TIME, DataType::Utf8)?;
        let tstamp = column(batch, col::UNIX_TSTAMP, DataType::Int64)?;
        let flen = column(batch, col::FRAME_LEN, DataType::Int32)?;
        let dst = column(batch, col::IP_DST, DataType::Utf8)?;
        let name = column(batch, col::DNS_QRY_NAME, DataType::Utf8)?;
        let class = column(batch, col::DNS_QRY_CLASS, DataType::Utf8)?;
        let qtype = column(batch, col::DNS_QRY_TYPE, DataType::Int32)?;
        let rcode = column(batch, col::DNS_QRY_RCODE, DataType::Int32)?;
        let (time, dst, name, class) = (
            time.as_string::<i32>(),
            dst.as_string::<i32>(),
            name.as_string::<i32>(),
            class.as_string::<i32>(),
        );
        let tstamp = tstamp.as_primitive::<Int64Type>();
        let (flen, qtype, rcode) = (
            flen.as_primitive::<Int32Type>(),
            qtype.as_primitive::<Int32Type>(),
            rcode.as_primitive::<Int32Type>(),
        );
        let mut invalid = Vec::with_capacity(n);
        let mut docs = StringBuilder::with_capacity(n, n * 12);
        let mut words = StringBuilder::with_capacity(n, n * 20);
        let mut w = String::with_capacity(32);
        for i in 0..n {
            let qt = qtype.is_valid(i).then(|| qtype.value(i));
            let rc = rcode.is_valid(i).then(|| rcode.value(i));
            let mut reason = dns_invalid_reason(
                opt_str(time, i),
                tstamp.is_valid(i).then(|| tstamp.value(i)),
                flen.is_valid(i).then(|| flen.value(i)),
                opt_str(dst, i),
                opt_str(name, i),
                opt_str(class, i),
                qt,
                rc,
            );
            if reason.is_none()
                && !write_dns_word(
                    &mut w,
                    time.value(i),
                    flen.value(i),
                    name.value(i),
                    qt,
                    rc,
                    &self.top_domains,
                    self.user_domain(),
                )
            {
                reason = Some(InvalidReason::WordError);
            }
            invalid.push(reason);
            if reason.is_some() {
                docs.append_null();
                words.append_null();
            } else {
                docs.append_value(dst.value(i));
                words.append_value(&w);
            }
        }
        Ok(Words {
            invalid,
            pairs: vec![(docs.finish(), words.finish())],
        })
    }
}

/// One row of Spot's DNS feedback file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsFeedbackRow {
    /// Column 0.
    pub frame_time: String,
    /// Column 17.
    pub unix_tstamp: i64,
    /// Column 1.
    pub frame_len: i32,
    /// Column 2: the client.
    pub ip_dst: String,
    /// Column 3.
    pub dns_qry_name: String,
    /// Column 4.
    pub dns_qry_class: String,
    /// Column 5.
    pub dns_qry_type: i32,
    /// Column 6.
    pub dns_qry_rcode: i32,
    /// Column 12: analyst severity (3 = low risk).
    pub dns_sev: i32,
}

/// Reads Spot's DNS feedback file (`dns_scores.csv` of the operational analytics).
///
/// Tab-separated with 18 columns: `0 frame_time, 1 frame_len, 2 ip_dst, 3 dns_qry_name,
/// 4 dns_qry_class, 5 dns_qry_type, 6 dns_qry_rcode, 7 score, 8 tld, 9 query_rep, 10 hh,
/// 11 ip_sev, 12 dns_sev, 13 dns_qry_class_name, 14 dns_qry_type_name, 15 dns_qry_rcode_name,
/// 16 network_context, 17 unix_tstamp`. Spot drops the first line as a header; we drop it only
/// when its `dns_sev` field is not a number, so a file without a header loses no row. Blank
/// lines are skipped. Only severity-3 rows are kept (the others play no part in training).
pub fn read_dns_feedback(path: &Path) -> Result<Vec<DnsFeedbackRow>, FeatureError> {
    let text = std::fs::read_to_string(path).map_err(|e| FeatureError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    parse_dns_feedback(&text, path)
}

/// Parses the text of a DNS feedback file; `path` only names it in errors.
pub fn parse_dns_feedback(text: &str, path: &Path) -> Result<Vec<DnsFeedbackRow>, FeatureError> {
    const SEV: usize = 12;
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
        let sev = f.get(SEV).map(|s| s.trim().parse::<i32>());
        if n == 0 && !matches!(sev, Some(Ok(_))) {
            continue; // header
        }
        if f.len() < 18 {
            return Err(err(format!(
                "expected 18 tab-separated fields, found {}",
                f.len()
            )));
        }
        let sev = match sev {
            Some(Ok(s)) => s,
            _ => {
                return Err(err(format!(
                    "`dns_sev`: expected an integer, found {:?}",
                    f[SEV]
                )));
            }
        };
        if sev != crate::feedback::LOW_RISK {
            continue;
        }
        fn num<T: std::str::FromStr>(
            f: &[&str],
            i: usize,
            what: &str,
            err: &dyn Fn(String) -> FeatureError,
        ) -> Result<T, FeatureError> {
            f[i].trim()
                .parse()
                .map_err(|_| err(format!("`{what}`: expected an integer, found {:?}", f[i])))
        }
        rows.push(DnsFeedbackRow {
            frame_time: f[0].to_string(),
            unix_tstamp: num(&f, 17, "unix_tstamp", &err)?,
            frame_len: num(&f, 1, "frame_len", &err)?,
            ip_dst: f[2].to_string(),
            dns_qry_name: f[3].to_string(),
            dns_qry_class: f[4].to_string(),
            dns_qry_type: num(&f, 5, "dns_qry_type", &err)?,
            dns_qry_rcode: num(&f, 6, "dns_qry_rcode", &err)?,
            dns_sev: sev,
        });
    }
    Ok(rows)
}

/// Low-risk feedback rows as a batch in the DNS columns (`frame_time`, `unix_tstamp`,
/// `frame_len`, `ip_dst`, `dns_qry_name`, `dns_qry_class`, `dns_qry_type`, `dns_qry_rcode`),
/// for the combined mode's detectors to recognise the findings the analyst dismissed.
pub fn dns_feedback_batch(rows: &[DnsFeedbackRow]) -> RecordBatch {
    use arrow::array::{Int32Array, Int64Array};
    let strs = |f: &dyn Fn(&DnsFeedbackRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let i32s = |f: &dyn Fn(&DnsFeedbackRow) -> i32| -> ArrayRef {
        Arc::new(Int32Array::from_iter_values(rows.iter().map(f)))
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        (col::FRAME_TIME, strs(&|r| &r.frame_time)),
        (
            col::UNIX_TSTAMP,
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.unix_tstamp),
            )),
        ),
        (col::FRAME_LEN, i32s(&|r| r.frame_len)),
        (col::IP_DST, strs(&|r| &r.ip_dst)),
        (col::DNS_QRY_NAME, strs(&|r| &r.dns_qry_name)),
        (col::DNS_QRY_CLASS, strs(&|r| &r.dns_qry_class)),
        (col::DNS_QRY_TYPE, i32s(&|r| r.dns_qry_type)),
        (col::DNS_QRY_RCODE, i32s(&|r| r.dns_qry_rcode)),
    ];
    // Columns of equal lengths and fixed types: this cannot fail.
    RecordBatch::try_from_iter(columns)
        .unwrap_or_else(|_| RecordBatch::new_empty(Arc::new(arrow::datatypes::Schema::empty())))
}

/// Adds every low-risk row's word to its client's document `dupfactor` times (rows whose word
/// is `word_error` are left out, as Spot filters them). Returns the number of rows used.
pub fn add_dns_feedback(
    corpus: &mut CorpusBuilder,
    rows: &[DnsFeedbackRow],
    dupfactor: u64,
    words: &DnsWords,
) -> usize {
    let mut w = String::new();
    let mut used = 0;
    for r in rows
        .iter()
        .filter(|r| r.dns_sev == crate::feedback::LOW_RISK)
    {
        if write_dns_word(
            &mut w,
            &r.frame_time,
            r.frame_len,
            &r.dns_qry_name,
            Some(r.dns_qry_type),
            Some(r.dns_qry_rcode),
            words.top_domains(),
            words.user_domain(),
        ) {
            corpus.add(&r.ip_dst, &w, dupfactor);
            used += 1;
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, Int64Array};
    use arrow::datatypes::{Field, Schema};

    const T: &str = "Nov 25, 2026 09:39:52.741815000 UTC";

    fn top() -> TopDomains {
        TopDomains::from_names(["google.com", "example.org"])
    }

    #[test]
    fn hour_follows_spot_split() {
        assert_eq!(frame_time_hour(T), Some(9));
        assert_eq!(
            frame_time_hour("Nov  5, 2026 23:00:00.000000000 UTC"),
            Some(23)
        );
        assert_eq!(frame_time_hour("2026-11-25 09:39:52"), None);
        assert_eq!(frame_time_hour(" Nov 25, 2026 09:39:52 UTC"), Some(2026));
        assert_eq!(frame_time_hour("a b c x:1"), None);
        assert_eq!(frame_time_hour("a b c 7"), Some(7));
        assert_eq!(frame_time_hour(""), None);
    }

    #[test]
    fn words_follow_spot() {
        let t = top();
        let w = |name: &str, len: i32, qt, rc| dns_word(T, len, name, qt, rc, &t, Some("corp"));
        // google.com → class 1; 92 → 6; hour 9; "www" → 3 → 1; entropy 0 → bin 0; 3 labels → 1.
        assert_eq!(
            w("www.google.com", 92, Some(1), Some(0)).unwrap(),
            "1_6_9_1_0_1_1_0"
        );
        // User domain, long random subdomain, NXDOMAIN.
        assert_eq!(
            w("a1b2c3d4e5f6.corp.com", 130, Some(16), Some(3)).unwrap(),
            "2_7_9_3_12_1_16_3"
        );
        // No domain: subdomain length 0 → 0, entropy 0 → bin 0; reverse name with 6 labels.
        assert_eq!(
            w("1.0.0.127.in-addr.arpa", 100, Some(12), Some(0)).unwrap(),
            "0_6_9_0_0_2_12_0"
        );
        // Missing qtype / rcode become -1.
        assert_eq!(
            w("corp.example", 60, None, None).unwrap(),
            "0_5_9_0_0_1_-1_-1"
        );
        assert_eq!(dns_word("bad time", 1, "a.com", None, None, &t, None), None);
    }

    #[test]
    fn validity_rules() {
        use InvalidReason::*;
        let ok = |time, ts, len, dst, name, class, qt, rc| {
            dns_invalid_reason(time, ts, len, dst, name, class, qt, rc)
        };
        let base = |name| {
            ok(
                Some(T),
                Some(1),
                Some(60),
                Some("10.0.0.1"),
                name,
                Some("0x0001"),
                Some(1),
                Some(0),
            )
        };
        assert_eq!(base(Some("a.com")), None);
        for bad in [None, Some(""), Some("-"), Some("(empty)")] {
            assert_eq!(base(bad), Some(BadQueryName));
        }
        for t in [None, Some(""), Some("-")] {
            assert_eq!(
                ok(
                    t,
                    Some(1),
                    Some(1),
                    Some("d"),
                    Some("n"),
                    None,
                    Some(1),
                    None
                ),
                Some(NullTime)
            );
        }
        assert_eq!(
            ok(
                Some(T),
                Some(-1),
                Some(1),
                Some("d"),
                Some("n"),
                None,
                Some(1),
                None
            ),
            Some(BadTimestamp)
        );
        assert_eq!(
            ok(
                Some(T),
                None,
                Some(1),
                Some("d"),
                Some("n"),
                None,
                Some(1),
                None
            ),
            Some(BadTimestamp)
        );
        assert_eq!(
            ok(
                Some(T),
                Some(0),
                Some(-1),
                Some("d"),
                Some("n"),
                None,
                Some(1),
                None
            ),
            Some(BadFrameLength)
        );
        assert_eq!(
            ok(
                Some(T),
                Some(0),
                Some(0),
                Some("-"),
                Some("n"),
                None,
                Some(1),
                None
            ),
            Some(NullIp)
        );
        // Any one of class, type, rcode ≥ 0 is enough.
        assert_eq!(
            ok(
                Some(T),
                Some(0),
                Some(0),
                Some("d"),
                Some("n"),
                Some("-"),
                None,
                Some(-1)
            ),
            Some(NoQueryFields)
        );
        assert_eq!(
            ok(
                Some(T),
                Some(0),
                Some(0),
                Some("d"),
                Some("n"),
                Some("-"),
                None,
                Some(0)
            ),
            None
        );
        assert_eq!(
            ok(
                Some(T),
                Some(0),
                Some(0),
                Some("d"),
                Some("n"),
                Some("IN"),
                None,
                None
            ),
            None
        );
    }

    #[test]
    fn word_creator_on_a_batch() {
        let schema = Arc::new(Schema::new(vec![
            Field::new(col::FRAME_TIME, DataType::Utf8, true),
            Field::new(col::UNIX_TSTAMP, DataType::Int64, true),
            Field::new(col::FRAME_LEN, DataType::Int32, true),
            Field::new(col::IP_DST, DataType::Utf8, true),
            Field::new(col::DNS_QRY_NAME, DataType::Utf8, true),
            Field::new(col::DNS_QRY_CLASS, DataType::Utf8, true),
            // Strings are cast, as a CSV reader may give them.
            Field::new(col::DNS_QRY_TYPE, DataType::Utf8, true),
            Field::new(col::DNS_QRY_RCODE, DataType::Int32, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![Some(T), Some(T), Some("garbage")])),
                Arc::new(Int64Array::from(vec![1, 1, 1])),
                Arc::new(Int32Array::from(vec![92, 92, 92])),
                Arc::new(StringArray::from(vec!["10.0.0.1", "10.0.0.2", "10.0.0.3"])),
                Arc::new(StringArray::from(vec![
                    "www.google.com",
                    "(empty)",
                    "a.com",
                ])),
                Arc::new(StringArray::from(vec!["0x0001", "0x0001", "0x0001"])),
                Arc::new(StringArray::from(vec!["1", "1", "1"])),
                Arc::new(Int32Array::from(vec![Some(0), None, Some(0)])),
            ],
        )
        .unwrap();
        let dw = DnsWords::new(Arc::new(top()), Some(String::new()));
        assert_eq!(dw.user_domain(), None);
        let words = dw.words(&batch).unwrap();
        assert_eq!(
            words.invalid,
            vec![
                None,
                Some(InvalidReason::BadQueryName),
                Some(InvalidReason::WordError)
            ]
        );
        let (docs, ws) = &words.pairs[0];
        assert_eq!(docs.value(0), "10.0.0.1");
        assert_eq!(ws.value(0), "1_6_9_1_0_1_1_0");
        assert!(ws.is_null(1) && ws.is_null(2));
        let mut c = CorpusBuilder::new();
        c.add_words(&words);
        assert_eq!(c.build().total_tokens(), 1.0);
        let missing = RecordBatch::new_empty(Arc::new(Schema::empty()));
        assert!(
            dw.words(&missing)
                .unwrap_err()
                .to_string()
                .contains("frame_time")
        );
    }

    fn fb_line(sev: &str, name: &str) -> String {
        let mut f = vec![""; 18];
        f[0] = T;
        f[1] = "92";
        f[2] = "10.0.0.9";
        f[3] = name;
        f[4] = "0x0001";
        f[5] = "1";
        f[6] = "0";
        f[7] = "0.0001";
        f[12] = sev;
        f[17] = "1795599592";
        f.join("\t")
    }

    #[test]
    fn feedback_file() {
        let header = "frame_time\tframe_len\tip_dst\tdns_qry_name\tdns_qry_class\tdns_qry_type\tdns_qry_rcode\tscore\ttld\tquery_rep\thh\tip_sev\tdns_sev\tdns_qry_class_name\tdns_qry_type_name\tdns_qry_rcode_name\tnetwork_context\tunix_tstamp";
        let text = format!(
            "{header}\n{}\n\n{}\n",
            fb_line("3", "www.google.com"),
            fb_line("1", "evil.com")
        );
        let rows = parse_dns_feedback(&text, Path::new("dns_scores.csv")).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].dns_qry_name, "www.google.com");
        assert_eq!(rows[0].unix_tstamp, 1_795_599_592);
        let dw = DnsWords::new(Arc::new(top()), None);
        let mut c = CorpusBuilder::new();
        assert_eq!(add_dns_feedback(&mut c, &rows, 100, &dw), 1);
        let c = c.build();
        assert_eq!(c.word_names(), ["1_6_9_1_0_1_1_0"]);
        assert_eq!(c.doc_names(), ["10.0.0.9"]);
        assert_eq!(c.total_tokens(), 100.0);
        // The batch the combined mode's detectors read: the DNS columns in their types.
        let b = dns_feedback_batch(&rows);
        assert_eq!(b.num_rows(), 1);
        let dw_words = dw.words(&b).unwrap();
        assert_eq!(dw_words.valid_rows(), 1);
        assert_eq!(
            b.column_by_name("dns_qry_name")
                .unwrap()
                .as_string::<i32>()
                .value(0),
            "www.google.com"
        );
        // No header: the first line is a row.
        let rows = parse_dns_feedback(&fb_line("3", "a.com"), Path::new("f")).unwrap();
        assert_eq!(rows.len(), 1);
        // Errors name the line.
        let e = parse_dns_feedback("x\n3\tonly", Path::new("f")).unwrap_err();
        assert!(e.to_string().starts_with("f:2: expected 18"), "{e}");
        let bad = fb_line("3", "a.com").replace("\t92\t", "\tbig\t");
        let e = parse_dns_feedback(&format!("{header}\n{bad}"), Path::new("f")).unwrap_err();
        assert!(e.to_string().contains("f:2: `frame_len`"), "{e}");
        let bad = fb_line("high", "a.com");
        let e = parse_dns_feedback(&format!("{header}\n{bad}"), Path::new("f")).unwrap_err();
        assert!(e.to_string().contains("`dns_sev`"), "{e}");
    }
}
