//! A day of NetFlow records in an enterprise network.
//!
//! Workstations follow a diurnal curve (busy around 13:00, quiet at night) and talk to the usual
//! services: web sites (HTTPS/HTTP, popularity skewed toward a few sites), the internal DNS
//! resolvers, file servers (SMB), the domain controller (Kerberos, LDAP, NTP), the mail server
//! (IMAPS) and the intranet. Servers talk among themselves and to the Internet (DNS upstream,
//! SMTP, database). Sizes are log-normal per service; every connection gives two unidirectional
//! records (request and response), as NetFlow exporters write them.
//!
//! The benign population has the heavy tails of real networks, so that flagging "anything rare"
//! costs precision: one-off connections to Internet hosts never seen again, a nightly backup of
//! gigabytes to a cloud host, software updates, the IT team's vulnerability scanner sweeping the
//! workstations, and a monitoring server pinging every server every few minutes.
//!
//! Injected attacks, labeled in the `attack` column, each in a variant drawn from the seed (rates,
//! ports, sizes, times, counts, and stealthy versions): a port scan (vertical, horizontal sweep or
//! slow), an exfiltration, a beacon, a brute force on an authentication port and an ICMP tunnel.

use std::net::Ipv4Addr;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float32Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use spot_decode::flow_schema;
use spot_decode::time::CivilTime;

/// Shape of the generated day.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowDayConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// The day (UTC).
    pub date: NaiveDate,
    /// Number of workstations; the volume scales with it (≈ 600 records each).
    pub workstations: usize,
    /// Mean connections per workstation per day.
    pub connections_per_workstation: f64,
    /// Seed of the network itself (Internet sites, peers) when it must stay the same over
    /// several days; `None` uses `seed`. Two days with the same network seed share every benign
    /// host, while their traffic and attacks differ.
    pub network_seed: Option<u64>,
}

impl Default for FlowDayConfig {
    fn default() -> Self {
        FlowDayConfig {
            seed: 1,
            date: NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date"),
            workstations: 250,
            connections_per_workstation: 300.0,
            network_seed: None,
        }
    }
}

impl FlowDayConfig {
    /// A configuration sized for about `records` flow records.
    pub fn with_records(records: usize) -> Self {
        let base = FlowDayConfig::default();
        let per_ws = base.connections_per_workstation * 2.0 * 1.08;
        FlowDayConfig {
            workstations: ((records as f64 / per_ws).ceil() as usize).max(10),
            ..base
        }
    }
}

/// Kinds of injected attacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttackKind {
    /// One host probes a thousand ports of a server with single SYN packets.
    PortScan,
    /// A workstation uploads gigabytes to an Internet host never seen before, at night.
    Exfiltration,
    /// A workstation calls a command-and-control host every five minutes, all day.
    Beacon,
    /// An Internet host tries SSH logins on a server hundreds of times.
    BruteForce,
    /// A workstation tunnels data through ICMP echo packets far larger than pings.
    Tunnel,
}

impl AttackKind {
    /// The label written in the `attack` column.
    pub fn label(self) -> &'static str {
        match self {
            AttackKind::PortScan => "port_scan",
            AttackKind::Exfiltration => "exfiltration",
            AttackKind::Beacon => "beacon",
            AttackKind::BruteForce => "brute_force",
            AttackKind::Tunnel => "tunnel",
        }
    }
}

/// An attack placed in the day.
#[derive(Debug, Clone, PartialEq)]
pub struct InjectedAttack {
    pub kind: AttackKind,
    /// Source of the attack traffic.
    pub attacker: String,
    /// Its target.
    pub target: String,
    /// Records labeled with this attack.
    pub records: usize,
    /// The variant drawn for this day, in words (e.g. "horizontal sweep of port 445").
    pub variant: String,
}

/// A generated day.
#[derive(Debug, Clone)]
pub struct FlowDay {
    /// The records, in time order: the flow schema followed by `id` (Int64, row number) and
    /// `attack` (Utf8, null for normal traffic).
    pub batch: RecordBatch,
    /// The injected attacks.
    pub attacks: Vec<InjectedAttack>,
}

