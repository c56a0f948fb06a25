import os
import pickle

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import spot

FLOW_COLUMNS = [
    "treceived", "unix_tstamp", "tryear", "trmonth", "trday", "trhour", "trminute", "trsec",
    "tdur", "sip", "dip", "sport", "dport", "proto", "flag", "fwd", "stos", "ipkt", "ibyt",
    "opkt", "obyt", "input", "output", "sas", "das", "dtos", "dir", "rip",
]


def test_version_and_exports():
    assert spot.__version__
    for name in ["read_flows", "flow_words", "FlowModel", "demo", "SpotError", "DecodeError", "ModelError"]:
        assert hasattr(spot, name)
    assert issubclass(spot.DecodeError, spot.SpotError)
    assert issubclass(spot.ModelError, spot.SpotError)
    assert issubclass(spot.FeatureError, spot.SpotError)


def test_demo_is_deterministic(day):
    again = spot.demo.flows(seed=1, workstations=20)
    assert again.flows.equals(day.flows)
    assert day.flows.column_names[: len(FLOW_COLUMNS)] == FLOW_COLUMNS
    assert day.flows.column_names[-2:] == ["id", "attack"]
    assert sorted(day.attacks["kind"].to_pylist()) == ["beacon", "brute_force", "exfiltration", "port_scan", "tunnel"]
    assert not spot.demo.flows(seed=2, workstations=20).flows.equals(day.flows)


def test_read_flows_parquet_and_csv(day, tmp_path):
    flows = day.flows.drop_columns(["id", "attack"]).slice(0, 500)
    pq.write_table(flows, tmp_path / "day.parquet")
    back = spot.read_flows(tmp_path / "day.parquet", batch_size=128)
    assert back.num_rows == 500
    assert back.column_names == FLOW_COLUMNS
    assert back.column("sip").to_pylist() == flows.column("sip").to_pylist()
    pacsv.write_csv(flows, tmp_path / "day.csv")
    both = spot.read_flows([tmp_path / "day.csv"])
    assert both.num_rows == 500


def test_read_flows_errors_name_file_and_line(tmp_path):
    with pytest.raises(spot.DecodeError) as e:
        spot.read_flows(tmp_path / "missing")
    assert isinstance(e.value, spot.SpotError)
    bad = tmp_path / "bad.csv"
    header = ",".join(FLOW_COLUMNS)
    good = "2026-11-25 09:39:52,1795599592,2026,11,25,9,39,52,0.5,10.0.0.1,10.0.0.2,51234,443,TCP,.AP.SF,0,0,12,4800,10,9000,0,0,0,0,0,0,10.0.0.254"
    bad.write_text(f"{header}\n{good}\n{good.replace('51234', 'not-a-port')}\n")
    with pytest.raises(spot.DecodeError) as e:
        spot.read_flows(bad)
    assert e.value.path == str(bad)
    # The CSV parser reports the bad record in the message; `line` is set where the reader knows it.
    assert "not-a-port" in str(e.value)


def test_flow_words(day):
    w = spot.flow_words(day.flows)
    assert w.column_names == day.flows.column_names + ["src_word", "dst_word", "invalid_reason"]
    row = w.slice(0, 1).to_pylist()[0]
    assert row["invalid_reason"] is None
    assert f"_{row['proto']}_{row['trhour']}_" in row["src_word"]


def test_flow_words_reports_invalid_rows(day):
    t = day.flows.slice(0, 3)
    hours = pa.array([99, 1, 2], pa.int32())
    t = t.set_column(t.column_names.index("trhour"), "trhour", hours)
    w = spot.flow_words(t)
    assert w["invalid_reason"].to_pylist() == ["hour_out_of_range", None, None]
    assert w["src_word"][0].as_py() is None


def test_missing_column_is_a_feature_error(day):
    with pytest.raises(spot.FeatureError, match="sip"):
        spot.flow_words(day.flows.drop_columns(["sip"]))


def test_fit_score_defaults_and_repr(day, model):
    assert spot.FlowModel().config == {"topics": 20, "alpha": 1.02, "beta": 1.001, "iterations": 20, "seed": 0, "optimizer": "em", "tolerance": None}
    assert "not fitted" in repr(spot.FlowModel())
    assert "fitted:" in repr(model)
    docs, words = model.shape
    assert docs > 0 and words > 0
    assert model.summary.read == day.flows.num_rows
    out = model.score(day.flows, max_results=50)
    assert out.num_rows == 50
    assert out.column_names == day.flows.column_names + ["score"]
    scores = out["score"].to_pylist()
    assert scores == sorted(scores)
    assert model.summary.written == 50
    assert "read" in str(model.summary)


def test_threshold_keeps_only_low_scores(day, model):
    out = model.score(day.flows, threshold=0.001)
    assert all(s <= 0.001 for s in out["score"].to_pylist())
    assert out.num_rows <= day.flows.num_rows


def test_fit_is_deterministic_and_seeded(day, model):
    again = spot.FlowModel(topics=5, iterations=10, seed=0).fit(day.flows)
    assert again.topics().equals(model.topics())
    assert again.doc_topics().equals(model.doc_topics())
    other = spot.FlowModel(topics=5, iterations=10, seed=1).fit(day.flows)
    assert not other.topics().equals(model.topics())


