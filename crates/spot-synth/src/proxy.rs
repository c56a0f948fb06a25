//! A day of web-proxy requests in an enterprise, written as a Blue Coat W3C ELFF log.
//!
//! Users browse on a diurnal curve (busy around 13:00): business sites with popularity skewed
//! toward a few, each page pulling scripts, styles, fonts and images from CDNs; every client's
//! updater checks the vendor's update service about hourly and sometimes downloads a patch.
//! Benign heavy tails make "anything rare" a poor detector: each user visits a few long-tail
//! sites nobody else visits, a few servers run API clients with their own user agents that poll
//! a vendor API, a monitoring agent on many hosts calls home every five minutes, one server
//! uploads its nightly backup to a storage host nobody else uses, a developer uses `curl` on
//! popular sites, and ad networks send long high-entropy tracking URIs.
//!
//! Injected attacks (labeled by row id, with randomised parameters per seed): C2 beaconing
//! (rare user agent, a fixed interval with small jitter, small constant responses),
//! exfiltration (large POSTs to a rare host), data smuggled in long high-entropy URIs, and a
//! malware download (an executable as `application/octet-stream` from a rare host).

use std::io::Write;

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

/// Shape of the generated day.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyDayConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// The day (UTC).
    pub date: NaiveDate,
    /// Number of users (workstations); the volume scales with it.
    pub users: usize,
    /// Mean page views per user per day (each pulls several CDN resources).
    pub page_views_per_user: f64,
}

impl Default for ProxyDayConfig {
    fn default() -> Self {
        ProxyDayConfig {
            seed: 1,
            date: NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date"),
            users: 200,
            page_views_per_user: 60.0,
        }
    }
}

impl ProxyDayConfig {
    /// A configuration sized for about `requests` requests.
    pub fn with_requests(requests: usize) -> Self {
        let base = ProxyDayConfig::default();
        // A page view is ≈ 5.5 requests; updates and background add ≈ 40 per user.
        let per_user = base.page_views_per_user * 5.5 + 40.0;
        ProxyDayConfig {
            users: ((requests as f64 / per_user).ceil() as usize).max(10),
            ..base
        }
    }
}

/// Kinds of injected proxy attacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProxyAttackKind {
    /// Command-and-control beaconing: a rare user agent, a fixed interval, small responses.
    C2Beacon,
    /// Large POSTs to a host nobody else visits.
    Exfiltration,
    /// Data smuggled out in long high-entropy URIs.
    LongUri,
    /// An executable downloaded from a rare host.
    MalwareDownload,
}

impl ProxyAttackKind {
    /// The label written in the labels file.
    pub fn label(self) -> &'static str {
        match self {
            ProxyAttackKind::C2Beacon => "c2_beacon",
            ProxyAttackKind::Exfiltration => "exfiltration",
            ProxyAttackKind::LongUri => "long_uri",
            ProxyAttackKind::MalwareDownload => "malware_download",
        }
    }
}

/// An attack placed in the day.
#[derive(Debug, Clone, PartialEq)]
pub struct InjectedProxyAttack {
    pub kind: ProxyAttackKind,
    /// The client making the requests.
    pub client: String,
    /// The host it talks to.
    pub host: String,
    /// Requests labeled with this attack.
    pub requests: usize,
}

/// One web request.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyRequest {
    /// Seconds since midnight.
    pub second: u32,
    pub time_taken_ms: i32,
    pub client: String,
    pub username: Option<String>,
    pub category: &'static str,
    pub referer: Option<String>,
    pub status: u16,
    pub action: &'static str,
    pub method: &'static str,
    pub content_type: Option<&'static str>,
    pub scheme: &'static str,
    pub host: String,
    pub port: u16,
    pub path: String,
    pub query: Option<String>,
    pub user_agent: String,
    pub server_ip: String,
    pub sc_bytes: i64,
    pub cs_bytes: i64,
    pub attack: Option<ProxyAttackKind>,
}

/// A generated day.
#[derive(Debug, Clone)]
pub struct ProxyDay {
    /// The day.
    pub date: NaiveDate,
    /// The requests, in time order; a request's row id is its index.
    pub requests: Vec<ProxyRequest>,
    /// The injected attacks.
    pub attacks: Vec<InjectedProxyAttack>,
    /// The popular domains (registered domain names, most popular first), for `--top-domains`.
    pub top_domains: Vec<String>,
}