#[derive(Debug, Clone)]
struct Flow {
    ts: i64,
    dur: f32,
    sip: u32,
    dip: u32,
    sport: i32,
    dport: i32,
    proto: &'static str,
    flag: &'static str,
    ipkt: i64,
    ibyt: i64,
    attack: Option<&'static str>,
}

fn ip(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from(Ipv4Addr::new(a, b, c, d))
}

struct Net {
    workstations: Vec<u32>,
    dns: [u32; 2],
    dc: u32,
    files: [u32; 2],
    mail: u32,
    intranet: [u32; 2],
    db: u32,
    bastion: u32,
    sites: Vec<u32>,
    resolvers: [u32; 2],
    smtp_peers: Vec<u32>,
    /// Servers (for scans, brute force and monitoring).
    servers: Vec<u32>,
    it_scanner: u32,
    monitor: u32,
    backup_site: u32,
    update_cdn: [u32; 3],
}

impl Net {
    fn new(rng: &mut ChaCha8Rng, workstations: usize) -> Self {
        let ws = (0..workstations)
            .map(|i| ip(10, 1, (i / 250) as u8, (i % 250 + 1) as u8))
            .collect();
        let prefixes = [23u8, 34, 52, 104, 142, 151, 157, 172, 199, 203];
        let mut sites: Vec<u32> = (0..1500)
            .map(|_| {
                let p = prefixes[rng.random_range(0..prefixes.len())];
                ip(
                    p,
                    rng.random_range(1..=254),
                    rng.random_range(0..=255),
                    rng.random_range(1..=254),
                )
            })
            .collect();
        sites.dedup();
        let smtp_peers = (0..60)
            .map(|_| {
                ip(
                    rng.random_range(60..=90),
                    rng.random_range(0..=255),
                    rng.random_range(0..=255),
                    rng.random_range(1..=254),
                )
            })
            .collect();
        Net {
            workstations: ws,
            dns: [ip(10, 0, 0, 53), ip(10, 0, 0, 54)],
            dc: ip(10, 0, 0, 10),
            files: [ip(10, 0, 1, 20), ip(10, 0, 1, 21)],
            mail: ip(10, 0, 0, 25),
            intranet: [ip(10, 0, 2, 80), ip(10, 0, 2, 81)],
            db: ip(10, 0, 3, 5),
            bastion: ip(10, 0, 0, 22),
            sites,
            resolvers: [ip(8, 8, 8, 8), ip(1, 1, 1, 1)],
            smtp_peers,
            servers: vec![
                ip(10, 0, 0, 53),
                ip(10, 0, 0, 54),
                ip(10, 0, 0, 10),
                ip(10, 0, 1, 20),
                ip(10, 0, 1, 21),
                ip(10, 0, 0, 25),
                ip(10, 0, 2, 80),
                ip(10, 0, 2, 81),
                ip(10, 0, 3, 5),
                ip(10, 0, 0, 22),
                ip(10, 0, 4, 33),
            ],
            it_scanner: ip(10, 0, 9, 50),
            monitor: ip(10, 0, 9, 60),
            backup_site: ip(
                rng.random_range(130..=139),
                rng.random_range(0..=255),
                rng.random_range(0..=255),
                rng.random_range(1..=254),
            ),
            update_cdn: [
                ip(13, 107, 4, 50),
                ip(13, 107, 4, rng.random_range(51..=99)),
                ip(152, 199, 19, rng.random_range(1..=200)),
            ],
        }
    }
}

/// Relative activity by hour of day for people at work.
fn diurnal(h: usize) -> f64 {
    let x = (h as f64 - 13.0) / 3.5;
    0.04 + (-0.5 * x * x).exp()
}

struct Gen {
    rng: ChaCha8Rng,
    flows: Vec<Flow>,
    day_start: i64,
    hour_cdf: Vec<f64>,
}

impl Gen {
    fn time(&mut self) -> i64 {
        let u: f64 = self.rng.random();
        let h = self.hour_cdf.iter().position(|&c| u <= c).unwrap_or(23) as i64;
        self.day_start + h * 3600 + self.rng.random_range(0..3600)
    }

