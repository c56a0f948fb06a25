//! A day of DNS traffic in an enterprise network, written as a real packet capture.
//!
//! Workstations and servers ask two internal resolvers; lookups follow a diurnal curve and each
//! client's activity is heavy-tailed. Names come from popular sites (Zipf-skewed, listed in the
//! top-domains file), the company's internal zone, a long tail of rare but benign sites, CDNs
//! with random-looking labels, security-reputation services that encode hashes in long names,
//! reverse (PTR) lookups from servers, browser probes of random single labels, and readable
//! NXDOMAINs (search-domain misconfigurations). The mail server looks up many TXT records.
//!
//! Injected attacks, randomised by the seed (counts, times, lengths, types), are labeled per
//! response frame: a DNS tunnel (long high-entropy TXT or NULL queries to one domain, in a burst
//! of an hour or two), a slow tunnel (a few dozen shorter A queries spread over the day), a DGA
//! burst (hundreds of NXDOMAINs for random names in minutes, then one that resolves) and a
//! rare-query-type probe (HINFO / AXFR / WKS / LOC against the internal zone).
//!
//! [`write_dns_day`] streams one hour at a time: memory follows the busiest hour, not the day.

use std::io::{self, Write};

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use spot_decode::capture::PcapWriter;

/// Shape of the generated day.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsDayConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// The day (UTC).
    pub date: NaiveDate,
    /// Number of clients (workstations and a few servers).
    pub clients: usize,
    /// Mean lookups per client per day.
    pub lookups_per_client: f64,
}

impl Default for DnsDayConfig {
    fn default() -> Self {
        DnsDayConfig {
            seed: 1,
            date: NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date"),
            clients: 150,
            lookups_per_client: 300.0,
        }
    }
}

impl DnsDayConfig {
    /// A configuration sized for about `records` DNS responses.
    pub fn with_records(records: usize) -> Self {
        let base = DnsDayConfig::default();
        DnsDayConfig {
            clients: ((records as f64 / base.lookups_per_client).ceil() as usize).max(20),
            ..base
        }
    }
}

/// Kinds of injected DNS attacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DnsAttackKind {
    /// Long high-entropy TXT / NULL queries to one domain, in a burst.
    Tunnel,
    /// A few dozen shorter encoded A queries to one domain, spread over the day.
    SlowTunnel,
    /// Hundreds of NXDOMAINs for random names in minutes, then one that resolves.
    Dga,
    /// Query types nobody else uses (HINFO, AXFR, WKS, LOC) against the internal zone.
    RareQtype,
}

impl DnsAttackKind {
    /// The label written in the labels file.
    pub fn label(self) -> &'static str {
        match self {
            DnsAttackKind::Tunnel => "dns_tunnel",
            DnsAttackKind::SlowTunnel => "slow_tunnel",
            DnsAttackKind::Dga => "dga",
            DnsAttackKind::RareQtype => "rare_qtype",
        }
    }

    /// Every kind, in the order they are reported.
    pub const ALL: [DnsAttackKind; 4] = [
        DnsAttackKind::Tunnel,
        DnsAttackKind::SlowTunnel,
        DnsAttackKind::Dga,
        DnsAttackKind::RareQtype,
    ];
}

/// An attack placed in the day.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsInjectedAttack {
    pub kind: DnsAttackKind,
    /// The infected client.
    pub client: String,
    /// The domain (or zone) it talks to.
    pub target: String,
    /// Responses labeled with this attack.
    pub records: usize,
}

/// What [`write_dns_day`] wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DnsDay {
    /// Packets in the capture (queries and responses).
    pub packets: u64,
    /// Responses (one labeled record each).
    pub responses: u64,
    /// Bytes of the capture file.
    pub bytes: u64,
    /// The injected attacks.
    pub attacks: Vec<DnsInjectedAttack>,
}

