//! Apache Spot's `DomainProcessor`: domain / subdomain split of a DNS name or URL host, the
//! top-domain class, Shannon entropy of the subdomain, and the log2 and entropy bins used by
//! the DNS and proxy words.
//!
//! The split follows Spot to the letter, including its quirks:
//!
//! - The name is split on `.` the way Java's `String.split` does: trailing empty labels are
//!   dropped (`"google.com."` has 2 labels) and a name without any `.` is one label.
//! - A name has a domain only if it has at least two labels, does not end in `in-addr.arpa`,
//!   and its last label is a country code (Spot's list, [`COUNTRY_CODES`]) or one of
//!   [`TOP_LEVEL_DOMAINS`]. Then one country code is stripped, then one generic TLD, and the
//!   last remaining label is the domain; the labels before it, joined by `.`, the subdomain.
//! - Comparisons are case-sensitive, as in Spot (`GOOGLE.COM` has no domain).
//! - Missing domain and subdomain are the string [`NONE`] (`"None"`), as Spot wrote them; a
//!   subdomain spelled `None` is therefore treated as absent, exactly like Spot.
//!
//! ```
//! use spot_features::domain::{extract_domain_info, TopDomains};
//! let top = TopDomains::from_names(["google.com", "bbc.co.uk"]);
//! let info = extract_domain_info("mail.google.com.au", &top, Some("intel"));
//! assert_eq!(info.domain, "google");
//! assert_eq!(info.subdomain, "mail");
//! assert_eq!(info.top_domain_class, 1);
//! assert_eq!(info.num_periods, 4);
//! ```

use std::path::Path;

use rustc_hash::FxHashSet;

use crate::FeatureError;

/// Spot's marker for "no domain" / "no subdomain".
pub const NONE: &str = "None";

/// Apache Spot's country-code list (`DomainProcessor.CountryCodes`), including its odd entries
/// (`an`, `tp`, `krd` and the empty string), sorted for binary search.
pub const COUNTRY_CODES: &[&str] = &[
    "", "ac", "ad", "ae", "af", "ag", "ai", "al", "am", "an", "ao", "aq", "ar", "as", "at", "au",
    "aw", "ax", "az", "ba", "bb", "bd", "be", "bf", "bg", "bh", "bi", "bj", "bm", "bn", "bo", "bq",
    "br", "bs", "bt", "bv", "bw", "by", "bz", "ca", "cc", "cd", "cf", "cg", "ch", "ci", "ck", "cl",
    "cm", "cn", "co", "cr", "cu", "cv", "cw", "cx", "cy", "cz", "de", "dj", "dk", "dm", "do", "dz",
    "ec", "ee", "eg", "eh", "er", "es", "et", "eu", "fi", "fj", "fk", "fm", "fo", "fr", "ga", "gb",
    "gd", "ge", "gf", "gg", "gh", "gi", "gl", "gm", "gn", "gp", "gq", "gr", "gs", "gt", "gu", "gw",
    "gy", "hk", "hm", "hn", "hr", "ht", "hu", "id", "ie", "il", "im", "in", "io", "iq", "ir", "is",
    "it", "je", "jm", "jo", "jp", "ke", "kg", "kh", "ki", "km", "kn", "kp", "kr", "krd", "kw",
    "ky", "kz", "la", "lb", "lc", "li", "lk", "lr", "ls", "lt", "lu", "lv", "ly", "ma", "mc", "md",
    "me", "mg", "mh", "mk", "ml", "mm", "mn", "mo", "mp", "mq", "mr", "ms", "mt", "mu", "mv", "mw",
    "mx", "my", "mz", "na", "nc", "ne", "nf", "ng", "ni", "nl", "no", "np", "nr", "nu", "nz", "om",
    "pa", "pe", "pf", "pg", "ph", "pk", "pl", "pm", "pn", "pr", "ps", "pt", "pw", "py", "qa", "re",
    "ro", "rs", "ru", "rw", "sa", "sb", "sc", "sd", "se", "sg", "sh", "si", "sj", "sk", "sl", "sm",
    "sn", "so", "sr", "ss", "st", "su", "sv", "sx", "sy", "sz", "tc", "td", "tf", "tg", "th", "tj",
    "tk", "tl", "tm", "tn", "to", "tp", "tr", "tt", "tv", "tw", "tz", "ua", "ug", "uk", "us", "uy",
    "uz", "va", "vc", "ve", "vg", "vi", "vn", "vu", "wf", "ws", "ye", "yt", "za", "zm", "zw",
];

