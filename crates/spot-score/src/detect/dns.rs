//! DNS detectors: tunneling, domain-generation algorithms (DGA), rare query types.
//!
//! They read Apache Spot's DNS columns (`ip_dst`, the client of a response; `dns_qry_name`;
//! `dns_qry_type`; `dns_qry_rcode`). Per-entity state is bounded: the sets of distinct names
//! stop growing at a cap, so memory follows the number of entities, not of records.

use std::hash::{Hash, Hasher};

use arrow::array::{Array, AsArray, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Int32Type};
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use spot_features::FeatureError;
use spot_features::domain::{entropy, is_country_code, is_top_level_domain};

use super::{Detector, Flag, Interner, pair, strength};

/// TXT and NULL, the query types that carry the most bytes back to a tunnel client.
const BULK_QTYPES: [i32; 2] = [16, 10];
/// NXDOMAIN.
const NXDOMAIN: i32 = 3;
/// Common second-level labels of country-code domains (`example.co.uk`, `example.com.au`).
const SECOND_LEVEL: [&str; 10] = [
    "co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go",
];

/// The columns the DNS detectors read.
struct DnsColumns<'a> {
    client: &'a StringArray,
    name: &'a StringArray,
    qtype: &'a Int32Array,
    rcode: &'a Int32Array,
}

fn typed<'a>(
    batch: &'a RecordBatch,
    name: &str,
    ty: DataType,
) -> Result<&'a dyn Array, FeatureError> {
    let c = batch
        .column_by_name(name)
        .ok_or_else(|| FeatureError::Column {
            column: name.to_string(),
            message: "missing (the DNS detectors need it)".into(),
        })?;
    if *c.data_type() != ty {
        return Err(FeatureError::Column {
            column: name.to_string(),
            message: format!("expected {ty}, found {}", c.data_type()),
        });
    }
    Ok(c.as_ref())
}

impl<'a> DnsColumns<'a> {
    fn new(batch: &'a RecordBatch) -> Result<Self, FeatureError> {
        Ok(DnsColumns {
            client: typed(batch, "ip_dst", DataType::Utf8)?.as_string::<i32>(),
            name: typed(batch, "dns_qry_name", DataType::Utf8)?.as_string::<i32>(),
            qtype: typed(batch, "dns_qry_type", DataType::Int32)?.as_primitive::<Int32Type>(),
            rcode: typed(batch, "dns_qry_rcode", DataType::Int32)?.as_primitive::<Int32Type>(),
        })
    }

    fn client(&self, i: usize) -> Option<&'a str> {
        self.client.is_valid(i).then(|| self.client.value(i))
    }

    fn name(&self, i: usize) -> Option<&'a str> {
        self.name.is_valid(i).then(|| self.name.value(i))
    }

    fn qtype(&self, i: usize) -> Option<i32> {
        self.qtype.is_valid(i).then(|| self.qtype.value(i))
    }

    fn rcode(&self, i: usize) -> Option<i32> {
        self.rcode.is_valid(i).then(|| self.rcode.value(i))
    }
}

/// A name split into its registered domain (`example.co.uk`) and the labels before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitName<'a> {
    /// The registered domain: the label before the public suffix, with the suffix.
    pub domain: &'a str,
    /// The labels before it joined by `.`, `""` if none.
    pub subdomain: &'a str,
    /// The first label of the registered domain (`example`).
    pub label: &'a str,
}