/// Popular sites: the top-domains file lists them, and most lookups go to them.
const POPULAR: &[&str] = &[
    "google.com",
    "youtube.com",
    "facebook.com",
    "microsoft.com",
    "office.com",
    "apple.com",
    "amazon.com",
    "wikipedia.org",
    "github.com",
    "linkedin.com",
    "netflix.com",
    "zoom.us",
    "slack.com",
    "salesforce.com",
    "dropbox.com",
    "twitter.com",
    "instagram.com",
    "yahoo.com",
    "bing.com",
    "adobe.com",
    "cloudflare.com",
    "akamai.net",
    "windowsupdate.com",
    "live.com",
    "reddit.com",
    "stackoverflow.com",
    "bbc.co.uk",
    "nytimes.com",
    "spotify.com",
    "atlassian.net",
    "okta.com",
    "gstatic.com",
    "doubleclick.net",
    "googleapis.com",
    "msn.com",
];
const HOSTS: &[&str] = &[
    "www", "api", "mail", "cdn", "static", "img", "login", "m", "edge", "update", "apps",
    "accounts",
];
/// The company's zone; `acme` is the user domain of the demo.
pub const INTERNAL_ZONE: &str = "intra.acme.com";
const INTERNAL_HOSTS: &[&str] = &[
    "fileserver",
    "intranet",
    "mail",
    "dc01",
    "dc02",
    "proxy",
    "wiki",
    "jira",
    "git",
    "printer1",
    "printer2",
    "vpn",
    "hr",
    "payroll",
];
const CDNS: &[&str] = &[
    "cloudfront.net",
    "akamaiedge.net",
    "googlevideo.com",
    "fastly.net",
];
const WORDS: &[&str] = &[
    "blue", "fish", "bakery", "garden", "tech", "north", "river", "cloud", "data", "shop", "media",
    "travel", "green", "smart", "home", "city", "news", "sport", "health", "music", "photo",
    "pixel", "forest", "stone", "apple", "lake", "sun", "star", "craft", "labs",
];
const RARE_TLDS: &[&str] = &["com", "net", "org", "io", "de", "fr", "co.uk", "info"];

/// The top-domains file of the day: `rank,domain`, the popular sites.
pub fn top_domains_csv() -> String {
    let mut s = String::from("rank,domain\n");
    for (i, d) in POPULAR.iter().enumerate() {
        s.push_str(&format!("{},{d}\n", i + 1));
    }
    s
}

/// Lookups per hour of the day, relative (busy around 10:00 and 14:00, quiet at night).
const HOURLY: [f64; 24] = [
    0.15, 0.1, 0.1, 0.1, 0.1, 0.15, 0.3, 0.8, 1.6, 2.0, 2.1, 1.9, 1.5, 1.8, 2.0, 1.9, 1.6, 1.1,
    0.7, 0.5, 0.4, 0.35, 0.25, 0.2,
];

/// One lookup: the query and its response.
#[derive(Debug, Clone)]
struct Lookup {
    /// Nanoseconds since the start of the day.
    t: i64,
    client: u32,
    resolver: u32,
    name: String,
    qtype: u16,
    rcode: u8,
    answer: Answer,
    attack: Option<&'static str>,
}

#[derive(Debug, Clone)]
enum Answer {
    None,
    /// Addresses (A or AAAA per qtype), optionally behind a CNAME.
    Addr(Option<String>, u8),
    Txt(usize),
    Name(String),
}

fn ip(a: u32) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
const HEX: &[u8] = b"0123456789abcdef";