/// Spot's generic top-level domains (`DomainProcessor.TopLevelDomainNames`).
pub const TOP_LEVEL_DOMAINS: &[&str] = &["com", "org", "net", "int", "edu", "gov", "mil"];

/// Spot's entropy cuts (`EntropyCuts`): `0.0, 0.3, …, 5.4, +inf`.
pub const ENTROPY_CUTS: [f64; 20] = [
    0.0,
    0.3,
    0.6,
    0.9,
    1.2,
    1.5,
    1.8,
    2.1,
    2.4,
    2.7,
    3.0,
    3.3,
    3.6,
    3.9,
    4.2,
    4.5,
    4.8,
    5.1,
    5.4,
    f64::INFINITY,
];

/// Whether `label` is in Spot's country-code list.
pub fn is_country_code(label: &str) -> bool {
    COUNTRY_CODES.binary_search(&label).is_ok()
}

/// Whether `label` is one of Spot's generic top-level domains.
pub fn is_top_level_domain(label: &str) -> bool {
    TOP_LEVEL_DOMAINS.contains(&label)
}

/// The set of popular domains, kept as Spot kept them: the first label of each entry
/// (`google` for `google.com`).
#[derive(Debug, Clone, Default)]
pub struct TopDomains {
    labels: FxHashSet<Box<str>>,
}

impl TopDomains {
    /// Reads a `rank,domain` CSV (the Alexa / Tranco / Umbrella top-1m layout) and keeps the
    /// first label of each domain. Blank lines are skipped; a line without a comma is taken as
    /// a bare domain, so a plain one-domain-per-line list works too.
    pub fn from_csv_path(path: &Path) -> Result<Self, FeatureError> {
        let text = std::fs::read_to_string(path).map_err(|e| FeatureError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Ok(Self::from_csv_str(&text))
    }

    /// Parses the text of a top-domains file; see [`TopDomains::from_csv_path`].
    pub fn from_csv_str(text: &str) -> Self {
        let names = text.lines().filter_map(|line| {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                return None;
            }
            // Spot takes the second comma-separated field.
            Some(match line.split(',').nth(1) {
                Some(domain) => domain.trim(),
                None => line.trim(),
            })
        });
        Self::from_names(names)
    }

    /// A set from domain names; each contributes its first label (`"google.com"` and
    /// `"google"` both add `google`).
    pub fn from_names<I: IntoIterator<Item = S>, S: AsRef<str>>(names: I) -> Self {
        let labels = names
            .into_iter()
            .map(|n| first_label(n.as_ref()).into())
            .collect();
        TopDomains { labels }
    }

