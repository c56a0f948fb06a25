//! The collector on loopback: the shared export datagrams, sent over UDP to 127.0.0.1, come
//! out as Hive-partitioned Parquet files holding the same flows as nfcapd's.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::Int64Type;
use spot_decode::FlowReader;
use spot_decode::netflow::collector::{Collector, CollectorConfig};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/flow")
        .join(name)
}

/// UDP payloads of the classic Ethernet pcap captures under tests/data/flow.
fn udp_payloads(path: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(path).unwrap();
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let mut out = Vec::new();
    let mut pos = 24;
    while pos + 16 <= b.len() {
        let caplen = u32_at(pos + 8) as usize;
        let ip = &b[pos + 16 + 14..pos + 16 + caplen];
        pos += 16 + caplen;
        let udp = &ip[(ip[0] & 15) as usize * 4..];
        let len = u16::from_be_bytes([udp[4], udp[5]]) as usize;
        out.push(udp[8..len].to_vec());
    }
    out
}

fn read_all(dir: &Path) -> RecordBatch {
    let reader = FlowReader::open(&[dir]).unwrap();
    let batches: Vec<RecordBatch> = reader.batches().map(|b| b.unwrap()).collect();
    concat_batches(&reader.schema(), &batches).unwrap()
}

fn sum(b: &RecordBatch, col: &str) -> i64 {
    b.column_by_name(col)
        .unwrap()
        .as_primitive::<Int64Type>()
        .iter()
        .flatten()
        .sum()
}

#[test]
fn collects_v5_v9_ipfix_from_loopback_into_hive_parquet() {
    let out = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut config = CollectorConfig::new(vec![listen, listen], out.path());
    config.rotate = Duration::from_millis(300);
    let collector = Collector::bind(config, stop.clone()).unwrap();
    let ports: Vec<SocketAddr> = collector.local_addrs().to_vec();
    let (tx, rx) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        collector
            .run(|r| {
                let _ = tx.send(r.clone());
            })
            .unwrap()
    });

    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut expected = 0;
    for (i, (pcap, flows)) in [
        ("exports-v5.pcap", 2398),
        ("exports-v9.pcap", 2400),
        ("exports-v10.pcap", 2400),
    ]
    .iter()
    .enumerate()
    {
        for (k, d) in udp_payloads(&data(pcap)).iter().enumerate() {
            sender.send_to(d, ports[i % 2]).unwrap();
            if k % 16 == 15 {
                // Loopback drops what the socket buffer cannot hold; pace the replay.
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        expected += flows;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = None;
    while Instant::now() < deadline {
        if let Ok(r) = rx.recv_timeout(Duration::from_millis(500)) {
            let done = r.netflow.flows >= expected as u64;
            last = Some(r);
            if done {
                break;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let report = runner.join().unwrap();
    assert_eq!(report.netflow.flows, expected as u64, "{last:?}");
    assert_eq!(report.flows_written, expected as u64);
    assert_eq!((report.netflow.errors, report.queue_drops), (0, 0));
    // One exporter address, three versions: three exporters with their own ids.
    assert_eq!(report.netflow.exporters.len(), 3);
    let addr: IpAddr = "127.0.0.1".parse().unwrap();
    assert!(
        report
            .netflow
            .exporters
            .values()
            .all(|e| e.address == Some(addr))
    );

    // No hidden (unpublished) file is left, and the files hold every flow.
    let mut hidden = 0;
    for e in walk(out.path()) {
        if e.file_name().unwrap().to_str().unwrap().starts_with('.') {
            hidden += 1;
        }
    }
    assert_eq!(hidden, 0);
    let all = read_all(out.path());
    assert_eq!(all.num_rows(), expected);
    let mut bytes = 0;
    for csv in [
        "nfcapd-export-v5.nfdump.csv.gz",
        "nfcapd-export-v9.nfdump.csv.gz",
        "nfcapd-export-v10.nfdump.csv.gz",
    ] {
        bytes += sum(&read_all(&data(csv)), "ibyt");
    }
    assert_eq!(sum(&all, "ibyt"), bytes);
    assert!(all.schema().field_with_name("y").is_ok());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_failing_writer_ends_the_collector_with_an_error() {
    // The output root is a file, so no Parquet file can be created under it.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("not-a-dir");
    std::fs::write(&out, b"x").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut config = CollectorConfig::new(vec!["127.0.0.1:0".parse().unwrap()], &out);
    config.batch_size = 1;
    let collector = Collector::bind(config, stop.clone()).unwrap();
    let port = collector.local_addrs()[0];
    let runner = std::thread::spawn(move || collector.run(|_| {}));
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let d = &udp_payloads(&data("exports-v5.pcap"))[0];
    let deadline = Instant::now() + Duration::from_secs(20);
    while !runner.is_finished() && Instant::now() < deadline {
        sender.send_to(d, port).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    let err = runner.join().unwrap().unwrap_err().to_string();
    assert!(err.contains("not-a-dir"), "{err}");
}
