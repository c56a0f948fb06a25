//! Writes a synthetic but realistic DNS capture (Ethernet / IPv4, UDP and some TCP, many query
//! types, EDNS, NXDOMAIN, CNAME chains, long random labels) of about the requested size.
//!
//! ```text
//! cargo run --release -p spot-decode --example gen_dns_pcap -- OUT.pcap SIZE_MB [SEED]
//! ```

use std::fs::File;
use std::io::BufWriter;

use spot_decode::capture::PcapWriter;

/// xorshift64*: deterministic, seeded, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const DOMAINS: &[&str] = &[
    "google.com",
    "youtube.com",
    "facebook.com",
    "wikipedia.org",
    "amazon.com",
    "microsoft.com",
    "apple.com",
    "netflix.com",
    "github.com",
    "cloudflare.net",
    "akamaiedge.net",
    "bbc.co.uk",
    "example.org",
    "corp.example.com",
    "intranet.example.com",
    "cdn.jsdelivr.net",
    "mail.yahoo.co.jp",
    "spiegel.de",
];
const HOSTS: &[&str] = &[
    "www", "api", "mail", "cdn", "static", "img", "login", "m", "edge", "update",
];

fn labels(name: &str, out: &mut Vec<u8>) {
    for l in name.split('.') {
        out.push(l.len() as u8);
        out.extend_from_slice(l.as_bytes());
    }
    out.push(0);
}

fn random_label(rng: &mut Rng, min: usize, spread: u64) -> String {
    let len = min + rng.below(spread) as usize;
    const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| ALPHA[rng.below(ALPHA.len() as u64) as usize] as char)
        .collect()
}

fn rr_header(out: &mut Vec<u8>, rtype: u16, ttl: u32, rdlen: usize) {
    out.extend_from_slice(&[0xc0, 12]);
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdlen as u16).to_be_bytes());
}

/// Builds (query, response) DNS messages.
fn dns_pair(rng: &mut Rng, id: u16) -> (Vec<u8>, Vec<u8>) {
    let roll = rng.below(100);
    let (name, qtype) = if roll < 4 {
        // Tunneling-like TXT lookups with long random labels.
        (
            format!(
                "{}.{}.t.example.com",
                random_label(rng, 40, 20),
                random_label(rng, 20, 1)
            ),
            16u16,
        )
    } else if roll < 9 {
        (format!("{}.com", random_label(rng, 8, 10)), 1)
    } else if roll < 12 {
        (
            format!(
                "{}.{}.{}.10.in-addr.arpa",
                rng.below(256),
                rng.below(256),
                rng.below(256)
            ),
            12,
        )
    } else {
        let qtype = *rng.pick(&[1u16, 1, 1, 1, 1, 1, 28, 28, 15, 16, 5, 33, 2, 6, 255]);
        (format!("{}.{}", rng.pick(HOSTS), rng.pick(DOMAINS)), qtype)
    };
    let nx = (5..9).contains(&roll) || rng.below(100) < 3;
    let edns = rng.below(10) < 7;
    let mut q = Vec::with_capacity(128);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&0x0100u16.to_be_bytes());
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, edns as u8]);
    labels(&name, &mut q);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    let opt = |m: &mut Vec<u8>| {
        m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    };
    let question_end = q.len();
    if edns {
        opt(&mut q);
    }
    let mut r = Vec::with_capacity(256);
    r.extend_from_slice(&q[..question_end]);
    let mut ancount = 0u16;
    if !nx {
        let ttl = 30 + rng.below(3600) as u32;
        if qtype == 5 || (qtype == 1 && rng.below(10) == 0) {
            let mut target = Vec::new();
            labels(
                &format!("edge{}.akamaiedge.net", rng.below(100)),
                &mut target,
            );
            rr_header(&mut r, 5, ttl, target.len());
            r.extend_from_slice(&target);
            ancount += 1;
        }
        match qtype {
            1 | 255 => {
                for _ in 0..1 + rng.below(3) {
                    rr_header(&mut r, 1, ttl, 4);
                    r.extend_from_slice(&(rng.next() as u32).to_be_bytes());
                    ancount += 1;
                }
            }
            28 => {
                rr_header(&mut r, 28, ttl, 16);
                r.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
                r.extend_from_slice(&rng.next().to_be_bytes());
                r.extend_from_slice(&(rng.next() as u32).to_be_bytes());
                ancount += 1;
            }
            15 => {
                let mut d = vec![0, 10];
                labels(&format!("mx{}.{}", rng.below(3), rng.pick(DOMAINS)), &mut d);
                rr_header(&mut r, 15, ttl, d.len());
                r.extend_from_slice(&d);
                ancount += 1;
            }
            16 => {
                let txt = random_label(rng, 20, 60);
                rr_header(&mut r, 16, ttl, txt.len() + 1);
                r.push(txt.len() as u8);
                r.extend_from_slice(txt.as_bytes());
                ancount += 1;
            }
            12 => {
                let mut d = Vec::new();
                labels(&format!("host{}.corp.example.com", rng.below(500)), &mut d);
                rr_header(&mut r, 12, ttl, d.len());
                r.extend_from_slice(&d);
                ancount += 1;
            }
            _ => {}
        }
    }
    if edns {
        opt(&mut r);
    }
    let flags: u16 = 0x8180 | if nx { 3 } else { 0 };
    r[2..4].copy_from_slice(&flags.to_be_bytes());
    r[6..8].copy_from_slice(&ancount.to_be_bytes());
    r[10..12].copy_from_slice(&(edns as u16).to_be_bytes());
    (q, r)
}