/// The ELFF fields the day is written with: Apache Spot's Blue Coat order, then `row_id` (the
/// request's index, a custom field that the reader carries through as an extra column).
pub const PROXY_DAY_FIELDS: &str = "date time time-taken c-ip cs-username cs-auth-group \
x-exception-id sc-filter-result cs-categories cs(Referer) sc-status s-action cs-method \
rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query cs-uri-extension \
cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id x-bluecoat-application-name \
x-bluecoat-application-operation row_id";

const BROWSERS: [(&str, u32); 6] = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        50,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        25,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        12,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        8,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        4,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        1,
    ),
];

/// Business sites: (host, category).
const SITES: [(&str, &str); 30] = [
    ("www.google.com", "Search Engines/Portals"),
    ("outlook.office365.com", "Email"),
    ("teams.microsoft.com", "Business/Economy"),
    ("www.bing.com", "Search Engines/Portals"),
    ("github.com", "Technology/Internet"),
    ("www.linkedin.com", "Social Networking"),
    ("app.slack.com", "Business/Economy"),
    ("login.salesforce.com", "Business/Economy"),
    ("www.nytimes.com", "News/Media"),
    ("www.bbc.co.uk", "News/Media"),
    ("en.wikipedia.org", "Reference"),
    ("stackoverflow.com", "Technology/Internet"),
    ("www.amazon.com", "Shopping"),
    ("zoom.us", "Business/Economy"),
    ("docs.google.com", "Business/Economy"),
    ("drive.google.com", "Online Storage"),
    ("www.dropbox.com", "Online Storage"),
    ("www.youtube.com", "Audio/Video Clips"),
    ("www.reuters.com", "News/Media"),
    ("www.atlassian.com", "Technology/Internet"),
    ("jira.atlassian.net", "Business/Economy"),
    ("www.adobe.com", "Technology/Internet"),
    ("www.weather.com", "News/Media"),
    ("www.ft.com", "News/Media"),
    ("www.paypal.com", "Financial Services"),
    ("www.apple.com", "Technology/Internet"),
    ("portal.azure.com", "Technology/Internet"),
    ("console.aws.amazon.com", "Technology/Internet"),
    ("www.espn.com", "Sports/Recreation"),
    ("www.booking.com", "Travel"),
];

/// CDN hosts and what they serve.
const CDNS: [(&str, &str, &str); 8] = [
    ("ajax.googleapis.com", "application/javascript", "js"),
    ("fonts.gstatic.com", "font/woff2", "woff2"),
    ("cdn.jsdelivr.net", "application/javascript", "js"),
    ("d1x2y3z4.cloudfront.net", "image/jpeg", "jpg"),
    ("static.licdn.com", "text/css", "css"),
    ("a.akamaihd.net", "image/png", "png"),
    ("i.ytimg.com", "image/webp", "webp"),
    ("assets.adobedtm.com", "application/javascript", "js"),
];

const UPDATE_HOST: &str = "download.windowsupdate.com";
const UPDATE_AGENT: &str = "Microsoft-Delivery-Optimization/10.0";
const AD_HOST: &str = "ad.doubleclick.net";
const TELEMETRY_HOST: &str = "collector.monitoring-vendor.com";
const TELEMETRY_AGENT: &str = "MonAgent/7.2.1 (linux; amd64)";
const API_HOST: &str = "api.payroll-vendor.com";
const BACKUP_HOST: &str = "vault7.backup-storage.net";

const WORDS: [&str; 24] = [
    "home", "news", "article", "search", "login", "account", "products", "docs", "api", "assets",
    "images", "blog", "about", "help", "support", "pricing", "team", "projects", "issues",
    "settings", "profile", "inbox", "calendar", "reports",
];

const RARE_WORDS: [&str; 20] = [
    "green", "valley", "plumbing", "atelier", "harbor", "quilt", "maple", "bistro", "studio",
    "tiny", "garden", "vintage", "river", "cycle", "north", "craft", "pixel", "stone", "lantern",
    "meadow",
];

struct Gen {
    rng: ChaCha8Rng,
    requests: Vec<ProxyRequest>,
}

fn ip(a: u8, b: u8, c: u8, d: u8) -> String {
    format!("{a}.{b}.{c}.{d}")
}

