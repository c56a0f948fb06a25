"""The Python API gives the CLI's results on the same data: `spot ml flow` in both modes, and a
model file written by one is read by the other. Skipped when no `spot` binary is found
(SPOT_BIN, else the workspace's target/debug/spot, which `.ci/run` builds before this suite)."""

import os
import subprocess

import pyarrow.parquet as pq
import pytest

import spot

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
BIN = os.environ.get("SPOT_BIN") or os.path.join(ROOT, "target", "debug", "spot")
if not os.access(BIN, os.X_OK):
    pytest.skip(f"no spot binary at {BIN} (set SPOT_BIN)", allow_module_level=True)

ARGS = ["--topics", "5", "--iterations", "10", "--seed", "3", "--max-results", "150"]


@pytest.fixture(scope="module")
def flows_file(day, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "day.parquet"
    pq.write_table(day.flows, path)
    return path


def cli(*args):
    subprocess.run([BIN, *args], check=True, capture_output=True)


@pytest.mark.parametrize("mode", ["spot", "combined"])
def test_ml_flow_equals_the_python_api(day, flows_file, tmp_path, mode):
    out = tmp_path / "cli.parquet"
    cli("ml", "flow", "--input", str(flows_file), "--out", str(out), "--mode", mode, *ARGS)
    want = pq.read_table(out)
    model = spot.FlowModel(topics=5, iterations=10, seed=3).fit(day.flows)
    got = model.score(day.flows, max_results=150, mode=mode)
    assert got.column_names == want.column_names
    for name in ["id", "sip", "dip", "score"]:
        assert got[name].to_pylist() == want[name].to_pylist(), name


def test_model_files_cross_between_cli_and_python(day, flows_file, tmp_path):
    cli_model = tmp_path / "cli.model"
    cli("ml", "flow", "--input", str(flows_file), "--out", str(tmp_path / "a.parquet"), "--mode", "spot",
        "--model-out", str(cli_model), *ARGS)
    model = spot.load_model(cli_model)
    assert model.config["topics"] == 5
    mine = spot.FlowModel(topics=5, iterations=10, seed=3).fit(day.flows)
    assert model.topics().equals(mine.topics())
    py_model = tmp_path / "py.model"
    mine.save(py_model)
    out = tmp_path / "b.parquet"
    cli("ml", "flow", "--input", str(flows_file), "--out", str(out), "--mode", "spot", "--model", str(py_model),
        "--max-results", "150")
    assert pq.read_table(out)["score"].to_pylist() == mine.score(day.flows, max_results=150)["score"].to_pylist()


def test_demo_records_equal_spot_generate(tmp_path):
    out = tmp_path / "gen.parquet"
    cli("generate", "flow", "--records", "20000", "--seed", "7", "--out", str(out))
    assert pq.read_table(out).equals(spot.demo.flows(seed=7, records=20000).flows)
