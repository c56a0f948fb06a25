//! A NetFlow/IPFIX collector: UDP listeners, decoding off the receive threads, and
//! Hive-partitioned Parquet files that appear atomically.
//!
//! Each listener thread only receives datagrams and queues them, so that the kernel's socket
//! buffer is emptied as fast as datagrams arrive. The queue is bounded in bytes
//! ([`CollectorConfig::queue_bytes`]); a datagram that would pass the bound is dropped and
//! counted. One decoding thread turns the datagrams into flow batches, and one writing thread
//! encodes them as Parquet under `OUT/y=YYYY/m=MM/d=DD/h=HH/` by flow start time, so decoding
//! and writing run side by side. On Linux those two threads run at a lower scheduling priority
//! than the receivers ([`DecodePriority`]): when cores are short, receiving wins and the queue
//! absorbs the burst, rather than the kernel's socket buffer overflowing. Files are written as hidden
//! `.flows-*.parquet` (which readers skip), then closed, synced and renamed to
//! `flows-*.parquet` at each rotation and at shutdown: a reader never sees a half file, and
//! after a crash every visible file is complete.

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, channel, sync_channel};
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
    /// Bytes of datagrams that may wait between the receive threads and the decoder (a burst
    /// the decoder cannot follow at once is absorbed up to this much memory).
    pub queue_bytes: usize,
    /// Socket receive buffer size to ask the kernel for, in bytes.
    pub rcvbuf: Option<usize>,
    /// Codec of the Parquet files.
    pub compression: ParquetCompression,
    /// Scheduling priority of the decoding and writing threads.
    pub priority: DecodePriority,
}

/// Scheduling priority of a collector's decoding and writing threads (Linux; elsewhere they
/// keep the process's priority).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecodePriority {
    /// nice +10: receivers go first, and decoding still gets a fair share of a busy machine.
    #[default]
    Low,
    /// `SCHED_IDLE`: decoding runs only on cores nothing else wants, so a burst never waits
    /// for a core to be received; for a machine that does little but collect (on a busy one,
    /// decoding may fall behind until the queue fills).
    Idle,
    /// The process's own priority.
    Normal,
}

impl CollectorConfig {
    /// Defaults: rotate every 5 minutes, 64Ki-flow batches, a 512 MiB queue, a 32 MiB socket
    /// buffer, zstd-compressed Parquet.
    pub fn new(listen: Vec<SocketAddr>, out: impl Into<PathBuf>) -> Self {
        CollectorConfig {
            listen,
            out: out.into(),
            rotate: Duration::from_secs(300),
            batch_size: 64 * 1024,
            queue_bytes: 512 << 20,
            rcvbuf: Some(32 << 20),
            compression: ParquetCompression::default(),
            priority: DecodePriority::default(),
        }
    }
}

