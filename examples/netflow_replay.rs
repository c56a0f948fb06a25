//! Replays the NetFlow/IPFIX export datagrams of a capture to a collector over UDP at a given
//! rate, to load-test `spot collect` (or nfcapd) on loopback.
//!
//! `cargo run --example netflow_replay -- CAPTURE ADDR:PORT RATE COUNT`
//!
//! Sends COUNT datagrams (cycling through the capture's UDP payloads) at RATE datagrams per
//! second, then prints `sent D datagrams F v5-flows S seconds`: for NetFlow v5 datagrams, F is
//! the number of flows their headers announce, what a loss-free collector must store.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use spot::decode::capture::{CaptureReader, ip, link, udp};

fn payloads(path: &str) -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    let mut reader = CaptureReader::open(path)?;
    let mut reassembler = ip::Reassembler::new(ip::ReassemblyLimits::default());
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet()? {
        let Ok(net) = link::network(p.link_type, p.data) else {
            continue;
        };
        let Ok(pkt) = ip::parse(net, &mut reassembler, p.ts_sec) else {
            continue;
        };
        if pkt.protocol == 17
            && let Some(u) = udp::parse(&pkt.payload)
        {
            out.push(u.payload.to_vec());
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [capture, addr, rate, count] = args.as_slice() else {
        return Err("usage: netflow_replay CAPTURE ADDR:PORT RATE COUNT".into());
    };
    let addr: SocketAddr = addr.parse()?;
    let rate: f64 = rate.parse()?;
    let count: u64 = count.parse()?;
    let datagrams = payloads(capture)?;
    if datagrams.is_empty() {
        return Err(format!("{capture}: no UDP datagrams").into());
    }
    let sock = UdpSocket::bind(if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })?;
    let (mut sent, mut flows) = (0u64, 0u64);
    let start = Instant::now();
    while sent < count {
        // Send what the rate allows by now, then sleep a little: bursts of at most 1 ms.
        let due = ((start.elapsed().as_secs_f64() * rate) as u64 + 1).min(count);
        while sent < due {
            let d = &datagrams[(sent % datagrams.len() as u64) as usize];
            sock.send_to(d, addr)?;
            if d.len() >= 4 && d[..2] == [0, 5] {
                flows += u16::from_be_bytes([d[2], d[3]]) as u64;
            }
            sent += 1;
        }
        if sent < count {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    println!(
        "sent {sent} datagrams {flows} v5-flows {:.3} seconds",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
