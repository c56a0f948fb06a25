//! A NetFlow/IPFIX collector: UDP listeners, decoding off the receive threads, and
//! Hive-partitioned Parquet files that appear atomically.
//!
//! Each listener thread only receives datagrams and queues them (bounded; a full queue counts
//! drops). One decoding thread turns them into flows and writes them under
//! `OUT/y=YYYY/m=MM/d=DD/h=HH/` by flow start time. Files are written as hidden
//! `.flows-*.parquet` (which readers skip), then closed, synced and renamed to
//! `flows-*.parquet` at each rotation and at shutdown: a reader never sees a half file, and
//! after a crash every visible file is complete.

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arrow::array::{AsArray, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::Int32Type;

use super::{NetflowDecoder, NetflowStats};
use crate::error::{DecodeError, Result};
use crate::flow::{FlowBatchBuilder, nfdump_flow_schema};
use crate::write::{BatchWriter, ParquetCompression};

/// How to run a [`Collector`].
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// UDP addresses to listen on.
    pub listen: Vec<SocketAddr>,
    /// Root of the Hive-partitioned output.
    pub out: PathBuf,
    /// How often files are closed and published.
    pub rotate: Duration,
    /// Flows per Parquet row group write.
    pub batch_size: usize,
    /// Datagrams queued between the receive threads and the decoder.
    pub queue: usize,
    /// Socket receive buffer size to ask the kernel for, in bytes.
    pub rcvbuf: Option<usize>,
    /// Codec of the Parquet files.
    pub compression: ParquetCompression,
}

impl CollectorConfig {
    /// Defaults: rotate every 5 minutes, 64Ki-flow batches, a 64Ki-datagram queue, a 32 MiB
    /// socket buffer, zstd-compressed Parquet.
    pub fn new(listen: Vec<SocketAddr>, out: impl Into<PathBuf>) -> Self {
        CollectorConfig {
            listen,
            out: out.into(),
            rotate: Duration::from_secs(300),
            batch_size: 64 * 1024,
            queue: 64 * 1024,
            rcvbuf: Some(32 << 20),
            compression: ParquetCompression::default(),
        }
    }
}

/// What a collector did, reported at each rotation and at the end.
#[derive(Debug, Clone, Default)]
pub struct CollectorReport {
    /// Decoder counters, per exporter included.
    pub netflow: NetflowStats,
    /// Datagrams dropped because the decoder fell behind.
    pub queue_drops: u64,
    /// Files published so far.
    pub files: u64,
    /// Flows written to published files so far.
    pub flows_written: u64,
}

struct Datagram {
    from: std::net::IpAddr,
    msec: u64,
    bytes: Vec<u8>,
}

/// A running collector; see the [module docs](self).
pub struct Collector {
    config: CollectorConfig,
    stop: Arc<AtomicBool>,
    drops: Arc<AtomicU64>,
    receivers: Vec<JoinHandle<()>>,
    queue: Receiver<Datagram>,
    local: Vec<SocketAddr>,
}