    fn ephemeral(&mut self) -> i32 {
        self.rng.random_range(49152..=65535)
    }

    fn lognormal(&mut self, median: f64, sigma: f64) -> i64 {
        let d = LogNormal::new(median.ln(), sigma).expect("finite parameters");
        (d.sample(&mut self.rng).round() as i64).max(1)
    }

    /// A connection: request and response records.
    #[allow(clippy::too_many_arguments)]
    fn conn(
        &mut self,
        ts: i64,
        client: u32,
        server: u32,
        dport: i32,
        proto: &'static str,
        up: (i64, i64),
        down: (i64, i64),
        attack: Option<&'static str>,
    ) {
        let sport = self.ephemeral();
        let dur = if proto == "UDP" {
            0.0
        } else {
            self.rng.random_range(0.01f32..30.0)
        };
        let (flag_up, flag_down) = if proto == "TCP" {
            (".AP.SF", ".AP.SF")
        } else {
            ("......", "......")
        };
        self.flows.push(Flow {
            ts,
            dur,
            sip: client,
            dip: server,
            sport,
            dport,
            proto,
            flag: flag_up,
            ipkt: up.0,
            ibyt: up.1,
            attack,
        });
        if down.0 > 0 {
            self.flows.push(Flow {
                ts,
                dur,
                sip: server,
                dip: client,
                sport: dport,
                dport: sport,
                proto,
                flag: flag_down,
                ipkt: down.0,
                ibyt: down.1,
                attack,
            });
        }
    }

    /// One unidirectional record.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        ts: i64,
        (sip, sport): (u32, i32),
        (dip, dport): (u32, i32),
        proto: &'static str,
        flag: &'static str,
        (ipkt, ibyt): (i64, i64),
        dur: f32,
        attack: Option<&'static str>,
    ) {
        self.flows.push(Flow {
            ts,
            dur,
            sip,
            dip,
            sport,
            dport,
            proto,
            flag,
            ipkt,
            ibyt,
            attack,
        });
    }

    /// A SYN probe and the target's reset.
    fn probe(
        &mut self,
        ts: i64,
        src: u32,
        sport: i32,
        dst: u32,
        port: i32,
        label: Option<&'static str>,
    ) {
        self.record(
            ts,
            (src, sport),
            (dst, port),
            "TCP",
            "....S.",
            (1, 44),
            0.0,
            label,
        );
        self.record(
            ts,
            (dst, port),
            (src, sport),
            "TCP",
            ".A.R..",
            (1, 40),
            0.0,
            label,
        );
    }

    /// An ICMP echo request and its reply (nfdump keeps type·256 + code as the port).
    fn ping(
        &mut self,
        ts: i64,
        src: u32,
        dst: u32,
        packets: i64,
        payload: i64,
        label: Option<&'static str>,
    ) {
        let bytes = packets * (payload + 28);
        self.record(
            ts,
            (src, 0),
            (dst, 2048),
            "ICMP",
            "......",
            (packets, bytes),
            0.0,
            label,
        );
        self.record(
            ts,
            (dst, 0),
            (src, 0),
            "ICMP",
            "......",
            (packets, bytes),
            0.0,
            label,
        );
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    fn external_ip(&mut self) -> u32 {
        let first = self.pick(&[5u8, 31, 37, 45, 62, 77, 91, 103, 176, 185, 193, 212]);
        ip(
            first,
            self.rng.random_range(0..=255),
            self.rng.random_range(0..=255),
            self.rng.random_range(1..=254),
        )
    }

    fn sized(&mut self, median_bytes: f64, sigma: f64, pkt_size: f64) -> (i64, i64) {
        let b = self.lognormal(median_bytes, sigma);
        ((b as f64 / pkt_size).ceil() as i64, b)
    }
}

