//! `spot decode proxy` and `spot ml proxy` on the Squid-written proxy logs.

use std::path::PathBuf;
use std::process::Command;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../spot-decode/tests/data/proxy")
        .join(name)
}

fn spot(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spot"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn decode_proxy_to_csv_and_hive() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    let elff = data("bluecoat-elff.log");
    let squid = data("squid-access.log");
    let (ok, err) = spot(&[
        "decode",
        "proxy",
        "--input",
        elff.to_str().unwrap(),
        squid.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("wrote 600 records"), "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("p_date,p_time,clientip,host,"));
    assert_eq!(text.lines().count(), 601);

    let hive = dir.path().join("hive");
    let (ok, err) = spot(&[
        "decode",
        "proxy",
        "--input",
        elff.to_str().unwrap(),
        "--out",
        hive.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(
        hive.join("y=2026/m=11/d=25/h=09/part-00000.parquet")
            .exists()
    );

    // A forced wrong format: every line is skipped and said so; --strict makes it fatal.
    let (ok, err) = spot(&[
        "decode",
        "proxy",
        "--format",
        "zeek",
        "--input",
        squid.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("skipped 300 unreadable lines"), "{err}");
    let (ok, err) = spot(&[
        "decode",
        "proxy",
        "--format",
        "zeek",
        "--strict",
        "--input",
        squid.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("squid-access.log:1:"), "{err}");
}

/// Parquet output: read on a thread of its own (`--threads 2`) or not, any codec, the same
/// records.
#[test]
fn decode_proxy_to_parquet_with_any_codec_and_thread_count() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::Compression;
    let dir = tempfile::tempdir().unwrap();
    let elff = data("bluecoat-elff.log");
    let mut tables = Vec::new();
    for (threads, codec, expected) in [
        ("1", "zstd", None),
        ("2", "zstd", None),
        ("2", "lz4", Some(Compression::LZ4_RAW)),
        ("1", "none", Some(Compression::UNCOMPRESSED)),
    ] {
        let out = dir.path().join(format!("{threads}-{codec}.parquet"));
        let (ok, err) = spot(&[
            "--threads",
            threads,
            "decode",
            "proxy",
            "--input",
            elff.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--batch-size",
            "64",
            "--compression",
            codec,
        ]);
        assert!(ok, "{err}");
        assert!(err.contains("wrote 300 records"), "{err}");
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap()).unwrap();
        let column = reader.metadata().row_group(0).column(0).compression();
        if let Some(expected) = expected {
            assert_eq!(column, expected, "{codec}");
        }
        let batches: Vec<_> = reader.build().unwrap().map(Result::unwrap).collect();
        tables.push(arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap());
    }
    assert_eq!(tables[0].num_rows(), 300);
    for t in &tables[1..] {
        assert_eq!(t, &tables[0]);
    }
    let (ok, err) = spot(&[
        "decode",
        "proxy",
        "--input",
        elff.to_str().unwrap(),
        "--out",
        dir.path().join("x.parquet").to_str().unwrap(),
        "--compression",
        "brotli",
    ]);
    assert!(!ok);
    assert!(err.contains("brotli"), "{err}");
}

#[test]
fn ml_proxy_scores_every_request_with_its_word() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scores.csv");
    let inv = dir.path().join("invalid.csv");
    let (ok, err) = spot(&[
        "ml",
        "proxy",
        "--mode",
        "spot",
        "--input",
        data("bluecoat-style.log").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--invalid-out",
        inv.to_str().unwrap(),
        "--topics",
        "3",
        "--iterations",
        "5",
        "--user-domain",
        "intel",
    ]);
    assert!(ok, "{err}");
    assert!(
        err.contains("read 300 records, invalid 0, scored 300"),
        "{err}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with(",fulluri,word,score"), "{header}");
    assert_eq!(text.lines().count(), 301);
    // Words are Spot's: class 0 (an IP host), hour 9, method, ... response code last.
    let first = text.lines().nth(1).unwrap();
    assert!(first.contains(",0_9_"), "{first}");
}

#[test]
fn ml_proxy_default_mode_adds_ranks_and_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ranked.csv");
    let entities = dir.path().join("entities.csv");
    let (ok, err) = spot(&[
        "ml",
        "proxy",
        "--input",
        data("bluecoat-style.log").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--topics",
        "3",
        "--iterations",
        "5",
        "--entities",
        entities.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with(",fulluri,word,score,rank,spot_score,signals,reason"),
        "{header}"
    );
    assert_eq!(text.lines().count(), 301);
    // The entity view: client → host pairs and clients, each request counted once per level.
    let view = std::fs::read_to_string(&entities).unwrap();
    let count = |level: &str| -> usize {
        view.lines()
            .filter(|l| l.starts_with(level))
            .map(|l| l.split(',').nth(2).unwrap().parse::<usize>().unwrap())
            .sum()
    };
    assert_eq!(count("pair,"), 300);
    assert_eq!(count("host,"), 300);
    assert!(view.lines().nth(1).unwrap().contains(" -> "), "{view}");
}

/// A generated labeled day: `spot generate proxy`, both modes, `spot eval`.
#[test]
fn generated_proxy_day_attacks_rank_first_in_the_default_mode() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("day");
    let (ok, err) = spot(&[
        "generate",
        "proxy",
        "--out",
        day.to_str().unwrap(),
        "--requests",
        "6000",
        "--seed",
        "3",
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("injected c2_beacon"), "{err}");
    let res = dir.path().join("res.csv");
    let (ok, err) = spot(&[
        "ml",
        "proxy",
        "--input",
        day.join("proxy.log").to_str().unwrap(),
        "--top-domains",
        day.join("top-domains.csv").to_str().unwrap(),
        "--out",
        res.to_str().unwrap(),
        "--max-results",
        "500",
        "--iterations",
        "5",
    ]);
    assert!(ok, "{err}");
    // The custom `row_id` ELFF field is carried through to the results.
    let header = std::fs::read_to_string(&res).unwrap();
    assert!(header.lines().next().unwrap().contains(",row_id,"));
    let out = Command::new(env!("CARGO_BIN_EXE_spot"))
        .args([
            "eval",
            "--labels",
            day.join("labels.csv").to_str().unwrap(),
            res.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("attack kinds in the top 1%: 4 of 4"),
        "{report}"
    );
}

#[test]
fn ml_flow_and_dns_read_zeek_logs() {
    let zeek = |n: &str| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../spot-decode/tests/data/zeek")
            .join(n)
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flows.csv");
    let (ok, err) = spot(&[
        "ml",
        "flow",
        "--input",
        zeek("conn.log").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--iterations",
        "3",
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("read 5 records"), "{err}");
    let out = dir.path().join("dns.csv");
    let (ok, err) = spot(&[
        "ml",
        "dns",
        "--input",
        zeek("dns.json.log").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--iterations",
        "3",
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("read 4 records"), "{err}");
}

/// Low-risk feedback in the default mode: the analyst marks the nightly backup (a large upload
/// to a rare host, the top false positive of a generated day) and it leaves the top.
#[test]
fn low_risk_feedback_dismisses_a_proxy_finding() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("day");
    let (ok, err) = spot(&[
        "generate",
        "proxy",
        "--out",
        day.to_str().unwrap(),
        "--requests",
        "6000",
        "--seed",
        "4",
    ]);
    assert!(ok, "{err}");
    let log = day.join("proxy.log");
    let run = |out: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "ml",
            "proxy",
            "--input",
            log.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--max-results",
            "50",
            "--iterations",
            "5",
        ];
        args.extend_from_slice(extra);
        let (ok, err) = spot(&args);
        assert!(ok, "{err}");
        let text = std::fs::read_to_string(out).unwrap();
        let header: Vec<String> = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect();
        let host = header.iter().position(|h| h == "host").unwrap();
        let hosts: Vec<String> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(host).unwrap().to_string())
            .collect();
        (hosts, err)
    };
    let (before, _) = run(&dir.path().join("before.csv"), &[]);
    assert_eq!(before[0], "vault7.backup-storage.net", "{before:?}");
    let mut f = vec!["-"; 23];
    f[0] = "2026-11-25";
    f[1] = "01:00:00";
    f[2] = "10.30.0.12";
    f[3] = "vault7.backup-storage.net";
    f[4] = "PUT";
    f[5] = "rclone/v1.68.2";
    f[6] = "application/xml";
    f[11] = "200";
    f[18] = "vault7.backup-storage.net/bucket/nightly/part-0000";
    f[22] = "3";
    let fb = dir.path().join("feedback.tsv");
    std::fs::write(&fb, f.join("\t") + "\n").unwrap();
    let (after, err) = run(
        &dir.path().join("after.csv"),
        &["--feedback", fb.to_str().unwrap()],
    );
    assert!(err.contains("findings dismissed by feedback"), "{err}");
    assert!(
        !after[..10].iter().any(|h| h == "vault7.backup-storage.net"),
        "{after:?}"
    );
}

#[test]
fn unreadable_zeek_lines_are_skipped_or_fatal_with_strict() {
    let zeek = |n: &str| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../spot-decode/tests/data/zeek")
            .join(n)
    };
    let dir = tempfile::tempdir().unwrap();
    // conn.log with one line cut short after its fifth record.
    let text = std::fs::read_to_string(zeek("conn.log")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let last_record = lines.iter().rposition(|l| !l.starts_with('#')).unwrap();
    lines.insert(last_record + 1, "1795599599.000000\tCbroken\t10.0.0.9");
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("flows.csv");
    let args = ["decode", "flow", conn.to_str().unwrap(), "--out"];

    let (ok, err) = spot(&[&args[..], &[out.to_str().unwrap()]].concat());
    assert!(ok, "{err}");
    assert!(err.contains("skipped 1 unreadable lines"), "{err}");
    assert!(
        err.contains("conn.log:"),
        "the skipped line is named: {err}"
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().lines().count(),
        1 + 5
    );

    let (ok, err) = spot(&[&args[..], &[out.to_str().unwrap(), "--strict"]].concat());
    assert!(!ok, "--strict fails on the bad line");
    assert!(err.contains("conn.log"), "{err}");
}
