"""Times `spot ml flow --mode spot` and the same analysis through the Python API (read the
Parquet file, fit, score, keep the top 3,000, write CSV) on the same input, checks that both
give the same results, and prints a Markdown row. Run through benches/python/run.sh."""

import argparse
import os
import subprocess
import time

import pyarrow.csv as pacsv

import spot

MAX_RESULTS = 3000
SEED = 7


def cli(binary: str, path: str, out: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [binary, "ml", "flow", "--input", path, "--mode", "spot", "--out", out,
         "--max-results", str(MAX_RESULTS), "--seed", str(SEED)],
        check=True, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def python(path: str, out: str) -> "tuple[float, dict]":
    start = time.perf_counter()
    stages = {}
    t = time.perf_counter()
    flows = spot.read_flows(path)
    stages["read"] = time.perf_counter() - t
    t = time.perf_counter()
    model = spot.FlowModel(seed=SEED).fit(flows)
    stages["fit"] = time.perf_counter() - t
    t = time.perf_counter()
    top = model.score(flows, max_results=MAX_RESULTS)
    stages["score"] = time.perf_counter() - t
    t = time.perf_counter()
    pacsv.write_csv(top, out)
    stages["write"] = time.perf_counter() - t
    return time.perf_counter() - start, stages


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--spot", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    cli_out, py_out = os.path.join(a.out, "cli.csv"), os.path.join(a.out, "python.csv")
    rows = spot.read_flows(a.input).num_rows
    cli_times, py_times, stages = [], [], None
    for _ in range(a.repeat):  # alternate, best of N: the machine is shared
        cli_times.append(cli(a.spot, a.input, cli_out))
        wall, stages = python(a.input, py_out)
        py_times.append(wall)
    c, py = min(cli_times), min(py_times)
    got, want = pacsv.read_csv(py_out), pacsv.read_csv(cli_out)
    same = got["score"].to_pylist() == want["score"].to_pylist() and got["sip"].equals(want["sip"])
    print(f"records: {rows:,}; same results: {same}")
    print("| records | CLI `spot ml flow --mode spot` | Python API (read, fit, score, write) | Python / CLI |")
    print("|---:|---:|---:|---:|")
    print(f"| {rows:,} | {c:.2f} s | {py:.2f} s | {py / c:.3f} |")
    print("python stages (last run): " + ", ".join(f"{k} {v:.2f}s" for k, v in stages.items()))
    if not same:
        raise SystemExit("the Python API and the CLI disagree")


if __name__ == "__main__":
    main()