fn frame(src: [u8; 4], dst: [u8; 4], proto: u8, transport: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 20 + transport.len());
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
    let total = (20 + transport.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(transport);
    f
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: gen_dns_pcap OUT.pcap SIZE_MB [SEED]");
        std::process::exit(2);
    }
    let target = args[2].parse::<u64>().unwrap_or(100) * 1_000_000;
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42u64);
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut w = PcapWriter::new(
        BufWriter::with_capacity(1 << 20, File::create(&args[1])?),
        1,
        false,
    )?;
    let server = [10, 0, 0, 53];
    let (mut sec, mut nsec) = (1_795_599_592u32, 0u32);
    let mut written = 24u64;
    let mut pairs = 0u64;
    while written < target {
        let client = [10, 1, rng.below(8) as u8, 1 + rng.below(250) as u8];
        let sport = 1024 + rng.below(60000) as u16;
        let id = rng.next() as u16;
        let (q, r) = dns_pair(&mut rng, id);
        let mut frames = Vec::with_capacity(4);
        if rng.below(100) < 3 {
            let (cs, ss) = (rng.next() as u32, rng.next() as u32);
            let mut ql = (q.len() as u16).to_be_bytes().to_vec();
            ql.extend_from_slice(&q);
            let mut rl = (r.len() as u16).to_be_bytes().to_vec();
            rl.extend_from_slice(&r);
            frames.push(frame(client, server, 6, &tcp(sport, 53, cs, 0x18, &ql)));
            frames.push(frame(server, client, 6, &tcp(53, sport, ss, 0x18, &rl)));
            frames.push(frame(
                client,
                server,
                6,
                &tcp(sport, 53, cs.wrapping_add(ql.len() as u32), 0x11, &[]),
            ));
        } else {
            frames.push(frame(client, server, 17, &udp(sport, 53, &q)));
            frames.push(frame(server, client, 17, &udp(53, sport, &r)));
        }
        for f in frames {
            nsec += 1 + rng.below(400_000) as u32;
            if nsec >= 1_000_000_000 {
                nsec -= 1_000_000_000;
                sec += 1;
            }
            w.write_packet(sec, nsec, &f, f.len() as u32)?;
            written += 16 + f.len() as u64;
        }
        pairs += 1;
    }
    w.into_inner();
    eprintln!("wrote {written} bytes, {pairs} query/response pairs");
    Ok(())
}