/// What a collector did, reported at each rotation and at the end.
#[derive(Debug, Clone, Default)]
pub struct CollectorReport {
    /// Decoder counters, per exporter included.
    pub netflow: NetflowStats,
    /// Datagrams dropped because the queue was full (the decoder fell behind by more than
    /// [`CollectorConfig::queue_bytes`]).
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

/// What a queued datagram counts against [`CollectorConfig::queue_bytes`]: its bytes and the
/// allocation around them.
fn queued_size(len: usize) -> usize {
    len + 64
}

/// The queue between the receive threads and the decoder: unbounded as a channel, bounded in
/// bytes by the receivers.
#[derive(Clone)]
struct Queue {
    tx: Sender<Datagram>,
    bytes: Arc<AtomicUsize>,
    cap: usize,
    drops: Arc<AtomicU64>,
}

impl Queue {
    /// Queues `d`, or drops and counts it when the queue is full. False once the decoder is gone.
    fn push(&self, d: Datagram) -> bool {
        let size = queued_size(d.bytes.len());
        if self.bytes.load(Ordering::Relaxed) + size > self.cap {
            self.drops.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        self.bytes.fetch_add(size, Ordering::Relaxed);
        self.tx.send(d).is_ok()
    }
}

/// What the decoder sends the writing thread.
enum ToWriter {
    Batch(RecordBatch),
    /// Publish the open files, then answer with the files and flows published so far.
    Publish(SyncSender<(u64, u64)>),
}

/// A running collector; see the [module docs](self).
pub struct Collector {
    config: CollectorConfig,
    stop: Arc<AtomicBool>,
    drops: Arc<AtomicU64>,
    queued: Arc<AtomicUsize>,
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
        let (tx, rx) = channel();
        let drops = Arc::new(AtomicU64::new(0));
        let queued = Arc::new(AtomicUsize::new(0));
        let queue = Queue {
            tx,
            bytes: queued.clone(),
            cap: config.queue_bytes.max(queued_size(65_535)),
            drops: drops.clone(),
        };
        let mut receivers = Vec::new();
        let mut local = Vec::new();
        for addr in &config.listen {
            let sock = bind(*addr, config.rcvbuf)
                .map_err(|e| DecodeError::io(PathBuf::from(addr.to_string()), e))?;
            local.push(
                sock.local_addr()
                    .map_err(|e| DecodeError::io(PathBuf::from(addr.to_string()), e))?,
            );
            let (queue, stop) = (queue.clone(), stop.clone());
            receivers.push(std::thread::spawn(move || receive(sock, queue, stop)));
        }
        Ok(Collector {
            config,
            stop,
            drops,
            queued,
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
    pub fn run(
        self,
        mut on_rotate: impl FnMut(&CollectorReport) + Send,
    ) -> Result<CollectorReport> {
        let (to_writer, writer_rx) = sync_channel::<ToWriter>(2);
        let files = RotatingFiles::new(&self.config.out, self.config.compression);
        let priority = self.config.priority;
        let writer = std::thread::spawn(move || {
            lower_priority(priority);
            write_batches(files, writer_rx)
        });
        let (stop, out) = (self.stop.clone(), self.config.out.clone());
        let rotate = &mut on_rotate;
        let decoding = std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    lower_priority(priority);
                    let decoded = self.decode(&to_writer, rotate);
                    drop(to_writer);
                    (self, decoded)
                })
                .join()
        });
        let Ok((this, decoded)) = decoding else {
            stop.store(true, Ordering::Relaxed);
            let _ = writer.join();
            return Err(DecodeError::Malformed {
                path: out,
                line: 0,
                message: "the collector's decoding thread panicked".into(),
            });
        };
        // A writer error ends decoding early (its channel closes); report it before anything else.
        let written = writer.join().unwrap_or_else(|_| {
            Err(DecodeError::Malformed {
                path: this.config.out.clone(),
                line: 0,
                message: "the Parquet writing thread panicked".into(),
            })
        });
        this.stop.store(true, Ordering::Relaxed);
        for r in this.receivers {
            let _ = r.join();
        }
        let (files, flows_written) = written?;
        let mut report = decoded?;
        report.files = files;
        report.flows_written = flows_written;
        on_rotate(&report);
        Ok(report)
    }

