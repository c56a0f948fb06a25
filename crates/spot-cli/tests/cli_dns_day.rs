//! `spot ml dns` on decoded records (same scores as on the capture), `spot generate dns`, the
//! DNS detectors of the default mode and `spot eval` on a generated labeled day.

use std::collections::BTreeMap;
use std::path::Path;
mod common;
use common::*;

/// Splits one CSV line, honouring double quotes.
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// `frame_number → score` of a results CSV.
fn scores(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).expect("results");
    let mut lines = text.lines();
    let header = fields(lines.next().expect("header"));
    let at = |n: &str| header.iter().position(|h| h == n).expect(n);
    let (frame, score) = (at("frame_number"), at("score"));
    lines
        .map(|l| {
            let f = fields(l);
            (f[frame].clone(), f[score].clone())
        })
        .collect()
}

fn ml(input: &Path, out: &Path, mode: &str) -> String {
    ok_out(&[
        "ml",
        "dns",
        "--input",
        input.to_str().expect("path"),
        "--out",
        out.to_str().expect("path"),
        "--iterations",
        "5",
        "--mode",
        mode,
    ])
    .1
}

#[test]
fn ml_dns_gives_the_same_scores_on_captures_and_decoded_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pcap = dns_capture();
    let (csv, parquet, hive) = (d.join("dns.csv"), d.join("dns.parquet"), d.join("hive"));
    for out in [&csv, &parquet, &hive] {
        ok_out(&[
            "decode",
            "dns",
            pcap.to_str().expect("path"),
            "--out",
            out.to_str().expect("path"),
        ]);
    }
    for mode in ["spot", "combined"] {
        let from_pcap = d.join(format!("pcap-{mode}.csv"));
        ml(&pcap, &from_pcap, mode);
        let want = scores(&from_pcap);
        assert_eq!(want.len(), 830);
        for input in [&csv, &parquet, &hive] {
            let out = d.join(format!("records-{mode}.csv"));
            let err = ml(input, &out, mode);
            assert!(err.contains("read 830 records"), "{err}");
            assert_eq!(scores(&out), want, "{} in {mode} mode", input.display());
        }
    }
}

#[test]
fn ml_dns_refuses_captures_mixed_with_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("dns.csv");
    let pcap = dns_capture();
    ok_out(&[
        "decode",
        "dns",
        pcap.to_str().expect("path"),
        "--out",
        csv.to_str().expect("path"),
    ]);
    let out = spot(&[
        "ml",
        "dns",
        "--input",
        pcap.to_str().expect("path"),
        csv.to_str().expect("path"),
        "--out",
        dir.path().join("r.csv").to_str().expect("path"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("give captures or decoded records, not both"),
        "{err}"
    );
}

#[test]
fn generated_dns_day_is_decoded_ranked_and_evaluated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let day = dir.path().join("day");
    let (_, err) = ok_out(&[
        "generate",
        "dns",
        "--out",
        day.to_str().expect("path"),
        "--records",
        "15000",
        "--seed",
        "3",
    ]);
    for kind in ["dns_tunnel", "slow_tunnel", "dga", "rare_qtype"] {
        assert!(err.contains(&format!("injected {kind}")), "{err}");
    }
    let results = dir.path().join("results.csv");
    let (_, err) = ok_out(&[
        "ml",
        "dns",
        "--input",
        day.join("dns.pcap").to_str().expect("path"),
        "--top-domains",
        day.join("top_domains.csv").to_str().expect("path"),
        "--user-domain",
        "acme",
        "--out",
        results.to_str().expect("path"),
        "--iterations",
        "5",
        "--max-results",
        "500",
    ]);
    assert!(err.contains("skipped: query"), "{err}");
    let text = std::fs::read_to_string(&results).expect("results");
    let header = fields(text.lines().next().expect("header"));
    assert!(
        header.ends_with(&["score", "rank", "spot_score", "signals", "reason"].map(String::from))
    );
    assert!(text.contains("tunnel: "), "no tunnel reason");
    assert!(text.contains("DGA: "), "no DGA reason");
    let (report, _) = ok_out(&[
        "eval",
        "--labels",
        day.join("labels.csv").to_str().expect("path"),
        results.to_str().expect("path"),
    ]);
    assert!(
        report.contains("attack kinds in the top 1%: 4 of 4"),
        "{report}"
    );
}

#[test]
fn ml_dns_saves_and_reuses_its_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pcap = dns_capture();
    let model = d.join("dns.model");
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "ml",
            "dns",
            "--input",
            pcap.to_str().expect("path"),
            "--out",
            out.to_str().expect("path"),
            "--iterations",
            "5",
            "--mode",
            "spot",
        ];
        args.extend_from_slice(extra);
        ok_out(&args)
    };
    let (trained, reused) = (d.join("trained.csv"), d.join("reused.csv"));
    run(&trained, &["--model-out", model.to_str().expect("path")]);
    assert!(model.exists());
    let (_, err) = run(&reused, &["--model", model.to_str().expect("path")]);
    assert!(!err.contains("train"), "{err}");
    assert_eq!(scores(&trained), scores(&reused));
}

#[test]
fn low_risk_feedback_dismisses_a_dns_finding_and_entities_are_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let day = dir.path().join("day");
    ok_out(&[
        "generate",
        "dns",
        "--out",
        day.to_str().expect("path"),
        "--records",
        "8000",
        "--seed",
        "5",
    ]);
    let pcap = day.join("dns.pcap");
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "ml",
            "dns",
            "--input",
            pcap.to_str().expect("path"),
            "--out",
            out.to_str().expect("path"),
            "--iterations",
            "3",
            "--max-results",
            "300",
        ];
        args.extend_from_slice(extra);
        ok_out(&args)
    };
    let (first, entities) = (
        dir.path().join("first.csv"),
        dir.path().join("entities.csv"),
    );
    run(&first, &["--entities", entities.to_str().expect("path")]);
    let text = std::fs::read_to_string(&first).expect("results");
    let header = fields(text.lines().next().expect("header"));
    let at = |n: &str| header.iter().position(|h| h == n).expect(n);
    let top = fields(text.lines().nth(1).expect("a result"));
    assert_eq!(top[at("signals")], "tunnel", "{top:?}");
    let view = std::fs::read_to_string(&entities).expect("entities");
    assert!(view.starts_with("level,entity,rows,best_rank,"), "{view}");
    assert!(view.contains(&top[at("ip_dst")]), "{view}");

    // The analyst marks the tunnel's top row low risk (Spot's 18-column feedback file).
    let mut row = vec![String::new(); 18];
    for (i, name) in [
        (0, "frame_time"),
        (1, "frame_len"),
        (2, "ip_dst"),
        (3, "dns_qry_name"),
        (4, "dns_qry_class"),
        (5, "dns_qry_type"),
        (6, "dns_qry_rcode"),
        (17, "unix_tstamp"),
    ] {
        row[i] = top[at(name)].clone();
    }
    row[12] = "3".into();
    let fb = dir.path().join("dns_scores.csv");
    std::fs::write(&fb, format!("header\n{}\n", row.join("\t"))).expect("feedback");
    let second = dir.path().join("second.csv");
    let (_, err) = run(&second, &["--feedback", fb.to_str().expect("path")]);
    let text = std::fs::read_to_string(&second).expect("results");
    // That tunnel's finding is gone (the slow tunnel, another client, may stay).
    let this = format!("from {} (", top[at("ip_dst")]);
    assert!(
        !text
            .lines()
            .any(|l| l.contains("tunnel: ") && l.contains(&this)),
        "{err}"
    );
    assert!(text.contains("DGA: "), "other findings stay");
}