/// Generates one day: the network, its benign traffic and heavy tails, and five attacks in
/// variants drawn from the seed ([`FlowDayConfig`], [`AttackKind`]).
pub fn flow_day(cfg: &FlowDayConfig) -> FlowDay {
    let mut net_rng = ChaCha8Rng::seed_from_u64(cfg.network_seed.unwrap_or(cfg.seed));
    let net = Net::new(&mut net_rng, cfg.workstations.max(4));
    let rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x7472_6166_6669_6300);
    let weights: Vec<f64> = (0..24).map(diurnal).collect();
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    let hour_cdf = weights
        .iter()
        .map(|w| {
            acc += w / total;
            acc
        })
        .collect();
    let day_start = cfg
        .date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp();
    let mut g = Gen {
        rng,
        flows: Vec::new(),
        day_start,
        hour_cdf,
    };

    // Workstations.
    for wi in 0..net.workstations.len() {
        let ws = net.workstations[wi];
        let activity = g.lognormal(1.0, 0.6) as f64;
        let n = (cfg.connections_per_workstation * activity.min(3.0) / 1.2).round() as usize;
        let fav_files = net.files[wi % 2];
        for _ in 0..n {
            let ts = g.time();
            let r: f64 = g.rng.random();
            if r < 0.45 {
                let u: f64 = g.rng.random();
                let site =
                    net.sites[((u.powf(2.5)) * net.sites.len() as f64) as usize % net.sites.len()];
                let up = g.sized(1500.0, 0.8, 400.0);
                let down = g.sized(40_000.0, 1.6, 1200.0);
                g.conn(ts, ws, site, 443, "TCP", up, down, None);
            } else if r < 0.53 {
                let u: f64 = g.rng.random();
                let site =
                    net.sites[((u.powf(3.0)) * net.sites.len() as f64) as usize % net.sites.len()];
                let up = g.sized(600.0, 0.5, 300.0);
                let down = g.sized(15_000.0, 1.4, 1200.0);
                g.conn(ts, ws, site, 80, "TCP", up, down, None);
            } else if r < 0.73 {
                let srv = net.dns[(g.rng.random::<f64>() < 0.3) as usize];
                let q = g.rng.random_range(60..90);
                let a = g.rng.random_range(80..300);
                g.conn(ts, ws, srv, 53, "UDP", (1, q), (1, a), None);
            } else if r < 0.81 {
                let up = g.sized(4_000.0, 1.2, 800.0);
                let down = g.sized(120_000.0, 1.5, 1400.0);
                g.conn(ts, ws, fav_files, 445, "TCP", up, down, None);
            } else if r < 0.88 {
                let (port, proto) = if g.rng.random::<f64>() < 0.5 {
                    (88, "TCP")
                } else {
                    (389, "TCP")
                };
                let up = g.sized(1_200.0, 0.4, 300.0);
                let down = g.sized(2_500.0, 0.5, 600.0);
                g.conn(ts, ws, net.dc, port, proto, up, down, None);
            } else if r < 0.94 {
                let up = g.sized(2_000.0, 0.7, 400.0);
                let down = g.sized(25_000.0, 1.5, 1300.0);
                g.conn(ts, ws, net.mail, 993, "TCP", up, down, None);
            } else {
                let srv = net.intranet[(g.rng.random::<f64>() < 0.4) as usize];
                let up = g.sized(900.0, 0.5, 300.0);
                let down = g.sized(20_000.0, 1.2, 1200.0);
                g.conn(ts, ws, srv, 443, "TCP", up, down, None);
            }
        }
        // Hourly time sync with the domain controller (both ports 123: low to low).
        for h in 0..24 {
            let ts = day_start + h * 3600 + g.rng.random_range(0..60);
            g.flows.push(Flow {
                ts,
                dur: 0.0,
                sip: ws,
                dip: net.dc,
                sport: 123,
                dport: 123,
                proto: "UDP",
                flag: "......",
                ipkt: 1,
                ibyt: 76,
                attack: None,
            });
            g.flows.push(Flow {
                ts,
                dur: 0.0,
                sip: net.dc,
                dip: ws,
                sport: 123,
                dport: 123,
                proto: "UDP",
                flag: "......",
                ipkt: 1,
                ibyt: 76,
                attack: None,
            });
        }
    }

    // Servers.
    let scale = net.workstations.len();
    for _ in 0..scale * 25 {
        let ts = g.time();
        let srv = net.dns[g.rng.random_range(0..2)];
        let res = net.resolvers[g.rng.random_range(0..2)];
        let q = g.rng.random_range(60..100);
        let a = g.rng.random_range(100..500);
        g.conn(ts, srv, res, 53, "UDP", (1, q), (1, a), None);
    }
    for _ in 0..scale * 4 {
        let ts = g.time();
        let web = net.intranet[g.rng.random_range(0..2)];
        let up = g.sized(800.0, 0.6, 300.0);
        let down = g.sized(6_000.0, 1.0, 1200.0);
        g.conn(ts, web, net.db, 5432, "TCP", up, down, None);
    }
    for _ in 0..scale * 2 {
        let ts = g.time();
        let peer = net.smtp_peers[g.rng.random_range(0..net.smtp_peers.len())];
        let up = g.sized(30_000.0, 1.3, 1200.0);
        let down = g.sized(1_000.0, 0.3, 200.0);
        if g.rng.random::<f64>() < 0.5 {
            g.conn(ts, peer, net.mail, 25, "TCP", up, down, None);
        } else {
            g.conn(ts, net.mail, peer, 25, "TCP", up, down, None);
        }
    }
    // Administrators use the SSH bastion during the day.
    for _ in 0..scale / 5 + 5 {
        let ts = g.time();
        let admin = net.workstations[g.rng.random_range(0..net.workstations.len().min(10))];
        let up = g.sized(20_000.0, 1.0, 200.0);
        let down = g.sized(80_000.0, 1.2, 900.0);
        g.conn(ts, admin, net.bastion, 22, "TCP", up, down, None);
    }

    benign_tails(&mut g, &net);
    let attacks = inject_attacks(&mut g, &net);

    let mut flows = g.flows;
    // Stable by time: records generated earlier stay first within a second.
    flows.sort_by_key(|f| f.ts);
    FlowDay {
        batch: to_batch(&flows),
        attacks,
    }
}