    /// The decoding loop; returns the counters (without the final publication's).
    fn decode(
        &self,
        to_writer: &SyncSender<ToWriter>,
        on_rotate: &mut impl FnMut(&CollectorReport),
    ) -> Result<CollectorReport> {
        let mut decoder = NetflowDecoder::new();
        let mut builder = FlowBatchBuilder::new();
        let mut report = CollectorReport::default();
        let mut next_rotation = Instant::now() + self.config.rotate;
        let writer_gone = || DecodeError::Malformed {
            path: self.config.out.clone(),
            line: 0,
            message: "the Parquet writing thread stopped".into(),
        };
        let decode_one = |d: Datagram, decoder: &mut NetflowDecoder, b: &mut FlowBatchBuilder| {
            self.queued
                .fetch_sub(queued_size(d.bytes.len()), Ordering::Relaxed);
            // Errors are counted per exporter by the decoder; the flows before the problem are
            // kept.
            let _ = decoder.decode(d.from, d.msec, &d.bytes, &mut |f| b.append(f));
        };
        loop {
            match self.queue.recv_timeout(Duration::from_millis(100)) {
                Ok(d) => {
                    decode_one(d, &mut decoder, &mut builder);
                    if builder.len() >= self.config.batch_size
                        && to_writer.send(ToWriter::Batch(builder.finish())).is_err()
                    {
                        return Err(writer_gone());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if self.stop.load(Ordering::Relaxed)
                        && self.receivers.iter().all(|r| r.is_finished())
                    {
                        // Receivers are done; drain what they queued.
                        while let Ok(d) = self.queue.try_recv() {
                            decode_one(d, &mut decoder, &mut builder);
                        }
                        break;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if Instant::now() >= next_rotation {
                let (reply, answer) = sync_channel(1);
                if !builder.is_empty() && to_writer.send(ToWriter::Batch(builder.finish())).is_err()
                    || to_writer.send(ToWriter::Publish(reply)).is_err()
                {
                    return Err(writer_gone());
                }
                let (files, written) = answer.recv().map_err(|_| writer_gone())?;
                report.files = files;
                report.flows_written = written;
                report.netflow = decoder.stats().clone();
                report.queue_drops = self.drops.load(Ordering::Relaxed);
                on_rotate(&report);
                next_rotation = Instant::now() + self.config.rotate;
            }
        }
        if !builder.is_empty() && to_writer.send(ToWriter::Batch(builder.finish())).is_err() {
            return Err(writer_gone());
        }
        decoder.drop_held();
        report.netflow = decoder.stats().clone();
        report.queue_drops = self.drops.load(Ordering::Relaxed);
        Ok(report)
    }
}

/// The writing thread: writes batches into the open files, publishes them when asked and once
/// at the end; returns the files and flows published.
fn write_batches(mut files: RotatingFiles, rx: Receiver<ToWriter>) -> Result<(u64, u64)> {
    let mut report = CollectorReport::default();
    for msg in rx {
        match msg {
            ToWriter::Batch(b) => files.write(&b)?,
            ToWriter::Publish(reply) => {
                files.publish(&mut report)?;
                let _ = reply.send((report.files, report.flows_written));
            }
        }
    }
    files.publish(&mut report)?;
    Ok((report.files, report.flows_written))
}

/// Sets the calling thread's scheduling priority; a no-op where that is not available (the
/// thread then keeps the process's priority).
fn lower_priority(priority: DecodePriority) {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions; setpriority and sched_setscheduler only read their
    // arguments (a valid sched_param on the stack), and on Linux a thread id given to them
    // changes that thread alone. Failure leaves the priority as it was.
    unsafe {
        let tid = libc::gettid();
        match priority {
            DecodePriority::Low => {
                let _ = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
            }
            DecodePriority::Idle => {
                let param = libc::sched_param { sched_priority: 0 };
                let _ = libc::sched_setscheduler(tid, libc::SCHED_IDLE, &param);
            }
            DecodePriority::Normal => {}
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = priority;
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

fn receive(sock: UdpSocket, queue: Queue, stop: Arc<AtomicBool>) {
    let mut buf = vec![0u8; 65536];
    while !stop.load(Ordering::Relaxed) {
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                let d = Datagram {
                    from: from.ip(),
                    msec: now_msec(),
                    bytes: buf[..n].to_vec(),
                };
                if !queue.push(d) {
                    return;
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
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let key = |row: usize| [y.value(row), m.value(row), d.value(row), h.value(row)];
        let first = key(0);
        if (1..batch.num_rows()).all(|row| key(row) == first) {
            // The common case: every flow of the batch started in the same hour.
            return self.write_part(first, batch);
        }
        let mut parts: BTreeMap<[i32; 4], Vec<u32>> = BTreeMap::new();
        for row in 0..batch.num_rows() {
            parts.entry(key(row)).or_default().push(row as u32);
        }
        for (key, rows) in parts {
            let part = take_record_batch(batch, &UInt32Array::from(rows))
                .map_err(|e| DecodeError::arrow(&self.root, e))?;
            self.write_part(key, &part)?;
        }
        Ok(())
    }

    fn write_part(&mut self, key: [i32; 4], part: &RecordBatch) -> Result<()> {
        {
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
                w.write(part)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_is_bounded_in_bytes_and_counts_its_drops() {
        let (tx, rx) = channel();
        let q = Queue {
            tx,
            bytes: Arc::new(AtomicUsize::new(0)),
            cap: 3 * queued_size(1000),
            drops: Arc::new(AtomicU64::new(0)),
        };
        let d = || Datagram {
            from: std::net::Ipv4Addr::LOCALHOST.into(),
            msec: 0,
            bytes: vec![0; 1000],
        };
        for _ in 0..5 {
            assert!(q.push(d()));
        }
        assert_eq!(q.drops.load(Ordering::Relaxed), 2);
        assert_eq!(rx.try_iter().count(), 3);
        drop(rx);
        assert!(!q.push(d()) || q.drops.load(Ordering::Relaxed) == 3);
    }
}
