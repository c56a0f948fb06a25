//! Apache Spot's proxy words, validity rules and proxy feedback file.
//!
//! A web request becomes one word for its client IP's document:
//!
//! `class_hour_method_entropybin_contenttype_agentbin_lengthbin_respcode`
//!
//! | part | Spot's rule |
//! |---|---|
//! | class | 2 if the host's domain is the user's own (`--user-domain`), 1 if a top domain, else 0 |
//! | hour | the number before the first `:` of `p_time` |
//! | method | `reqmethod` (`null` when absent, as Spot's `mkString` wrote it) |
//! | entropybin | bin of the Shannon entropy of `fulluri` over [`ENTROPY_CUTS`](crate::domain::ENTROPY_CUTS) |
//! | contenttype | `resconttype` before its first `/` (Java `split` rules: `""` stays `""`, all slashes → `unknown_content_type`); absent → `-` |
//! | agentbin | `floor(log2(n))`, n = requests with this user agent in the data (absent agent → `-`) |
//! | lengthbin | `floor(log2(length of fulluri))` (0 for an empty URI) |
//! | respcode | `respcode`, or `unknown_response_code` |
//!
//! User-agent counts are an input ([`UserAgentCounts`]): Spot counted them over the valid
//! records being trained on, feedback rows included (each `DUPFACTOR` times), and over the
//! records being scored when scoring. A user agent missing from the counts, or an hour that is
//! not a number, is Spot's `word_error`: the row is left out ([`InvalidReason::WordError`]).
//!
//! Validity (Spot's `filterRecords`): a null or empty `p_date`, `p_time`, `clientip`, `host` or
//! `fulluri` makes a row invalid.
//!
//! ```
//! use spot_features::domain::TopDomains;
//! use spot_features::proxy::{ProxyWords, UserAgentCounts};
//! let mut agents = UserAgentCounts::default();
//! agents.add("curl/8.0", 5);
//! let words = ProxyWords::new(TopDomains::from_names(["google.com"]), Some("intel".into()), agents);
//! let w = words
//!     .word("www.google.com", "13:05:09", Some("GET"), "www.google.com/search?q=x", Some("text/html"), Some("curl/8.0"), Some("200"))
//!     .unwrap();
//! assert_eq!(w, "1_13_GET_14_text_2_4_200");
//! ```

use std::fmt::Write as _;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch, StringArray, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use rustc_hash::FxHashMap;
use spot_decode::schema::proxy as col;

use crate::domain::{TopDomains, entropy, entropy_bin, floor_log2, split_domain};
use crate::words::{InvalidReason, WordCreator, Words};
use crate::{CorpusBuilder, FeatureError};

/// What Spot's word creation put for a missing user agent or content type (its `na.fill`).
pub const DEFAULT_FILL: &str = "-";

/// How many requests carry each user agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserAgentCounts {
    counts: FxHashMap<String, u64>,
}

impl UserAgentCounts {
    /// Adds `n` requests with user agent `agent`.
    pub fn add(&mut self, agent: &str, n: u64) {
        match self.counts.get_mut(agent) {
            Some(c) => *c += n,
            None => {
                self.counts.insert(agent.to_string(), n);
            }
        }
    }

    /// Counts the user agents of the valid rows of `batch` (Spot's validity rules; a null user
    /// agent counts as `-`).
    pub fn add_batch(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let cols = Columns::of(batch)?;
        for i in 0..batch.num_rows() {
            if cols.invalid_reason(i).is_none() {
                self.add(opt(&cols.useragent, i).unwrap_or(DEFAULT_FILL), 1);
            }
        }
        Ok(())
    }

    /// Adds the low-risk feedback rows, each `dupfactor` times, as Spot's training union did.
    pub fn add_feedback(&mut self, rows: &[ProxyFeedbackRow], dupfactor: u64) {
        for r in rows.iter().filter(|r| r.sev == LOW_RISK) {
            self.add(&r.useragent, dupfactor);
        }
    }

    /// Requests seen with `agent`.
    pub fn get(&self, agent: &str) -> Option<u64> {
        self.counts.get(agent).copied()
    }