/// The benign heavy tails: rare hosts, backups, updates, the IT scanner, monitoring.
fn benign_tails(g: &mut Gen, net: &Net) {
    let day = g.day_start;
    // One-off visits to Internet hosts nobody else talks to.
    for wi in 0..net.workstations.len() {
        if g.rng.random::<f64>() < 0.3 {
            let ws = net.workstations[wi];
            let site = g.external_ip();
            for _ in 0..g.rng.random_range(1..=3) {
                let ts = g.time();
                let up = g.sized(1_500.0, 0.8, 400.0);
                let down = g.sized(30_000.0, 1.6, 1200.0);
                let port = g.pick(&[443, 443, 443, 80, 8080]);
                g.conn(ts, ws, site, port, "TCP", up, down, None);
            }
        }
    }
    // The nightly backup: gigabytes from the file servers to a cloud host.
    for (k, &files) in net.files.iter().enumerate() {
        let start = day + 3600 + k as i64 * 1800 + g.rng.random_range(0..600);
        for i in 0..g.rng.random_range(2..=4) {
            let bytes = g.rng.random_range(1_000_000_000i64..6_000_000_000);
            g.conn(
                start + i * 1200,
                files,
                net.backup_site,
                443,
                "TCP",
                (bytes / 1400, bytes),
                (bytes / 2800, bytes / 60),
                None,
            );
        }
    }
    // Software updates: a large download per workstation from the update CDN.
    for wi in 0..net.workstations.len() {
        if g.rng.random::<f64>() < 0.6 {
            let ts = g.time();
            let cdn = g.pick(&net.update_cdn);
            let down = g.sized(150_000_000.0, 1.0, 1400.0);
            let up = (down.0 / 2, down.0 * 52);
            g.conn(ts, net.workstations[wi], cdn, 443, "TCP", up, down, None);
        }
    }
    // The IT team's vulnerability scanner: a sweep of every workstation on a few ports at
    // lunchtime, and of every server on many ports.
    let sport = g.ephemeral();
    let start = day + 12 * 3600 + g.rng.random_range(0..1800);
    let mut k = 0i64;
    for &port in &[22, 135, 445, 3389, 5985] {
        for wi in 0..net.workstations.len() {
            g.probe(
                start + k / 8,
                net.it_scanner,
                sport,
                net.workstations[wi],
                port,
                None,
            );
            k += 1;
        }
    }
    for (si, &srv) in net.servers.iter().enumerate() {
        for port in (1..=1024).step_by(16) {
            let ts = start + 600 + si as i64 * 20 + i64::from(port) / 64;
            g.probe(ts, net.it_scanner, sport, srv, port, None);
        }
    }
    // Monitoring pings every server every five minutes.
    for &srv in &net.servers {
        let mut ts = day + g.rng.random_range(0..300);
        while ts < day + 86_400 {
            g.ping(ts, net.monitor, srv, 1, 56, None);
            ts += 300;
        }
    }
}

