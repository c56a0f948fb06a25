"""Times the Spark path (`spot.spark.fit_flows` + `score_flows` on local[2]) against the
single-machine Python path on the same flows, checks that they agree, and prints a Markdown
row. Run through benches/python/run.sh (needs pyspark and Java 17)."""

import argparse
import os
import sys
import time

import pyarrow.parquet as pq

import spot
import spot.spark

MAX_RESULTS = 3000
SEED = 7


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--input", required=True)
    p.add_argument("--master", default="local[2]")
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

    start = time.perf_counter()
    model = spot.spark.fit_flows(df, seed=SEED)
    top = spot.spark.to_arrow(spot.spark.score_flows(df, model, max_results=MAX_RESULTS))
    spark_s = time.perf_counter() - start

    start = time.perf_counter()
    flows = pq.read_table(a.input)
    local = spot.FlowModel(seed=SEED).fit(flows)
    want = local.score(flows, max_results=MAX_RESULTS)
    local_s = time.perf_counter() - start
    spark.stop()

    same = top["score"].to_pylist() == want["score"].to_pylist()
    print(f"records: {rows:,}; Spark equals single machine: {same}")
    print(f"| records | Spark {a.master} (fit_flows + score_flows) | single machine (Python API) | Spark / local |")
    print("|---:|---:|---:|---:|")
    print(f"| {rows:,} | {spark_s:.2f} s | {local_s:.2f} s | {spark_s / local_s:.2f} |")
    if not same:
        raise SystemExit("Spark and the single-machine path disagree")


if __name__ == "__main__":
    main()