    /// Number of distinct user agents.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no user agent was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Spot's `contentType.split('/')(0)` with Java's split rules.
fn content_class(ct: &str) -> &str {
    if !ct.is_empty() && ct.bytes().all(|b| b == b'/') {
        "unknown_content_type"
    } else {
        ct.split('/').next().unwrap_or("")
    }
}

/// Spot's `TimeUtilities.getTimeAsHour`: the integer before the first `:`.
fn hour_of(time: &str) -> Option<i32> {
    time.split(':').next()?.parse().ok()
}

/// Spot's `ProxyWordCreation.topDomain`: 2 for the user's domain, 1 for a top domain, else 0.
pub fn top_domain_class(host: &str, top_domains: &TopDomains, user_domain: Option<&str>) -> i32 {
    let (domain, _) = split_domain(host);
    match user_domain {
        Some(u) if !u.is_empty() && domain == u => 2,
        _ if top_domains.contains(&domain) => 1,
        _ => 0,
    }
}

/// The proxy [`WordCreator`]: document `clientip`, word `word`.
#[derive(Debug, Clone, Default)]
pub struct ProxyWords {
    top_domains: TopDomains,
    user_domain: Option<String>,
    agents: UserAgentCounts,
}

impl ProxyWords {
    /// A word creator with the top domains, the user's own domain (class 2; Spot hard-coded
    /// `intel`) and the user-agent counts of the data being trained on or scored.
    pub fn new(
        top_domains: TopDomains,
        user_domain: Option<String>,
        agents: UserAgentCounts,
    ) -> Self {
        ProxyWords {
            top_domains,
            user_domain,
            agents,
        }
    }

    /// The user-agent counts in use.
    pub fn agents(&self) -> &UserAgentCounts {
        &self.agents
    }

    /// One request's word, or `None` where Spot's word creation failed (`word_error`).
    #[allow(clippy::too_many_arguments)]
    pub fn word(
        &self,
        host: &str,
        time: &str,
        method: Option<&str>,
        fulluri: &str,
        content_type: Option<&str>,
        user_agent: Option<&str>,
        respcode: Option<&str>,
    ) -> Option<String> {
        let mut s = String::with_capacity(48);
        self.write_word(
            host,
            time,
            method,
            fulluri,
            content_type,
            user_agent,
            respcode,
            &mut s,
        )
        .then_some(s)
    }

    /// Like [`word`](Self::word), into a reusable buffer (cleared first); `false` on
    /// `word_error`.
    #[allow(clippy::too_many_arguments)]
    pub fn write_word(
        &self,
        host: &str,
        time: &str,
        method: Option<&str>,
        fulluri: &str,
        content_type: Option<&str>,
        user_agent: Option<&str>,
        respcode: Option<&str>,
        out: &mut String,
    ) -> bool {
        out.clear();
        let Some(hour) = hour_of(time) else {
            return false;
        };
        let Some(agent_count) = self.agents.get(user_agent.unwrap_or(DEFAULT_FILL)) else {
            return false;
        };
        let class = top_domain_class(host, &self.top_domains, self.user_domain.as_deref());
        let ebin = entropy_bin(entropy(fulluri));
        let ctype = content_class(content_type.unwrap_or(DEFAULT_FILL));
        let abin = floor_log2(agent_count as f64);
        let lbin = floor_log2(fulluri.encode_utf16().count() as f64);
        let method = method.unwrap_or("null");
        let code = respcode.unwrap_or("unknown_response_code");
        // Writing into a String cannot fail.
        let _ = write!(
            out,
            "{class}_{hour}_{method}_{ebin}_{ctype}_{abin}_{lbin}_{code}"
        );
        true
    }
}

/// Apache Spot's proxy validity rules for one row; `None` means valid.
pub fn proxy_invalid_reason(
    date: Option<&str>,
    time: Option<&str>,
    clientip: Option<&str>,
    host: Option<&str>,
    fulluri: Option<&str>,
) -> Option<InvalidReason> {
    let missing = |v: Option<&str>| v.is_none_or(str::is_empty);
    if missing(date) {
        Some(InvalidReason::NullDate)
    } else if missing(time) {
        Some(InvalidReason::NullTime)
    } else if missing(clientip) {
        Some(InvalidReason::NullIp)
    } else if missing(host) {
        Some(InvalidReason::NullHost)
    } else if missing(fulluri) {
        Some(InvalidReason::NullUri)
    } else {
        None
    }
}

fn opt(a: &StringArray, i: usize) -> Option<&str> {
    a.is_valid(i).then(|| a.value(i))
}

/// The word inputs of a batch, as strings.
struct Columns {
    date: StringArray,
    time: StringArray,
    clientip: StringArray,
    host: StringArray,
    method: StringArray,
    useragent: StringArray,
    ctype: StringArray,
    respcode: StringArray,
    fulluri: StringArray,
}

impl Columns {
    fn of(batch: &RecordBatch) -> Result<Self, FeatureError> {
        let get = |name: &str| -> Result<StringArray, FeatureError> {
            let c = batch
                .column_by_name(name)
                .ok_or_else(|| FeatureError::Column {
                    column: name.to_string(),
                    message: "missing".into(),
                })?;
            let c = if *c.data_type() == DataType::Utf8 {
                c.clone()
            } else {
                cast(c, &DataType::Utf8).map_err(|e| FeatureError::Column {
                    column: name.to_string(),
                    message: format!("cannot be read as text: {e}"),
                })?
            };
            Ok(c.as_string::<i32>().clone())
        };
        Ok(Columns {
            date: get(col::P_DATE)?,
            time: get(col::P_TIME)?,
            clientip: get(col::CLIENTIP)?,
            host: get(col::HOST)?,
            method: get(col::REQMETHOD)?,
            useragent: get(col::USERAGENT)?,
            ctype: get(col::RESCONTTYPE)?,
            respcode: get(col::RESPCODE)?,
            fulluri: get(col::FULLURI)?,
        })
    }