/// Injects this day's attacks, each from a different workstation, in variants drawn from the
/// seed.
fn inject_attacks(g: &mut Gen, net: &Net) -> Vec<InjectedAttack> {
    let day = g.day_start;
    let mut taken: Vec<u32> = Vec::new();
    // A workstation no other attack uses, while there are some left.
    let mut pick_ws = |g: &mut Gen| {
        let free: Vec<u32> = net
            .workstations
            .iter()
            .copied()
            .filter(|w| !taken.contains(w))
            .collect();
        let w = if free.is_empty() {
            g.pick(&net.workstations)
        } else {
            g.pick(&free)
        };
        taken.push(w);
        w
    };
    let ipstr = |x: u32| Ipv4Addr::from(x).to_string();
    let mut attacks = Vec::new();

    // Port scan.
    let scanner = pick_ws(g);
    let before = g.flows.len();
    let sport = g.ephemeral();
    let start = day + g.rng.random_range(0..22 * 3600);
    let (target, variant) = match g.rng.random_range(0..3) {
        0 => {
            let target = g.pick(&net.servers);
            let ports = g.rng.random_range(200..=1500);
            let per_sec = g.rng.random_range(2..=20);
            for port in 1..=ports {
                g.probe(
                    start + i64::from(port) / per_sec,
                    scanner,
                    sport,
                    target,
                    port,
                    Some("port_scan"),
                );
            }
            (target, format!("vertical scan of {ports} ports"))
        }
        1 => {
            let port = g.pick(&[22, 445, 3389, 5900, 23]);
            let hosts = net.workstations.len().clamp(4, 250);
            for (i, &ws) in net.workstations.iter().take(hosts).enumerate() {
                if ws != scanner {
                    g.probe(
                        start + i as i64 / 4,
                        scanner,
                        sport,
                        ws,
                        port,
                        Some("port_scan"),
                    );
                }
            }
            (
                net.workstations[0],
                format!("horizontal sweep of port {port} over {hosts} hosts"),
            )
        }
        _ => {
            let target = g.pick(&net.servers);
            let ports = g.rng.random_range(120..=300);
            let span = g.rng.random_range(3..=8) * 3600;
            for port in 1..=ports {
                let ts = start.min(day + 86_400 - span) + span * i64::from(port) / i64::from(ports);
                g.probe(ts, scanner, sport, target, port, Some("port_scan"));
            }
            (
                target,
                format!("slow scan of {ports} ports over {} hours", span / 3600),
            )
        }
    };
    attacks.push(InjectedAttack {
        kind: AttackKind::PortScan,
        attacker: ipstr(scanner),
        target: ipstr(target),
        records: g.flows.len() - before,
        variant,
    });

    // Exfiltration.
    let exfil = pick_ws(g);
    let drop_site = g.external_ip();
    let before = g.flows.len();
    let conns = g.rng.random_range(1..=6);
    let total = g.rng.random_range(300_000_000i64..3_000_000_000);
    let port = g.pick(&[443, 443, 22, 8443, 993]);
    let start = day + g.rng.random_range(0..20 * 3600);
    for i in 0..conns {
        let bytes = total / conns;
        let ts = start + i * g.rng.random_range(300..1800);
        g.conn(
            ts,
            exfil,
            drop_site,
            port,
            "TCP",
            (bytes / 1400, bytes),
            (bytes / 2800, bytes / 50),
            Some("exfiltration"),
        );
    }
    attacks.push(InjectedAttack {
        kind: AttackKind::Exfiltration,
        attacker: ipstr(exfil),
        target: ipstr(drop_site),
        records: g.flows.len() - before,
        variant: format!(
            "{} MB in {conns} connections to port {port}",
            total / 1_000_000
        ),
    });

    // Beacon.
    let beaconer = pick_ws(g);
    let c2 = g.external_ip();
    let before = g.flows.len();
    let interval = g.pick(&[60i64, 120, 300, 600, 900]);
    let jitter = (interval as f64 * g.rng.random_range(0.0..0.08)) as i64;
    let port = g.pick(&[443, 8443, 8080, 80]);
    let hours = g.rng.random_range(8..=24);
    let first = day
        + g.rng
            .random_range(0..(24 - hours + 1) * 3600)
            .min(86_400 - hours * 3600);
    let (up_size, down_size) = (g.rng.random_range(200..2000), g.rng.random_range(100..1500));
    let mut ts = first;
    while ts < first + hours * 3600 {
        let up = up_size + g.rng.random_range(0..40);
        let down = down_size + g.rng.random_range(0..40);
        g.conn(
            ts,
            beaconer,
            c2,
            port,
            "TCP",
            (3, up),
            (2, down),
            Some("beacon"),
        );
        ts += interval + g.rng.random_range(-jitter..=jitter);
    }
    attacks.push(InjectedAttack {
        kind: AttackKind::Beacon,
        attacker: ipstr(beaconer),
        target: ipstr(c2),
        records: g.flows.len() - before,
        variant: format!("every {interval} s ± {jitter} s to port {port} for {hours} h"),
    });

    // Brute force on an authentication port, from the Internet or a compromised workstation.
    let (port, target) = match g.rng.random_range(0..3) {
        0 => (22, net.bastion),
        1 => (3389, ip(10, 0, 4, 33)),
        _ => (21, ip(10, 0, 4, 33)),
    };
    let brute = if g.rng.random::<f64>() < 0.7 {
        g.external_ip()
    } else {
        pick_ws(g)
    };
    let before = g.flows.len();
    let tries = g.rng.random_range(150..=800);
    let gap = g.rng.random_range(2..=20);
    let start = day + g.rng.random_range(0..(86_400 - tries * gap).max(1));
    for i in 0..tries {
        let ts = start + i * gap + g.rng.random_range(0..2);
        let up = (g.rng.random_range(8..14), g.rng.random_range(1_500..2_600));
        let down = (g.rng.random_range(7..12), g.rng.random_range(2_000..3_400));
        g.conn(
            ts,
            brute,
            target,
            port,
            "TCP",
            up,
            down,
            Some("brute_force"),
        );
    }
    attacks.push(InjectedAttack {
        kind: AttackKind::BruteForce,
        attacker: ipstr(brute),
        target: ipstr(target),
        records: g.flows.len() - before,
        variant: format!("{tries} logins on port {port}, one every {gap} s"),
    });

    // ICMP tunnel.
    let tunneler = pick_ws(g);
    let exit = g.external_ip();
    let before = g.flows.len();
    let sessions = g.rng.random_range(40..=300);
    let start = day + g.rng.random_range(0..18 * 3600);
    let payload = g.rng.random_range(400..1200);
    for i in 0..sessions {
        let packets = g.rng.random_range(5..60);
        let ts = start + i * g.rng.random_range(10..60);
        g.ping(ts, tunneler, exit, packets, payload, Some("tunnel"));
    }
    attacks.push(InjectedAttack {
        kind: AttackKind::Tunnel,
        attacker: ipstr(tunneler),
        target: ipstr(exit),
        records: g.flows.len() - before,
        variant: format!("{sessions} ICMP sessions with {payload}-byte payloads"),
    });
    attacks
}

