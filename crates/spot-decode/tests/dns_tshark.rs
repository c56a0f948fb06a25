//! Decodes the real captures in `tests/data/dns/` (made by dig against dnsmasq, captured by
//! tcpdump / dumpcap) and compares every DNS message, field by field, with TShark 4.0.17's
//! output for the same file.
//!
//! Documented differences from tshark (tshark's quirks, not ours):
//! - `dns.flags.rcode` is empty for queries in tshark; our `dns_qry_rcode` is null for them too.
//! - `dns.resp.name` in Spot's field list (the `*.spot-tshark.csv` files) is the *first record
//!   after the question*: `<Root>` for the EDNS OPT record and empty for NXDOMAIN. We put the
//!   question name in `dns_qry_name`, so that column is not compared with `dns.resp.name`.
//! - tshark's `dns.a` / `dns.aaaa` / `dns.cname` collect records of *all* sections (glue A
//!   records of MX answers live in the additional section); our `dns_a`, `dns_a_all`,
//!   `dns_aaaa`, `dns_cname` do the same on purpose, so they compare equal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{Int32Type, Int64Type};
use spot_decode::dns::{DnsReader, DnsSkipReason, dns_capture_schema};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/dns")
        .join(name)
}

/// Splits one line of tshark's `-E quote=d -E separator=,` output (no quotes inside fields).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// Parses a tshark CSV into rows keyed by field name.
fn read_tshark(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .map(|l| {
            let f = split_csv(l);
            assert_eq!(f.len(), header.len(), "{l}");
            header.iter().cloned().zip(f).collect()
        })
        .collect()
}

fn decode(file: &str, queries: bool) -> (RecordBatch, spot_decode::dns::DnsStats) {
    let reader = DnsReader::open(&[data(file)])
        .unwrap()
        .with_queries(queries)
        .with_batch_size(97); // several batches, to exercise batch boundaries
    let mut it = reader.batches();
    let batches: Vec<RecordBatch> = it.by_ref().map(|b| b.unwrap()).collect();
    assert!(batches.len() > 1);
    (
        concat_batches(&dns_capture_schema(), &batches).unwrap(),
        it.stats().clone(),
    )
}

fn s(b: &RecordBatch, col: &str, i: usize) -> String {
    let a = b.column_by_name(col).unwrap();
    if a.is_null(i) {
        return String::new();
    }
    if let Some(x) = a.as_string_opt::<i32>() {
        return x.value(i).to_string();
    }
    if let Some(x) = a.as_primitive_opt::<Int32Type>() {
        return x.value(i).to_string();
    }
    a.as_primitive::<Int64Type>().value(i).to_string()
}

fn epoch(b: &RecordBatch, i: usize) -> String {
    let t = s(b, "frame_time", i);
    let frac = t.split('.').nth(1).unwrap().trim_end_matches(" UTC");
    format!("{}.{}", s(b, "unix_tstamp", i), frac)
}

fn compare_full(capture: &str) {
    let want = read_tshark(&data(&format!("{capture}.full-tshark.csv")));
    let (got, stats) = decode(capture, true);
    assert_eq!(got.num_rows(), want.len(), "{capture}: row count");
    assert_eq!(stats.rows as usize, want.len());
    assert_eq!(stats.skipped(DnsSkipReason::MalformedDns), 0);
    for (i, w) in want.iter().enumerate() {
        let ctx = format!("{capture} frame {}", w["frame.number"]);
        assert_eq!(s(&got, "frame_number", i), w["frame.number"], "{ctx}");
        assert_eq!(epoch(&got, i), w["frame.time_epoch"], "{ctx}");
        assert_eq!(s(&got, "frame_len", i), w["frame.len"], "{ctx}");
        let (src, dst) = if w["ip.src"].is_empty() {
            (&w["ipv6.src"], &w["ipv6.dst"])
        } else {
            (&w["ip.src"], &w["ip.dst"])
        };
        assert_eq!(&s(&got, "ip_src", i), src, "{ctx}");
        assert_eq!(&s(&got, "ip_dst", i), dst, "{ctx}");
        let (port, transport) = if w["udp.srcport"].is_empty() {
            (&w["tcp.srcport"], "tcp")
        } else {
            (&w["udp.srcport"], "udp")
        };
        assert_eq!(&s(&got, "src_port", i), port, "{ctx}");
        assert_eq!(s(&got, "transport", i), transport, "{ctx}");
        let id: i32 = s(&got, "dns_id", i).parse().unwrap();
        assert_eq!(format!("0x{id:04x}"), w["dns.id"], "{ctx}");
        assert_eq!(s(&got, "dns_qr", i), w["dns.flags.response"], "{ctx}");
        assert_eq!(s(&got, "dns_qry_name", i), w["dns.qry.name"], "{ctx}");
        assert_eq!(s(&got, "dns_qry_type", i), w["dns.qry.type"], "{ctx}");
        assert_eq!(s(&got, "dns_qry_class", i), w["dns.qry.class"], "{ctx}");
        assert_eq!(s(&got, "dns_qry_rcode", i), w["dns.flags.rcode"], "{ctx}");
        assert_eq!(s(&got, "dns_ancount", i), w["dns.count.answers"], "{ctx}");
        assert_eq!(s(&got, "dns_a_all", i), w["dns.a"], "{ctx}");
        assert_eq!(
            s(&got, "dns_a", i),
            w["dns.a"].split('|').next().unwrap(),
            "{ctx}"
        );
        assert_eq!(s(&got, "dns_aaaa", i), w["dns.aaaa"], "{ctx}");
        assert_eq!(s(&got, "dns_cname", i), w["dns.cname"], "{ctx}");
    }
}