    fn invalid_reason(&self, i: usize) -> Option<InvalidReason> {
        proxy_invalid_reason(
            opt(&self.date, i),
            opt(&self.time, i),
            opt(&self.clientip, i),
            opt(&self.host, i),
            opt(&self.fulluri, i),
        )
    }
}

impl WordCreator for ProxyWords {
    fn required_columns(&self) -> &[&str] {
        col::REQUIRED
    }

    fn pair_names(&self) -> &[(&str, &str)] {
        &[(col::CLIENTIP, "word")]
    }

    fn words(&self, batch: &RecordBatch) -> Result<Words, FeatureError> {
        let n = batch.num_rows();
        let c = Columns::of(batch)?;
        let mut invalid = Vec::with_capacity(n);
        let mut docs = StringBuilder::with_capacity(n, n * 12);
        let mut words = StringBuilder::with_capacity(n, n * 32);
        let mut w = String::with_capacity(64);
        for i in 0..n {
            let mut reason = c.invalid_reason(i);
            if reason.is_none()
                && !self.write_word(
                    c.host.value(i),
                    c.time.value(i),
                    opt(&c.method, i),
                    c.fulluri.value(i),
                    opt(&c.ctype, i),
                    opt(&c.useragent, i),
                    opt(&c.respcode, i),
                    &mut w,
                )
            {
                reason = Some(InvalidReason::WordError);
            }
            invalid.push(reason);
            if reason.is_some() {
                docs.append_null();
                words.append_null();
            } else {
                docs.append_value(c.clientip.value(i));
                words.append_value(&w);
            }
        }
        Ok(Words {
            invalid,
            pairs: vec![(docs.finish(), words.finish())],
        })
    }
}

/// The severity Spot treats as "low risk, learn it as normal".
pub const LOW_RISK: i32 = 3;

/// One row of Spot's proxy feedback file (the columns its word creation reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyFeedbackRow {
    /// Analyst severity (column 22): 1 high, 2 medium, 3 low risk.
    pub sev: i32,
    /// Column 0.
    pub p_date: String,
    /// Column 1.
    pub p_time: String,
    /// Column 2.
    pub clientip: String,
    /// Column 3.
    pub host: String,
    /// Column 4.
    pub reqmethod: String,
    /// Column 5.
    pub useragent: String,
    /// Column 6.
    pub resconttype: String,
    /// Column 11.
    pub respcode: String,
    /// Column 18.
    pub fulluri: String,
}