/// Splits `name` like Apache Spot's domain processing (one country code, then one of `com org
/// net int edu gov mil`, are the suffix), also taking `co.uk`-like second levels as the suffix,
/// and falling back to the last label as the suffix for other top-level domains (`.xyz`...). `None` for single labels, reverse lookups
/// (`in-addr.arpa`, `ip6.arpa`) and names with empty labels.
pub fn split_name(name: &str) -> Option<SplitName<'_>> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.ends_with(".arpa") || name.split('.').any(str::is_empty) {
        return None;
    }
    let labels: Vec<&str> = name.split('.').collect();
    let n = labels.len();
    if n < 2 {
        return None;
    }
    let mut suffix = 0;
    if is_country_code(labels[n - 1]) {
        suffix += 1;
    }
    if n > suffix + 1 && is_top_level_domain(labels[n - 1 - suffix]) {
        suffix += 1;
    }
    // Second-level labels under country codes (`co.uk`, `com.au`) that Spot's lists miss.
    if suffix < 2 && n >= 3 && labels[n - 1].len() == 2 && SECOND_LEVEL.contains(&labels[n - 2]) {
        suffix = 2;
    }
    let suffix = suffix.max(1);
    if n <= suffix {
        return None;
    }
    let di = n - suffix - 1;
    let start: usize = labels[..di].iter().map(|l| l.len() + 1).sum();
    Some(SplitName {
        domain: &name[start..],
        subdomain: if start == 0 { "" } else { &name[..start - 1] },
        label: labels[di],
    })
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

// ---------------------------------------------------------------------------------------------

/// DNS tunneling: one client sending many distinct long, high-entropy subdomains of one
/// registered domain (data encoded in the names), often as TXT or NULL queries (data in the
/// answers).
#[derive(Debug)]
pub struct TunnelDetector {
    /// A subdomain is "encoded data" from this many characters, dots excluded (default 24;
    /// CDN and cloud labels are mostly shorter).
    pub min_subdomain_len: usize,
    /// ... and with at least this Shannon entropy in bits (default 3.5; hex or base32 data of
    /// that length is above 3.7, words and counters below).
    pub min_entropy: f64,
    /// Distinct encoded subdomains of one domain from one client for a tunnel (default 20).
    pub min_unique: usize,
    /// A domain that more than this many clients send encoded names to is a service
    /// (security-reputation lookups, CDN tokens), not a tunnel (default 3).
    pub max_domain_clients: usize,
    clients: Interner,
    domains: Interner,
    pairs: FxHashMap<u64, TunnelPair>,
    /// Per domain id: clients that sent it encoded names (capped).
    domain_clients: FxHashMap<u32, FxHashSet<u32>>,
    flagged: FxHashMap<u64, f64>,
}

#[derive(Debug, Default)]
struct TunnelPair {
    lookups: u64,
    encoded: u64,
    encoded_chars: u64,
    bulk: u64,
    unique: FxHashSet<u64>,
}