fn to_batch(flows: &[Flow]) -> RecordBatch {
    let times: Vec<CivilTime> = flows
        .iter()
        .map(|f| CivilTime::from_unix(f.ts).expect("generated times are in range"))
        .collect();
    let i32s = |f: &dyn Fn(usize) -> i32| -> ArrayRef {
        Arc::new(Int32Array::from(
            (0..flows.len()).map(f).collect::<Vec<_>>(),
        ))
    };
    let i64s = |f: &dyn Fn(usize) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from(
            (0..flows.len()).map(f).collect::<Vec<_>>(),
        ))
    };
    let strs = |f: &dyn Fn(usize) -> String| -> ArrayRef {
        Arc::new(StringArray::from(
            (0..flows.len()).map(f).collect::<Vec<_>>(),
        ))
    };
    let ipstr = |x: u32| Ipv4Addr::from(x).to_string();
    let router = "10.0.0.1".to_string();
    let mut cols: Vec<ArrayRef> = vec![
        strs(&|i| times[i].to_spot_string()),
        i64s(&|i| times[i].unix),
        i32s(&|i| times[i].year),
        i32s(&|i| times[i].month),
        i32s(&|i| times[i].day),
        i32s(&|i| times[i].hour),
        i32s(&|i| times[i].minute),
        i32s(&|i| times[i].second),
        Arc::new(Float32Array::from(
            flows.iter().map(|f| f.dur).collect::<Vec<_>>(),
        )),
        strs(&|i| ipstr(flows[i].sip)),
        strs(&|i| ipstr(flows[i].dip)),
        i32s(&|i| flows[i].sport),
        i32s(&|i| flows[i].dport),
        strs(&|i| flows[i].proto.to_string()),
        strs(&|i| flows[i].flag.to_string()),
        i32s(&|_| 0),
        i32s(&|_| 0),
        i64s(&|i| flows[i].ipkt),
        i64s(&|i| flows[i].ibyt),
        i64s(&|_| 0),
        i64s(&|_| 0),
        i32s(&|_| 1),
        i32s(&|_| 2),
        i32s(&|_| 0),
        i32s(&|_| 0),
        i32s(&|_| 0),
        i32s(&|_| 0),
        strs(&|_| router.clone()),
    ];
    cols.push(i64s(&|i| i as i64));
    cols.push(Arc::new(StringArray::from(
        flows.iter().map(|f| f.attack).collect::<Vec<_>>(),
    )));
    let mut fields: Vec<Field> = flow_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("id", DataType::Int64, false));
    fields.push(Field::new("attack", DataType::Utf8, true));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).expect("columns match the schema")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_day() {
        let cfg = FlowDayConfig {
            workstations: 12,
            ..FlowDayConfig::default()
        };
        let a = flow_day(&cfg);
        let b = flow_day(&cfg);
        assert_eq!(a.batch, b.batch);
        let c = flow_day(&FlowDayConfig { seed: 2, ..cfg });
        assert_ne!(a.batch, c.batch);
    }

    #[test]
    fn tiny_networks_still_get_every_attack() {
        let day = flow_day(&FlowDayConfig {
            workstations: 1,
            ..FlowDayConfig::default()
        });
        assert_eq!(day.attacks.len(), 5);
    }

    #[test]
    fn attacks_are_labeled() {
        let day = flow_day(&FlowDayConfig {
            workstations: 12,
            ..FlowDayConfig::default()
        });
        let labels = day.batch.column_by_name("attack").unwrap();
        let labels = labels.as_any().downcast_ref::<StringArray>().unwrap();
        for a in &day.attacks {
            let n = labels.iter().filter(|l| *l == Some(a.kind.label())).count();
            assert_eq!(n, a.records, "{:?}", a.kind);
        }
        assert_eq!(day.attacks.len(), 5);
        assert!(day.attacks.iter().all(|a| a.records > 0));
    }
}