    /// Whether `label` (a domain as [`extract_domain_info`] returns it) is a top domain.
    pub fn contains(&self, label: &str) -> bool {
        self.labels.contains(label)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of distinct labels.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
}

fn first_label(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// What Spot's `DomainProcessor.extractDomainInfo` computes for one name.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainInfo {
    /// The registered-domain label (`google` in `mail.google.co.uk`), or [`NONE`].
    pub domain: String,
    /// The labels before the domain joined by `.`, or [`NONE`].
    pub subdomain: String,
    /// Length of the subdomain in UTF-16 code units (Java's `String.length`); 0 if none.
    pub subdomain_length: usize,
    /// Number of labels (Spot's `numPeriods` is periods + 1, Java split semantics).
    pub num_periods: usize,
    /// Shannon entropy of the subdomain's characters, in bits; 0 if none.
    pub subdomain_entropy: f64,
    /// 2 for the user's own domain, 1 for a top domain, 0 otherwise.
    pub top_domain_class: i32,
}

/// Splits `s` on `.` like Java's `String.split("\\.")`: trailing empty strings are removed, and
/// a string without a separator is returned whole (even if empty).
fn java_split_dots(s: &str) -> Vec<&str> {
    if !s.contains('.') {
        return vec![s];
    }
    let mut parts: Vec<&str> = s.split('.').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Spot's `extractDomainSubdomain`: `(domain, subdomain)`, each [`NONE`] when absent.
pub fn split_domain(name: &str) -> (String, String) {
    let labels = java_split_dots(name);
    split_labels(&labels)
}

fn split_labels(labels: &[&str]) -> (String, String) {
    let n = labels.len();
    let reverse_ipv4 = n > 2 && labels[n - 1] == "arpa" && labels[n - 2] == "in-addr";
    let last = labels.last().copied().unwrap_or("");
    if n < 2 || reverse_ipv4 || !(is_country_code(last) || is_top_level_domain(last)) {
        return (NONE.to_string(), NONE.to_string());
    }
    let mut rest = labels;
    if let Some((l, head)) = rest.split_last()
        && is_country_code(l)
    {
        rest = head;
    }
    if let Some((l, head)) = rest.split_last()
        && is_top_level_domain(l)
    {
        rest = head;
    }
    match rest.split_last() {
        None => (NONE.to_string(), NONE.to_string()),
        Some((domain, [])) => (domain.to_string(), NONE.to_string()),
        Some((domain, sub)) => (domain.to_string(), sub.join(".")),
    }
}

/// Apache Spot's `DomainProcessor.extractDomainInfo`.
///
/// `user_domain` is the `--user-domain` label (e.g. `intel`); `None` or `Some("")` disables
/// class 2.
pub fn extract_domain_info(
    name: &str,
    top_domains: &TopDomains,
    user_domain: Option<&str>,
) -> DomainInfo {
    let labels = java_split_dots(name);
    let (domain, subdomain) = split_labels(&labels);
    let has_sub = subdomain != NONE;
    let subdomain_length = if has_sub {
        subdomain.encode_utf16().count()
    } else {
        0
    };
    let top_domain_class = match user_domain {
        Some(u) if !u.is_empty() && domain == u => 2,
        _ if top_domains.contains(&domain) => 1,
        _ => 0,
    };
    let subdomain_entropy = if has_sub { entropy(&subdomain) } else { 0.0 };
    DomainInfo {
        domain,
        subdomain,
        subdomain_length,
        num_periods: labels.len(),
        subdomain_entropy,
        top_domain_class,
    }
}

/// Shannon entropy in bits of `s` viewed as a distribution over its characters (Spot's
/// `Entropy.stringEntropy`, over UTF-16 code units as Java counts them); 0 for "".
///
/// Each term is computed as Spot did, `-p * log10(p) / log10(2)`, so values match Spot's to
/// the last bit whenever the summation order does not matter (e.g. equiprobable characters).
pub fn entropy(s: &str) -> f64 {
    if s.is_ascii() {
        let mut counts = [0u32; 128];
        for b in s.bytes() {
            counts[b as usize] += 1;
        }
        entropy_of_counts(counts.iter().copied().filter(|&c| c > 0), s.len())
    } else {
        let mut counts: rustc_hash::FxHashMap<u16, u32> = Default::default();
        let mut len = 0;
        for u in s.encode_utf16() {
            *counts.entry(u).or_insert(0) += 1;
            len += 1;
        }
        entropy_of_counts(counts.values().copied(), len)
    }
}

fn entropy_of_counts(counts: impl Iterator<Item = u32>, len: usize) -> f64 {
    if len == 0 {
        return 0.0;
    }
    let n = len as f64;
    counts
        .map(|c| {
            let p = c as f64 / n;
            -p * p.log10() / 2f64.log10()
        })
        .sum()
}

/// Spot's `MathUtils.bin(x, EntropyCuts)`: index of the first cut ≥ `x`; -1 for NaN.
pub fn entropy_bin(x: f64) -> i32 {
    ENTROPY_CUTS
        .iter()
        .position(|&cut| x <= cut)
        .map_or(-1, |i| i as i32)
}

/// Spot's `MathUtils.logBaseXInt(x, 2)`: 0 if `x == 0`, else `trunc(log10(x) / log10(2))`
/// computed in doubles (so negative for 0 < x < 1, and 0 for NaN or negative x, as Java's
/// `toInt` gives).
pub fn floor_log2(x: f64) -> i32 {
    if x == 0.0 {
        0
    } else {
        (x.log10() / 2f64.log10()) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str) -> DomainInfo {
        let top = TopDomains::from_names(["google.com", "bbc.co.uk", "None"]);
        extract_domain_info(name, &top, Some("intel"))
    }

    #[test]
    fn country_codes_are_sorted_and_match_spot() {
        assert!(COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
        // Spot's list has 254 entries including "" and a few retired codes.
        assert_eq!(COUNTRY_CODES.len(), 254);
        for c in ["", "an", "tp", "krd", "uk", "io", "co"] {
            assert!(is_country_code(c), "{c}");
        }
        for c in ["com", "xx", "arpa", "aa", "UK"] {
            assert!(!is_country_code(c), "{c}");
        }
    }

    #[test]
    fn java_split_semantics() {
        assert_eq!(java_split_dots(""), vec![""]);
        assert_eq!(java_split_dots("."), Vec::<&str>::new());
        assert_eq!(java_split_dots("a"), vec!["a"]);
        assert_eq!(java_split_dots("a.b."), vec!["a", "b"]);
        assert_eq!(java_split_dots("a..b"), vec!["a", "", "b"]);
        assert_eq!(java_split_dots(".a"), vec!["", "a"]);
    }

    #[test]
    fn generic_tld() {
        let i = info("www.google.com");
        assert_eq!((i.domain.as_str(), i.subdomain.as_str()), ("google", "www"));
        assert_eq!(i.subdomain_length, 3);
        assert_eq!(i.num_periods, 3);
        assert_eq!(i.top_domain_class, 1);
        assert!((i.subdomain_entropy - 0.0).abs() < 1e-15);
    }

    #[test]
    fn empty_subdomain() {
        let i = info("google.com");
        assert_eq!((i.domain.as_str(), i.subdomain.as_str()), ("google", NONE));
        assert_eq!(i.subdomain_length, 0);
        assert_eq!(i.subdomain_entropy, 0.0);
        assert_eq!(i.num_periods, 2);
        // Trailing root dot is dropped by Java's split.
        assert_eq!(info("google.com."), i);
    }

    #[test]
    fn country_code_then_tld() {
        let i = info("news.bbc.co.uk");
        // "uk" stripped as a country code, then "co" is not a generic TLD: domain "co".
        assert_eq!(
            (i.domain.as_str(), i.subdomain.as_str()),
            ("co", "news.bbc")
        );
        let i = info("a.b.example.com.au");
        assert_eq!(
            (i.domain.as_str(), i.subdomain.as_str()),
            ("example", "a.b")
        );
        assert_eq!(i.num_periods, 5);
        assert_eq!(i.top_domain_class, 0);
        // Only one country code is stripped.
        let i = info("x.de.uk");
        assert_eq!((i.domain.as_str(), i.subdomain.as_str()), ("de", "x"));
        // A bare country code after a TLD.
        let i = info("foo.com.uk");
        assert_eq!((i.domain.as_str(), i.subdomain.as_str()), ("foo", NONE));
    }

    #[test]
    fn no_domain() {
        for name in [
            "localhost",
            "",
            ".",
            "com",
            "example.test",
            "printer.local",
            "GOOGLE.COM",
            "com.uk",
        ] {
            let i = info(name);
            assert_eq!(
                (i.domain.as_str(), i.subdomain.as_str()),
                (NONE, NONE),
                "{name}"
            );
            assert_eq!(i.subdomain_length, 0);
            assert_eq!(i.subdomain_entropy, 0.0);
        }
        // "None" is in this test's top-domain set: Spot compares the sentinel like any label.
        assert_eq!(info("localhost").top_domain_class, 1);
        assert_eq!(info("localhost").num_periods, 1);
        assert_eq!(info(".").num_periods, 0);
        assert_eq!(info("").num_periods, 1);
    }

    #[test]
    fn reverse_ipv4_names_have_no_domain() {
        let i = info("4.3.2.10.in-addr.arpa");
        assert_eq!((i.domain.as_str(), i.subdomain.as_str()), (NONE, NONE));
        assert_eq!(i.num_periods, 6);
        // Also when the label before "arpa" would otherwise look like a country code.
        let i = info("1.in-addr.arpa");
        assert_eq!(i.domain, NONE);
        let i = info("b.a.ip6.arpa");
        assert_eq!(i.domain, NONE);
    }

    #[test]
    fn user_domain_class() {
        let top = TopDomains::from_names(["intel.com"]);
        let i = extract_domain_info("vpn.intel.com", &top, Some("intel"));
        assert_eq!(i.top_domain_class, 2);
        let i = extract_domain_info("vpn.intel.com", &top, None);
        assert_eq!(i.top_domain_class, 1);
        let i = extract_domain_info("vpn.intel.com", &top, Some(""));
        assert_eq!(i.top_domain_class, 1);
        let empty = TopDomains::default();
        assert!(empty.is_empty());
        let i = extract_domain_info("vpn.intel.com", &empty, Some("other"));
        assert_eq!(i.top_domain_class, 0);
    }

    #[test]
    fn subdomain_named_none_counts_as_absent() {
        let i = info("None.google.com");
        assert_eq!(i.subdomain, "None");
        assert_eq!(i.subdomain_length, 0);
        assert_eq!(i.subdomain_entropy, 0.0);
    }

    #[test]
    fn empty_labels_inside() {
        let i = info("a..google.com");
        assert_eq!((i.domain.as_str(), i.subdomain.as_str()), ("google", "a."));
        assert_eq!(i.subdomain_length, 2);
        assert_eq!(i.num_periods, 4);
        let i = info("a..uk");
        assert_eq!((i.domain.as_str(), i.subdomain.as_str()), ("", "a"));
    }

    #[test]
    fn entropy_values() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("ab") - 1.0).abs() < 1e-12);
        assert!((entropy("abcd") - 2.0).abs() < 1e-12);
        assert!((entropy("aab") - 0.918_295_834_054_489_6).abs() < 1e-12);
        // Non-ASCII counts UTF-16 units like Java.
        assert!((entropy("éa") - 1.0).abs() < 1e-12);
        assert!((entropy("😀") - 1.0).abs() < 1e-12); // a surrogate pair: 2 distinct units
    }

