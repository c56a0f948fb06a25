//! `spot ml flow` with engine choice and saved models: `--optimizer`, `--model-out`, `--model`,
//! `--unseen`, `--init-model`.

use std::path::{Path, PathBuf};

mod common;
use common::*;
use spot_synth::{FlowDayConfig, flow_day};

fn day(dir: &Path, name: &str, workstations: usize, seed: u64) -> PathBuf {
    let day = flow_day(&FlowDayConfig {
        workstations,
        seed,
        ..FlowDayConfig::default()
    });
    let path = dir.join(name);
    write_batch(&path, &day.batch);
    path
}

fn scores(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == "score").unwrap();
    lines
        .map(|l| l.split(',').nth(i).unwrap().to_string())
        .collect()
}

#[test]
fn saved_model_scores_like_the_training_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = day(dir.path(), "day1.csv", 10, 1);
    let model = dir.path().join("m.spotlda");
    let trained = dir.path().join("trained.csv");
    ok(&[
        "ml",
        "flow",
        "--mode",
        "spot",
        "--input",
        p(&input),
        "--out",
        p(&trained),
        "--iterations",
        "5",
        "--optimizer",
        "gibbs",
        "--alpha",
        "0.1",
        "--beta",
        "0.01",
        "--model-out",
        p(&model),
    ]);
    let reused = dir.path().join("reused.csv");
    ok(&[
        "ml",
        "flow",
        "--mode",
        "spot",
        "--input",
        p(&input),
        "--out",
        p(&reused),
        "--model",
        p(&model),
    ]);
    assert_eq!(scores(&trained), scores(&reused));

    // Another day: hosts the model has never seen score 0 unless folded in.
    let input2 = day(dir.path(), "day2.csv", 14, 2);
    let zero = dir.path().join("zero.csv");
    ok(&[
        "ml",
        "flow",
        "--mode",
        "spot",
        "--input",
        p(&input2),
        "--out",
        p(&zero),
        "--model",
        p(&model),
    ]);
    let infer = dir.path().join("infer.csv");
    ok(&[
        "ml",
        "flow",
        "--mode",
        "spot",
        "--input",
        p(&input2),
        "--out",
        p(&infer),
        "--model",
        p(&model),
        "--unseen",
        "infer",
    ]);
    let zeros = |s: Vec<String>| {
        s.iter()
            .filter(|x| x.parse::<f64>().unwrap() == 0.0)
            .count()
    };
    assert!(zeros(scores(&infer)) < zeros(scores(&zero)));

    // Warm start from yesterday's model on today's data.
    let warm = dir.path().join("warm.csv");
    ok(&[
        "ml",
        "flow",
        "--mode",
        "spot",
        "--input",
        p(&input2),
        "--out",
        p(&warm),
        "--iterations",
        "2",
        "--optimizer",
        "gibbs",
        "--alpha",
        "0.1",
        "--beta",
        "0.01",
        "--init-model",
        p(&model),
    ]);
}

#[test]
fn every_optimizer_runs_and_bad_models_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = day(dir.path(), "day.csv", 6, 3);
    for o in ["em", "online", "gibbs"] {
        let out = dir.path().join(format!("{o}.csv"));
        let (success, stderr) = status(&[
            "ml",
            "flow",
            "--mode",
            "spot",
            "--input",
            p(&input),
            "--out",
            p(&out),
            "--iterations",
            "3",
            "--optimizer",
            o,
            "--verbose",
        ]);
        assert!(success, "{o}: {stderr}");
        // `--verbose`: one line per iteration with the training log-likelihood.
        let lls: Vec<f64> = stderr
            .lines()
            .filter_map(|l| l.split_once(": log-likelihood per token "))
            .map(|(_, v)| v.parse().unwrap())
            .collect();
        let lines = stderr
            .lines()
            .filter(|l| l.starts_with("iteration "))
            .count();
        assert_eq!(lines, 3, "{o}: {stderr}");
        // `online` reports the likelihood of its mini-batch, absent when a batch is empty.
        assert!(
            lls.len() == 3 || (o == "online" && !lls.is_empty()),
            "{o}: {stderr}"
        );
        assert!(
            lls.iter().all(|v| v.is_finite() && *v < 0.0),
            "{o}: {lls:?}"
        );
        assert!(stderr.contains("iteration 3/3: "), "{o}: {stderr}");
    }
    let bad = dir.path().join("bad.spotlda");
    std::fs::write(&bad, b"not a model").unwrap();
    let out = dir.path().join("x.csv");
    let (success, stderr) = status(&[
        "ml",
        "flow",
        "--mode",
        "spot",
        "--input",
        p(&input),
        "--out",
        p(&out),
        "--model",
        p(&bad),
    ]);
    assert!(!success);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a spot model file"), "{stderr}");
}