fn random_str(rng: &mut ChaCha8Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// Splits encoded data into DNS labels of at most 63 characters.
fn as_labels(data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 4);
    for (i, c) in data.chars().enumerate() {
        if i > 0 && i % 63 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A planned attack: who, where, when, how much.
#[derive(Debug, Clone)]
struct Plan {
    kind: DnsAttackKind,
    client: u32,
    target: String,
    /// Start and end of its activity, ns since midnight.
    start: i64,
    end: i64,
    count: usize,
    /// Kind-specific knob: label length, or query type.
    knob: usize,
    records: usize,
}

struct Network {
    clients: Vec<u32>,
    activity: Vec<f64>,
    servers: Vec<u32>,
    mail_server: u32,
    resolvers: [u32; 2],
    rare_sites: Vec<String>,
}

const HOUR_NS: i64 = 3_600_000_000_000;

fn network(cfg: &DnsDayConfig, rng: &mut ChaCha8Rng) -> Network {
    let n = cfg.clients.max(4);
    let clients: Vec<u32> = (0..n as u32)
        .map(|i| u32::from_be_bytes([10, 1, (i / 250) as u8, (i % 250 + 2) as u8]))
        .collect();
    let lognormal = LogNormal::new(0.0, 0.8).expect("valid lognormal");
    // Heavy-tailed activity with mean 1 (a log-normal of σ = 0.8 has mean e^0.32).
    let activity = clients
        .iter()
        .map(|_| lognormal.sample(rng) / 0.32f64.exp())
        .collect();
    let servers = (0..(n / 30).max(2) as u32)
        .map(|i| u32::from_be_bytes([10, 0, 2, 10 + i as u8]))
        .collect();
    let rare_sites = (0..(n * 3).max(50))
        .map(|_| {
            format!(
                "{}{}{}.{}",
                WORDS[rng.random_range(0..WORDS.len())],
                WORDS[rng.random_range(0..WORDS.len())],
                if rng.random_bool(0.3) {
                    rng.random_range(1..99).to_string()
                } else {
                    String::new()
                },
                RARE_TLDS[rng.random_range(0..RARE_TLDS.len())]
            )
        })
        .collect();
    Network {
        clients,
        activity,
        servers,
        mail_server: u32::from_be_bytes([10, 0, 2, 25]),
        resolvers: [
            u32::from_be_bytes([10, 0, 0, 53]),
            u32::from_be_bytes([10, 0, 1, 53]),
        ],
        rare_sites,
    }
}

fn plan_attacks(net: &Network, rng: &mut ChaCha8Rng) -> Vec<Plan> {
    let pick_client = |rng: &mut ChaCha8Rng, taken: &mut Vec<u32>| loop {
        let c = net.clients[rng.random_range(0..net.clients.len())];
        if !taken.contains(&c) {
            taken.push(c);
            return c;
        }
    };
    let mut taken = Vec::new();
    let word = |rng: &mut ChaCha8Rng| WORDS[rng.random_range(0..WORDS.len())];
    let tunnel_start = rng.random_range(1..20) as i64 * HOUR_NS + rng.random_range(0..HOUR_NS);
    let tunnel_len = rng.random_range(HOUR_NS / 2..2 * HOUR_NS);
    let dga_start = rng.random_range(0..23) as i64 * HOUR_NS + rng.random_range(0..HOUR_NS / 2);
    let rare_start = rng.random_range(0..23) as i64 * HOUR_NS;
    let rare_qtypes = [13usize, 252, 11, 29];
    vec![
        Plan {
            kind: DnsAttackKind::Tunnel,
            client: pick_client(rng, &mut taken),
            target: format!(
                "t.{}{}-sync.{}",
                word(rng),
                word(rng),
                ["com", "net", "io"][rng.random_range(0..3)]
            ),
            start: tunnel_start,
            end: tunnel_start + tunnel_len,
            count: rng.random_range(300..1200),
            knob: rng.random_range(40..110),
            records: 0,
        },
        Plan {
            kind: DnsAttackKind::SlowTunnel,
            client: pick_client(rng, &mut taken),
            target: format!(
                "{}{}.{}",
                word(rng),
                word(rng),
                ["net", "org", "info"][rng.random_range(0..3)]
            ),
            start: rng.random_range(0..4) as i64 * HOUR_NS,
            end: 24 * HOUR_NS - rng.random_range(0..4) as i64 * HOUR_NS,
            count: rng.random_range(30..90),
            knob: rng.random_range(26..40),
            records: 0,
        },
        Plan {
            kind: DnsAttackKind::Dga,
            client: pick_client(rng, &mut taken),
            target: String::new(),
            start: dga_start,
            end: dga_start + rng.random_range(2..15) as i64 * 60_000_000_000,
            count: rng.random_range(150..700),
            knob: 0,
            records: 0,
        },
        Plan {
            kind: DnsAttackKind::RareQtype,
            client: pick_client(rng, &mut taken),
            target: INTERNAL_ZONE.to_string(),
            start: rare_start,
            end: rare_start + HOUR_NS,
            count: rng.random_range(4..30),
            knob: rare_qtypes[rng.random_range(0..rare_qtypes.len())],
            records: 0,
        },
    ]
}

/// The attack lookups of `plan` that fall in `[from, to)`.
fn attack_lookups(plan: &Plan, net: &Network, rng: &mut ChaCha8Rng, seq: &mut u64) -> Vec<Lookup> {
    let mut out = Vec::with_capacity(plan.count);
    let resolver = net.resolvers[(plan.client & 1) as usize];
    let label = plan.kind.label();
    let span = (plan.end - plan.start).max(1);
    for i in 0..plan.count {
        let t = plan.start
            + span * i as i64 / plan.count as i64
            + rng.random_range(0..span / plan.count as i64 + 1) / 2;
        *seq += 1;
        let (name, qtype, rcode, answer) = match plan.kind {
            DnsAttackKind::Tunnel => {
                let len = plan.knob + rng.random_range(0..8);
                let data = random_str(rng, BASE32, len);
                let qtype = if rng.random_bool(0.8) { 16 } else { 10 };
                let answer = if qtype == 16 {
                    Answer::Txt(rng.random_range(60..220))
                } else {
                    Answer::None
                };
                (
                    format!("{}.{:x}.{}", as_labels(&data), *seq & 0xffff, plan.target),
                    qtype,
                    0,
                    answer,
                )
            }
            DnsAttackKind::SlowTunnel => {
                let len = plan.knob + rng.random_range(0..4);
                let data = random_str(rng, HEX, len);
                (
                    format!("{data}.{}", plan.target),
                    1,
                    0,
                    Answer::Addr(None, 1),
                )
            }
            DnsAttackKind::Dga => {
                let len = rng.random_range(9..18);
                let alphabet = if plan.client.is_multiple_of(2) {
                    LETTERS
                } else {
                    ALNUM
                };
                let tld = ["com", "net", "info", "biz", "org"][rng.random_range(0..5)];
                let name = format!("{}.{tld}", random_str(rng, alphabet, len));
                // The last generated name is the one the operator registered.
                if i + 1 == plan.count {
                    (name, 1, 0, Answer::Addr(None, 1))
                } else {
                    (name, 1, 3, Answer::None)
                }
            }
            DnsAttackKind::RareQtype => {
                let host = INTERNAL_HOSTS[rng.random_range(0..INTERNAL_HOSTS.len())];
                let rcode = if plan.knob == 252 { 5 } else { 0 };
                (
                    format!("{host}.{INTERNAL_ZONE}"),
                    plan.knob as u16,
                    rcode,
                    Answer::None,
                )
            }
        };
        out.push(Lookup {
            t: t.clamp(0, 24 * HOUR_NS - 1),
            client: plan.client,
            resolver,
            name,
            qtype,
            rcode,
            answer,
            attack: Some(label),
        });
    }
    out
}

/// One benign lookup of `client` at `t`.
fn benign(net: &Network, client: u32, server: bool, t: i64, rng: &mut ChaCha8Rng) -> Lookup {
    let resolver = net.resolvers[(client & 1) as usize ^ rng.random_bool(0.1) as usize];
    let roll: f64 = rng.random();
    let mut qtype: u16 = if rng.random_bool(0.3) { 28 } else { 1 };
    let mut rcode = 0u8;
    let mut answer = Answer::Addr(None, rng.random_range(1..4));
    let name = if server && roll < 0.35 {
        qtype = 12;
        answer = Answer::Name(format!("host{}.{INTERNAL_ZONE}", rng.random_range(1..400)));
        format!(
            "{}.{}.{}.10.in-addr.arpa",
            rng.random_range(1..255),
            rng.random_range(0..4),
            rng.random_range(0..3)
        )
    } else if client == net.mail_server && roll < 0.8 {
        qtype = if rng.random_bool(0.6) { 16 } else { 15 };
        answer = if qtype == 16 {
            Answer::Txt(rng.random_range(30..200))
        } else {
            Answer::Name(format!("mx1.{}", net.rare_sites[0]))
        };
        let site = &net.rare_sites[rng.random_range(0..net.rare_sites.len())];
        if rng.random_bool(0.5) {
            format!("_dmarc.{site}")
        } else {
            site.clone()
        }
    } else if roll < 0.55 {
        // Zipf-like popularity among the popular sites.
        let r: f64 = rng.random();
        let i = ((POPULAR.len() as f64).powf(r * r) as usize).min(POPULAR.len()) - 1;
        if rng.random_bool(0.05) {
            qtype = 65;
        }
        format!("{}.{}", HOSTS[rng.random_range(0..HOSTS.len())], POPULAR[i])
    } else if roll < 0.72 {
        if rng.random_bool(0.04) {
            rcode = 3;
            answer = Answer::None;
            format!(
                "{}.{INTERNAL_ZONE}",
                ["wpad", "isatap", "printer9", "old-nas"][rng.random_range(0..4)]
            )
        } else if rng.random_bool(0.05) {
            qtype = 33;
            answer = Answer::None;
            format!("_ldap._tcp.dc._msdcs.{INTERNAL_ZONE}")
        } else {
            format!(
                "{}.{INTERNAL_ZONE}",
                INTERNAL_HOSTS[rng.random_range(0..INTERNAL_HOSTS.len())]
            )
        }
    } else if roll < 0.84 {
        let cdn = CDNS[rng.random_range(0..CDNS.len())];
        answer = Answer::Addr(Some(format!("edge{}.{cdn}", rng.random_range(0..50))), 2);
        let len = rng.random_range(8..16);
        format!("{}.{cdn}", random_str(rng, ALNUM, len))
    } else if roll < 0.93 {
        // The long tail: rare but benign sites, a few lookups each.
        let i = (net.rare_sites.len() as f64 * rng.random::<f64>().powi(2)) as usize;
        let site = &net.rare_sites[i.min(net.rare_sites.len() - 1)];
        if rng.random_bool(0.5) {
            format!("www.{site}")
        } else {
            site.clone()
        }
    } else if roll < 0.96 {
        // Security reputation lookups: a file hash encoded in the name.
        qtype = 1;
        answer = Answer::Addr(None, 1);
        format!(
            "{}.{}.sophosxl.net",
            random_str(rng, HEX, 32),
            random_str(rng, HEX, 8)
        )
    } else if roll < 0.98 {
        // A browser's probes for DNS hijacking: random single labels, NXDOMAIN.
        rcode = 3;
        answer = Answer::None;
        let len = rng.random_range(7..16);
        random_str(rng, LETTERS, len)
    } else {
        // A DKIM-like long key name asked again and again.
        qtype = 16;
        answer = Answer::Txt(180);
        "k1a7f3e9c2b5d8a0f4e6c1b3d5a7f9e2._domainkey.mailer.acme.com".to_string()
    };
    Lookup {
        t,
        client,
        resolver,
        name,
        qtype,
        rcode,
        answer,
        attack: None,
    }
}

fn push_name(out: &mut Vec<u8>, name: &str) {
    for l in name.split('.').filter(|l| !l.is_empty()) {
        let l = &l.as_bytes()[..l.len().min(63)];
        out.push(l.len() as u8);
        out.extend_from_slice(l);
    }
    out.push(0);
}

fn rr(out: &mut Vec<u8>, rtype: u16, ttl: u32, rdata: &[u8]) {
    out.extend_from_slice(&[0xc0, 12]);
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
}

/// The query and response messages of a lookup.
fn messages(l: &Lookup, id: u16, rng: &mut ChaCha8Rng) -> (Vec<u8>, Vec<u8>) {
    let edns = rng.random_bool(0.7);
    let mut q = Vec::with_capacity(64 + l.name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns as u8]);
    push_name(&mut q, &l.name);
    q.extend_from_slice(&l.qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    let question_end = q.len();
    const OPT: [u8; 11] = [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0];
    if edns {
        q.extend_from_slice(&OPT);
    }
    let mut r = Vec::with_capacity(128 + l.name.len());
    r.extend_from_slice(&q[..question_end]);
    let (mut an, mut ns) = (0u16, 0u16);
    let ttl = rng.random_range(30..3600);
    match &l.answer {
        _ if l.rcode != 0 => {}
        Answer::None => {}
        Answer::Addr(cname, n) => {
            if let Some(c) = cname {
                let mut d = Vec::new();
                push_name(&mut d, c);
                rr(&mut r, 5, ttl, &d);
                an += 1;
            }
            for _ in 0..*n {
                if l.qtype == 28 {
                    let mut a = [0u8; 16];
                    a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
                    rng.fill(&mut a[4..]);
                    rr(&mut r, 28, ttl, &a);
                } else {
                    let a: [u8; 4] = [
                        rng.random_range(1..224),
                        rng.random(),
                        rng.random(),
                        rng.random_range(1..255),
                    ];
                    rr(&mut r, 1, ttl, &a);
                }
                an += 1;
            }
        }
        Answer::Txt(len) => {
            let text = random_str(rng, ALNUM, (*len).min(255));
            let mut d = vec![text.len() as u8];
            d.extend_from_slice(text.as_bytes());
            rr(&mut r, 16, ttl, &d);
            an += 1;
        }
        Answer::Name(target) => {
            let mut d = Vec::new();
            if l.qtype == 15 {
                d.extend_from_slice(&10u16.to_be_bytes());
            }
            push_name(&mut d, target);
            rr(&mut r, l.qtype, ttl, &d);
            an += 1;
        }
    }
    if l.rcode == 3 {
        // The zone's SOA in the authority section, as resolvers answer NXDOMAIN.
        let mut d = Vec::new();
        push_name(&mut d, "a.gtld-servers.net");
        push_name(&mut d, "nstld.verisign-grs.com");
        for v in [1_795_599_592u32, 1800, 900, 604_800, 86_400] {
            d.extend_from_slice(&v.to_be_bytes());
        }
        rr(&mut r, 6, 900, &d);
        ns += 1;
    }
    if edns {
        r.extend_from_slice(&OPT);
    }
    let flags: u16 = 0x8180 | l.rcode as u16;
    r[2..4].copy_from_slice(&flags.to_be_bytes());
    r[6..8].copy_from_slice(&an.to_be_bytes());
    r[8..10].copy_from_slice(&ns.to_be_bytes());
    r[10..12].copy_from_slice(&(edns as u16).to_be_bytes());
    (q, r)
}

/// An Ethernet / IPv4 / UDP frame.
fn frame(src: u32, dst: u32, sport: u16, dport: u16, payload: &[u8], ip_id: u16) -> Vec<u8> {
    let mut f = Vec::with_capacity(42 + payload.len());
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
    let total = (28 + payload.len()) as u16;
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[4..6].copy_from_slice(&ip_id.to_be_bytes());
    h[6] = 0x40;
    h[8] = 64;
    h[9] = 17;
    h[12..16].copy_from_slice(&src.to_be_bytes());
    h[16..20].copy_from_slice(&dst.to_be_bytes());
    let mut sum: u32 = h
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]) as u32)
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    h[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    f.extend_from_slice(&h);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

/// Writes the day as a classic pcap (Ethernet, µs) to `pcap`, and one `row_id,attack` line per
/// response to `labels`: `row_id` is the response's frame number (1-based, as the decoder's
/// `frame_number` column), `attack` empty for normal traffic.
pub fn write_dns_day<P: Write, L: Write>(
    cfg: &DnsDayConfig,
    pcap: P,
    mut labels: L,
) -> io::Result<DnsDay> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x0064_6e73_5f64_6179);
    let net = network(cfg, &mut rng);
    let mut plans = plan_attacks(&net, &mut rng);
    let mut seq = 0u64;
    let mut attacks: Vec<Lookup> = Vec::new();
    for p in &mut plans {
        let ls = attack_lookups(p, &net, &mut rng, &mut seq);
        p.records = ls.len();
        attacks.extend(ls);
    }
    attacks.sort_by_key(|l| l.t);
    let day_start = cfg
        .date
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc().timestamp())
        .unwrap_or(0);
    let mut w = PcapWriter::new(io::BufWriter::with_capacity(1 << 20, pcap), 1, false)?;
    writeln!(labels, "row_id,attack")?;
    let mut day = DnsDay {
        bytes: 24,
        ..DnsDay::default()
    };
    let total_weight: f64 = HOURLY.iter().sum();
    let mut next_attack = 0;
    let mut ip_id = 0u16;
    for (hour, weight) in HOURLY.iter().enumerate() {
        let from = hour as i64 * HOUR_NS;
        let mut lookups = Vec::new();
        for (ci, &client) in net.clients.iter().enumerate() {
            let mean = cfg.lookups_per_client * net.activity[ci] * weight / total_weight;
            let n = poisson(mean, &mut rng);
            for _ in 0..n {
                let t = from + rng.random_range(0..HOUR_NS);
                lookups.push(benign(&net, client, false, t, &mut rng));
            }
        }
        for &server in net.servers.iter().chain([&net.mail_server]) {
            let n = poisson(cfg.lookups_per_client * 0.4 / 24.0, &mut rng);
            for _ in 0..n {
                let t = from + rng.random_range(0..HOUR_NS);
                lookups.push(benign(&net, server, true, t, &mut rng));
            }
        }
        while next_attack < attacks.len() && attacks[next_attack].t < from + HOUR_NS {
            lookups.push(attacks[next_attack].clone());
            next_attack += 1;
        }
        lookups.sort_by_key(|l| l.t);
        for l in &lookups {
            let id: u16 = rng.random();
            let sport: u16 = rng.random_range(1024..65535);
            let (q, r) = messages(l, id, &mut rng);
            let latency = rng.random_range(200_000..40_000_000);
            for (t, f) in [
                (l.t, frame(l.client, l.resolver, sport, 53, &q, ip_id)),
                (
                    l.t + latency,
                    frame(l.resolver, l.client, 53, sport, &r, ip_id.wrapping_add(1)),
                ),
            ] {
                ip_id = ip_id.wrapping_add(2);
                let abs = day_start * 1_000_000_000 + t;
                w.write_packet(
                    (abs / 1_000_000_000) as u32,
                    (abs % 1_000_000_000) as u32,
                    &f,
                    f.len() as u32,
                )?;
                day.packets += 1;
                day.bytes += 16 + f.len() as u64;
            }
            day.responses += 1;
            writeln!(labels, "{},{}", day.packets, l.attack.unwrap_or(""))?;
        }
    }
    w.into_inner().flush()?;
    labels.flush()?;
    day.attacks = plans
        .iter()
        .map(|p| DnsInjectedAttack {
            kind: p.kind,
            client: ip(p.client),
            target: if p.kind == DnsAttackKind::Dga {
                "random .com/.net/.info/.biz/.org names".into()
            } else {
                p.target.clone()
            },
            records: p.records,
        })
        .collect();
    Ok(day)
}

