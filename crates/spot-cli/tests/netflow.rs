//! `spot decode flow` and `spot collect` as a user runs them, on loopback only.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use spot_decode::FlowReader;

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../spot-decode/tests/data/flow")
        .join(name)
}

fn spot() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spot"))
}

fn rows(path: &Path) -> usize {
    FlowReader::open(&[path])
        .unwrap()
        .batches()
        .map(|b| b.unwrap().num_rows())
        .sum()
}

#[test]
fn decode_flow_to_parquet_and_hive() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flows.parquet");
    let st = spot()
        .args(["decode", "flow"])
        .arg(shared("nfcapd-lz4"))
        .arg(shared("nfcapd-export-v9"))
        .arg("--out")
        .arg(&file)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(rows(&file), 3200);
    let hive = dir.path().join("hive");
    let st = spot()
        .args(["decode", "flow"])
        .arg(shared("nfcapd-none"))
        .arg("--out")
        .arg(&hive)
        .status()
        .unwrap();
    assert!(st.success());
    assert!(hive.join("y=2026/m=11/d=25/h=09").is_dir());
    assert_eq!(rows(&hive), 800);
    // Captures of export datagrams, alone or with nfcapd files.
    let from_pcap = dir.path().join("exports.csv");
    let st = spot()
        .args(["decode", "flow"])
        .arg(shared("exports-v10.pcap"))
        .arg(shared("exports-v5.pcap"))
        .arg(shared("nfcapd-none"))
        .arg("--out")
        .arg(&from_pcap)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(rows(&from_pcap), 800 + 2400 + 2398);
}

/// UDP payloads of the classic Ethernet pcap captures.
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

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_collector(out: &Path, port: u16) -> Child {
    start_collector_with(out, port, &[])
}

fn start_collector_with(out: &Path, port: u16, extra: &[&str]) -> Child {
    let child = spot()
        .args([
            "collect",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--rotate",
            "1s",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    child
}

fn send_all(port: u16) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (k, d) in udp_payloads(&shared("exports-v5.pcap")).iter().enumerate() {
        s.send_to(d, ("127.0.0.1", port)).unwrap();
        if k % 16 == 15 {
            // Loopback drops what the socket buffer cannot hold; pace the replay.
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn visible_parquet(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if p.is_dir() {
            out.extend(visible_parquet(&p));
        } else if name.ends_with(".parquet") && !name.starts_with('.') {
            out.push(p);
        }
    }
    out
}

/// Sends SIGTERM and waits (bounded) for a clean exit.
fn terminate(child: &mut Child) {
    std::thread::sleep(Duration::from_millis(300));
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "collector did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
}

#[test]
fn collect_flushes_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = start_collector(dir.path(), port);
    send_all(port);
    terminate(&mut child);
    assert_eq!(rows(dir.path()), 2398);
}

#[test]
fn collect_decodes_at_every_priority() {
    for priority in ["idle", "normal"] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = start_collector_with(dir.path(), port, &["--decode-priority", priority]);
        send_all(port);
        terminate(&mut child);
        assert_eq!(rows(dir.path()), 2398, "--decode-priority {priority}");
    }
}

#[test]
fn collect_writes_the_parquet_codec_asked_for() {
    use parquet::basic::Compression;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    for (flag, codec) in [
        (None, Compression::ZSTD(Default::default())),
        (Some("lz4"), Compression::LZ4_RAW),
        (Some("none"), Compression::UNCOMPRESSED),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let extra: Vec<&str> = flag.map(|f| vec!["--compression", f]).unwrap_or_default();
        let mut child = start_collector_with(dir.path(), port, &extra);
        send_all(port);
        terminate(&mut child);
        assert_eq!(rows(dir.path()), 2398, "{flag:?}");
        for f in visible_parquet(dir.path()) {
            let r = SerializedFileReader::new(std::fs::File::open(&f).unwrap()).unwrap();
            let col = r.metadata().row_group(0).column(0).compression();
            let same = match (col, codec) {
                (Compression::ZSTD(_), Compression::ZSTD(_)) => true,
                (a, b) => a == b,
            };
            assert!(same, "{flag:?}: {} is {col:?}", f.display());
        }
    }
    let st = spot()
        .args(["collect", "--listen", "127.0.0.1:0", "--out", "x"])
        .args(["--compression", "brotli"])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!st.success());
}

#[test]
fn files_left_by_kill_9_read_back_completely() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = start_collector(dir.path(), port);
    let deadline = Instant::now() + Duration::from_secs(15);
    // Keep sending until at least one rotation published a file, then kill mid-stream.
    while visible_parquet(dir.path()).is_empty() {
        assert!(Instant::now() < deadline, "no file published");
        send_all(port);
        std::thread::sleep(Duration::from_millis(200));
    }
    send_all(port);
    child.kill().unwrap();
    child.wait().unwrap();
    let files = visible_parquet(dir.path());
    assert!(!files.is_empty());
    for f in &files {
        let n = rows(f);
        assert!(n > 0, "{}", f.display());
    }
    // The folder as a whole reads back (hidden, unfinished files are skipped).
    assert!(rows(dir.path()) > 0);
}