fn now_msec() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Collector {
    /// Binds the listeners and starts their receive threads. `stop` ends [`Collector::run`]
    /// (set it from a signal handler).
    pub fn bind(config: CollectorConfig, stop: Arc<AtomicBool>) -> Result<Self> {
        let (tx, rx) = sync_channel(config.queue.max(1));
        let drops = Arc::new(AtomicU64::new(0));
        let mut receivers = Vec::new();
        let mut local = Vec::new();
        for addr in &config.listen {
            let sock = bind(*addr, config.rcvbuf)
                .map_err(|e| DecodeError::io(PathBuf::from(addr.to_string()), e))?;
            local.push(
                sock.local_addr()
                    .map_err(|e| DecodeError::io(PathBuf::from(addr.to_string()), e))?,
            );
            let (tx, stop, drops) = (tx.clone(), stop.clone(), drops.clone());
            receivers.push(std::thread::spawn(move || receive(sock, tx, stop, drops)));
        }
        Ok(Collector {
            config,
            stop,
            drops,
            receivers,
            queue: rx,
            local,
        })
    }

    /// The bound addresses (with the ports chosen when port 0 was asked for).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local
    }

    /// Decodes and writes until `stop` is set and the queue is drained; calls `on_rotate` after
    /// each rotation (and once at the end) with the counters so far.
    pub fn run(self, mut on_rotate: impl FnMut(&CollectorReport)) -> Result<CollectorReport> {
        let mut decoder = NetflowDecoder::new();
        let mut builder = FlowBatchBuilder::new();
        let mut files = RotatingFiles::new(&self.config.out, self.config.compression);
        let mut report = CollectorReport::default();
        let mut next_rotation = Instant::now() + self.config.rotate;
        loop {
            match self.queue.recv_timeout(Duration::from_millis(100)) {
                Ok(d) => {
                    // Errors are counted per exporter by the decoder; the flows before the
                    // problem are kept.
                    let _ = decoder.decode(d.from, d.msec, &d.bytes, &mut |f| builder.append(f));
                    if builder.len() >= self.config.batch_size {
                        files.write(&builder.finish())?;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if self.stop.load(Ordering::Relaxed)
                        && self.receivers.iter().all(|r| r.is_finished())
                    {
                        // Receivers are done; drain what they queued.
                        while let Ok(d) = self.queue.try_recv() {
                            let _ = decoder
                                .decode(d.from, d.msec, &d.bytes, &mut |f| builder.append(f));
                        }
                        break;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if Instant::now() >= next_rotation {
                if !builder.is_empty() {
                    files.write(&builder.finish())?;
                }
                files.publish(&mut report)?;
                report.netflow = decoder.stats().clone();
                report.queue_drops = self.drops.load(Ordering::Relaxed);
                on_rotate(&report);
                next_rotation = Instant::now() + self.config.rotate;
            }
        }
        if !builder.is_empty() {
            files.write(&builder.finish())?;
        }
        files.publish(&mut report)?;
        decoder.drop_held();
        report.netflow = decoder.stats().clone();
        report.queue_drops = self.drops.load(Ordering::Relaxed);
        on_rotate(&report);
        for r in self.receivers {
            let _ = r.join();
        }
        Ok(report)
    }
}

fn bind(addr: SocketAddr, rcvbuf: Option<usize>) -> std::io::Result<UdpSocket> {
    let domain = if addr.is_ipv4() {
        socket2::Domain::IPV4
    } else {
        socket2::Domain::IPV6
    };
    let s = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    if let Some(n) = rcvbuf {
        // The kernel caps this at net.core.rmem_max; a smaller buffer is not an error.
        let _ = s.set_recv_buffer_size(n);
    }
    s.bind(&addr.into())?;
    let sock: UdpSocket = s.into();
    sock.set_read_timeout(Some(Duration::from_millis(100)))?;
    Ok(sock)
}

fn receive(
    sock: UdpSocket,
    tx: SyncSender<Datagram>,
    stop: Arc<AtomicBool>,
    drops: Arc<AtomicU64>,
) {
    let mut buf = vec![0u8; 65536];
    while !stop.load(Ordering::Relaxed) {
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                let d = Datagram {
                    from: from.ip(),
                    msec: now_msec(),
                    bytes: buf[..n].to_vec(),
                };
                match tx.try_send(d) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        drops.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Disconnected(_)) => return,
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Open hidden files per Hive partition, published by rename.
struct RotatingFiles {
    root: PathBuf,
    compression: ParquetCompression,
    open: BTreeMap<[i32; 4], (PathBuf, BatchWriter)>,
    serial: u64,
}

impl RotatingFiles {
    fn new(root: &Path, compression: ParquetCompression) -> Self {
        RotatingFiles {
            root: root.to_path_buf(),
            compression,
            open: BTreeMap::new(),
            serial: 0,
        }
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let schema = batch.schema();
        let col = |name: &str| {
            schema
                .index_of(name)
                .ok()
                .and_then(|i| batch.column(i).as_primitive_opt::<Int32Type>().cloned())
        };
        let (Some(y), Some(m), Some(d), Some(h)) =
            (col("tryear"), col("trmonth"), col("trday"), col("trhour"))
        else {
            return Err(DecodeError::Malformed {
                path: self.root.clone(),
                line: 0,
                message: "flow batches need Int32 tryear, trmonth, trday, trhour".into(),
            });
        };
        let mut parts: BTreeMap<[i32; 4], Vec<u32>> = BTreeMap::new();
        for row in 0..batch.num_rows() {
            let key = [y.value(row), m.value(row), d.value(row), h.value(row)];
            parts.entry(key).or_default().push(row as u32);
        }
        for (key, rows) in parts {
            let part = take_record_batch(batch, &UInt32Array::from(rows))
                .map_err(|e| DecodeError::arrow(&self.root, e))?;
            if !self.open.contains_key(&key) {
                let [y, m, d, h] = key;
                self.serial += 1;
                let name = format!(".flows-{}-{:06}.parquet", now_msec(), self.serial);
                let path = self
                    .root
                    .join(format!("y={y:04}/m={m:02}/d={d:02}/h={h:02}"))
                    .join(name);
                let w = BatchWriter::create_with(&path, &nfdump_flow_schema(), self.compression)?;
                self.open.insert(key, (path, w));
            }
            if let Some((_, w)) = self.open.get_mut(&key) {
                w.write(&part)?;
            }
        }
        Ok(())
    }

    /// Closes, syncs and renames every open file to its visible name.
    fn publish(&mut self, report: &mut CollectorReport) -> Result<()> {
        for (_, (hidden, w)) in std::mem::take(&mut self.open) {
            report.flows_written += w.finish()?;
            let io = |e| DecodeError::io(&hidden, e);
            std::fs::File::open(&hidden)
                .and_then(|f| f.sync_all())
                .map_err(io)?;
            let name = hidden
                .file_name()
                .and_then(|n| n.to_str())
                .map(|n| n.trim_start_matches('.').to_string())
                .unwrap_or_default();
            let visible = hidden.with_file_name(name);
            std::fs::rename(&hidden, &visible).map_err(io)?;
            if let Some(dir) = visible.parent() {
                // Make the rename itself durable.
                let _ = std::fs::File::open(dir).and_then(|f| f.sync_all());
            }
            report.files += 1;
        }
        Ok(())
    }
}
