//! Zeek conn.log and dns.log (TSV and JSON lines, written by hand in Zeek's documented layout)
//! through `FlowReader` and `DnsReader`, field by field.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{Float32Type, Int32Type, Int64Type};
use spot_decode::dns::DnsReader;
use spot_decode::zeek::{ZeekLogKind, sniff};
use spot_decode::{FlowFormat, FlowReader, flow_schema};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/zeek")
        .join(name)
}

fn flows(name: &str) -> RecordBatch {
    let r = FlowReader::open(&[data(name)]).unwrap().with_batch_size(2);
    assert_eq!(r.files().next().unwrap().1, FlowFormat::ZeekConn);
    let batches: Vec<RecordBatch> = r.batches().collect::<Result<_, _>>().unwrap();
    concat_batches(&r.schema(), &batches).unwrap()
}

fn dns(name: &str, queries: bool) -> RecordBatch {
    let r = DnsReader::open(&[data(name)])
        .unwrap()
        .with_queries(queries);
    let batches: Vec<RecordBatch> = r.batches().collect::<Result<_, _>>().unwrap();
    concat_batches(&r.schema(), &batches).unwrap()
}

fn s(b: &RecordBatch, col: &str, row: usize) -> Option<String> {
    let a = b.column_by_name(col).unwrap().as_string::<i32>();
    a.is_valid(row).then(|| a.value(row).to_string())
}
fn i32v(b: &RecordBatch, col: &str, row: usize) -> Option<i32> {
    let a = b.column_by_name(col).unwrap().as_primitive::<Int32Type>();
    a.is_valid(row).then(|| a.value(row))
}
fn i64v(b: &RecordBatch, col: &str, row: usize) -> Option<i64> {
    let a = b.column_by_name(col).unwrap().as_primitive::<Int64Type>();
    a.is_valid(row).then(|| a.value(row))
}

