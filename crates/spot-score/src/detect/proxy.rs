//! Proxy detectors: beacons, rare user agents, long high-entropy URIs, large uploads and
//! downloads of executables from rare hosts.
//!
//! All of them read the proxy schema's columns (`p_date`, `p_time`, `clientip`, `host`,
//! `reqmethod`, `useragent`, `resconttype`, `csbytes`, `scbytes`, `fulluri`; missing optional
//! columns just silence the detectors that need them) and key their entities by interned
//! client and host ids. What makes a web request suspicious is rarely the request alone: each
//! detector also asks that the **host be rare** (visited by at most a few clients of the day),
//! which is what separates a C2 server from a software-update service, an ad network's long
//! tracking URIs or a backup to a cloud service that many clients use.

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Int64Type};
use rustc_hash::{FxHashMap, FxHashSet};
use spot_features::FeatureError;
use spot_features::domain::entropy;

use super::flow::{Beacon, beacon_score, human_bytes};
use super::{Detector, Flag, Interner, pair, strength};

/// The proxy columns the detectors read; absent optional columns are `None`.
struct Cols<'a> {
    client: &'a StringArray,
    host: &'a StringArray,
    date: Option<&'a StringArray>,
    time: Option<&'a StringArray>,
    method: Option<&'a StringArray>,
    agent: Option<&'a StringArray>,
    ctype: Option<&'a StringArray>,
    fulluri: Option<&'a StringArray>,
    csbytes: Option<&'a arrow::array::Int64Array>,
    scbytes: Option<&'a arrow::array::Int64Array>,
}

fn text<'a>(batch: &'a RecordBatch, name: &str) -> Result<Option<&'a StringArray>, FeatureError> {
    match batch.column_by_name(name) {
        None => Ok(None),
        Some(c) => c
            .as_string_opt::<i32>()
            .map(Some)
            .ok_or_else(|| FeatureError::Column {
                column: name.into(),
                message: format!("expected text, found {}", c.data_type()),
            }),
    }
}

fn int<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<Option<&'a arrow::array::Int64Array>, FeatureError> {
    match batch.column_by_name(name) {
        None => Ok(None),
        Some(c) if c.data_type() == &DataType::Int64 => Ok(Some(c.as_primitive::<Int64Type>())),
        Some(c) => Err(FeatureError::Column {
            column: name.into(),
            message: format!("expected Int64, found {}", c.data_type()),
        }),
    }
}

impl<'a> Cols<'a> {
    fn new(batch: &'a RecordBatch) -> Result<Self, FeatureError> {
        let need = |name: &str| {
            text(batch, name)?.ok_or_else(|| FeatureError::Column {
                column: name.into(),
                message: "missing".into(),
            })
        };
        Ok(Cols {
            client: need("clientip")?,
            host: need("host")?,
            date: text(batch, "p_date")?,
            time: text(batch, "p_time")?,
            method: text(batch, "reqmethod")?,
            agent: text(batch, "useragent")?,
            ctype: text(batch, "resconttype")?,
            fulluri: text(batch, "fulluri")?,
            csbytes: int(batch, "csbytes")?,
            scbytes: int(batch, "scbytes")?,
        })
    }

