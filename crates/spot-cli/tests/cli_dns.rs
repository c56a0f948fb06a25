//! `spot decode dns` and `spot ml dns` end to end on a real capture (dig against dnsmasq).

use std::path::Path;
mod common;
use common::*;

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn decode_dns_to_csv_and_hive() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dns_capture();
    let csv = dir.path().join("dns.csv");
    let err = ok(&[
        "decode",
        "dns",
        pcap.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(
        err.contains("1660 packets, 1660 DNS messages, 830 records"),
        "{err}"
    );
    assert!(err.contains("query 830"), "{err}");
    let l = lines(&csv);
    assert_eq!(l.len(), 831);
    assert!(l[0].starts_with("frame_time,unix_tstamp,frame_len,ip_src,ip_dst,dns_qry_name,"));
    assert!(l[1].starts_with("\"Nov 25, 2026 09:39:52.741815000 UTC\",1795599592,92,127.0.0.2,127.0.0.1,api.example.org,0x0001,6,5,"), "{}", l[1]);

    let all = dir.path().join("all.csv");
    ok(&[
        "decode",
        "dns",
        pcap.to_str().unwrap(),
        "--queries",
        "--out",
        all.to_str().unwrap(),
    ]);
    assert_eq!(lines(&all).len(), 1661);

    let hive = dir.path().join("dns");
    ok(&[
        "decode",
        "dns",
        pcap.to_str().unwrap(),
        "--out",
        hive.to_str().unwrap(),
    ]);
    assert!(
        hive.join("y=2026/m=11/d=25/h=09/part-00000.parquet")
            .exists()
    );
}

#[test]
fn decode_dns_reports_damaged_files() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(dns_capture()).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &raw[..raw.len() / 2]).unwrap();
    let out = dir.path().join("dns.csv");
    let o = spot(&[
        "decode",
        "dns",
        cut.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cut.pcap: byte offset"), "{err}");
    // The records before the damage were written.
    assert!(lines(&out).len() > 300);
}

#[test]
fn ml_dns_ranks_responses() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().join("top-1m.csv");
    std::fs::write(&top, "1,example.org\n2,google.com\n").unwrap();
    let fb = dir.path().join("dns_scores.csv");
    let mut row = vec![""; 18];
    row[0] = "Nov 25, 2026 09:39:52.741815000 UTC";
    row[1] = "92";
    row[2] = "127.0.0.1";
    row[3] = "api.example.org";
    row[4] = "0x0001";
    row[5] = "6";
    row[6] = "5";
    row[12] = "3";
    row[17] = "1795599592";
    std::fs::write(&fb, format!("header\n{}\n", row.join("\t"))).unwrap();
    let out = dir.path().join("results.csv");
    let invalid = dir.path().join("invalid.csv");
    let err = ok(&[
        "ml",
        "dns",
        "--input",
        dns_capture().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--top-domains",
        top.to_str().unwrap(),
        "--user-domain",
        "corp",
        "--feedback",
        fb.to_str().unwrap(),
        "--invalid-out",
        invalid.to_str().unwrap(),
        "--max-results",
        "25",
        "--iterations",
        "5",
        "--mode",
        "spot",
    ]);
    assert!(err.contains("read 830 records"), "{err}");
    let l = lines(&out);
    assert_eq!(l.len(), 26, "{err}");
    assert!(l[0].ends_with(",score"), "{}", l[0]);
    // No record of this capture is invalid: the file exists, with at most a header.
    assert!(lines(&invalid).len() <= 1);
}

#[test]
fn decode_dns_to_parquet_with_each_codec() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::Compression;

    let dir = tempfile::tempdir().unwrap();
    let pcap = dns_capture();
    let mut tables = Vec::new();
    for (codec, expected) in [
        (None, None),
        (Some("lz4"), Some(Compression::LZ4_RAW)),
        (Some("none"), Some(Compression::UNCOMPRESSED)),
    ] {
        let out = dir
            .path()
            .join(format!("{}.parquet", codec.unwrap_or("default")));
        let mut args = vec![
            "decode",
            "dns",
            pcap.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        if let Some(c) = codec {
            args.extend(["--compression", c]);
        }
        let err = ok(&args);
        assert!(err.contains("830 records"), "{err}");
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap()).unwrap();
        let column = reader.metadata().row_group(0).column(0).compression();
        match expected {
            Some(expected) => assert_eq!(column, expected, "{codec:?}"),
            None => assert!(matches!(column, Compression::ZSTD(_)), "{column:?}"),
        }
        let batches: Vec<_> = reader.build().unwrap().map(Result::unwrap).collect();
        tables.push(arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap());
    }
    assert_eq!(tables[0].num_rows(), 830);
    for t in &tables[1..] {
        assert_eq!(t, &tables[0]);
    }
}