fn compare_spot(capture: &str) {
    let want = read_tshark(&data(&format!("{capture}.spot-tshark.csv")));
    let (got, stats) = decode(capture, false);
    assert_eq!(got.num_rows(), want.len(), "{capture}: row count");
    assert_eq!(stats.skipped(DnsSkipReason::Query) as usize, want.len());
    for (i, w) in want.iter().enumerate() {
        let ctx = format!("{capture} response {i}");
        assert_eq!(s(&got, "frame_time", i), w["frame.time"], "{ctx}");
        assert_eq!(epoch(&got, i), w["frame.time_epoch"], "{ctx}");
        assert_eq!(s(&got, "frame_len", i), w["frame.len"], "{ctx}");
        assert_eq!(s(&got, "ip_src", i), w["ip.src"], "{ctx}");
        assert_eq!(s(&got, "ip_dst", i), w["ip.dst"], "{ctx}");
        assert_eq!(s(&got, "dns_qry_rcode", i), w["dns.flags.rcode"], "{ctx}");
        assert_eq!(s(&got, "dns_a", i), w["dns.a"], "{ctx}");
        assert_eq!(s(&got, "dns_qr", i), "1");
        // Where the first record after the question is a real answer, tshark's
        // `dns.resp.name` is its owner: for these captures that is the question name or a
        // CNAME target of it; `<Root>` (OPT) and empty (NXDOMAIN) are the quirk we fix.
        let resp = &w["dns.resp.name"];
        if !resp.is_empty() && resp != "<Root>" {
            let q = s(&got, "dns_qry_name", i);
            let cname = s(&got, "dns_cname", i);
            assert!(
                *resp == q || cname.split('|').any(|c| c == resp) || q.ends_with(resp.as_str()),
                "{ctx}: resp.name {resp} vs question {q}"
            );
        }
    }
}

#[test]
fn pcap_microseconds_matches_tshark() {
    compare_full("dns.pcap");
    compare_spot("dns.pcap");
}

#[test]
fn pcap_nanoseconds_matches_tshark() {
    compare_full("dns-nano.pcap");
    compare_spot("dns-nano.pcap");
}

#[test]
fn pcapng_matches_tshark() {
    compare_full("dns.pcapng");
    compare_spot("dns.pcapng");
}

#[test]
fn linux_sll2_matches_tshark() {
    compare_full("dns-sll2.pcap");
    compare_spot("dns-sll2.pcap");
}

#[test]
fn gzip_and_truncated_files() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(data("dns.pcap")).unwrap();
    let gz_path = dir.path().join("dns.pcap.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    let cut_path = dir.path().join("dns-cut.pcap");
    std::fs::write(&cut_path, &raw[..raw.len() / 2]).unwrap();

    // A folder: both files are found; the gzip one decodes fully; the cut one gives the rows
    // before the damage, then a typed error, and reading goes on.
    let reader = DnsReader::open(&[dir.path()]).unwrap();
    assert_eq!(reader.files().len(), 2);
    let mut it = reader.batches();
    let mut rows = 0;
    let mut errors = Vec::new();
    for b in it.by_ref() {
        match b {
            Ok(b) => rows += b.num_rows(),
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("dns-cut.pcap: byte offset") && errors[0].contains("truncated"),
        "{}",
        errors[0]
    );
    let full = 830;
    assert!(rows > full && rows < 2 * full, "{rows}");
    assert_eq!(it.stats().file_errors, 1);
}