#[test]
fn sniffs_logs_by_content() {
    assert_eq!(sniff(&data("conn.log")).unwrap(), Some(ZeekLogKind::Conn));
    assert_eq!(
        sniff(&data("conn.json.log")).unwrap(),
        Some(ZeekLogKind::Conn)
    );
    assert_eq!(sniff(&data("dns.log")).unwrap(), Some(ZeekLogKind::Dns));
    assert_eq!(
        sniff(&data("dns.json.log")).unwrap(),
        Some(ZeekLogKind::Dns)
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("flows.csv");
    std::fs::write(&p, "treceived,sip\n").unwrap();
    assert_eq!(sniff(&p).unwrap(), None);
}

#[test]
fn conn_log_maps_to_the_flow_schema_field_by_field() {
    let b = flows("conn.log");
    assert_eq!(b.num_rows(), 5);
    for (i, f) in flow_schema().fields().iter().enumerate() {
        assert_eq!(b.schema().field(i).name(), f.name());
        assert_eq!(b.schema().field(i).data_type(), f.data_type());
    }
    // Row 0: a TCP session.
    assert_eq!(
        s(&b, "treceived", 0).as_deref(),
        Some("2026-11-25 09:39:52")
    );
    assert_eq!(i64v(&b, "unix_tstamp", 0), Some(1795599592));
    assert_eq!(
        ["tryear", "trmonth", "trday", "trhour", "trminute", "trsec"].map(|c| i32v(&b, c, 0)),
        [2026, 11, 25, 9, 39, 52].map(Some)
    );
    let tdur = b
        .column_by_name("tdur")
        .unwrap()
        .as_primitive::<Float32Type>();
    assert!((tdur.value(0) - 12.50321).abs() < 1e-5);
    assert_eq!(s(&b, "sip", 0).as_deref(), Some("10.0.0.5"));
    assert_eq!(s(&b, "dip", 0).as_deref(), Some("93.184.216.34"));
    assert_eq!(
        (i32v(&b, "sport", 0), i32v(&b, "dport", 0)),
        (Some(51234), Some(443))
    );
    assert_eq!(s(&b, "proto", 0).as_deref(), Some("TCP"));
    assert_eq!(s(&b, "flag", 0).as_deref(), Some("...AP.SF"));
    assert_eq!(
        ["ipkt", "ibyt", "opkt", "obyt"].map(|c| i64v(&b, c, 0)),
        [40, 3292, 38, 47000].map(Some)
    );
    assert_eq!(i32v(&b, "fwd", 0), Some(0));
    assert_eq!(s(&b, "rip", 0), None);
    assert_eq!(s(&b, "uid", 0).as_deref(), Some("CHhAvVGS1DHFjwGM9"));
    assert_eq!(s(&b, "service", 0).as_deref(), Some("ssl"));
    assert_eq!(s(&b, "conn_state", 0).as_deref(), Some("SF"));
    assert_eq!(s(&b, "history", 0).as_deref(), Some("ShADadFf"));
    assert_eq!(
        (i64v(&b, "orig_bytes", 0), i64v(&b, "resp_bytes", 0)),
        (Some(1200), Some(45000))
    );
    // Row 1: UDP, no TCP flags.
    assert_eq!(s(&b, "proto", 1).as_deref(), Some("UDP"));
    assert_eq!(s(&b, "flag", 1).as_deref(), Some("........"));
    // Row 2: ICMP echo request (type 8, code 0) as nfdump stores it.
    assert_eq!(s(&b, "proto", 2).as_deref(), Some("ICMP"));
    assert_eq!(
        (i32v(&b, "sport", 2), i32v(&b, "dport", 2)),
        (Some(0), Some(2048))
    );
    assert_eq!(s(&b, "history", 2), None);
    // Row 3: an unanswered SYN: unset duration and bytes become 0 / null.
    assert_eq!(tdur.value(3), 0.0);
    assert_eq!(s(&b, "flag", 3).as_deref(), Some("......S."));
    assert_eq!(i64v(&b, "orig_bytes", 3), None);
    assert_eq!(i64v(&b, "obyt", 3), Some(0));
    // Row 4: IPv6, a two-element service set.
    assert_eq!(s(&b, "sip", 4).as_deref(), Some("fe80::1"));
    assert_eq!(s(&b, "service", 4).as_deref(), Some("dns,mdns"));
}

#[test]
fn conn_json_equals_conn_tsv() {
    assert_eq!(flows("conn.json.log"), flows("conn.log"));
}

#[test]
fn conn_logs_in_a_folder_with_gzip() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(data("conn.log"), dir.path().join("conn.log")).unwrap();
    let raw = std::fs::read(data("conn.json.log")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &raw).unwrap();
    std::fs::write(
        dir.path().join("conn.10:00:00-11:00:00.log.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let r = FlowReader::open(&[dir.path()]).unwrap();
    assert_eq!(r.files().count(), 2);
    let rows: usize = r.batches().map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 10);
}

/// `conn.log` with line 9 (the first record) given a port that is not a number, line 10 cut
/// short, a line of invalid UTF-8 and a JSON-looking line added after it.
fn damaged_conn_log(dir: &Path) -> PathBuf {
    let p = dir.join("conn.log");
    let text = std::fs::read_to_string(data("conn.log")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[8] = lines[8].replace("\t51234\t", "\tport\t");
    lines[9] = lines[9].split('\t').take(5).collect::<Vec<_>>().join("\t");
    let mut bytes = lines.join("\n").into_bytes();
    bytes.extend_from_slice(b"\n1795599592.1\tC\xff\n{\"ts\":\n");
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn bad_conn_lines_are_counted_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = damaged_conn_log(dir.path());
    let r = FlowReader::open(&[&p]).unwrap().with_batch_size(2);
    let mut batches = r.batches();
    let rows: usize = batches.by_ref().map(|b| b.unwrap().num_rows()).sum();
    // The other three records of the file are read.
    assert_eq!(rows, 3);
    let stats = batches.zeek_lines();
    assert_eq!(stats.files, 1);
    assert_eq!(stats.records, 3);
    assert_eq!(stats.skipped_total(), 4);
    assert_eq!(
        stats
            .skipped
            .iter()
            .map(|(k, n)| (*k, *n))
            .collect::<Vec<_>>(),
        [
            ("field_count", 1),
            ("invalid_json", 1),
            ("invalid_utf8", 1),
            ("invalid_value", 1)
        ]
    );
    assert_eq!(
        stats.lines,
        stats.records + stats.directives + stats.skipped_total()
    );
    let first = &stats.errors[0];
    assert_eq!((first.path.as_path(), first.line), (p.as_path(), 9));
    assert!(
        first.error.to_string().contains("id.orig_p"),
        "{}",
        first.error
    );
    assert_eq!(stats.errors[1].line, 10);
}

#[test]
fn strict_conn_reading_stops_at_the_first_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = damaged_conn_log(dir.path());
    let r = FlowReader::open(&[&p]).unwrap().with_strict(true);
    let err = r.batches().find_map(|b| b.err()).unwrap();
    assert!(
        matches!(err, spot_decode::DecodeError::BadLine { line: 9, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("conn.log:9:"), "{msg}");
    assert!(msg.contains("id.orig_p"), "{msg}");
    // The public one-file reader is strict too.
    let err = spot_decode::zeek::conn::read_conn_log(&p, 2)
        .unwrap()
        .find_map(|b| b.err())
        .unwrap();
    assert!(err.to_string().contains("conn.log:9:"), "{err}");
}

#[test]
fn bad_dns_lines_are_counted_and_skipped_or_fatal_when_strict() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dns.log");
    let text = std::fs::read_to_string(data("dns.log")).unwrap();
    let first_data = text.lines().position(|l| !l.starts_with('#')).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // An rcode that is not a number, then a line far too long.
    let mut f: Vec<&str> = lines[first_data].split('\t').collect();
    f[14] = "NOERROR";
    lines[first_data] = f.join("\t");
    lines.insert(first_data + 1, "x".repeat(100_000));
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();

    let r = DnsReader::open(&[&p]).unwrap();
    let mut batches = r.batches();
    let rows: usize = batches.by_ref().map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 3);
    let stats = batches.stats();
    assert_eq!(stats.rows, 3);
    assert_eq!(stats.file_errors, 0);
    let z = &stats.zeek_lines;
    assert_eq!(
        z.skipped.iter().map(|(k, n)| (*k, *n)).collect::<Vec<_>>(),
        [("invalid_value", 1), ("too_long", 1)]
    );
    assert_eq!(z.errors[0].line, first_data as u64 + 1);
    assert!(z.errors[0].error.to_string().contains("rcode"));

    let r = DnsReader::open(&[&p]).unwrap().with_strict(true);
    let err = r.batches().find_map(|b| b.err()).unwrap().to_string();
    assert!(
        err.contains(&format!("dns.log:{}:", first_data + 1)),
        "{err}"
    );
}

#[test]
fn a_dns_log_is_not_a_flow_file() {
    let err = FlowReader::open(&[data("dns.log")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("conn.log"), "{err}");
}

#[test]
fn dns_log_maps_to_the_dns_schema_field_by_field() {
    let b = dns("dns.log", false);
    // The unanswered transaction is a query: skipped as Apache Spot skipped queries.
    assert_eq!(b.num_rows(), 4);
    assert_eq!(
        s(&b, "frame_time", 0).as_deref(),
        Some("Nov 25, 2026 09:39:53.000413000 UTC")
    );
    assert_eq!(i64v(&b, "unix_tstamp", 0), Some(1795599593));
    assert_eq!(i32v(&b, "frame_len", 0), Some(87));
    assert_eq!(s(&b, "ip_src", 0).as_deref(), Some("10.0.0.53"));
    assert_eq!(s(&b, "ip_dst", 0).as_deref(), Some("10.0.0.6"));
    assert_eq!(s(&b, "dns_qry_name", 0).as_deref(), Some("example.com"));
    assert_eq!(s(&b, "dns_qry_class", 0).as_deref(), Some("0x0001"));
    assert_eq!(i32v(&b, "dns_qry_type", 0), Some(1));
    assert_eq!(i32v(&b, "dns_qry_rcode", 0), Some(0));
    assert_eq!(s(&b, "dns_a", 0).as_deref(), Some("93.184.216.34"));
    assert_eq!(
        (i32v(&b, "src_port", 0), i32v(&b, "dst_port", 0)),
        (Some(53), Some(53321))
    );
    assert_eq!(s(&b, "transport", 0).as_deref(), Some("udp"));
    assert_eq!(i32v(&b, "dns_id", 0), Some(4660));
    assert_eq!(i32v(&b, "dns_qr", 0), Some(1));
    assert_eq!(i32v(&b, "dns_ancount", 0), Some(1));
    assert_eq!(i64v(&b, "dns_min_ttl", 0), Some(300));
    assert_eq!(i64v(&b, "frame_number", 0), None);
    // Row 1: a CNAME chain then two addresses.
    assert_eq!(s(&b, "dns_a", 1).as_deref(), Some("192.0.2.10"));
    assert_eq!(
        s(&b, "dns_a_all", 1).as_deref(),
        Some("192.0.2.10|192.0.2.11")
    );
    assert_eq!(
        s(&b, "dns_cname", 1).as_deref(),
        Some("www.example.org.cdn.example.net")
    );
    assert_eq!(i64v(&b, "dns_min_ttl", 1), Some(60));
    assert_eq!(i32v(&b, "dns_ancount", 1), Some(3));
    // Row 2: NXDOMAIN, no answers.
    assert_eq!(i32v(&b, "dns_qry_rcode", 2), Some(3));
    assert_eq!(s(&b, "dns_a", 2), None);
    assert_eq!(i32v(&b, "dns_ancount", 2), Some(0));
    assert_eq!(i64v(&b, "dns_min_ttl", 2), None);
    // Row 3: AAAA over TCP.
    assert_eq!(i32v(&b, "dns_qry_type", 3), Some(28));
    assert_eq!(s(&b, "transport", 3).as_deref(), Some("tcp"));
    assert_eq!(
        s(&b, "dns_aaaa", 3).as_deref(),
        Some("2606:2800:220:1:248:1893:25c8:1946")
    );
}

#[test]
fn dns_json_equals_dns_tsv_and_queries_are_kept_on_request() {
    assert_eq!(dns("dns.json.log", false), dns("dns.log", false));
    let b = dns("dns.log", true);
    assert_eq!(b.num_rows(), 5);
    assert_eq!(i32v(&b, "dns_qr", 4), Some(0));
    assert_eq!(s(&b, "ip_src", 4).as_deref(), Some("10.0.0.10"));
    assert_eq!(i32v(&b, "dns_qry_rcode", 4), None);
    let r = DnsReader::open(&[data("dns.log")]).unwrap();
    let mut it = r.batches();
    for b in it.by_ref() {
        b.unwrap();
    }
    assert_eq!(it.stats().rows, 4);
    assert_eq!(it.stats().files, 1);
    assert_eq!(
        it.stats().skipped(spot_decode::dns::DnsSkipReason::Query),
        1
    );
}

#[test]
fn dns_logs_are_found_in_folders() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(data("dns.log"), dir.path().join("dns.log")).unwrap();
    std::fs::copy(data("conn.log"), dir.path().join("conn.log")).unwrap();
    let r = DnsReader::open(&[dir.path()]).unwrap();
    assert_eq!(r.files().len(), 1);
}
