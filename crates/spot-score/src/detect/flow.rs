//! Flow detectors: scans and sweeps, beacons, large uploads, brute force, tunnels.
//!
//! Entities are keyed by interned IP ids; per-entity state is bounded (sets and samples stop
//! growing at a cap), so memory follows the number of entities, not of records.

use std::net::IpAddr;

use arrow::array::{Array, RecordBatch};
use rustc_hash::{FxHashMap, FxHashSet};
use spot_features::FeatureError;
use spot_features::flow::FlowColumns;

use super::{Detector, Flag, Interner, pair, strength};

/// Whether `ip` is outside private, loopback, link-local and similar ranges.
pub fn is_external(ip: &str) -> bool {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => {
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_multicast())
        }
        Ok(IpAddr::V6(a)) => {
            let seg0 = a.segments()[0];
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00
                || (seg0 & 0xffc0) == 0xfe80)
        }
        Err(_) => false,
    }
}

/// An entity id for (source, destination, port).
fn entity(s: u32, d: u32, port: i32) -> u64 {
    pair(s, d).rotate_left(16) ^ (port as u32 as u64)
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Median absolute deviation of sorted values.
fn mad(sorted: &[f64]) -> f64 {
    let m = median(sorted);
    let mut dev: Vec<f64> = sorted.iter().map(|x| (x - m).abs()).collect();
    dev.sort_by(f64::total_cmp);
    median(&dev)
}

/// Bowley's quartile skewness in [-1, 1]; 0 when the quartiles are too close to tell a skew
/// from rounding (within 5 % of the median, or 2 units).
fn bowley(sorted: &[f64]) -> f64 {
    let (q1, q2, q3) = (
        quantile(sorted, 0.25),
        quantile(sorted, 0.5),
        quantile(sorted, 0.75),
    );
    if q3 - q1 <= (0.05 * q2.abs()).max(2.0) {
        0.0
    } else {
        (q3 + q1 - 2.0 * q2) / (q3 - q1)
    }
}

pub(crate) fn human_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Whether a flow is a probe: few packets, few bytes per packet.
fn is_probe(ipkt: i64, ibyt: i64, max_packets: i64, max_bytes_per_packet: i64) -> bool {
    ipkt >= 0 && ipkt <= max_packets && ibyt <= max_bytes_per_packet * ipkt.max(1)
}

// ---------------------------------------------------------------------------------------------

/// Port scans with tiny flows: one source probing many ports of one destination (vertical), or
/// one TCP port on many destinations (a horizontal sweep).
#[derive(Debug)]
pub struct ScanDetector {
    /// Distinct destination ports probed on one host for a vertical scan (default 100).
    pub min_ports: usize,
    /// Distinct hosts probed on one port for a horizontal sweep (default 50).
    pub min_hosts: usize,
    /// A probe has at most this many packets (default 3)...
    pub max_packets: i64,
    /// ...of at most this many bytes each on average (default 100).
    pub max_bytes_per_packet: i64,
    ips: Interner,
    ports: FxHashMap<u64, FxHashSet<i32>>,
    hosts: FxHashMap<(u32, i32), FxHashSet<u32>>,
    flagged: FxHashMap<u64, usize>,
    sweeps: FxHashMap<(u32, i32), usize>,
}

impl Default for ScanDetector {
    fn default() -> Self {
        ScanDetector {
            min_ports: 100,
            min_hosts: 50,
            max_packets: 3,
            max_bytes_per_packet: 100,
            ips: Interner::default(),
            ports: FxHashMap::default(),
            hosts: FxHashMap::default(),
            flagged: FxHashMap::default(),
            sweeps: FxHashMap::default(),
        }
    }
}

/// A scan a row belongs to.
#[derive(Debug, Clone, Copy)]
enum Scan {
    /// (source, target, distinct ports).
    Vertical(u32, u32, usize),
    /// (source, port, distinct hosts).
    Sweep(u32, i32, usize),
}

impl ScanDetector {
    /// The scan a row belongs to, probe and reply alike.
    fn scan_of(&self, c: &FlowColumns, i: usize) -> Option<Scan> {
        if !is_probe(
            c.ipkt().value(i),
            c.ibyt().value(i),
            self.max_packets,
            self.max_bytes_per_packet,
        ) {
            return None;
        }
        let (s, d) = (
            self.ips.get(c.sip().value(i))?,
            self.ips.get(c.dip().value(i))?,
        );
        if let Some(&n) = self.flagged.get(&pair(s, d)) {
            return Some(Scan::Vertical(s, d, n));
        }
        if let Some(&n) = self.flagged.get(&pair(d, s)) {
            return Some(Scan::Vertical(d, s, n));
        }
        if c.proto().is_null(i) || !c.proto().value(i).eq_ignore_ascii_case("TCP") {
            return None;
        }
        let (sport, dport) = (c.sport().value(i), c.dport().value(i));
        if let Some(&n) = self.sweeps.get(&(s, dport)) {
            return Some(Scan::Sweep(s, dport, n));
        }
        self.sweeps
            .get(&(d, sport))
            .map(|&n| Scan::Sweep(d, sport, n))
    }
}

impl Detector for ScanDetector {
    fn name(&self) -> &'static str {
        "scan"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = FlowColumns::new(batch)?;
        let (port_cap, host_cap) = (self.min_ports * 20, self.min_hosts * 20);
        for i in 0..batch.num_rows() {
            if c.sip().is_null(i)
                || c.dip().is_null(i)
                || c.dport().is_null(i)
                || c.ipkt().is_null(i)
                || c.ibyt().is_null(i)
            {
                continue;
            }
            if !is_probe(
                c.ipkt().value(i),
                c.ibyt().value(i),
                self.max_packets,
                self.max_bytes_per_packet,
            ) {
                continue;
            }
            let s = self.ips.id(c.sip().value(i));
            let d = self.ips.id(c.dip().value(i));
            let port = c.dport().value(i);
            let set = self.ports.entry(pair(s, d)).or_default();
            if set.len() < port_cap {
                set.insert(port);
            }
            // Sweeps are judged on TCP only: one-packet UDP exchanges with many hosts are what
            // NTP, DNS and SNMP servers do all day.
            if c.proto().is_valid(i) && c.proto().value(i).eq_ignore_ascii_case("TCP") {
                let set = self.hosts.entry((s, port)).or_default();
                if set.len() < host_cap {
                    set.insert(d);
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        self.flagged = self
            .ports
            .iter()
            .filter(|(_, p)| p.len() >= self.min_ports)
            .map(|(k, p)| (*k, p.len()))
            .collect();
        self.sweeps = self
            .hosts
            .iter()
            .filter(|(_, h)| h.len() >= self.min_hosts)
            .map(|(k, h)| (*k, h.len()))
            .collect();
        self.ports = FxHashMap::default();
        self.hosts = FxHashMap::default();
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        if self.flagged.is_empty() && self.sweeps.is_empty() {
            return Ok(vec![Flag::NONE; batch.num_rows()]);
        }
        Ok((0..batch.num_rows())
            .map(|i| match self.scan_of(&c, i) {
                Some(Scan::Vertical(s, d, n)) => {
                    Flag::new(strength(n as f64 / self.min_ports as f64), entity(s, d, 0))
                }
                Some(Scan::Sweep(s, port, n)) => Flag::new(
                    strength(n as f64 / self.min_hosts as f64),
                    entity(s, u32::MAX, port),
                ),
                None => Flag::NONE,
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        Ok(self.scan_of(&c, row).map(|scan| match scan {
            Scan::Vertical(s, d, n) => format!(
                "port scan: {} probed {n} ports of {} with tiny flows",
                self.ips.name(s),
                self.ips.name(d)
            ),
            Scan::Sweep(s, port, n) => format!(
                "horizontal scan: {} probed port {port} on {n} hosts with tiny flows",
                self.ips.name(s)
            ),
        }))
    }
}

// ---------------------------------------------------------------------------------------------

/// Beacons: an internal host calling the same external host and port at regular intervals with
/// similar sizes, scored as RITA does (interval and size skew and dispersion).
#[derive(Debug)]
pub struct BeaconDetector {
    /// Connections needed before regularity means anything (default 20).
    pub min_connections: usize,
    /// Regularity score in [0, 1] needed to flag (default 0.8).
    pub min_score: f64,
    ips: Interner,
    samples: FxHashMap<(u64, i32), Vec<(i64, i64)>>,
    flagged: FxHashMap<(u64, i32), Beacon>,
}

/// Regularity of a series of events (RITA-style), shared with the proxy beacon detector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Beacon {
    pub(crate) score: f64,
    pub(crate) count: usize,
    pub(crate) interval: f64,
    pub(crate) interval_mad: f64,
    pub(crate) bytes: f64,
    pub(crate) bytes_mad: f64,
}

/// RITA-style regularity of a series of (time, bytes), in [0, 1]; `None` under 3 distinct times.
pub(crate) fn beacon_score(samples: &mut [(i64, i64)]) -> Option<Beacon> {
    BeaconDetector::score(samples)
}

impl Default for BeaconDetector {
    fn default() -> Self {
        BeaconDetector {
            min_connections: 20,
            min_score: 0.8,
            ips: Interner::default(),
            samples: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

const MAX_SAMPLES: usize = 20_000;

impl BeaconDetector {
    fn beacon_of(&self, c: &FlowColumns, i: usize) -> Option<(u32, u32, i32, Beacon)> {
        let (s, d) = (
            self.ips.get(c.sip().value(i))?,
            self.ips.get(c.dip().value(i))?,
        );
        if let Some(b) = self.flagged.get(&(pair(s, d), c.dport().value(i))) {
            return Some((s, d, c.dport().value(i), *b));
        }
        self.flagged
            .get(&(pair(d, s), c.sport().value(i)))
            .map(|b| (d, s, c.sport().value(i), *b))
    }

    /// RITA-style regularity of a series of (time, bytes), in [0, 1].
    fn score(samples: &mut [(i64, i64)]) -> Option<Beacon> {
        samples.sort_unstable();
        let mut intervals: Vec<f64> = samples
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) as f64)
            .filter(|d| *d > 0.0)
            .collect();
        if intervals.len() < 2 {
            return None;
        }
        intervals.sort_by(f64::total_cmp);
        let mut sizes: Vec<f64> = samples.iter().map(|s| s.1 as f64).collect();
        sizes.sort_by(f64::total_cmp);
        let (im, imad) = (median(&intervals), mad(&intervals));
        let (sm, smad) = (median(&sizes), mad(&sizes));
        let ts = ((1.0 - bowley(&intervals).abs()) + (1.0 - (imad / im.max(1.0)).min(1.0))) / 2.0;
        let ds = ((1.0 - bowley(&sizes).abs()) + (1.0 - (smad / sm.max(1.0)).min(1.0))) / 2.0;
        Some(Beacon {
            score: 0.6 * ts + 0.4 * ds,
            count: samples.len(),
            interval: im,
            interval_mad: imad,
            bytes: sm,
            bytes_mad: smad,
        })
    }
}

impl Detector for BeaconDetector {
    fn name(&self) -> &'static str {
        "beacon"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = FlowColumns::new(batch)?;
        let Some(ts) = c.unix_tstamp() else {
            return Ok(());
        };
        for i in 0..batch.num_rows() {
            if c.sip().is_null(i)
                || c.dip().is_null(i)
                || ts.is_null(i)
                || c.dport().is_null(i)
                || c.ibyt().is_null(i)
            {
                continue;
            }
            let (sip, dip) = (c.sip().value(i), c.dip().value(i));
            if is_external(sip) || !is_external(dip) {
                continue;
            }
            let key = (pair(self.ips.id(sip), self.ips.id(dip)), c.dport().value(i));
            let v = self.samples.entry(key).or_default();
            if v.len() < MAX_SAMPLES {
                v.push((ts.value(i), c.ibyt().value(i)));
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        let samples = std::mem::take(&mut self.samples);
        for (k, mut v) in samples {
            if v.len() < self.min_connections {
                continue;
            }
            if let Some(b) = Self::score(&mut v)
                && b.score >= self.min_score
            {
                self.flagged.insert(k, b);
            }
        }
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                if self.flagged.is_empty() || c.sip().is_null(i) || c.dip().is_null(i) {
                    return Flag::NONE;
                }
                match self.beacon_of(&c, i) {
                    Some((s, d, port, b)) => Flag::new(
                        strength(
                            1.0 + (b.score - self.min_score) / (1.0 - self.min_score).max(1e-9)
                                * 3.0,
                        ),
                        entity(s, d, port),
                    ),
                    None => Flag::NONE,
                }
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        Ok(self.beacon_of(&c, row).map(|(s, d, port, b)| {
            format!(
                "beacon from {} to {}:{port}: {} connections every {:.0} s ± {:.0} s, {:.0} ± {:.0} bytes (regularity {:.2})",
                self.ips.name(s),
                self.ips.name(d),
                b.count,
                b.interval,
                b.interval_mad,
                b.bytes,
                b.bytes_mad,
                b.score
            )
        }))
    }
}

// ---------------------------------------------------------------------------------------------

/// Large uploads: bytes sent from an internal host to one external host, far above what host
/// pairs send in the population, and more than the pair received (a large download's
/// acknowledgements are not an upload).
#[derive(Debug)]
pub struct UploadDetector {
    /// Never flag below this many bytes (default 100 MB).
    pub min_bytes: f64,
    /// Flag a pair above this multiple of the population's 99th percentile (default 20).
    pub population_factor: f64,
    /// Flag only when the pair sent at least this multiple of what it received (default 1).
    pub min_ratio: f64,
    ips: Interner,
    /// Per (internal, external) pair: bytes sent, flows sent, bytes received.
    totals: FxHashMap<u64, (f64, u32, f64)>,
    threshold: f64,
    flagged: FxHashMap<u64, (f64, u32)>,
}

impl Default for UploadDetector {
    fn default() -> Self {
        UploadDetector {
            min_bytes: 100e6,
            population_factor: 20.0,
            min_ratio: 1.0,
            ips: Interner::default(),
            totals: FxHashMap::default(),
            threshold: f64::INFINITY,
            flagged: FxHashMap::default(),
        }
    }
}

impl UploadDetector {
    fn upload_of(&self, c: &FlowColumns, i: usize) -> Option<(u32, u32, (f64, u32))> {
        let (s, d) = (
            self.ips.get(c.sip().value(i))?,
            self.ips.get(c.dip().value(i))?,
        );
        if let Some(t) = self.flagged.get(&pair(s, d)) {
            return Some((s, d, *t));
        }
        self.flagged.get(&pair(d, s)).map(|t| (d, s, *t))
    }
}

impl Detector for UploadDetector {
    fn name(&self) -> &'static str {
        "upload"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = FlowColumns::new(batch)?;
        for i in 0..batch.num_rows() {
            if c.sip().is_null(i)
                || c.dip().is_null(i)
                || c.ibyt().is_null(i)
                || c.ibyt().value(i) < 0
            {
                continue;
            }
            let (sip, dip) = (c.sip().value(i), c.dip().value(i));
            let bytes = c.ibyt().value(i) as f64;
            match (is_external(sip), is_external(dip)) {
                (false, true) => {
                    let e = self
                        .totals
                        .entry(pair(self.ips.id(sip), self.ips.id(dip)))
                        .or_insert((0.0, 0, 0.0));
                    e.0 += bytes;
                    e.1 += 1;
                }
                (true, false) => {
                    let e = self
                        .totals
                        .entry(pair(self.ips.id(dip), self.ips.id(sip)))
                        .or_insert((0.0, 0, 0.0));
                    e.2 += bytes;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        let mut all: Vec<f64> = self
            .totals
            .values()
            .filter(|t| t.1 > 0)
            .map(|t| t.0)
            .collect();
        all.sort_by(f64::total_cmp);
        // A percentile of a few pairs says nothing about a population.
        let baseline = if all.len() >= 100 {
            quantile(&all, 0.99)
        } else {
            0.0
        };
        self.threshold = (baseline * self.population_factor).max(self.min_bytes);
        let (threshold, ratio) = (self.threshold, self.min_ratio);
        self.flagged = self
            .totals
            .iter()
            .filter(|(_, t)| t.0 >= threshold && t.0 >= ratio * t.2)
            .map(|(k, t)| (*k, (t.0, t.1)))
            .collect();
        self.totals = FxHashMap::default();
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                if self.flagged.is_empty() || c.sip().is_null(i) || c.dip().is_null(i) {
                    return Flag::NONE;
                }
                self.upload_of(&c, i).map_or(Flag::NONE, |(s, d, t)| {
                    Flag::new(strength(t.0 / self.threshold * 4.0), entity(s, d, 0))
                })
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        Ok(self.upload_of(&c, row).map(|(s, d, t)| {
            format!(
                "large upload: {} sent {} to {} in {} flows (flag threshold {})",
                self.ips.name(s),
                human_bytes(t.0),
                self.ips.name(d),
                t.1,
                human_bytes(self.threshold)
            )
        }))
    }
}

// ---------------------------------------------------------------------------------------------

/// Brute force: many short connections from one source to an authentication service of one host.
#[derive(Debug)]
pub struct BruteForceDetector {
    /// Authentication ports (default: FTP, SSH, Telnet, RDP, VNC, MSSQL, MySQL, PostgreSQL).
    pub ports: Vec<i32>,
    /// Connections within one hour needed to flag (default 60).
    pub min_per_hour: usize,
    /// A login attempt moves at most this many bytes one way (default 10 000).
    pub max_bytes: i64,
    ips: Interner,
    times: FxHashMap<(u64, i32), Vec<i64>>,
    flagged: FxHashMap<(u64, i32), (usize, usize)>,
}

impl Default for BruteForceDetector {
    fn default() -> Self {
        BruteForceDetector {
            ports: vec![21, 22, 23, 3389, 5900, 1433, 3306, 5432],
            min_per_hour: 60,
            max_bytes: 10_000,
            ips: Interner::default(),
            times: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

impl BruteForceDetector {
    fn attack_of(&self, c: &FlowColumns, i: usize) -> Option<(u32, u32, i32, (usize, usize))> {
        if c.ibyt().value(i) > self.max_bytes {
            return None;
        }
        let (s, d) = (
            self.ips.get(c.sip().value(i))?,
            self.ips.get(c.dip().value(i))?,
        );
        if let Some(f) = self.flagged.get(&(pair(s, d), c.dport().value(i))) {
            return Some((s, d, c.dport().value(i), *f));
        }
        self.flagged
            .get(&(pair(d, s), c.sport().value(i)))
            .map(|f| (d, s, c.sport().value(i), *f))
    }
}

impl Detector for BruteForceDetector {
    fn name(&self) -> &'static str {
        "brute_force"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = FlowColumns::new(batch)?;
        let Some(ts) = c.unix_tstamp() else {
            return Ok(());
        };
        for i in 0..batch.num_rows() {
            if c.sip().is_null(i)
                || c.dip().is_null(i)
                || c.dport().is_null(i)
                || ts.is_null(i)
                || c.ibyt().is_null(i)
            {
                continue;
            }
            let port = c.dport().value(i);
            if !self.ports.contains(&port) || c.ibyt().value(i) > self.max_bytes {
                continue;
            }
            let key = (
                pair(self.ips.id(c.sip().value(i)), self.ips.id(c.dip().value(i))),
                port,
            );
            let v = self.times.entry(key).or_default();
            if v.len() < MAX_SAMPLES {
                v.push(ts.value(i));
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        for (k, mut v) in std::mem::take(&mut self.times) {
            if v.len() < self.min_per_hour {
                continue;
            }
            v.sort_unstable();
            let mut best = 0;
            let mut lo = 0;
            for hi in 0..v.len() {
                while v[hi] - v[lo] >= 3600 {
                    lo += 1;
                }
                best = best.max(hi - lo + 1);
            }
            if best >= self.min_per_hour {
                self.flagged.insert(k, (v.len(), best));
            }
        }
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                if self.flagged.is_empty()
                    || c.sip().is_null(i)
                    || c.dip().is_null(i)
                    || c.ibyt().is_null(i)
                {
                    return Flag::NONE;
                }
                self.attack_of(&c, i)
                    .map_or(Flag::NONE, |(s, d, port, (_, peak))| {
                        Flag::new(
                            strength(peak as f64 / self.min_per_hour as f64),
                            entity(s, d, port),
                        )
                    })
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        Ok(self.attack_of(&c, row).map(|(s, d, port, (n, peak))| {
            format!(
                "brute force on {}:{port} from {}: {n} short connections, up to {peak} in one hour",
                self.ips.name(d),
                self.ips.name(s)
            )
        }))
    }
}

// ---------------------------------------------------------------------------------------------

/// Tunnels over ICMP and volume over unusual protocols: host pairs whose ICMP packets are far
/// larger than pings (standard pings carry 32 or 56 bytes of payload), or that move much data
/// over an IP protocol other than TCP, UDP and ICMP to or from the Internet.
#[derive(Debug)]
pub struct TunnelDetector {
    /// ICMP packets a pair must exchange to be judged (default 100).
    pub min_packets: i64,
    /// Mean ICMP packet size that is no ping (default 200 bytes).
    pub min_packet_bytes: f64,
    /// Bytes over another protocol with an external host to flag (default 10 MB).
    pub min_other_bytes: f64,
    ips: Interner,
    /// Per unordered pair: ICMP (packets, bytes), other-protocol bytes and that protocol.
    totals: FxHashMap<u64, Volume>,
    flagged: FxHashMap<u64, Volume>,
}

#[derive(Debug, Clone, Default)]
struct Volume {
    icmp_packets: i64,
    icmp_bytes: f64,
    other_bytes: f64,
    other_proto: Option<Box<str>>,
}

impl Default for TunnelDetector {
    fn default() -> Self {
        TunnelDetector {
            min_packets: 100,
            min_packet_bytes: 200.0,
            min_other_bytes: 10e6,
            ips: Interner::default(),
            totals: FxHashMap::default(),
            flagged: FxHashMap::default(),
        }
    }
}

fn is_icmp(proto: &str) -> bool {
    proto.eq_ignore_ascii_case("ICMP")
        || proto.eq_ignore_ascii_case("ICMP6")
        || proto.eq_ignore_ascii_case("IPv6-ICMP")
}

fn is_common(proto: &str) -> bool {
    proto.eq_ignore_ascii_case("TCP") || proto.eq_ignore_ascii_case("UDP") || is_icmp(proto)
}

impl TunnelDetector {
    /// The unordered pair key of two interned hosts.
    fn key(a: u32, b: u32) -> u64 {
        pair(a.min(b), a.max(b))
    }

    fn tunnel_of(&self, c: &FlowColumns, i: usize) -> Option<(u64, &Volume)> {
        if c.proto().is_null(i) || c.proto().value(i).eq_ignore_ascii_case("TCP") {
            return None;
        }
        let (s, d) = (
            self.ips.get(c.sip().value(i))?,
            self.ips.get(c.dip().value(i))?,
        );
        let k = Self::key(s, d);
        self.flagged.get(&k).map(|v| (k, v))
    }
}

impl Detector for TunnelDetector {
    fn name(&self) -> &'static str {
        "tunnel"
    }

    fn observe(&mut self, batch: &RecordBatch) -> Result<(), FeatureError> {
        let c = FlowColumns::new(batch)?;
        for i in 0..batch.num_rows() {
            if c.sip().is_null(i)
                || c.dip().is_null(i)
                || c.proto().is_null(i)
                || c.ibyt().is_null(i)
                || c.ipkt().is_null(i)
            {
                continue;
            }
            let proto = c.proto().value(i);
            let (sip, dip) = (c.sip().value(i), c.dip().value(i));
            let icmp = is_icmp(proto);
            if !icmp && (is_common(proto) || !(is_external(sip) || is_external(dip))) {
                continue;
            }
            let k = Self::key(self.ips.id(sip), self.ips.id(dip));
            let v = self.totals.entry(k).or_default();
            if icmp {
                v.icmp_packets += c.ipkt().value(i).max(0);
                v.icmp_bytes += c.ibyt().value(i).max(0) as f64;
            } else {
                v.other_bytes += c.ibyt().value(i).max(0) as f64;
                if v.other_proto.is_none() {
                    v.other_proto = Some(proto.into());
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) {
        let (min_packets, min_size, min_other) = (
            self.min_packets,
            self.min_packet_bytes,
            self.min_other_bytes,
        );
        self.flagged = std::mem::take(&mut self.totals)
            .into_iter()
            .filter(|(_, v)| {
                (v.icmp_packets >= min_packets && v.icmp_bytes / v.icmp_packets as f64 >= min_size)
                    || v.other_bytes >= min_other
            })
            .collect();
    }

    fn strengths(&self, batch: &RecordBatch) -> Result<Vec<Flag>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        if self.flagged.is_empty() {
            return Ok(vec![Flag::NONE; batch.num_rows()]);
        }
        Ok((0..batch.num_rows())
            .map(|i| {
                if c.sip().is_null(i) || c.dip().is_null(i) {
                    return Flag::NONE;
                }
                self.tunnel_of(&c, i).map_or(Flag::NONE, |(k, v)| {
                    let x = if v.icmp_packets > 0 {
                        (v.icmp_bytes / v.icmp_packets as f64 / self.min_packet_bytes)
                            * (v.icmp_packets as f64 / self.min_packets as f64).sqrt()
                    } else {
                        v.other_bytes / self.min_other_bytes
                    };
                    Flag::new(strength(x), k)
                })
            })
            .collect())
    }

    fn reason(&self, batch: &RecordBatch, row: usize) -> Result<Option<String>, FeatureError> {
        let c = FlowColumns::new(batch)?;
        Ok(self.tunnel_of(&c, row).map(|(_, v)| {
            let (a, b) = (c.sip().value(row), c.dip().value(row));
            if v.icmp_packets >= self.min_packets {
                format!(
                    "ICMP tunnel between {a} and {b}: {} packets of {:.0} bytes on average (pings are under {:.0}), {} in all",
                    v.icmp_packets,
                    v.icmp_bytes / v.icmp_packets as f64,
                    self.min_packet_bytes,
                    human_bytes(v.icmp_bytes)
                )
            } else {
                format!(
                    "{} over protocol {} between {a} and {b}",
                    human_bytes(v.other_bytes),
                    v.other_proto.as_deref().unwrap_or("?")
                )
            }
        }))
    }
}

/// The default flow detectors.
pub fn default_flow_detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(ScanDetector::default()),
        Box::new(BeaconDetector::default()),
        Box::new(UploadDetector::default()),
        Box::new(BruteForceDetector::default()),
        Box::new(TunnelDetector::default()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int32Array, Int64Array, StringArray};
    use std::sync::Arc;

    /// (unix time, sip, dip, sport, dport, ipkt, ibyt)
    type F<'a> = (i64, &'a str, &'a str, i32, i32, i64, i64);

    fn batch(flows: &[F]) -> RecordBatch {
        let s = |f: &dyn Fn(&F) -> String| -> ArrayRef {
            Arc::new(StringArray::from(flows.iter().map(f).collect::<Vec<_>>()))
        };
        let i32s = |f: &dyn Fn(&F) -> i32| -> ArrayRef {
            Arc::new(Int32Array::from(flows.iter().map(f).collect::<Vec<_>>()))
        };
        let i64s = |f: &dyn Fn(&F) -> i64| -> ArrayRef {
            Arc::new(Int64Array::from(flows.iter().map(f).collect::<Vec<_>>()))
        };
        RecordBatch::try_from_iter([
            ("treceived", s(&|_| "2026-11-25 00:00:00".into())),
            ("unix_tstamp", i64s(&|f| f.0)),
            ("trhour", i32s(&|f| ((f.0 / 3600) % 24) as i32)),
            ("trminute", i32s(&|_| 0)),
            ("trsec", i32s(&|_| 0)),
            ("sip", s(&|f| f.1.into())),
            ("dip", s(&|f| f.2.into())),
            ("sport", i32s(&|f| f.3)),
            ("dport", i32s(&|f| f.4)),
            ("proto", s(&|_| "TCP".into())),
            ("ipkt", i64s(&|f| f.5)),
            ("ibyt", i64s(&|f| f.6)),
        ])
        .unwrap()
    }

    fn run(d: &mut dyn Detector, flows: &[F]) -> (Vec<f64>, RecordBatch) {
        let b = batch(flows);
        d.observe(&b).unwrap();
        d.finish();
        let s = d
            .strengths(&b)
            .unwrap()
            .iter()
            .map(|f| f.strength)
            .collect();
        (s, b)
    }

    /// True when the detector flags none of these flows.
    fn silent(d: &mut dyn Detector, flows: &[F]) -> bool {
        run(d, flows).0.iter().all(|x| *x == 0.0)
    }

    /// A deterministic pseudo-random sequence for benign noise.
    fn noise(i: u64, m: u64) -> i64 {
        ((i.wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407)
            >> 33)
            % m) as i64
    }

    #[test]
    fn scan_flags_probes_and_replies() {
        let mut flows = Vec::new();
        for p in 1..=150 {
            flows.push((1000 + p as i64, "10.1.0.5", "10.0.1.20", 50000, p, 1, 44));
            flows.push((1000 + p as i64, "10.0.1.20", "10.1.0.5", p, 50000, 1, 40));
        }
        let (s, b) = run(&mut ScanDetector::default(), &flows);
        assert!(s.iter().all(|x| *x >= 0.5), "{s:?}");
        let d = {
            let mut d = ScanDetector::default();
            d.observe(&b).unwrap();
            d.finish();
            d
        };
        assert_eq!(
            d.reason(&b, 1).unwrap().unwrap(),
            "port scan: 10.1.0.5 probed 150 ports of 10.0.1.20 with tiny flows"
        );
    }

    #[test]
    fn scan_ignores_look_alikes() {
        // Many connections to one port; many ports with real payloads; too few ports.
        let busy: Vec<F> = (0..500)
            .map(|i| (i, "10.1.0.5", "10.0.1.20", 40000 + i as i32, 445, 2, 80))
            .collect();
        assert!(silent(&mut ScanDetector::default(), &busy));
        let payloads: Vec<F> = (1..=150)
            .map(|p| (p as i64, "10.1.0.5", "10.0.1.20", 50000, p, 20, 30_000))
            .collect();
        assert!(silent(&mut ScanDetector::default(), &payloads));
        let few: Vec<F> = (1..=50)
            .map(|p| (p as i64, "10.1.0.5", "10.0.1.20", 50000, p, 1, 44))
            .collect();
        assert!(silent(&mut ScanDetector::default(), &few));
    }

    #[test]
    fn beacon_flags_regular_calls_to_an_external_host() {
        let flows: Vec<F> = (0..100)
            .map(|i| {
                (
                    i * 60 + noise(i as u64, 3),
                    "10.1.0.7",
                    "203.0.113.9",
                    50000 + i as i32,
                    8080,
                    3,
                    300 + noise(i as u64 + 7, 5),
                )
            })
            .collect();
        let mut d = BeaconDetector::default();
        let (s, b) = run(&mut d, &flows);
        assert!(s.iter().all(|x| *x >= 0.5), "{s:?}");
        let r = d.reason(&b, 0).unwrap().unwrap();
        assert!(
            r.starts_with("beacon from 10.1.0.7 to 203.0.113.9:8080: 100 connections every 60 s"),
            "{r}"
        );
    }

    #[test]
    fn beacon_ignores_look_alikes() {
        // Browsing: irregular times and sizes.
        let browsing: Vec<F> = (0..100)
            .map(|i| {
                (
                    noise(i, 86_400),
                    "10.1.0.7",
                    "203.0.113.9",
                    50000,
                    443,
                    10,
                    500 + noise(i + 3, 90_000),
                )
            })
            .collect();
        assert!(silent(&mut BeaconDetector::default(), &browsing));
        // Perfectly regular, but to an internal server (time sync, monitoring).
        let ntp: Vec<F> = (0..100)
            .map(|i| (i * 3600, "10.1.0.7", "10.0.0.10", 123, 123, 1, 76))
            .collect();
        assert!(silent(&mut BeaconDetector::default(), &ntp));
        // Too few connections to judge.
        let few: Vec<F> = (0..10)
            .map(|i| (i * 60, "10.1.0.7", "203.0.113.9", 50000, 8080, 3, 300))
            .collect();
        assert!(silent(&mut BeaconDetector::default(), &few));
    }

    #[test]
    fn upload_flags_gigabytes_to_an_external_host() {
        let ips: Vec<String> = (0..200).map(|i| format!("198.51.100.{}", i + 1)).collect();
        let mut flows: Vec<F> = (0..200)
            .map(|i| {
                (
                    i as i64,
                    "10.1.0.9",
                    ips[i].as_str(),
                    50000,
                    443,
                    10,
                    20_000 + i as i64,
                )
            })
            .collect();
        flows.push((
            500,
            "10.1.0.8",
            "185.220.101.47",
            50001,
            443,
            1_000_000,
            2_000_000_000,
        ));
        flows.push((
            500,
            "185.220.101.47",
            "10.1.0.8",
            443,
            50001,
            500_000,
            20_000_000,
        ));
        let mut d = UploadDetector::default();
        let (s, b) = run(&mut d, &flows);
        assert!(s[..200].iter().all(|x| *x == 0.0));
        assert!(s[200] >= 0.5 && s[201] >= 0.5, "{:?}", &s[200..]);
        let r = d.reason(&b, 201).unwrap().unwrap();
        assert!(
            r.starts_with("large upload: 10.1.0.8 sent 2.0 GB to 185.220.101.47 in 1 flows"),
            "{r}"
        );
    }

    #[test]
    fn upload_ignores_look_alikes() {
        // A nightly backup to an internal server, and downloads from the Internet.
        let flows: Vec<F> = vec![
            (
                0,
                "10.1.0.8",
                "10.0.1.20",
                50000,
                445,
                1_000_000,
                3_000_000_000,
            ),
            (
                0,
                "198.51.100.1",
                "10.1.0.8",
                443,
                50001,
                1_000_000,
                3_000_000_000,
            ),
            (0, "10.1.0.8", "198.51.100.1", 50001, 443, 1_000, 50_000),
        ];
        assert!(silent(&mut UploadDetector::default(), &flows));
    }

    /// `batch` with the protocol of each row replaced.
    fn with_protos(b: RecordBatch, protos: &[&str]) -> RecordBatch {
        let i = b.schema().index_of("proto").unwrap();
        let mut cols = b.columns().to_vec();
        cols[i] = Arc::new(StringArray::from(protos.to_vec()));
        RecordBatch::try_new(b.schema(), cols).unwrap()
    }

    fn run_batch(d: &mut dyn Detector, b: &RecordBatch) -> Vec<f64> {
        d.observe(b).unwrap();
        d.finish();
        d.strengths(b).unwrap().iter().map(|f| f.strength).collect()
    }

    #[test]
    fn scan_flags_horizontal_sweeps() {
        let hosts: Vec<String> = (1..=60).map(|i| format!("10.1.0.{i}")).collect();
        let mut flows: Vec<F> = Vec::new();
        for h in &hosts {
            flows.push((1000, "10.1.9.9", h.as_str(), 50000, 445, 1, 44));
            flows.push((1000, h.as_str(), "10.1.9.9", 445, 50000, 1, 40));
        }
        // Ordinary SMB sessions to the same hosts are no probes.
        flows.push((2000, "10.1.0.200", "10.1.0.1", 50001, 445, 40, 90_000));
        let mut d = ScanDetector::default();
        let (s, b) = run(&mut d, &flows);
        assert!(s[..120].iter().all(|x| *x >= 0.5), "{s:?}");
        assert_eq!(s[120], 0.0);
        assert_eq!(
            d.reason(&b, 1).unwrap().unwrap(),
            "horizontal scan: 10.1.9.9 probed port 445 on 60 hosts with tiny flows"
        );
        // The same exchanges over UDP are what an NTP or DNS server does: nothing.
        let udp = with_protos(batch(&flows[..120]), &["UDP"; 120]);
        assert!(
            run_batch(&mut ScanDetector::default(), &udp)
                .iter()
                .all(|x| *x == 0.0)
        );
        // Fewer hosts than the threshold: nothing.
        let few: Vec<F> = flows[..40].to_vec();
        assert!(silent(&mut ScanDetector::default(), &few));
    }

    #[test]
    fn upload_ignores_the_acknowledgements_of_large_downloads() {
        let flows: Vec<F> = vec![
            (
                0,
                "10.1.0.8",
                "152.199.19.9",
                50000,
                443,
                2_000_000,
                150_000_000,
            ),
            (
                0,
                "152.199.19.9",
                "10.1.0.8",
                443,
                50000,
                2_000_000,
                3_000_000_000,
            ),
        ];
        assert!(silent(&mut UploadDetector::default(), &flows));
    }

    #[test]
    fn tunnel_flags_large_icmp_and_other_protocols() {
        let mut flows: Vec<F> = Vec::new();
        let mut protos = Vec::new();
        for i in 0..30 {
            // 30 sessions of 10 packets of 628 bytes each way.
            flows.push((i * 20, "10.1.0.7", "203.0.113.9", 0, 2048, 10, 6_280));
            flows.push((i * 20, "203.0.113.9", "10.1.0.7", 0, 0, 10, 6_280));
            protos.extend(["ICMP", "ICMP"]);
        }
        for i in 0..200 {
            // Monitoring pings: many, but ping-sized.
            flows.push((i * 300, "10.0.9.60", "10.0.0.10", 0, 2048, 1, 84));
            flows.push((i * 300, "10.0.0.10", "10.0.9.60", 0, 0, 1, 84));
            protos.extend(["ICMP", "ICMP"]);
        }
        flows.push((9000, "10.1.0.3", "198.51.100.7", 0, 0, 20_000, 25_000_000));
        protos.push("GRE");
        flows.push((9000, "10.1.0.4", "10.0.5.1", 0, 0, 20_000, 25_000_000));
        protos.push("GRE");
        let b = with_protos(batch(&flows), &protos);
        let mut d = TunnelDetector::default();
        let s = run_batch(&mut d, &b);
        assert!(s[..60].iter().all(|x| *x >= 0.5), "{:?}", &s[..60]);
        assert!(s[60..460].iter().all(|x| *x == 0.0));
        assert!(s[460] >= 0.5);
        assert_eq!(
            s[461], 0.0,
            "GRE inside the network is a VPN, not a tunnel out"
        );
        let r = d.reason(&b, 1).unwrap().unwrap();
        assert!(
            r.starts_with("ICMP tunnel between 203.0.113.9 and 10.1.0.7: 600 packets of 628 bytes"),
            "{r}"
        );
        assert_eq!(
            d.reason(&b, 460).unwrap().unwrap(),
            "25.0 MB over protocol GRE between 10.1.0.3 and 198.51.100.7"
        );
    }

    #[test]
    fn brute_force_flags_bursts_of_logins() {
        let mut flows: Vec<F> = Vec::new();
        for i in 0..100 {
            flows.push((
                i * 15,
                "45.155.205.233",
                "10.0.0.22",
                40000 + i as i32,
                22,
                12,
                2_300,
            ));
            flows.push((
                i * 15,
                "10.0.0.22",
                "45.155.205.233",
                22,
                40000 + i as i32,
                10,
                3_000,
            ));
        }
        let mut d = BruteForceDetector::default();
        let (s, b) = run(&mut d, &flows);
        assert!(s.iter().all(|x| *x >= 0.5), "{s:?}");
        assert_eq!(
            d.reason(&b, 1).unwrap().unwrap(),
            "brute force on 10.0.0.22:22 from 45.155.205.233: 100 short connections, up to 100 in one hour"
        );
    }

    #[test]
    fn brute_force_ignores_look_alikes() {
        // An administrator's sessions spread over the day; a burst to a web server; big sessions.
        let spread: Vec<F> = (0..100)
            .map(|i| (i * 864, "10.1.0.3", "10.0.0.22", 40000, 22, 12, 2_300))
            .collect();
        assert!(silent(&mut BruteForceDetector::default(), &spread));
        let web: Vec<F> = (0..100)
            .map(|i| (i * 5, "10.1.0.3", "10.0.2.80", 40000, 443, 12, 2_300))
            .collect();
        assert!(silent(&mut BruteForceDetector::default(), &web));
        let sessions: Vec<F> = (0..100)
            .map(|i| (i * 5, "10.1.0.3", "10.0.0.22", 40000, 22, 300, 200_000))
            .collect();
        assert!(silent(&mut BruteForceDetector::default(), &sessions));
    }

    #[test]
    fn external_addresses() {
        assert!(is_external("8.8.8.8") && is_external("2001:db8::1"));
        assert!(
            !is_external("10.1.2.3") && !is_external("192.168.0.1") && !is_external("172.16.5.4")
        );
        assert!(
            !is_external("127.0.0.1")
                && !is_external("fe80::1")
                && !is_external("fd00::1")
                && !is_external("not-an-ip")
        );
    }
}
