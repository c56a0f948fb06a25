"""Times the Spark path (`spot.spark.fit_flows` + `score_flows` on local[2]) against the
single-machine Python path on the same flows, checks that they agree, and prints a Markdown
row. Run through benches/python/run.sh (needs pyspark and Java 17)."""

import argparse
import os
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

import spot
import spot.spark

MAX_RESULTS = 3000
SEED = 7


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--input", required=True)
    p.add_argument("--master", default="local[2]")
    p.add_argument("--runs", type=int, default=2, help="runs of spot's two paths (the best is kept)")
    p.add_argument("--no-mllib", action="store_true", help="skip the PySpark + MLlib re-implementation of Spot")
    a = p.parse_args()
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master(a.master)
        .appName("spot-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.parquet(a.input).cache()
    rows = df.count()

    # Best of RUNS: the first run also starts Spark's Python workers and warms the JVM; the
    # re-implementation below runs after, in the same warm session.
    spark_runs, local_runs = [], []
    for _ in range(a.runs):
        start = time.perf_counter()
        model = spot.spark.fit_flows(df, seed=SEED)
        top = spot.spark.to_arrow(spot.spark.score_flows(df, model, max_results=MAX_RESULTS))
        spark_runs.append(time.perf_counter() - start)

        start = time.perf_counter()
        flows = pq.read_table(a.input)
        local = spot.FlowModel(seed=SEED).fit(flows)
        want = local.score(flows, max_results=MAX_RESULTS)
        local_runs.append(time.perf_counter() - start)
    spark_s, local_s = min(spark_runs), min(local_runs)
    print("spot.spark runs: " + ", ".join(f"{x:.2f} s" for x in spark_runs)
          + "; single machine runs: " + ", ".join(f"{x:.2f} s" for x in local_runs))
    mllib_s = None
    if not a.no_mllib:
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, here)
        spark.sparkContext.addPyFile(os.path.join(here, "spot_mllib.py"))  # the UDFs' module
        import spot_mllib

        start = time.perf_counter()
        baseline = spot_mllib.top_flows(spark, df, max_results=MAX_RESULTS, seed=SEED)
        mllib_s = time.perf_counter() - start
        ids = set(pa.table(baseline)["id"].to_pylist()) if "id" in baseline.column_names else set()
        overlap = len(ids & set(want["id"].to_pylist())) / max(1, len(ids)) if ids else float("nan")
    spark.stop()

    same = top["score"].to_pylist() == want["score"].to_pylist()
    print(f"records: {rows:,}; Spark equals single machine: {same}")
    print(f"| records | Spark {a.master} (fit_flows + score_flows) | single machine (Python API) | Spark / local |")
    print("|---:|---:|---:|---:|")
    print(f"| {rows:,} | {spark_s:.2f} s | {local_s:.2f} s | {spark_s / local_s:.2f} |")
    if mllib_s is not None:
        print()
        print(f"| records | PySpark re-implementation of Spot (UDF words + MLlib EM LDA) {a.master} | spot.spark {a.master} | speed-up |")
        print("|---:|---:|---:|---:|")
        print(f"| {rows:,} | {mllib_s:.2f} s | {spark_s:.2f} s | {mllib_s / spark_s:.1f}x |")
        print(f"(top-{MAX_RESULTS} overlap with spot's results: {overlap:.0%}; MLlib's EM starts from other random topics)")
    if not same:
        raise SystemExit("Spark and the single-machine path disagree")


if __name__ == "__main__":
    main()