/// Reads a proxy feedback file; see [`parse_proxy_feedback`].
pub fn read_proxy_feedback(path: &Path) -> Result<Vec<ProxyFeedbackRow>, FeatureError> {
    let text = std::fs::read_to_string(path).map_err(|e| FeatureError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    parse_proxy_feedback(&text, path)
}

/// Parses Spot's proxy feedback file: tab-separated, `0 p_date, 1 p_time, 2 clientip, 3 host,
/// 4 reqmethod, 5 useragent, 6 resconttype, 11 respcode, 18 fulluri, 22 severity`. Blank lines
/// are skipped, and a first line starting with `p_date` is a header. `path` names the file in
/// errors.
pub fn parse_proxy_feedback(
    text: &str,
    path: &Path,
) -> Result<Vec<ProxyFeedbackRow>, FeatureError> {
    let mut rows = Vec::new();
    let mut first = true;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if first && f[0].trim().eq_ignore_ascii_case("p_date") {
            first = false;
            continue;
        }
        first = false;
        let err = |message: String| FeatureError::Feedback {
            path: path.to_path_buf(),
            line: n as u64 + 1,
            message,
        };
        if f.len() < 23 {
            return Err(err(format!(
                "expected at least 23 tab-separated fields (severity is field 22, counting from 0), found {}",
                f.len()
            )));
        }
        let sev = f[22].trim();
        let sev: i32 = sev.parse().map_err(|_| {
            err(format!(
                "severity (field 22): expected an integer, found {sev:?}"
            ))
        })?;
        rows.push(ProxyFeedbackRow {
            sev,
            p_date: f[0].to_string(),
            p_time: f[1].to_string(),
            clientip: f[2].to_string(),
            host: f[3].to_string(),
            reqmethod: f[4].to_string(),
            useragent: f[5].to_string(),
            resconttype: f[6].to_string(),
            respcode: f[11].to_string(),
            fulluri: f[18].to_string(),
        });
    }
    Ok(rows)
}