    #[test]
    fn entropy_bin_edges() {
        assert_eq!(entropy_bin(-0.0), 0);
        assert_eq!(entropy_bin(0.0), 0);
        assert_eq!(entropy_bin(1e-9), 1);
        assert_eq!(entropy_bin(0.3), 1);
        assert_eq!(entropy_bin(0.300_000_000_000_000_1), 2);
        assert_eq!(entropy_bin(1.0), 4);
        assert_eq!(entropy_bin(3.0), 10);
        assert_eq!(entropy_bin(5.4), 18);
        assert_eq!(entropy_bin(5.400_000_001), 19);
        assert_eq!(entropy_bin(1e300), 19);
        assert_eq!(entropy_bin(f64::INFINITY), 19);
        assert_eq!(entropy_bin(f64::NAN), -1);
        // Every cut is its own bin's right edge.
        for (i, c) in ENTROPY_CUTS.iter().enumerate() {
            assert_eq!(entropy_bin(*c), i as i32);
        }
        // 8 equiprobable characters: log2(8) computed through log10 in Spot's order.
        let e = entropy("abcdefgh");
        assert!((e - 3.0).abs() < 1e-12);
        assert_eq!(entropy_bin(e), if e <= 3.0 { 10 } else { 11 });
    }

    #[test]
    fn floor_log2_values() {
        assert_eq!(floor_log2(0.0), 0);
        assert_eq!(floor_log2(1.0), 0);
        assert_eq!(floor_log2(2.0), 1);
        assert_eq!(floor_log2(3.0), 1);
        assert_eq!(floor_log2(4.0), 2);
        assert_eq!(floor_log2(7.0), 2);
        assert_eq!(floor_log2(1500.0), 10);
        assert_eq!(floor_log2(0.5), -1);
        assert_eq!(floor_log2(0.3), -1); // trunc toward zero of -1.74
        assert_eq!(floor_log2(-4.0), 0); // NaN → 0 like Java's toInt
        // Powers of two that log10 lands on exactly or just below.
        let got: Vec<i32> = (0..31).map(|e| floor_log2((1u64 << e) as f64)).collect();
        let want: Vec<i32> = (0..31)
            .map(|e: u32| {
                let x = (1u64 << e) as f64;
                (x.log10() / 2f64.log10()) as i32
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn top_domains_from_csv() {
        let dir = std::env::temp_dir().join(format!("spot-top-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("top-1m.csv");
        std::fs::write(
            &p,
            "1,google.com\r\n2,facebook.com\n\n3,bbc.co.uk\nyoutube.com\n",
        )
        .unwrap();
        let t = TopDomains::from_csv_path(&p).unwrap();
        for l in ["google", "facebook", "bbc", "youtube"] {
            assert!(t.contains(l), "{l}");
        }
        assert!(!t.contains("com"));
        assert_eq!(t.len(), 4);
        std::fs::remove_dir_all(&dir).unwrap();
        let e = TopDomains::from_csv_path(&dir.join("missing.csv")).unwrap_err();
        assert!(e.to_string().contains("missing.csv"), "{e}");
    }
}