fn host_ip(host: &str) -> String {
    // A stable public-looking address per host.
    let h = host.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    ip(
        [23, 52, 104, 142, 151, 172, 185, 198][(h % 8) as usize],
        (h >> 8) as u8,
        (h >> 16) as u8,
        ((h >> 24) as u8).max(1),
    )
}

fn extension(path: &str) -> Option<&str> {
    let last = path.rsplit('/').next()?;
    last.rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty())
}

impl Gen {
    /// A second of the day on the diurnal curve (most activity 08:00–18:00).
    fn office_second(&mut self) -> u32 {
        loop {
            let s: u32 = self.rng.random_range(0..86_400);
            let h = s as f64 / 3600.0;
            let w = 0.05 + (-(h - 13.0).powi(2) / 12.0).exp();
            if self.rng.random::<f64>() < w {
                return s;
            }
        }
    }

    fn size(&mut self, median: f64, sigma: f64) -> i64 {
        let d = LogNormal::new(median.ln(), sigma).expect("valid log-normal");
        d.sample(&mut self.rng).round().clamp(0.0, 5e9) as i64
    }

    fn blob(&mut self, len: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..len)
            .map(|_| A[self.rng.random_range(0..A.len())] as char)
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        second: u32,
        client: &str,
        user: Option<&str>,
        agent: &str,
        method: &'static str,
        host: &str,
        path: String,
        query: Option<String>,
        content_type: Option<&'static str>,
        category: &'static str,
        sc_bytes: i64,
        cs_bytes: i64,
        attack: Option<ProxyAttackKind>,
    ) {
        let time_taken = self.rng.random_range(20..400) + (sc_bytes / 20_000) as i32;
        self.requests.push(ProxyRequest {
            second: second.min(86_399),
            time_taken_ms: time_taken,
            client: client.to_string(),
            username: user.map(str::to_string),
            category,
            referer: None,
            status: 200,
            action: "TCP_NC_MISS",
            method,
            content_type,
            scheme: "https",
            host: host.to_string(),
            port: 443,
            path,
            query,
            user_agent: agent.to_string(),
            server_ip: host_ip(host),
            sc_bytes,
            cs_bytes,
            attack,
        });
    }
}

/// Picks an index with probability proportional to 1 / (i + 1) (Zipf-like popularity).
fn zipf(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let total: f64 = (1..=n).map(|i| 1.0 / i as f64).sum();
    let mut x = rng.random::<f64>() * total;
    for i in 0..n {
        x -= 1.0 / (i + 1) as f64;
        if x <= 0.0 {
            return i;
        }
    }
    n - 1
}