#[test]
fn train_and_score_are_the_two_halves_of_ml() {
    let dir = tempfile::tempdir().unwrap();
    let input = day(dir.path(), "day.csv", 6, 5);
    let lda = ["--iterations", "3", "--optimizer", "gibbs", "--seed", "4"];
    // `spot ml flow --model-out` trains, saves and scores in one run.
    let (m1, out1) = (dir.path().join("ml.spotlda"), dir.path().join("ml.csv"));
    let mut args = vec!["ml", "flow", "--mode", "spot", "--input", p(&input)];
    args.extend(["--out", p(&out1), "--model-out", p(&m1)]);
    args.extend(lda);
    ok(&args);
    // `spot train flow` saves the same model without scoring...
    let m2 = dir.path().join("train.spotlda");
    let mut args = vec!["train", "flow", "--input", p(&input), "--model-out", p(&m2)];
    args.extend(lda);
    ok(&args);
    assert_eq!(std::fs::read(&m1).unwrap(), std::fs::read(&m2).unwrap());
    // ...and `spot score flow` scores with it like the training run.
    let out2 = dir.path().join("score.csv");
    ok(&[
        "score",
        "flow",
        "--mode",
        "spot",
        "--input",
        p(&input),
        "--out",
        p(&out2),
        "--model",
        p(&m2),
    ]);
    assert_eq!(scores(&out1), scores(&out2));
    // Each needs its model file.
    let (success, stderr) = status(&["train", "flow", "--input", p(&input)]);
    assert!(!success && stderr.contains("--model-out"), "{stderr}");
    let (success, stderr) = status(&["score", "flow", "--input", p(&input), "--out", p(&out2)]);
    assert!(!success && stderr.contains("--model"), "{stderr}");
}

#[test]
fn gibbs_with_its_state_spilled_to_disk_scores_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let input = day(dir.path(), "day.csv", 8, 5);
    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).unwrap();
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "ml",
            "flow",
            "--mode",
            "spot",
            "--input",
            p(&input),
            "--out",
            p(out),
            "--iterations",
            "4",
            "--optimizer",
            "gibbs",
            "--alpha",
            "0.1",
            "--beta",
            "0.01",
        ];
        args.extend_from_slice(extra);
        ok(&args);
        scores(out)
    };
    let in_memory = run(&dir.path().join("memory.csv"), &[]);
    let spilled = run(&dir.path().join("spilled.csv"), &["--spill-dir", p(&spill)]);
    assert_eq!(in_memory, spilled);
    // The temporary file is gone with the run.
    assert_eq!(std::fs::read_dir(&spill).unwrap().count(), 0);
    let (success, stderr) = status(&[
        "ml",
        "flow",
        "--input",
        p(&input),
        "--out",
        p(&dir.path().join("x.csv")),
        "--optimizer",
        "gibbs",
        "--spill-dir",
        p(&dir.path().join("missing")),
    ]);
    assert!(!success);
    assert!(stderr.contains("missing"), "{stderr}");
}