/// A Poisson draw (Knuth's method for small means, a rounded normal above 30).
fn poisson(mean: f64, rng: &mut ChaCha8Rng) -> usize {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        let n = rand_distr::Normal::new(mean, mean.sqrt()).expect("valid normal");
        return n.sample(rng).round().max(0.0) as usize;
    }
    let limit = (-mean).exp();
    let mut p = 1.0;
    let mut k = 0;
    loop {
        p *= rng.random::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> DnsDayConfig {
        DnsDayConfig {
            clients: 30,
            lookups_per_client: 100.0,
            ..DnsDayConfig::default()
        }
    }

    #[test]
    fn same_seed_same_day_other_seed_other_day() {
        let run = |seed| {
            let (mut p, mut l) = (Vec::new(), Vec::new());
            let day =
                write_dns_day(&DnsDayConfig { seed, ..small() }, &mut p, &mut l).expect("write");
            (p, l, day)
        };
        let (a, b, c) = (run(1), run(1), run(2));
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        assert_ne!(a.0, c.0);
        assert_eq!(a.2.bytes as usize, a.0.len());
        assert_eq!(a.2.packets, 2 * a.2.responses);
    }

    #[test]
    fn labels_count_every_response_and_every_attack() {
        let (mut p, mut l) = (Vec::new(), Vec::new());
        let day = write_dns_day(&small(), &mut p, &mut l).expect("write");
        let text = String::from_utf8(l).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "row_id,attack");
        assert_eq!(lines.len() as u64 - 1, day.responses);
        assert_eq!(day.attacks.len(), 4);
        for a in &day.attacks {
            let n = lines
                .iter()
                .filter(|x| x.ends_with(&format!(",{}", a.kind.label())))
                .count();
            assert_eq!(n, a.records, "{:?}", a.kind);
            assert!(a.records > 0);
        }
        // Responses are the even frames.
        assert!(lines[1..].iter().all(|x| {
            x.split(',')
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n % 2 == 0)
        }));
    }

    #[test]
    fn top_domains_file_ranks_popular_sites() {
        let csv = top_domains_csv();
        assert!(csv.starts_with("rank,domain\n1,google.com\n"));
    }
}