/// Generates a labeled proxy day.
pub fn proxy_day(cfg: &ProxyDayConfig) -> ProxyDay {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5052_4f58_5944_4159),
        requests: Vec::new(),
    };
    let users = cfg.users.max(10);
    let clients: Vec<String> = (0..users)
        .map(|i| ip(10, 20, (i / 250) as u8, (i % 250 + 2) as u8))
        .collect();
    let browser_total: u32 = BROWSERS.iter().map(|b| b.1).sum();
    let browsers: Vec<&str> = (0..users)
        .map(|_| {
            let mut x = g.rng.random_range(0..browser_total);
            BROWSERS
                .iter()
                .find(|(_, w)| {
                    if x < *w {
                        true
                    } else {
                        x -= w;
                        false
                    }
                })
                .map_or(BROWSERS[0].0, |b| b.0)
        })
        .collect();

    // Users browsing.
    for (u, client) in clients.iter().enumerate() {
        let user = format!("user{u:04}");
        let agent = browsers[u];
        let views = (cfg.page_views_per_user * g.rng.random_range(0.3..1.7)).round() as usize;
        for _ in 0..views {
            let t = g.office_second();
            let (site, cat) = SITES[zipf(&mut g.rng, SITES.len())];
            let path = format!(
                "/{}/{}",
                WORDS[g.rng.random_range(0..WORDS.len())],
                WORDS[g.rng.random_range(0..WORDS.len())]
            );
            let query = g.rng.random_bool(0.3).then(|| {
                format!(
                    "?q={}&page={}",
                    WORDS[g.rng.random_range(0..WORDS.len())],
                    g.rng.random_range(1..5)
                )
            });
            let size = g.size(40_000.0, 1.0);
            let up = g.size(600.0, 0.5);
            g.push(
                t,
                client,
                Some(&user),
                agent,
                "GET",
                site,
                path,
                query,
                Some("text/html"),
                cat,
                size,
                up,
                None,
            );
            // Resources from CDNs.
            for k in 0..g.rng.random_range(2..7u32) {
                let (cdn, ct, ext) = CDNS[zipf(&mut g.rng, CDNS.len())];
                let name = g.blob(10);
                let size = g.size(25_000.0, 1.2);
                g.push(
                    t + k,
                    client,
                    Some(&user),
                    agent,
                    "GET",
                    cdn,
                    format!("/static/{name}.{ext}"),
                    None,
                    Some(ct),
                    "Content Servers",
                    size,
                    450,
                    None,
                );
            }
            // Sometimes a POST (a form, a message).
            if g.rng.random_bool(0.05) {
                let up = g.size(3_000.0, 1.0);
                g.push(
                    t + 5,
                    client,
                    Some(&user),
                    agent,
                    "POST",
                    site,
                    "/api/submit".into(),
                    None,
                    Some("application/json"),
                    cat,
                    800,
                    up,
                    None,
                );
            }
            // Ad networks: long high-entropy tracking URIs on a host everyone visits.
            if g.rng.random_bool(0.08) {
                let len = g.rng.random_range(120..260);
                let blob = g.blob(len);
                g.push(
                    t + 1,
                    client,
                    Some(&user),
                    agent,
                    "GET",
                    AD_HOST,
                    "/ddm/activity/src=123".into(),
                    Some(format!("?ord={blob}")),
                    Some("image/gif"),
                    "Web Ads/Analytics",
                    43,
                    900,
                    None,
                );
            }
        }
        // Long-tail sites only this user visits.
        for _ in 0..g.rng.random_range(0..4) {
            let t = g.office_second();
            let host = format!(
                "www.{}{}{}.com",
                RARE_WORDS[g.rng.random_range(0..RARE_WORDS.len())],
                RARE_WORDS[g.rng.random_range(0..RARE_WORDS.len())],
                g.rng.random_range(1..999)
            );
            for k in 0..g.rng.random_range(1..5) {
                let size = g.size(30_000.0, 1.0);
                let path = format!("/{}", WORDS[g.rng.random_range(0..WORDS.len())]);
                g.push(
                    t + k * 7,
                    client,
                    Some(&user),
                    agent,
                    "GET",
                    &host,
                    path,
                    None,
                    Some("text/html"),
                    "Uncategorized",
                    size,
                    500,
                    None,
                );
            }
        }
        // Updates: an hourly check, a patch now and then.
        let offset = g.rng.random_range(0..3600u32);
        for h in 0..24u32 {
            let t = h * 3600 + offset + g.rng.random_range(0..600);
            g.push(
                t,
                client,
                None,
                UPDATE_AGENT,
                "GET",
                UPDATE_HOST,
                "/v11/3/windowsupdate/selfupdate/wuident.cab".into(),
                None,
                Some("application/vnd.ms-cab-compressed"),
                "Software Downloads",
                9_500,
                350,
                None,
            );
            if g.rng.random_bool(0.03) {
                let size = g.size(8e6, 1.0);
                let name = g.blob(12);
                g.push(
                    t + 2,
                    client,
                    None,
                    UPDATE_AGENT,
                    "GET",
                    UPDATE_HOST,
                    format!("/c/msdownload/update/software/{name}.exe"),
                    None,
                    Some("application/octet-stream"),
                    "Software Downloads",
                    size,
                    400,
                    None,
                );
            }
        }
    }

    // Servers: monitoring agents calling home every five minutes (many clients: benign).
    let servers: Vec<String> = (0..(users / 10).max(6))
        .map(|i| ip(10, 30, 0, 10 + i as u8))
        .collect();
    for s in &servers {
        let offset = g.rng.random_range(0..300u32);
        for k in 0..288u32 {
            let t = k * 300 + offset + g.rng.random_range(0..3);
            g.push(
                t,
                s,
                None,
                TELEMETRY_AGENT,
                "POST",
                TELEMETRY_HOST,
                "/v2/metrics".into(),
                None,
                Some("application/json"),
                "Technology/Internet",
                120,
                2_200,
                None,
            );
        }
    }
    // API clients with their own agents on two servers, polling a vendor API (rare host, regular
    // but with human-scale jitter and varying payloads).
    for (i, s) in servers.iter().take(2).enumerate() {
        let agent = format!("python-requests/2.3{i}.0");
        for _ in 0..g.rng.random_range(30..90) {
            let t = g.office_second();
            let size = g.size(20_000.0, 1.0);
            let q = format!("?updated_since={}", g.rng.random_range(1000..9999));
            g.push(
                t,
                s,
                None,
                &agent,
                "GET",
                API_HOST,
                "/v1/employees".into(),
                Some(q),
                Some("application/json"),
                "Business/Economy",
                size,
                700,
                None,
            );
        }
    }
    // The nightly backup of one server to a storage host nobody else uses.
    let backup = &servers[2];
    for k in 0..g.rng.random_range(20..60u32) {
        let t = 3600 + k * 40;
        let up = g.size(30e6, 0.3);
        g.push(
            t,
            backup,
            None,
            "rclone/v1.68.2",
            "PUT",
            BACKUP_HOST,
            format!("/bucket/nightly/part-{k:04}"),
            None,
            Some("application/xml"),
            "Online Storage",
            300,
            up,
            None,
        );
    }
    // A developer's curl on popular sites.
    let dev = clients[g.rng.random_range(0..users)].clone();
    for _ in 0..g.rng.random_range(10..40) {
        let t = g.office_second();
        let size = g.size(5_000.0, 1.0);
        g.push(
            t,
            &dev,
            Some("dev"),
            "curl/8.5.0",
            "GET",
            "github.com",
            "/api/v3/repos".into(),
            None,
            Some("application/json"),
            "Technology/Internet",
            size,
            200,
            None,
        );
    }

    // Attacks.
    let mut attacks = Vec::new();
    let mut victims: Vec<usize> = (0..users).collect();
    for i in 0..4 {
        let j = g.rng.random_range(i..users);
        victims.swap(i, j);
    }
    let tlds = ["net", "info", "biz", "top", "xyz", "io"];
    let rare_host = |g: &mut Gen, prefix: &str| {
        format!(
            "{prefix}{}.{}",
            g.blob(6).to_ascii_lowercase().replace(['-', '_'], "x"),
            tlds[g.rng.random_range(0..tlds.len())]
        )
    };
    {
        // C2 beacon.
        let client = clients[victims[0]].clone();
        let host = rare_host(&mut g, "cdn-");
        let interval = [30u32, 60, 120, 300, 600][g.rng.random_range(0..5)];
        let jitter = g.rng.random_range(0..=3u32);
        let start = g.rng.random_range(0..8 * 3600u32);
        let hours = g.rng.random_range(6..16u32);
        let count = (hours * 3600 / interval).min(400);
        let resp = g.rng.random_range(64..512i64);
        let agents = [
            "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/4.0)",
            "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0",
            "WinHttpClient/1.0",
        ];
        let agent = agents[g.rng.random_range(0..agents.len())];
        for k in 0..count {
            let t = start + k * interval + g.rng.random_range(0..=2 * jitter);
            let t = t.saturating_sub(jitter);
            let path = format!(
                "/{}",
                ["jquery-3.3.1.min.js", "pixel.gif", "api/v1/status"][(k % 3) as usize]
            );
            let size = resp + g.rng.random_range(0..3);
            g.push(
                t,
                &client,
                None,
                agent,
                "GET",
                &host,
                path,
                None,
                Some("text/plain"),
                "Uncategorized",
                size,
                350,
                Some(ProxyAttackKind::C2Beacon),
            );
        }
        attacks.push(InjectedProxyAttack {
            kind: ProxyAttackKind::C2Beacon,
            client,
            host,
            requests: count as usize,
        });
    }
    {
        // Exfiltration: large POSTs to a rare host.
        let client = clients[victims[1]].clone();
        let host = rare_host(&mut g, "upload-");
        let n = g.rng.random_range(5..30u32);
        let start = g.rng.random_range(0..20 * 3600u32);
        let gap = g.rng.random_range(5..300u32);
        let agent = browsers[victims[1]];
        for k in 0..n {
            let median = g.rng.random_range(2e6..2e7);
            let up = g.size(median, 0.4);
            g.push(
                start + k * gap,
                &client,
                None,
                agent,
                "POST",
                &host,
                "/upload.php".into(),
                None,
                Some("text/html"),
                "Uncategorized",
                120,
                up,
                Some(ProxyAttackKind::Exfiltration),
            );
        }
        attacks.push(InjectedProxyAttack {
            kind: ProxyAttackKind::Exfiltration,
            client,
            host,
            requests: n as usize,
        });
    }
    {
        // Data in long high-entropy URIs.
        let client = clients[victims[2]].clone();
        let host = rare_host(&mut g, "api-");
        let n = g.rng.random_range(8..60u32);
        let start = g.rng.random_range(0..20 * 3600u32);
        let agent = browsers[victims[2]];
        for k in 0..n {
            let len = g.rng.random_range(150..400);
            let blob = g.blob(len);
            let t = start + k * g.rng.random_range(5..60);
            g.push(
                t,
                &client,
                None,
                agent,
                "GET",
                &host,
                "/collect".into(),
                Some(format!("?d={blob}")),
                Some("image/gif"),
                "Uncategorized",
                43,
                600,
                Some(ProxyAttackKind::LongUri),
            );
        }
        attacks.push(InjectedProxyAttack {
            kind: ProxyAttackKind::LongUri,
            client,
            host,
            requests: n as usize,
        });
    }
    {
        // Malware download.
        let client = clients[victims[3]].clone();
        let host = rare_host(&mut g, "files-");
        let t = g.office_second();
        let agent = browsers[victims[3]];
        let name = ["invoice_2611", "setup", "update", "scan_0042"][g.rng.random_range(0..4)];
        let q = format!("?id={}", g.rng.random_range(1000..9999));
        g.push(
            t,
            &client,
            None,
            agent,
            "GET",
            &host,
            "/dl".into(),
            Some(q),
            Some("text/html"),
            "Uncategorized",
            2_400,
            500,
            Some(ProxyAttackKind::MalwareDownload),
        );
        let size = g.size(1.5e6, 0.8);
        g.push(
            t + 2,
            &client,
            None,
            agent,
            "GET",
            &host,
            format!("/dl/{name}.exe"),
            None,
            Some("application/octet-stream"),
            "Uncategorized",
            size,
            500,
            Some(ProxyAttackKind::MalwareDownload),
        );
        attacks.push(InjectedProxyAttack {
            kind: ProxyAttackKind::MalwareDownload,
            client,
            host,
            requests: 2,
        });
    }

    g.requests.sort_by_key(|r| r.second);
    // A few responses are not 200.
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add(7));
    for r in g.requests.iter_mut() {
        if r.attack.is_none() && rng.random_bool(0.02) {
            r.status = [304, 404, 302, 403][rng.random_range(0..4)];
            if r.status != 404 {
                r.sc_bytes = r.sc_bytes.min(600);
            }
        }
    }
    let mut top_domains: Vec<String> = SITES
        .iter()
        .map(|(h, _)| h.to_string())
        .chain(CDNS.iter().map(|c| c.0.to_string()))
        .chain([UPDATE_HOST, AD_HOST].map(str::to_string))
        .map(|h| registered(&h))
        .collect();
    let mut seen = std::collections::HashSet::new();
    top_domains.retain(|d| seen.insert(d.clone()));
    ProxyDay {
        date: cfg.date,
        requests: g.requests,
        attacks,
        top_domains,
    }
}