    fn client(&self, i: usize) -> Option<&'a str> {
        self.client.is_valid(i).then(|| self.client.value(i))
    }
    fn host(&self, i: usize) -> Option<&'a str> {
        self.host.is_valid(i).then(|| self.host.value(i))
    }
    fn opt(a: Option<&'a StringArray>, i: usize) -> Option<&'a str> {
        a.filter(|a| a.is_valid(i)).map(|a| a.value(i))
    }
    fn int(a: Option<&arrow::array::Int64Array>, i: usize) -> Option<i64> {
        a.filter(|a| a.is_valid(i)).map(|a| a.value(i))
    }
    /// Seconds since the epoch of `p_date` + `p_time`.
    fn time(&self, i: usize) -> Option<i64> {
        let d = Self::opt(self.date, i)?;
        let t = Self::opt(self.time, i)?;
        let num = |s: &str| s.trim().parse::<i64>().ok();
        let mut dp = d.splitn(3, '-');
        let (y, m, dd) = (num(dp.next()?)?, num(dp.next()?)?, num(dp.next()?)?);
        let mut tp = t.splitn(3, ':');
        let (h, mi) = (num(tp.next()?)?, num(tp.next()?)?);
        let s = tp.next().and_then(|s| s.split('.').next()).and_then(num)?;
        if !(1..=12).contains(&m) || !(1..=31).contains(&dd) {
            return None;
        }
        Some(days_from_civil(y, m, dd) * 86_400 + h * 3600 + mi * 60 + s)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Distinct clients per host (bounded: counting stops at `CLIENT_CAP`).
#[derive(Debug, Default)]
struct HostClients {
    sets: FxHashMap<u32, FxHashSet<u32>>,
}

const CLIENT_CAP: usize = 64;

impl HostClients {
    fn add(&mut self, host: u32, client: u32) {
        let s = self.sets.entry(host).or_default();
        if s.len() < CLIENT_CAP {
            s.insert(client);
        }
    }
    fn count(&self, host: u32) -> usize {
        self.sets.get(&host).map_or(0, |s| s.len())
    }
}

/// Per (client, host) state common to the detectors: interned names and host popularity.
#[derive(Debug, Default)]
struct Pairs {
    clients: Interner,
    hosts: Interner,
    host_clients: HostClients,
}

impl Pairs {
    fn observe(&mut self, c: &Cols<'_>, i: usize) -> Option<(u32, u32)> {
        let (cl, h) = (c.client(i)?, c.host(i)?);
        let (cl, h) = (self.clients.id(cl), self.hosts.id(h));
        self.host_clients.add(h, cl);
        Some((cl, h))
    }
    fn lookup(&self, c: &Cols<'_>, i: usize) -> Option<(u32, u32)> {
        Some((self.clients.get(c.client(i)?)?, self.hosts.get(c.host(i)?)?))
    }
    fn entity(&self, p: (u32, u32)) -> u64 {
        pair(p.0, p.1)
    }
    /// Row `i`'s (client, host) and what a detector's `flagged` holds for that pair, if the
    /// pair is flagged.
    fn flagged<'m, T>(
        &self,
        c: &Cols<'_>,
        i: usize,
        flagged: &'m FxHashMap<u64, T>,
    ) -> Option<((u32, u32), &'m T)> {
        let p = self.lookup(c, i)?;
        flagged.get(&self.entity(p)).map(|t| (p, t))
    }
    /// Row `i`'s flag: `strength` of what `flagged` holds for its pair, none if the pair is
    /// not flagged.
    fn flag<T>(
        &self,
        c: &Cols<'_>,
        i: usize,
        flagged: &FxHashMap<u64, T>,
        strength: impl Fn(&T) -> f64,
    ) -> Flag {
        self.flagged(c, i, flagged)
            .map_or(Flag::NONE, |(p, t)| Flag::new(strength(t), self.entity(p)))
    }
    /// The names of a pair's host and client.
    fn names(&self, p: (u32, u32)) -> (&str, &str) {
        (self.hosts.name(p.1), self.clients.name(p.0))
    }
}

// ---------------------------------------------------------------------------------------------

/// Beacons: one client requesting one rare host at regular intervals with responses of a
/// constant size (RITA's regularity score over intervals and sizes).
#[derive(Debug)]
pub struct ProxyBeaconDetector {
    /// Requests needed before regularity means anything (default 20).
    pub min_requests: usize,
    /// Regularity score in [0, 1] needed to flag (default 0.8).
    pub min_score: f64,
    /// Flag only hosts visited by at most this many clients (default 3).
    pub max_host_clients: usize,
    pairs: Pairs,
    agents: FxHashMap<u64, FxHashSet<Box<str>>>,
    agent_clients: FxHashMap<Box<str>, FxHashSet<u32>>,
    samples: FxHashMap<u64, Vec<(i64, i64)>>,
    flagged: FxHashMap<u64, (Beacon, usize)>,
}

impl Default for ProxyBeaconDetector {
    fn default() -> Self {
        ProxyBeaconDetector {
            min_requests: 20,
            min_score: 0.8,
            max_host_clients: 3,
            pairs: Pairs::default(),
            agents: FxHashMap::default(),
            agent_clients: FxHashMap::default(),
            samples: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

const MAX_SAMPLES: usize = 20_000;

impl Detector for ProxyBeaconDetector {
    fn name(&self) -> &'static str {
        "beacon"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = Cols::new(batch)?;
        for i in 0..batch.num_rows() {
            let Some(p) = self.pairs.observe(&c, i) else {
                continue;
            };
            let Some(t) = c.time(i) else { continue };
            let key = self.pairs.entity(p);
            let v = self.samples.entry(key).or_default();
            if v.len() < MAX_SAMPLES {
                v.push((t, Cols::int(c.scbytes, i).unwrap_or(0)));
            }
            if let Some(a) = Cols::opt(c.agent, i) {
                let set = self.agents.entry(key).or_default();
                if set.len() < 4 && !set.contains(a) {
                    set.insert(a.into());
                }
                let cl = self.agent_clients.entry(a.into()).or_default();
                if cl.len() < CLIENT_CAP {
                    cl.insert(p.0);
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        let samples = std::mem::take(&mut self.samples);
        for (k, mut v) in samples {
            let host = (k & 0xffff_ffff) as u32;
            if v.len() < self.min_requests
                || self.pairs.host_clients.count(host) > self.max_host_clients
            {
                continue;
            }
            if let Some(b) = beacon_score(&mut v)
                && b.score >= self.min_score
            {
                // Clients of the pair's least common user agent.
                let ua_clients = self
                    .agents
                    .get(&k)
                    .into_iter()
                    .flatten()
                    .map(|a| self.agent_clients.get(a).map_or(0, |s| s.len()))
                    .min()
                    .unwrap_or(0);
                self.flagged.insert(k, (b, ua_clients));
            }
        }
        self.agents.clear();
        self.agent_clients.clear();
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = Cols::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                // A regular caller of a rare host is strong evidence on its own.
                self.pairs.flag(&c, i, &self.flagged, |(b, _)| {
                    strength(
                        2.0 + (b.score - self.min_score) / (1.0 - self.min_score).max(1e-9) * 4.0,
                    )
                })
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = Cols::new(batch)?;
        Ok(self.pairs.flagged(&c, row, &self.flagged).map(|(p, (b, ua))| {
            let (host, client) = self.pairs.names(p);
            let ua = match ua {
                0 => String::new(),
                1 => ", UA seen on 1 client".into(),
                n => format!(", UA seen on {n} clients"),
            };
            format!(
                "beacon to {} from {}: {} requests every {:.0} s ± {:.0} s, responses {} ± {}{ua}",
                host,
                client,
                b.count,
                b.interval,
                b.interval_mad,
                human_bytes(b.bytes),
                human_bytes(b.bytes_mad),
            )
        }))
    }
}

// ---------------------------------------------------------------------------------------------

/// Rare user agents: an agent string used by very few clients, talking to hosts few clients
/// visit (a browser, an updater or a popular API client is used by many, or talks to popular
/// hosts).
#[derive(Debug)]
pub struct RareAgentDetector {
    /// Flag agents used by at most this many clients (default 1).
    pub max_clients: usize,
    /// ... whose requests all go to hosts visited by at most this many clients (default 2).
    pub max_host_clients: usize,
    /// ... and that made at least this many requests (default 5; one-off odd agents are noise).
    pub min_requests: u64,
    pairs: Pairs,
    agents: Interner,
    stats: FxHashMap<u32, AgentStats>,
    flagged: FxHashMap<u32, AgentStats>,
}

#[derive(Debug, Default, Clone)]
struct AgentStats {
    clients: FxHashSet<u32>,
    hosts: FxHashSet<u32>,
    requests: u64,
    /// Clients of the most popular host the agent talked to (set by `finish`).
    max_host_clients: usize,
}

impl Default for RareAgentDetector {
    fn default() -> Self {
        RareAgentDetector {
            max_clients: 1,
            max_host_clients: 2,
            min_requests: 5,
            pairs: Pairs::default(),
            agents: Interner::default(),
            stats: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

impl RareAgentDetector {
    fn agent_of(&self, c: &Cols<'_>, i: usize) -> Option<(u32, &AgentStats)> {
        let a = self.agents.get(Cols::opt(c.agent, i)?)?;
        self.flagged.get(&a).map(|s| (a, s))
    }
}

impl Detector for RareAgentDetector {
    fn name(&self) -> &'static str {
        "rare_agent"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = Cols::new(batch)?;
        for i in 0..batch.num_rows() {
            let Some((cl, h)) = self.pairs.observe(&c, i) else {
                continue;
            };
            let Some(a) = Cols::opt(c.agent, i) else {
                continue;
            };
            let s = self.stats.entry(self.agents.id(a)).or_default();
            s.requests += 1;
            if s.clients.len() <= self.max_clients {
                s.clients.insert(cl);
            }
            if s.hosts.len() < CLIENT_CAP {
                s.hosts.insert(h);
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        for (a, mut s) in std::mem::take(&mut self.stats) {
            if s.clients.len() > self.max_clients || s.requests < self.min_requests {
                continue;
            }
            s.max_host_clients = s
                .hosts
                .iter()
                .map(|h| self.pairs.host_clients.count(*h))
                .max()
                .unwrap_or(0);
            if s.max_host_clients <= self.max_host_clients {
                self.flagged.insert(a, s);
            }
        }
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = Cols::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| match self.agent_of(&c, i) {
                // Modest on its own: more requests make it more of a pattern than a fluke.
                Some((a, s)) => Flag::new(
                    strength(1.0 + (s.requests as f64 / self.min_requests as f64).ln().max(0.0))
                        .min(0.7),
                    a as u64,
                ),
                None => Flag::NONE,
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = Cols::new(batch)?;
        Ok(self.agent_of(&c, row).map(|(a, s)| {
            let hosts: Vec<&str> = {
                let mut h: Vec<&str> = s.hosts.iter().map(|h| self.pairs.hosts.name(*h)).collect();
                h.sort_unstable();
                h.truncate(3);
                h
            };
            format!(
                "rare user agent {:?}: {} client(s), {} requests, to {} (hosts seen from ≤ {} clients)",
                truncate(self.agents.name(a), 80),
                s.clients.len(),
                s.requests,
                hosts.join(", "),
                s.max_host_clients
            )
        }))
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

// ---------------------------------------------------------------------------------------------

/// Long high-entropy URIs (data smuggled in paths and queries) to rare hosts.
#[derive(Debug)]
pub struct LongUriDetector {
    /// Shortest URI (after the host) that counts (default 100 characters).
    pub min_length: usize,
    /// Least Shannon entropy of that part, in bits per character (default 4.5: base64 and hex
    /// blobs are above, words and ids below).
    pub min_entropy: f64,
    /// Flag only hosts visited by at most this many clients (default 2; ad networks and CDNs
    /// with signed URLs are visited by many).
    pub max_host_clients: usize,
    /// Requests of the pair needed to flag (default 3).
    pub min_requests: u32,
    pairs: Pairs,
    /// (long requests, longest, highest entropy) per pair.
    seen: FxHashMap<u64, (u32, usize, f64)>,
    flagged: FxHashMap<u64, (u32, usize, f64)>,
}

impl Default for LongUriDetector {
    fn default() -> Self {
        LongUriDetector {
            min_length: 100,
            min_entropy: 4.5,
            max_host_clients: 2,
            min_requests: 3,
            pairs: Pairs::default(),
            seen: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

impl LongUriDetector {
    /// Length and entropy of the URI after its host, when long and random enough.
    fn measure(&self, c: &Cols<'_>, i: usize) -> Option<(usize, f64)> {
        let uri = Cols::opt(c.fulluri, i)?;
        let host = c.host(i).unwrap_or("");
        let rest = uri.strip_prefix(host).unwrap_or(uri);
        let len = rest.chars().count();
        if len < self.min_length {
            return None;
        }
        let e = entropy(rest);
        (e >= self.min_entropy).then_some((len, e))
    }
}

impl Detector for LongUriDetector {
    fn name(&self) -> &'static str {
        "long_uri"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = Cols::new(batch)?;
        for i in 0..batch.num_rows() {
            let Some(p) = self.pairs.observe(&c, i) else {
                continue;
            };
            if let Some((len, e)) = self.measure(&c, i) {
                let s = self.seen.entry(self.pairs.entity(p)).or_default();
                s.0 += 1;
                s.1 = s.1.max(len);
                s.2 = s.2.max(e);
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        for (k, s) in std::mem::take(&mut self.seen) {
            let host = (k & 0xffff_ffff) as u32;
            if s.0 >= self.min_requests
                && self.pairs.host_clients.count(host) <= self.max_host_clients
            {
                self.flagged.insert(k, s);
            }
        }
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = Cols::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                let Some((p, _)) = self.pairs.flagged(&c, i, &self.flagged) else {
                    return Flag::NONE;
                };
                let key = self.pairs.entity(p);
                match self.measure(&c, i) {
                    Some((len, e)) => Flag::new(
                        strength(
                            (len as f64 / self.min_length as f64) * (e / self.min_entropy).powi(4),
                        ),
                        key,
                    ),
                    None => Flag::NONE,
                }
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = Cols::new(batch)?;
        Ok(self.pairs.flagged(&c, row, &self.flagged).map(|(p, s)| {
            let (host, client) = self.pairs.names(p);
            format!(
                "long high-entropy URIs to {} from {}: {} requests, up to {} characters, entropy up to {:.1} bits/char",
                host,
                client,
                s.0,
                s.1,
                s.2
            )
        }))
    }
}

// ---------------------------------------------------------------------------------------------

/// Large uploads (POST/PUT bodies) from one client to a rare host.
#[derive(Debug)]
pub struct ProxyUploadDetector {
    /// Never flag below this many bytes sent by the pair (default 10 MB).
    pub min_bytes: f64,
    /// Flag only hosts visited by at most this many clients (default 2).
    pub max_host_clients: usize,
    pairs: Pairs,
    /// (bytes, requests) uploaded per pair.
    totals: FxHashMap<u64, (f64, u32)>,
    flagged: FxHashMap<u64, (f64, u32)>,
}

impl Default for ProxyUploadDetector {
    fn default() -> Self {
        ProxyUploadDetector {
            min_bytes: 10e6,
            max_host_clients: 2,
            pairs: Pairs::default(),
            totals: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

fn is_upload(method: Option<&str>) -> bool {
    matches!(method, Some(m) if m.eq_ignore_ascii_case("POST") || m.eq_ignore_ascii_case("PUT"))
}

impl Detector for ProxyUploadDetector {
    fn name(&self) -> &'static str {
        "upload"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = Cols::new(batch)?;
        for i in 0..batch.num_rows() {
            let Some(p) = self.pairs.observe(&c, i) else {
                continue;
            };
            if !is_upload(Cols::opt(c.method, i)) {
                continue;
            }
            let t = self.totals.entry(self.pairs.entity(p)).or_default();
            t.0 += Cols::int(c.csbytes, i).unwrap_or(0).max(0) as f64;
            t.1 += 1;
        }
        Ok(())
    }

    fn finish(&mut self) {
        for (k, t) in std::mem::take(&mut self.totals) {
            let host = (k & 0xffff_ffff) as u32;
            if t.0 >= self.min_bytes && self.pairs.host_clients.count(host) <= self.max_host_clients
            {
                self.flagged.insert(k, t);
            }
        }
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = Cols::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                if !is_upload(Cols::opt(c.method, i)) {
                    return Flag::NONE;
                }
                self.pairs
                    .flag(&c, i, &self.flagged, |t| strength(t.0 / self.min_bytes))
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = Cols::new(batch)?;
        Ok(self.pairs.flagged(&c, row, &self.flagged).map(|(p, t)| {
            let (host, client) = self.pairs.names(p);
            format!(
                "upload to rare host {} from {}: {} in {} POST/PUT requests (host seen from {} client(s))",
                host,
                client,
                human_bytes(t.0),
                t.1,
                self.pairs.host_clients.count(p.1)
            )
        }))
    }
}

// ---------------------------------------------------------------------------------------------

/// Executable downloads (`application/octet-stream`, `application/x-msdownload`,
/// `application/x-dosexec`, `.exe`/`.dll`/`.scr`/`.ps1`/`.hta`/`.bin` URIs) from a host only one
/// client visits; software updates come from hosts many clients use.
#[derive(Debug)]
pub struct RareDownloadDetector {
    /// Flag only hosts visited by at most this many clients (default 1).
    pub max_host_clients: usize,
    pairs: Pairs,
    /// (downloads, bytes) per pair.
    seen: FxHashMap<u64, (u32, f64)>,
    flagged: FxHashMap<u64, (u32, f64)>,
}

impl Default for RareDownloadDetector {
    fn default() -> Self {
        RareDownloadDetector {
            max_host_clients: 1,
            pairs: Pairs::default(),
            seen: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

fn is_executable(c: &Cols<'_>, i: usize) -> bool {
    let ct = Cols::opt(c.ctype, i).unwrap_or("").to_ascii_lowercase();
    if ct.starts_with("application/octet-stream")
        || ct.starts_with("application/x-msdownload")
        || ct.starts_with("application/x-dosexec")
        || ct.starts_with("application/x-executable")
    {
        return true;
    }
    let uri = Cols::opt(c.fulluri, i).unwrap_or("");
    let path = uri.split('?').next().unwrap_or("").to_ascii_lowercase();
    [".exe", ".dll", ".scr", ".ps1", ".hta", ".bin"]
        .iter()
        .any(|e| path.ends_with(e))
}

impl Detector for RareDownloadDetector {
    fn name(&self) -> &'static str {
        "download"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = Cols::new(batch)?;
        for i in 0..batch.num_rows() {
            let Some(p) = self.pairs.observe(&c, i) else {
                continue;
            };
            if is_executable(&c, i) {
                let s = self.seen.entry(self.pairs.entity(p)).or_default();
                s.0 += 1;
                s.1 += Cols::int(c.scbytes, i).unwrap_or(0).max(0) as f64;
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        for (k, s) in std::mem::take(&mut self.seen) {
            let host = (k & 0xffff_ffff) as u32;
            if self.pairs.host_clients.count(host) <= self.max_host_clients {
                self.flagged.insert(k, s);
            }
        }
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = Cols::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                if !is_executable(&c, i) {
                    return Flag::NONE;
                }
                // One executable from a host nobody else visits is worth a look.
                self.pairs.flag(&c, i, &self.flagged, |s| {
                    strength(3.0 + (s.1 / 1e5).log10().max(0.0))
                })
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = Cols::new(batch)?;
        if !is_executable(&c, row) {
            return Ok(None);
        }
        Ok(self.pairs.flagged(&c, row, &self.flagged).map(|(p, s)| {
            let (host, client) = self.pairs.names(p);
            format!(
                "executable download from rare host {} by {}: {} download(s), {} ({})",
                host,
                client,
                s.0,
                human_bytes(s.1),
                Cols::opt(c.ctype, row).unwrap_or("no content type")
            )
        }))
    }
}

/// The default proxy detectors.
pub fn default_proxy_detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(ProxyBeaconDetector::default()),
        Box::new(RareAgentDetector::default()),
        Box::new(LongUriDetector::default()),
        Box::new(ProxyUploadDetector::default()),
        Box::new(RareDownloadDetector::default()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int64Array};
    use std::sync::Arc;

    /// One request: (seconds into the day, client, host, method, agent, content type, uri after
    /// the host, csbytes, scbytes).
    type R<'a> = (
        i64,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        String,
        i64,
        i64,
    );

    fn req<'a>(t: i64, client: &'a str, host: &'a str) -> R<'a> {
        (
            t,
            client,
            host,
            "GET",
            "Mozilla/5.0",
            "text/html",
            "/index.html".into(),
            300,
            5000,
        )
    }

    fn batch(rows: &[R<'_>]) -> RecordBatch {
        let s = |f: &dyn Fn(&R<'_>) -> String| -> ArrayRef {
            Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
        };
        RecordBatch::try_from_iter([
            ("p_date", s(&|_| "2026-11-25".into())),
            (
                "p_time",
                s(&|r| format!("{:02}:{:02}:{:02}", r.0 / 3600, r.0 / 60 % 60, r.0 % 60)),
            ),
            ("clientip", s(&|r| r.1.into())),
            ("host", s(&|r| r.2.into())),
            ("reqmethod", s(&|r| r.3.into())),
            ("useragent", s(&|r| r.4.into())),
            ("resconttype", s(&|r| r.5.into())),
            ("fulluri", s(&|r| format!("{}{}", r.2, r.6))),
            (
                "csbytes",
                Arc::new(Int64Array::from(
                    rows.iter().map(|r| r.7).collect::<Vec<_>>(),
                )) as _,
            ),
            (
                "scbytes",
                Arc::new(Int64Array::from(
                    rows.iter().map(|r| r.8).collect::<Vec<_>>(),
                )) as _,
            ),
        ])
        .unwrap()
    }

    fn run(d: &mut dyn Detector, b: &RecordBatch) -> Vec<Flag> {
        d.observe(b).unwrap();
        d.finish();
        d.strengths(b).unwrap()
    }

    /// A benign population: 30 clients browsing 10 popular sites.
    fn background() -> Vec<R<'static>> {
        const CLIENTS: [&str; 30] = [
            "10.0.0.1",
            "10.0.0.2",
            "10.0.0.3",
            "10.0.0.4",
            "10.0.0.5",
            "10.0.0.6",
            "10.0.0.7",
            "10.0.0.8",
            "10.0.0.9",
            "10.0.0.10",
            "10.0.0.11",
            "10.0.0.12",
            "10.0.0.13",
            "10.0.0.14",
            "10.0.0.15",
            "10.0.0.16",
            "10.0.0.17",
            "10.0.0.18",
            "10.0.0.19",
            "10.0.0.20",
            "10.0.0.21",
            "10.0.0.22",
            "10.0.0.23",
            "10.0.0.24",
            "10.0.0.25",
            "10.0.0.26",
            "10.0.0.27",
            "10.0.0.28",
            "10.0.0.29",
            "10.0.0.30",
        ];
        const HOSTS: [&str; 10] = [
            "news.example",
            "mail.example",
            "cdn.example",
            "search.example",
            "wiki.example",
            "shop.example",
            "video.example",
            "docs.example",
            "chat.example",
            "maps.example",
        ];
        let mut v = Vec::new();
        for (i, c) in CLIENTS.iter().enumerate() {
            for (j, h) in HOSTS.iter().enumerate() {
                v.push(req(30_000 + (i * 97 + j * 13) as i64 * 7, c, h));
            }
        }
        v
    }

    #[test]
    fn beacon_to_a_rare_host_fires_with_a_reason() {
        let mut rows = background();
        for k in 0..96 {
            rows.push((
                3600 + k * 60 + (k % 4 == 1) as i64 - (k % 4 == 3) as i64,
                "10.0.0.5",
                "c2.example",
                "GET",
                "Updater/1.0",
                "text/plain",
                "/beat".into(),
                200,
                512,
            ));
        }
        let b = batch(&rows);
        let mut d = ProxyBeaconDetector::default();
        let flags = run(&mut d, &b);
        let n = rows.len();
        assert!(flags[n - 1].strength >= 0.5);
        assert!(flags[..n - 96].iter().all(|f| f.strength == 0.0));
        let r = d.reason(&b, n - 1).unwrap().unwrap();
        assert!(
            r.starts_with("beacon to c2.example from 10.0.0.5: 96 requests every 59 s ± 0 s"),
            "{r}"
        );
        assert!(r.ends_with("UA seen on 1 client"), "{r}");
    }

    #[test]
    fn regular_polling_of_a_popular_host_is_not_a_beacon() {
        let mut rows = background();
        for c in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"] {
            for k in 0..50 {
                rows.push((
                    k * 300,
                    c,
                    "status.example",
                    "GET",
                    "Agent/2",
                    "application/json",
                    "/ping".into(),
                    100,
                    64,
                ));
            }
        }
        let mut d = ProxyBeaconDetector::default();
        assert!(run(&mut d, &batch(&rows)).iter().all(|f| f.strength == 0.0));
    }

    #[test]
    fn rare_agent_to_rare_hosts_fires_but_not_a_rare_agent_on_popular_hosts() {
        let mut rows = background();
        for k in 0..8 {
            rows.push((
                k * 10,
                "10.0.0.7",
                "odd.example",
                "GET",
                "xx-loader",
                "text/plain",
                "/a".into(),
                10,
                10,
            ));
        }
        // One client's unusual browser build, browsing popular sites: benign.
        for h in [
            "news.example",
            "mail.example",
            "cdn.example",
            "search.example",
            "wiki.example",
            "shop.example",
        ] {
            rows.push((
                100,
                "10.0.0.8",
                h,
                "GET",
                "Mozilla/5.0 (X11; rare build)",
                "text/html",
                "/".into(),
                10,
                10,
            ));
        }
        let b = batch(&rows);
        let mut d = RareAgentDetector::default();
        let flags = run(&mut d, &b);
        let n = rows.len();
        assert!(flags[n - 7].strength >= 0.5, "{:?}", flags[n - 7]);
        assert!(flags[n - 6..].iter().all(|f| f.strength == 0.0));
        assert!(flags[..n - 14].iter().all(|f| f.strength == 0.0));
        let r = d.reason(&b, n - 7).unwrap().unwrap();
        assert!(
            r.contains("\"xx-loader\": 1 client(s), 8 requests, to odd.example"),
            "{r}"
        );
    }

    #[test]
    fn long_random_uris_to_a_rare_host_fire_but_not_long_tracking_uris_of_a_popular_host() {
        let blob = |k: u64| -> String {
            // A deterministic base64-looking blob.
            const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut x = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            (0..180)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    A[(x % 64) as usize] as char
                })
                .collect()
        };
        let mut rows = background();
        for k in 0..5 {
            rows.push((
                k * 100,
                "10.0.0.9",
                "drop.example",
                "GET",
                "Mozilla/5.0",
                "text/html",
                format!("/q?d={}", blob(k as u64)),
                10,
                10,
            ));
        }
        for (k, c) in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
            .iter()
            .enumerate()
        {
            rows.push((
                k as i64,
                c,
                "cdn.example",
                "GET",
                "Mozilla/5.0",
                "image/gif",
                format!("/px?t={}", blob(k as u64 + 100)),
                10,
                10,
            ));
        }
        let b = batch(&rows);
        let mut d = LongUriDetector::default();
        let flags = run(&mut d, &b);
        let n = rows.len();
        assert!(flags[n - 5].strength >= 0.5);
        assert!(flags[n - 4..].iter().all(|f| f.strength == 0.0));
        let r = d.reason(&b, n - 5).unwrap().unwrap();
        assert!(
            r.starts_with("long high-entropy URIs to drop.example from 10.0.0.9: 5 requests"),
            "{r}"
        );
    }

    #[test]
    fn large_posts_to_a_rare_host_fire_but_not_to_a_popular_one() {
        let mut rows = background();
        for k in 0..20 {
            rows.push((
                k * 30,
                "10.0.0.11",
                "paste.example",
                "POST",
                "curl/8.0",
                "text/plain",
                "/up".into(),
                2_000_000,
                100,
            ));
        }
        for c in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
            for k in 0..10 {
                rows.push((
                    k,
                    c,
                    "mail.example",
                    "POST",
                    "Mozilla/5.0",
                    "text/html",
                    "/send".into(),
                    5_000_000,
                    100,
                ));
            }
        }
        let b = batch(&rows);
        let mut d = ProxyUploadDetector::default();
        let flags = run(&mut d, &b);
        let n = rows.len();
        assert!(flags[n - 31].strength >= 0.5);
        assert!(flags[n - 30..].iter().all(|f| f.strength == 0.0));
        let r = d.reason(&b, n - 31).unwrap().unwrap();
        assert!(
            r.starts_with(
                "upload to rare host paste.example from 10.0.0.11: 40.0 MB in 20 POST/PUT requests"
            ),
            "{r}"
        );
    }

    #[test]
    fn executable_from_a_rare_host_fires_but_not_a_popular_update() {
        let mut rows = background();
        rows.push((
            500,
            "10.0.0.12",
            "files.example.biz",
            "GET",
            "Mozilla/5.0",
            "application/octet-stream",
            "/invoice.exe".into(),
            300,
            2_400_000,
        ));
        for c in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
            rows.push((
                600,
                c,
                "update.example",
                "GET",
                "Updater/9",
                "application/octet-stream",
                "/patch.bin".into(),
                300,
                9_000_000,
            ));
        }
        let b = batch(&rows);
        let mut d = RareDownloadDetector::default();
        let flags = run(&mut d, &b);
        let n = rows.len();
        assert!(flags[n - 4].strength >= 0.5);
        assert!(flags[n - 3..].iter().all(|f| f.strength == 0.0));
        assert!(flags[..n - 4].iter().all(|f| f.strength == 0.0));
        let r = d.reason(&b, n - 4).unwrap().unwrap();
        assert!(r.starts_with("executable download from rare host files.example.biz by 10.0.0.12: 1 download(s), 2.4 MB"), "{r}");
    }

    #[test]
    fn dates_to_seconds() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 11, 25) * 86_400, 1_795_564_800);
        assert_eq!(default_proxy_detectors().len(), 5);
    }
}