impl Default for TunnelDetector {
    fn default() -> Self {
        TunnelDetector {
            min_subdomain_len: 24,
            min_entropy: 3.5,
            min_unique: 20,
            max_domain_clients: 3,
            clients: Interner::default(),
            domains: Interner::default(),
            pairs: FxHashMap::default(),
            domain_clients: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

impl TunnelDetector {
    /// Length (dots excluded) of `sub` when it looks like encoded data, else `None`.
    fn encoded_len(&self, sub: &str) -> Option<usize> {
        let len = sub.bytes().filter(|&b| b != b'.').count();
        (len >= self.min_subdomain_len && entropy(sub) >= self.min_entropy).then_some(len)
    }

    /// The (client, domain) key of a row and its split name.
    fn pair_of<'a>(&self, c: &DnsColumns<'a>, i: usize) -> Option<(u64, SplitName<'a>)> {
        let (client, name) = (c.client(i)?, c.name(i)?);
        let split = split_name(name)?;
        let (cid, did) = (self.clients.get(client)?, self.domains.get(split.domain)?);
        Some((pair(cid, did), split))
    }
}

impl Detector for TunnelDetector {
    fn name(&self) -> &'static str {
        "tunnel"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = DnsColumns::new(batch)?;
        let cap = self.min_unique * 50;
        for i in 0..batch.num_rows() {
            let (Some(client), Some(name)) = (c.client(i), c.name(i)) else {
                continue;
            };
            let Some(split) = split_name(name) else {
                continue;
            };
            let encoded = self.encoded_len(split.subdomain);
            let bulk = c.qtype(i).is_some_and(|t| BULK_QTYPES.contains(&t));
            let (cid, did) = (self.clients.id(client), self.domains.id(split.domain));
            if encoded.is_some() {
                let set = self.domain_clients.entry(did).or_default();
                if set.len() <= self.max_domain_clients {
                    set.insert(cid);
                }
            }
            let key = pair(cid, did);
            let p = self.pairs.entry(key).or_default();
            p.lookups += 1;
            if bulk {
                p.bulk += 1;
            }
            if let Some(len) = encoded {
                p.encoded += 1;
                p.encoded_chars += len as u64;
                if p.unique.len() < cap {
                    p.unique.insert(hash_str(split.subdomain));
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        for (&key, p) in &self.pairs {
            let spread = self
                .domain_clients
                .get(&(key as u32))
                .map_or(0, FxHashSet::len);
            if p.unique.len() >= self.min_unique && spread <= self.max_domain_clients {
                let bulk_share = p.bulk as f64 / p.lookups.max(1) as f64;
                let x = p.unique.len() as f64 / self.min_unique as f64 * (1.0 + bulk_share);
                self.flagged.insert(key, strength(x));
            }
        }
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = DnsColumns::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                let Some((key, split)) = self.pair_of(&c, i) else {
                    return Flag::NONE;
                };
                let Some(&s) = self.flagged.get(&key) else {
                    return Flag::NONE;
                };
                let bulk = c.qtype(i).is_some_and(|t| BULK_QTYPES.contains(&t));
                if bulk || self.encoded_len(split.subdomain).is_some() {
                    Flag::new(s, key)
                } else {
                    Flag::NONE
                }
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = DnsColumns::new(batch)?;
        let Some((key, split)) = self.pair_of(&c, row) else {
            return Ok(None);
        };
        if !self.flagged.contains_key(&key) {
            return Ok(None);
        }
        let Some(p) = self.pairs.get(&key) else {
            return Ok(None);
        };
        let client = self.clients.name((key >> 32) as u32);
        let capped = if p.unique.len() >= self.min_unique * 50 {
            "≥ "
        } else {
            ""
        };
        Ok(Some(format!(
            "tunnel: {capped}{} unique high-entropy subdomains of {} from {client} (mean {} chars), \
             {} TXT/NULL of {} lookups",
            p.unique.len(),
            split.domain,
            p.encoded_chars / p.encoded.max(1),
            p.bulk,
            p.lookups
        )))
    }
}

// ---------------------------------------------------------------------------------------------

/// Whether a domain label looks machine-generated: long enough, high character entropy, and
/// hard to pronounce (few vowels) or mixing digits into letters.
pub fn random_looking(label: &str, min_len: usize, min_entropy: f64) -> bool {
    let n = label.len();
    if n < min_len || entropy(label) < min_entropy {
        return false;
    }
    let (mut vowels, mut digits, mut letters) = (0usize, 0usize, 0usize);
    for b in label.bytes() {
        match b.to_ascii_lowercase() {
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y' => {
                vowels += 1;
                letters += 1
            }
            b'a'..=b'z' => letters += 1,
            b'0'..=b'9' => digits += 1,
            _ => {}
        }
    }
    let vowel_share = vowels as f64 / letters.max(1) as f64;
    vowel_share < 0.3 || (digits > 0 && letters > 0 && digits * 5 >= n) || n >= 16
}

/// Domain-generation algorithms: one client getting NXDOMAIN for many distinct random-looking
/// domains (malware trying generated rendezvous names until one resolves). Only those
/// NXDOMAIN rows are flagged: the heuristic of [`random_looking`] also takes some real names
/// (`fishlake34`), which the NXDOMAIN condition keeps out.
#[derive(Debug)]
pub struct DgaDetector {
    /// Distinct random-looking NXDOMAIN domains per client for a DGA (default 20; a single
    /// label, like Chrome's random probes, never counts).
    pub min_domains: usize,
    /// A label is random-looking from this length (default 7)...
    pub min_label_len: usize,
    /// ... and this Shannon entropy in bits (default 2.5), see [`random_looking`].
    pub min_entropy: f64,
    clients: Interner,
    stats: FxHashMap<u32, DgaClient>,
    flagged: FxHashMap<u32, f64>,
}

#[derive(Debug, Default)]
struct DgaClient {
    lookups: u64,
    nx: u64,
    random_nx: FxHashSet<u64>,
    example: Option<Box<str>>,
}

impl Default for DgaDetector {
    fn default() -> Self {
        DgaDetector {
            min_domains: 20,
            min_label_len: 7,
            min_entropy: 2.5,
            clients: Interner::default(),
            stats: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

impl DgaDetector {
    fn random_domain<'a>(&self, name: &'a str) -> Option<SplitName<'a>> {
        split_name(name).filter(|s| random_looking(s.label, self.min_label_len, self.min_entropy))
    }
}

impl Detector for DgaDetector {
    fn name(&self) -> &'static str {
        "dga"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = DnsColumns::new(batch)?;
        let cap = self.min_domains * 50;
        for i in 0..batch.num_rows() {
            let Some(client) = c.client(i) else {
                continue;
            };
            let id = self.clients.id(client);
            let nx = c.rcode(i) == Some(NXDOMAIN);
            let random = if nx {
                c.name(i).and_then(|n| self.random_domain(n))
            } else {
                None
            };
            let s = self.stats.entry(id).or_default();
            s.lookups += 1;
            if nx {
                s.nx += 1;
            }
            if let Some(split) = random {
                if s.random_nx.len() < cap {
                    s.random_nx.insert(hash_str(split.domain));
                }
                if s.example.is_none() {
                    s.example = Some(split.domain.into());
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        for (&id, s) in &self.stats {
            if s.random_nx.len() >= self.min_domains {
                let nx_share = s.nx as f64 / s.lookups.max(1) as f64;
                let x = s.random_nx.len() as f64 / self.min_domains as f64 * (1.0 + nx_share);
                self.flagged.insert(id, strength(x));
            }
        }
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = DnsColumns::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                let Some(id) = c.client(i).and_then(|ip| self.clients.get(ip)) else {
                    return Flag::NONE;
                };
                match self.flagged.get(&id) {
                    Some(&s)
                        if c.rcode(i) == Some(NXDOMAIN)
                            && c.name(i).and_then(|n| self.random_domain(n)).is_some() =>
                    {
                        Flag::new(s, id as u64)
                    }
                    _ => Flag::NONE,
                }
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = DnsColumns::new(batch)?;
        let Some(id) = c.client(row).and_then(|ip| self.clients.get(ip)) else {
            return Ok(None);
        };
        let (Some(s), true) = (self.stats.get(&id), self.flagged.contains_key(&id)) else {
            return Ok(None);
        };
        Ok(Some(format!(
            "DGA: {} got NXDOMAIN for {} random-looking domains (e.g. {}), {} NXDOMAIN of its {} lookups",
            self.clients.name(id),
            s.random_nx.len(),
            s.example.as_deref().unwrap_or("-"),
            s.nx,
            s.lookups
        )))
    }
}

// ---------------------------------------------------------------------------------------------

/// Query types almost nobody uses on this network (HINFO, AXFR, obsolete or private types),
/// asked by a few clients only: reconnaissance, zone transfers, custom tunnels.
#[derive(Debug)]
pub struct RareQtypeDetector {
    /// A type is rare below this share of all lookups (default 0.01)...
    pub max_share: f64,
    /// ... and when at most this many clients use it (default 2).
    pub max_clients: usize,
    /// Types never flagged however rare: A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, DS,
    /// DNSKEY, SVCB, HTTPS.
    pub common: Vec<i32>,
    total: u64,
    types: FxHashMap<i32, (u64, FxHashSet<u64>)>,
    flagged: FxHashMap<i32, (u64, usize)>,
}

impl Default for RareQtypeDetector {
    fn default() -> Self {
        RareQtypeDetector {
            max_share: 0.01,
            max_clients: 2,
            common: vec![1, 2, 5, 6, 12, 15, 16, 28, 33, 43, 48, 64, 65],
            total: 0,
            types: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

/// The mnemonic of a query type, for reasons.
fn qtype_name(t: i32) -> String {
    let s = match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        28 => "AAAA",
        29 => "LOC",
        33 => "SRV",
        35 => "NAPTR",
        99 => "SPF",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        _ => return format!("TYPE{t}"),
    };
    s.to_string()
}

impl Detector for RareQtypeDetector {
    fn name(&self) -> &'static str {
        "rare_qtype"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = DnsColumns::new(batch)?;
        let cap = self.max_clients + 1;
        for i in 0..batch.num_rows() {
            let (Some(t), Some(client)) = (c.qtype(i), c.client(i)) else {
                continue;
            };
            self.total += 1;
            let e = self.types.entry(t).or_default();
            e.0 += 1;
            if e.1.len() < cap {
                e.1.insert(hash_str(client));
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        for (&t, (n, clients)) in &self.types {
            if !self.common.contains(&t)
                && (*n as f64) < self.max_share * self.total as f64
                && clients.len() <= self.max_clients
            {
                self.flagged.insert(t, (*n, clients.len()));
            }
        }
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = DnsColumns::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| match c.qtype(i) {
                Some(t) if self.flagged.contains_key(&t) => {
                    // Rarer types rank higher: how far below the share threshold, square-rooted.
                    let n = self.flagged[&t].0 as f64;
                    let x = (self.max_share * self.total as f64 / n.max(1.0))
                        .sqrt()
                        .min(9.0);
                    Flag::new(strength(x), t as u32 as u64)
                }
                _ => Flag::NONE,
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = DnsColumns::new(batch)?;
        let Some(t) = c.qtype(row) else {
            return Ok(None);
        };
        Ok(self.flagged.get(&t).map(|(n, clients)| {
            format!(
                "rare query type {} ({t}): {n} lookups by {clients} client(s) out of {}",
                qtype_name(t),
                self.total
            )
        }))
    }
}

/// The DNS detectors of the default (combined) mode, with their default parameters.
pub fn default_dns_detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(TunnelDetector::default()),
        Box::new(DgaDetector::default()),
        Box::new(RareQtypeDetector::default()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::ArrayRef;
    use std::sync::Arc;

    /// (client, name, qtype, rcode)
    type Q = (String, String, i32, i32);

    fn batch(rows: &[Q]) -> RecordBatch {
        let s = |f: &dyn Fn(&Q) -> String| -> ArrayRef {
            Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
        };
        let i = |f: &dyn Fn(&Q) -> i32| -> ArrayRef {
            Arc::new(Int32Array::from(rows.iter().map(f).collect::<Vec<_>>()))
        };
        RecordBatch::try_from_iter([
            ("ip_dst", s(&|q| q.0.clone())),
            ("dns_qry_name", s(&|q| q.1.clone())),
            ("dns_qry_type", i(&|q| q.2)),
            ("dns_qry_rcode", i(&|q| q.3)),
        ])
        .expect("test batch")
    }

    fn run(d: &mut dyn Detector, rows: &[Q]) -> (Vec<f64>, RecordBatch) {
        let b = batch(rows);
        d.observe(&b).expect("observe");
        d.finish();
        let s = d
            .strengths(&b)
            .expect("strengths")
            .iter()
            .map(|f| f.strength)
            .collect();
        (s, b)
    }

    /// Deterministic pseudo-random lowercase hex-ish text of `len` characters.
    fn random_text(seed: u64, len: usize) -> String {
        const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                A[(x % A.len() as u64) as usize] as char
            })
            .collect()
    }

    fn q(client: &str, name: String, qtype: i32, rcode: i32) -> Q {
        (client.to_string(), name, qtype, rcode)
    }

    #[test]
    fn split_name_finds_registered_domains() {
        let s = split_name("a.b.example.co.uk").expect("split");
        assert_eq!(
            (s.domain, s.subdomain, s.label),
            ("example.co.uk", "a.b", "example")
        );
        let s = split_name("www.github.io").expect("split");
        assert_eq!((s.domain, s.subdomain), ("github.io", "www"));
        let s = split_name("x.y.example.xyz.").expect("split");
        assert_eq!((s.domain, s.subdomain), ("example.xyz", "x.y"));
        assert_eq!(split_name("example.com").map(|s| s.subdomain), Some(""));
        assert_eq!(split_name("localhost"), None);
        assert_eq!(split_name("4.3.2.1.in-addr.arpa"), None);
        assert_eq!(split_name("a..com"), None);
    }

    #[test]
    fn tunnel_fires_on_many_encoded_subdomains() {
        let mut rows = Vec::new();
        for i in 0..60 {
            let name = format!(
                "{}.{}.t.evil-cdn.com",
                random_text(i, 40),
                random_text(i + 999, 12)
            );
            rows.push(q("10.1.0.9", name, 16, 0));
        }
        // The same client's ordinary lookups are not flagged.
        rows.push(q("10.1.0.9", "www.evil-cdn.com".into(), 1, 0));
        rows.push(q("10.1.0.9", "www.google.com".into(), 1, 0));
        let mut d = TunnelDetector::default();
        let (s, b) = run(&mut d, &rows);
        assert!(s[..60].iter().all(|&x| x > 0.5), "{:?}", &s[..5]);
        assert_eq!(&s[60..], &[0.0, 0.0]);
        let r = d.reason(&b, 0).expect("reason").expect("some");
        assert!(
            r.starts_with(
                "tunnel: 60 unique high-entropy subdomains of evil-cdn.com from 10.1.0.9"
            ),
            "{r}"
        );
        assert!(r.contains("60 TXT/NULL of 61 lookups"), "{r}");
        assert_eq!(d.reason(&b, 61).expect("reason"), None);
    }

    #[test]
    fn tunnel_ignores_cdn_labels_reverse_lookups_and_repeats() {
        let mut rows = Vec::new();
        for i in 0..300 {
            // CDN: many distinct random but short labels.
            rows.push(q(
                "10.1.0.7",
                format!("{}.cloudfront.net", random_text(i, 14)),
                1,
                0,
            ));
            // PTR lookups: many distinct names, no registered domain.
            rows.push(q(
                "10.1.0.7",
                format!("{}.{}.10.10.in-addr.arpa", i % 256, i / 256),
                12,
                0,
            ));
            // One long encoded name asked again and again (a licence check, a DKIM key).
            rows.push(q(
                "10.1.0.8",
                format!("{}.dkim.example.com", random_text(7, 40)),
                16,
                0,
            ));
            // Long but low-entropy names.
            rows.push(q(
                "10.1.0.6",
                format!("{}{}.svc.example.com", "a".repeat(30), i),
                1,
                0,
            ));
        }
        let (s, _) = run(&mut TunnelDetector::default(), &rows);
        assert!(s.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn tunnel_is_per_client() {
        // 40 clients each sending one encoded name to the same domain: not a tunnel.
        let rows: Vec<Q> = (0..40)
            .map(|i| {
                q(
                    &format!("10.2.0.{i}"),
                    format!("{}.e5.example.sk", random_text(i, 32)),
                    1,
                    0,
                )
            })
            .collect();
        let (s, _) = run(&mut TunnelDetector::default(), &rows);
        assert!(s.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn tunnel_ignores_services_many_clients_send_encoded_names_to() {
        // Security-reputation lookups: every client sends dozens of hashes to one service.
        let mut rows = Vec::new();
        for c in 0..5 {
            for i in 0..40 {
                let name = format!(
                    "{}.{}.sophosxl.net",
                    random_text(c * 1000 + i, 32),
                    random_text(i, 8)
                );
                rows.push(q(&format!("10.4.0.{c}"), name, 1, 0));
            }
        }
        let (s, _) = run(&mut TunnelDetector::default(), &rows);
        assert!(s.iter().all(|&x| x == 0.0));
        // With fewer clients than the limit, each of them is flagged.
        let (s, _) = run(&mut TunnelDetector::default(), &rows[..120]);
        assert!(s.iter().all(|&x| x > 0.5));
    }

    #[test]
    fn random_looking_labels() {
        assert!(random_looking("xkqzrtwpfh", 7, 2.5));
        assert!(random_looking("a8f3k2m9q1", 7, 2.5));
        assert!(random_looking("qwhjgzeoatbvcuyrplsx", 7, 2.5));
        assert!(!random_looking("google", 7, 2.5));
        assert!(!random_looking("wikipedia", 7, 2.5));
        assert!(!random_looking("microsoft", 7, 2.5));
        assert!(!random_looking("aaaaaaaaaa", 7, 2.5));
        assert!(!random_looking("xkq", 7, 2.5));
    }

    #[test]
    fn dga_fires_on_random_nxdomains_of_one_client() {
        let mut rows = Vec::new();
        for i in 0..40 {
            let label: String = random_text(i, 12)
                .chars()
                .filter(|c| c.is_ascii_alphabetic())
                .collect();
            rows.push(q("10.1.0.66", format!("{label}zxq.com"), 1, 3));
        }
        rows.push(q("10.1.0.66", "www.google.com".into(), 1, 0));
        // A real site with digits resolves: not flagged though its label looks random.
        rows.push(q("10.1.0.66", "fishlake34.net".into(), 1, 0));
        let mut d = DgaDetector::default();
        let (s, b) = run(&mut d, &rows);
        let fired = s[..40].iter().filter(|&&x| x > 0.5).count();
        assert!(fired >= 35, "{fired}");
        assert_eq!(&s[40..], &[0.0, 0.0]);
        let r = d.reason(&b, 0).expect("reason").expect("some");
        assert!(r.starts_with("DGA: 10.1.0.66 got NXDOMAIN for"), "{r}");
        assert!(r.contains("40 NXDOMAIN of its 42 lookups"), "{r}");
    }

    #[test]
    fn dga_ignores_typos_probes_and_spread_nxdomains() {
        let mut rows = Vec::new();
        for i in 0..200 {
            // Chrome's random single-label probes.
            rows.push(q("10.1.0.5", random_text(i, 10), 1, 3));
            // A search-domain misconfiguration: many NXDOMAIN for readable names.
            rows.push(q("10.1.0.5", format!("printer{i}.corp.example.com"), 1, 3));
            // Random-looking NXDOMAIN spread over many clients, one each.
            rows.push(q(
                &format!("10.3.{}.{}", i / 250, i % 250),
                format!("{}.com", random_text(i, 12)),
                1,
                3,
            ));
            // A client resolving random-looking CDN names successfully.
            rows.push(q(
                "10.1.0.4",
                format!("{}.net", random_text(i + 7, 12)),
                1,
                0,
            ));
        }
        let (s, _) = run(&mut DgaDetector::default(), &rows);
        assert!(s.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn rare_qtype_fires_on_types_few_clients_use() {
        let mut rows: Vec<Q> = (0..500)
            .map(|i| {
                q(
                    &format!("10.0.{}.{}", i % 7, i % 200),
                    "www.example.com".into(),
                    if i % 3 == 0 { 28 } else { 1 },
                    0,
                )
            })
            .collect();
        rows.push(q("10.9.9.9", "example.com".into(), 13, 0));
        rows.push(q("10.9.9.9", "example.com".into(), 252, 5));
        // A rare but common type (SRV) stays quiet.
        rows.push(q("10.9.9.8", "_ldap._tcp.example.com".into(), 33, 0));
        let mut d = RareQtypeDetector::default();
        let (s, b) = run(&mut d, &rows);
        assert!(s[500] > 0.5 && s[501] > 0.5);
        assert_eq!(s[502], 0.0);
        assert!(s[..500].iter().all(|&x| x == 0.0));
        let r = d.reason(&b, 500).expect("reason").expect("some");
        assert_eq!(
            r,
            "rare query type HINFO (13): 1 lookups by 1 client(s) out of 503"
        );
    }

    #[test]
    fn missing_columns_are_errors() {
        let b = RecordBatch::try_from_iter([(
            "ip_dst",
            Arc::new(StringArray::from(vec!["10.0.0.1"])) as ArrayRef,
        )])
        .expect("batch");
        let e = TunnelDetector::default()
            .observe(&b)
            .expect_err("must fail");
        assert!(e.to_string().contains("dns_qry_name"), "{e}");
    }
}
