//! `spot collect`: a NetFlow v5/v9/IPFIX collector writing Hive-partitioned Parquet.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;
use spot_decode::ParquetCompression;
use spot_decode::netflow::collector::{
    Collector, CollectorConfig, CollectorReport, DecodePriority,
};

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// UDP address to listen on (repeat for several listeners), e.g. 0.0.0.0:2055.
    #[arg(long, required = true)]
    listen: Vec<SocketAddr>,
    /// Output folder: `y=YYYY/m=MM/d=DD/h=HH/flows-*.parquet`.
    #[arg(long)]
    out: PathBuf,
    /// How often files are closed and published (`30s`, `5m`, `1h`).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    rotate: Duration,
    /// Socket receive buffer in bytes (capped by the kernel's net.core.rmem_max).
    #[arg(long, default_value_t = 32 << 20)]
    rcvbuf: usize,
    /// Memory for datagrams waiting to be decoded, in MiB: a burst faster than decoding is
    /// absorbed up to this much; past it datagrams are dropped and counted ("queue drops").
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    queue_mb: u64,
    /// Scheduling priority of decoding and writing (Linux): `low` (nice +10; receiving goes
    /// first, decoding keeps a fair share of a busy machine), `idle` (SCHED_IDLE: decoding only
    /// on otherwise idle cores; best for bursts on a machine that mostly collects) or `normal`.
    #[arg(long, value_enum, default_value_t = Priority::Low)]
    decode_priority: Priority,
    /// Codec of the Parquet files: none, snappy, zstd or lz4.
    #[arg(long, default_value = "zstd")]
    compression: ParquetCompression,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Priority {
    Low,
    Idle,
    Normal,
}

/// `90`, `90s`, `5m`, `1h` as a duration.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("expected a duration like 5m, found {s:?}"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("unknown duration unit {unit:?} (use s, m or h)")),
    };
    if secs == 0 {
        return Err("duration must be positive".into());
    }
    Ok(Duration::from_secs(secs))
}

fn log(r: &CollectorReport) {
    let n = &r.netflow;
    eprintln!(
        "collect: {} datagrams, {} flows, {} decode errors, {} queue drops; {} files, {} flows written",
        n.datagrams, n.flows, n.errors, r.queue_drops, r.files, r.flows_written
    );
    let h = &n.held;
    if h.held + h.not_held > 0 {
        eprintln!(
            "  data sets before their template: {} held, {} decoded later, {} waiting; dropped: {} expired, {} over the per-template cap, {} over the total cap, {} with no template at exit, {} not held",
            h.held,
            h.decoded,
            h.waiting,
            h.expired,
            h.over_template_cap,
            h.over_total_cap,
            h.never_templated,
            h.not_held
        );
    }
    for e in n.exporters.values() {
        let addr = e.address.map(|a| a.to_string()).unwrap_or_default();
        eprintln!(
            "  exporter {} {addr} v{} domain {}: {} datagrams, {} flows, {} sequence gaps ({} lost), {} errors",
            e.sysid,
            e.version,
            e.domain,
            e.datagrams,
            e.flows,
            e.sequence_failures,
            e.lost,
            e.errors
        );
    }
}

pub fn run(a: CollectArgs) -> Result<()> {
    if a.listen.is_empty() {
        bail!("give at least one --listen address");
    }
    // The interrupt handler (Ctrl-C, SIGTERM) of `main` stops the collector: it flushes and
    // publishes its open files, then exits.
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    std::thread::spawn(move || {
        while !crate::progress::interrupted() {
            std::thread::sleep(Duration::from_millis(100));
        }
        s.store(true, Ordering::Relaxed);
    });
    let mut config = CollectorConfig::new(a.listen, &a.out);
    config.rotate = a.rotate;
    config.rcvbuf = Some(a.rcvbuf);
    config.compression = a.compression;
    config.priority = match a.decode_priority {
        Priority::Low => DecodePriority::Low,
        Priority::Idle => DecodePriority::Idle,
        Priority::Normal => DecodePriority::Normal,
    };
    config.queue_bytes = usize::try_from(a.queue_mb << 20).unwrap_or(usize::MAX);
    let collector = Collector::bind(config, stop)?;
    for addr in collector.local_addrs() {
        eprintln!(
            "collect: listening on udp {addr}, writing {}",
            a.out.display()
        );
    }
    collector.run(log)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5d").is_err());
    }
}