/// Adds every low-risk row `dupfactor` times to the corpus (its word to its client's
/// document). `words` should count these rows' user agents ([`UserAgentCounts::add_feedback`]).
/// Rows whose word cannot be made are skipped, as Spot dropped `word_error`. Returns the number
/// of low-risk rows used.
pub fn add_proxy_feedback(
    corpus: &mut CorpusBuilder,
    rows: &[ProxyFeedbackRow],
    dupfactor: u64,
    words: &ProxyWords,
) -> usize {
    let mut w = String::new();
    let mut used = 0;
    for r in rows.iter().filter(|r| r.sev == LOW_RISK) {
        if words.write_word(
            &r.host,
            &r.p_time,
            Some(&r.reqmethod),
            &r.fulluri,
            Some(&r.resconttype),
            Some(&r.useragent),
            Some(&r.respcode),
            &mut w,
        ) {
            corpus.add(&r.clientip, &w, dupfactor);
            used += 1;
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn words_with(agents: &[(&str, u64)]) -> ProxyWords {
        let mut a = UserAgentCounts::default();
        for (ua, n) in agents {
            a.add(ua, *n);
        }
        ProxyWords::new(
            TopDomains::from_names(["google.com", "bbc.co.uk"]),
            Some("intel".into()),
            a,
        )
    }

    fn word(
        w: &ProxyWords,
        host: &str,
        uri: &str,
        ct: Option<&str>,
        ua: Option<&str>,
    ) -> Option<String> {
        w.word(host, "09:40:06", Some("GET"), uri, ct, ua, Some("200"))
    }

    fn part(word: &str, i: usize) -> &str {
        word.split('_').nth(i).unwrap()
    }

    #[test]
    fn top_domain_class_field() {
        let w = words_with(&[("a", 1)]);
        assert_eq!(
            part(&word(&w, "www.intel.com", "x", None, Some("a")).unwrap(), 0),
            "2"
        );
        assert_eq!(
            part(
                &word(&w, "news.bbc.co.uk", "x", None, Some("a")).unwrap(),
                0
            ),
            "0",
            "Spot strips one country code then one generic TLD: bbc.co.uk's domain is `co`"
        );
        assert_eq!(
            part(
                &word(&w, "mail.google.com.au", "x", None, Some("a")).unwrap(),
                0
            ),
            "1"
        );
        assert_eq!(
            part(
                &word(&w, "evil.example.xyz", "x", None, Some("a")).unwrap(),
                0
            ),
            "0"
        );
        // An IP address has no domain.
        assert_eq!(
            part(&word(&w, "127.0.0.1", "x", None, Some("a")).unwrap(), 0),
            "0"
        );
        let no_user = ProxyWords::new(TopDomains::default(), None, w.agents().clone());
        assert_eq!(
            part(
                &word(&no_user, "www.intel.com", "x", None, Some("a")).unwrap(),
                0
            ),
            "0"
        );
    }

    #[test]
    fn hour_field_and_bad_time() {
        let w = words_with(&[("a", 1)]);
        let s = w
            .word(
                "h.com",
                "23:59:59",
                Some("GET"),
                "h.com",
                None,
                Some("a"),
                None,
            )
            .unwrap();
        assert_eq!(part(&s, 1), "23");
        assert_eq!(
            w.word("h.com", "noon", Some("GET"), "h.com", None, Some("a"), None),
            None
        );
    }

    #[test]
    fn method_field() {
        let w = words_with(&[("a", 1)]);
        let s = w
            .word(
                "h.com",
                "01:00:00",
                Some("POST"),
                "h.com",
                None,
                Some("a"),
                None,
            )
            .unwrap();
        assert_eq!(part(&s, 2), "POST");
        let s = w
            .word("h.com", "01:00:00", None, "h.com", None, Some("a"), None)
            .unwrap();
        assert_eq!(part(&s, 2), "null");
    }

    #[test]
    fn entropy_and_length_fields_and_empty_uri() {
        let w = words_with(&[("a", 1)]);
        // "aaaa": entropy 0 → bin 0; length 4 → 2.
        let s = word(&w, "h.com", "aaaa", None, Some("a")).unwrap();
        assert_eq!((part(&s, 3), part(&s, 6)), ("0", "2"));
        // 16 distinct characters: entropy 4.0 → first cut ≥ 4.0 is 4.2, bin 14; length 16 → 4.
        let s = word(&w, "h.com", "abcdefghijklmnop", None, Some("a")).unwrap();
        assert_eq!((part(&s, 3), part(&s, 6)), ("14", "4"));
        // Empty URI: entropy 0 → bin 0, length 0 → 0 (Spot's logBaseXInt(0) = 0).
        let s = word(&w, "h.com", "", None, Some("a")).unwrap();
        assert_eq!((part(&s, 3), part(&s, 6)), ("0", "0"));
    }

    #[test]
    fn content_type_field() {
        let w = words_with(&[("a", 1)]);
        let ct = |c: Option<&str>| {
            word(&w, "h.com", "u", c, Some("a"))
                .unwrap()
                .split('_')
                .nth(4)
                .unwrap()
                .to_string()
        };
        assert_eq!(ct(Some("text/html; charset=utf-8")), "text");
        assert_eq!(ct(Some("application")), "application");
        // Missing content type: Spot filled `-`.
        assert_eq!(ct(None), "-");
        assert_eq!(ct(Some("")), "");
        assert_eq!(ct(Some("/html")), "");
        assert_eq!(content_class("//"), "unknown_content_type");
        assert_eq!(content_class("text//"), "text");
    }

    #[test]
    fn user_agent_field_and_unknown_agent() {
        let w = words_with(&[("curl", 1), ("firefox", 1000), ("-", 8)]);
        assert_eq!(
            part(&word(&w, "h.com", "u", None, Some("curl")).unwrap(), 5),
            "0"
        );
        assert_eq!(
            part(&word(&w, "h.com", "u", None, Some("firefox")).unwrap(), 5),
            "9"
        );
        // No user agent counts as `-`.
        assert_eq!(part(&word(&w, "h.com", "u", None, None).unwrap(), 5), "3");
        // An agent absent from the counts is Spot's word_error.
        assert_eq!(word(&w, "h.com", "u", None, Some("wget")), None);
    }

    #[test]
    fn respcode_field() {
        let w = words_with(&[("a", 1)]);
        let s = w
            .word(
                "h.com",
                "01:00:00",
                Some("GET"),
                "u",
                None,
                Some("a"),
                Some("404"),
            )
            .unwrap();
        assert!(s.ends_with("_404"), "{s}");
        let s = w
            .word("h.com", "01:00:00", Some("GET"), "u", None, Some("a"), None)
            .unwrap();
        assert!(s.ends_with("_unknown_response_code"), "{s}");
    }

    fn batch(rows: &[[Option<&str>; 9]]) -> RecordBatch {
        let cols: Vec<(&str, Arc<dyn Array>)> = col::REQUIRED
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let a: StringArray = rows.iter().map(|r| r[j]).collect();
                (*name, Arc::new(a) as Arc<dyn Array>)
            })
            .collect();
        RecordBatch::try_from_iter(cols).unwrap()
    }

    #[test]
    fn batch_words_validity_and_counts() {
        let ok = [
            Some("2026-11-25"),
            Some("09:40:06"),
            Some("10.0.0.1"),
            Some("www.google.com"),
            Some("GET"),
            Some("curl/8"),
            Some("text/html"),
            Some("200"),
            Some("www.google.com/a"),
        ];
        let mut no_host = ok;
        no_host[3] = None;
        let mut no_uri = ok;
        no_uri[8] = Some("");
        let mut no_date = ok;
        no_date[0] = None;
        let mut bad_time = ok;
        bad_time[1] = Some("xx");
        let mut no_agent = ok;
        no_agent[5] = None;
        let b = batch(&[ok, no_host, no_uri, no_date, bad_time, no_agent, ok]);
        let mut agents = UserAgentCounts::default();
        agents.add_batch(&b).unwrap();
        // Invalid rows are not counted; the bad-time row is valid for Spot's filter.
        assert_eq!(agents.get("curl/8"), Some(3));
        assert_eq!(agents.get("-"), Some(1));
        let w = ProxyWords::new(TopDomains::from_names(["google"]), None, agents);
        let words = w.words(&b).unwrap();
        assert_eq!(
            words.invalid,
            [
                None,
                Some(InvalidReason::NullHost),
                Some(InvalidReason::NullUri),
                Some(InvalidReason::NullDate),
                Some(InvalidReason::WordError),
                None,
                None
            ]
        );
        let (docs, ws) = &words.pairs[0];
        assert_eq!(docs.value(0), "10.0.0.1");
        assert_eq!(ws.value(0), "1_9_GET_11_text_1_4_200");
        assert_eq!(ws.value(5), "1_9_GET_11_text_0_4_200");
        assert!(ws.is_null(1));
        assert_eq!(words.valid_rows(), 3);
    }

    #[test]
    fn feedback_file() {
        let mut f: Vec<String> = (0..23).map(|i| format!("f{i}")).collect();
        f[0] = "2026-11-25".into();
        f[1] = "13:05:09".into();
        f[2] = "10.0.0.5".into();
        f[3] = "cdn.example.com".into();
        f[4] = "GET".into();
        f[5] = "agent x".into();
        f[6] = "image/png".into();
        f[11] = "200".into();
        f[18] = "cdn.example.com/logo.png".into();
        f[22] = "3".into();
        let low = f.join("\t");
        f[22] = "1".into();
        let high = f.join("\t");
        let text = format!("p_date\tp_time\n{low}\n\n{high}\n");
        let rows = parse_proxy_feedback(&text, Path::new("fb.tsv")).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].sev, 3);
        assert_eq!(rows[0].useragent, "agent x");
        assert_eq!(rows[0].fulluri, "cdn.example.com/logo.png");
        let mut agents = UserAgentCounts::default();
        agents.add_feedback(&rows, 10);
        assert_eq!(agents.get("agent x"), Some(10));
        let w = ProxyWords::new(TopDomains::default(), None, agents);
        let mut c = CorpusBuilder::new();
        assert_eq!(add_proxy_feedback(&mut c, &rows, 10, &w), 1);
        let c = c.build();
        assert_eq!(c.doc_names(), ["10.0.0.5"]);
        assert_eq!(c.word_names(), ["0_13_GET_13_image_3_4_200"]);
        assert_eq!(c.total_tokens(), 10.0);

        let e = parse_proxy_feedback("a\tb\n", Path::new("fb.tsv")).unwrap_err();
        assert!(
            e.to_string().starts_with("fb.tsv:1: expected at least 23"),
            "{e}"
        );
        let bad = low.replace("\t3", "\tx");
        let e = parse_proxy_feedback(&format!("\n{bad}"), Path::new("fb.tsv")).unwrap_err();
        assert!(e.to_string().starts_with("fb.tsv:2: severity"), "{e}");
    }
}