def test_gibbs_state_spilled_to_disk_gives_the_same_model(day, tmp_path):
    args = dict(topics=5, alpha=0.1, beta=0.01, iterations=5, optimizer="gibbs")
    memory = spot.FlowModel(**args).fit(day.flows)
    spilled = spot.FlowModel(**args, spill_dir=tmp_path).fit(day.flows)
    assert spilled.topics().equals(memory.topics())
    assert spilled.doc_topics().equals(memory.doc_topics())
    assert os.listdir(tmp_path) == []
    with pytest.raises(spot.ModelError, match="no-such-folder"):
        spot.FlowModel(**args, spill_dir=tmp_path / "no-such-folder").fit(day.flows)


def test_topic_tables(model):
    topics = model.topics()
    assert topics.column_names == ["word"] + [f"topic_{k}" for k in range(5)]
    for k in range(5):
        assert abs(sum(topics[f"topic_{k}"].to_pylist()) - 1.0) < 1e-9
    docs = model.doc_topics()
    assert docs.column_names[0] == "doc"
    row = docs.slice(0, 1).to_pylist()[0]
    assert abs(sum(row[f"topic_{k}"] for k in range(5)) - 1.0) < 1e-9
    w, d = topics["word"][0].as_py(), docs["doc"][0].as_py()
    assert model.word_prob(w, d) > 0
    assert model.word_prob("never-seen", d) == 0


def test_fit_counts_equals_fit(day, model):
    counts = spot.flow_word_counts(day.flows)
    assert counts.column_names == ["doc", "word", "count"]
    assert sum(counts["count"].to_pylist()) == 2 * (day.flows.num_rows - sum(model.summary.invalid.values()))
    # Any order and any split of the counts gives the same corpus, hence the same model.
    shuffled = pa.concat_tables([counts.slice(100), counts.slice(0, 100)])
    again = spot.FlowModel(topics=5, iterations=10, seed=0).fit_counts(shuffled)
    assert again.topics().equals(model.topics())


def test_pickle_round_trip_is_bit_identical(day, model):
    back = pickle.loads(pickle.dumps(model))
    assert back.config == model.config
    assert back.topics().equals(model.topics())
    assert back.score(day.flows, max_results=100).equals(model.score(day.flows, max_results=100))
    empty = pickle.loads(pickle.dumps(spot.FlowModel(topics=3)))
    assert not empty.is_fitted and empty.config["topics"] == 3


def test_model_errors(day):
    with pytest.raises(spot.ModelError, match="not fitted"):
        spot.FlowModel().score(day.flows)
    with pytest.raises(spot.ModelError):
        spot.FlowModel(alpha=0.5).fit(day.flows)
    with pytest.raises(spot.ModelError, match="empty"):
        spot.FlowModel().fit(day.flows.slice(0, 0))


def test_row_scores_are_the_scores_in_input_order(day, model):
    scores = model.row_scores(day.flows)
    assert len(scores) == day.flows.num_rows
    top = model.score(day.flows, max_results=25)
    assert top["score"].to_pylist() == sorted(s for s in scores.to_pylist() if s is not None)[:25]
    # The kept rows carry the score of their own row.
    by_id = dict(zip(day.flows["id"].to_pylist(), scores.to_pylist()))
    assert all(by_id[i] == s for i, s in zip(top["id"].to_pylist(), top["score"].to_pylist()))


def test_empty_input_scores_to_an_empty_table(day, model):
    out = model.score(day.flows.slice(0, 0))
    assert out.num_rows == 0
    assert out.column_names == day.flows.column_names + ["score"]


def test_feedback(day, tmp_path):
    rows = day.flows.slice(0, 3).to_pylist()
    lines = ["sev\ttstart\tsrcIP\tdstIP\tsport\tdport\tipkt\tibyt"]
    for r in rows:
        lines.append(f"3\t{r['treceived']}\t{r['sip']}\t{r['dip']}\t{r['sport']}\t{r['dport']}\t{r['ipkt']}\t{r['ibyt']}")
    fb = tmp_path / "flow_scores.csv"
    fb.write_text("\n".join(lines) + "\n")
    table = spot.read_flow_feedback(fb)
    assert table.num_rows == 3
    assert table["sev"].to_pylist() == [3, 3, 3]
    m = spot.FlowModel(topics=5, iterations=5).fit(day.flows, feedback=fb, dupfactor=10)
    assert m.summary.feedback_rows == 3
    (tmp_path / "bad.csv").write_text(lines[0] + "\n3\tnot enough fields\n")
    with pytest.raises(spot.FeatureError) as e:
        spot.read_flow_feedback(tmp_path / "bad.csv")
    assert e.value.line == 2
    assert e.value.path.endswith("bad.csv")


def test_progress_callback_sees_every_stage(day):
    events = []
    spot.FlowModel(topics=5, iterations=3).fit(day.flows, progress=lambda *e: events.append(e))
    stages = [e[1] for e in events if e[0] == "stage"]
    assert stages == ["words", "train"]
    assert sum(e[1] for e in events if e[0] == "advance") == day.flows.num_rows + 3


def test_progress_true_without_or_with_tqdm(day):
    spot.FlowModel(topics=5, iterations=2).fit(day.flows.slice(0, 2000), progress=True)


def test_an_exception_in_the_callback_stops_the_run(day):
    def boom(*event):
        if event[0] == "advance":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        spot.FlowModel(topics=5).fit(day.flows, progress=boom)


def test_not_arrow_is_a_type_error():
    with pytest.raises(TypeError, match="Arrow"):
        spot.flow_words([1, 2, 3])