/// The registered domain of a host (last two labels; three for `co.uk`-style names).
fn registered(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let keep = if n >= 3 && labels[n - 2].len() <= 3 && labels[n - 1].len() == 2 {
        3
    } else {
        2
    };
    labels[n.saturating_sub(keep)..].join(".")
}

fn field(out: &mut String, v: Option<&str>) {
    out.push(' ');
    match v {
        None | Some("") => out.push('-'),
        Some(v) if v.contains([' ', '\t', '"']) => {
            out.push('"');
            out.push_str(&v.replace('"', "\"\""));
            out.push('"');
        }
        Some(v) => out.push_str(v),
    }
}

impl ProxyDay {
    /// Writes the day as a Blue Coat ELFF log with `#Fields:` ([`PROXY_DAY_FIELDS`]).
    pub fn write_elff(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(w, "#Software: SGOS 6.7.5.3")?;
        writeln!(w, "#Version: 1.0")?;
        writeln!(w, "#Start-Date: {} 00:00:00", self.date)?;
        writeln!(w, "#Date: {} 00:00:00", self.date)?;
        writeln!(w, "#Fields: {PROXY_DAY_FIELDS}")?;
        let date = self.date.to_string();
        let mut line = String::with_capacity(512);
        for (id, r) in self.requests.iter().enumerate() {
            line.clear();
            line.push_str(&date);
            let s = r.second;
            line.push_str(&format!(
                " {:02}:{:02}:{:02}",
                s / 3600,
                s / 60 % 60,
                s % 60
            ));
            field(&mut line, Some(&r.time_taken_ms.to_string()));
            field(&mut line, Some(&r.client));
            field(&mut line, r.username.as_deref());
            field(&mut line, None);
            field(&mut line, None);
            field(&mut line, Some("OBSERVED"));
            field(&mut line, Some(r.category));
            field(&mut line, r.referer.as_deref());
            field(&mut line, Some(&r.status.to_string()));
            field(&mut line, Some(r.action));
            field(&mut line, Some(r.method));
            field(&mut line, r.content_type);
            field(&mut line, Some(r.scheme));
            field(&mut line, Some(&r.host));
            field(&mut line, Some(&r.port.to_string()));
            field(&mut line, Some(&r.path));
            field(&mut line, r.query.as_deref());
            field(&mut line, extension(&r.path));
            field(&mut line, Some(&r.user_agent));
            field(&mut line, Some(&r.server_ip));
            field(&mut line, Some(&r.sc_bytes.to_string()));
            field(&mut line, Some(&r.cs_bytes.to_string()));
            field(&mut line, None);
            field(&mut line, None);
            field(&mut line, None);
            field(&mut line, Some(&id.to_string()));
            line.push_str("\r\n");
            w.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// Writes `row_id,attack` for every request (attack empty for normal ones), the labels
    /// file `spot eval --labels` reads.
    pub fn write_labels(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(w, "row_id,attack")?;
        for (id, r) in self.requests.iter().enumerate() {
            writeln!(w, "{id},{}", r.attack.map_or("", |a| a.label()))?;
        }
        Ok(())
    }

    /// Writes the popular domains as `rank,domain` (the Alexa / Tranco list format).
    pub fn write_top_domains(&self, w: &mut dyn Write) -> std::io::Result<()> {
        for (i, d) in self.top_domains.iter().enumerate() {
            writeln!(w, "{},{d}", i + 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ProxyDay {
        proxy_day(&ProxyDayConfig {
            users: 30,
            page_views_per_user: 20.0,
            ..ProxyDayConfig::default()
        })
    }

    #[test]
    fn same_seed_same_day_other_seed_other_attacks() {
        let (a, b) = (small(), small());
        assert_eq!(a.requests, b.requests);
        let c = proxy_day(&ProxyDayConfig {
            seed: 2,
            users: 30,
            page_views_per_user: 20.0,
            ..ProxyDayConfig::default()
        });
        assert_ne!(a.attacks, c.attacks);
    }

    #[test]
    fn attacks_are_labeled_and_counted() {
        let d = small();
        assert_eq!(d.attacks.len(), 4);
        for a in &d.attacks {
            let n = d
                .requests
                .iter()
                .filter(|r| r.attack == Some(a.kind))
                .count();
            assert_eq!(n, a.requests, "{:?}", a.kind);
            assert!(
                d.requests
                    .iter()
                    .filter(|r| r.host == a.host)
                    .all(|r| r.attack == Some(a.kind))
            );
        }
        assert!(d.requests.windows(2).all(|w| w[0].second <= w[1].second));
    }

    #[test]
    fn elff_lines_have_every_field_and_labels_every_row() {
        let d = small();
        let mut elff = Vec::new();
        d.write_elff(&mut elff).unwrap();
        let text = String::from_utf8(elff).unwrap();
        let fields = PROXY_DAY_FIELDS.split_whitespace().count();
        let data: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(data.len(), d.requests.len());
        // Count fields outside quotes.
        for l in data.iter().take(200) {
            let mut n = 0;
            let mut quoted = false;
            let mut prev = ' ';
            for ch in l.chars() {
                if !quoted && ch != ' ' && prev == ' ' {
                    n += 1;
                }
                if ch == '"' {
                    quoted = !quoted;
                }
                prev = if quoted { 'x' } else { ch };
            }
            assert_eq!(n, fields, "{l}");
        }
        let mut labels = Vec::new();
        d.write_labels(&mut labels).unwrap();
        assert_eq!(
            String::from_utf8(labels).unwrap().lines().count(),
            d.requests.len() + 1
        );
        assert_eq!(registered("www.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(registered("ajax.googleapis.com"), "googleapis.com");
    }
}
