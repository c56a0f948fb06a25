"""The Spark path equals the single-machine path (skipped when PySpark or Java is missing)."""

import os
import shutil
import sys

import pytest

import spot

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java", allow_module_level=True)

import spot.spark  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # Python workers must import the same installation of spot as the driver.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    s = (
        SparkSession.builder.master("local[2]")
        .appName("spot-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def small():
    return spot.demo.flows(seed=3, workstations=10).flows


def test_spark_equals_local(spark, small):
    df = spark.createDataFrame(small.to_pandas())
    assert df.count() == small.num_rows

    model = spot.spark.fit_flows(df, topics=5, iterations=10, seed=0)
    local = spot.FlowModel(topics=5, iterations=10, seed=0).fit(small)
    assert model.topics().equals(local.topics())
    assert model.doc_topics().equals(local.doc_topics())

    got = spot.spark.to_arrow(spot.spark.score_flows(df, model, max_results=50))
    want = local.score(small, max_results=50)
    assert got["id"].to_pylist() == want["id"].to_pylist()
    assert got["score"].to_pylist() == want["score"].to_pylist()

    words = spot.spark.to_arrow(spot.spark.flow_words(df).orderBy("id"))
    assert words["src_word"].to_pylist() == spot.flow_words(small)["src_word"].to_pylist()

    # Another partitioning gives the same model, and the same top-N up to ties, which follow
    # partition order (ties in input order, as the CLI, when the order is the input's).
    shuffled = df.repartition(3)
    again = spot.spark.fit_flows(shuffled, topics=5, iterations=10, seed=0)
    assert again.topics().equals(local.topics())
    top = spot.spark.to_arrow(spot.spark.score_flows(shuffled, again, max_results=50))
    assert top["score"].to_pylist() == want["score"].to_pylist()

    # Counts added up by a Spark aggregation or by the driver give the same model.
    for sum_on in ("spark", "driver"):
        m = spot.spark.fit_flows(shuffled, topics=5, iterations=10, seed=0, sum_on=sum_on)
        assert m.doc_topics().equals(local.doc_topics())
    with pytest.raises(ValueError, match="sum_on"):
        spot.spark.fit_flows(df, sum_on="nowhere")
    summed = spot.spark.to_arrow(spot.spark.flow_word_counts(shuffled)).sort_by([("doc", "ascending"), ("word", "ascending")])
    assert summed.equals(spot.flow_word_counts(small).sort_by([("doc", "ascending"), ("word", "ascending")]).cast(summed.schema))


def test_spark_scores_by_partition_without_arrow_udf(spark, small, monkeypatch):
    # PySpark < 4.1 has no Arrow UDFs: whole partitions go through Model.score instead.
    df = spark.createDataFrame(small.to_pandas()).repartition(3)
    model = spot.spark.fit_flows(df, topics=5, iterations=10, seed=0)
    by_udf = spot.spark.to_arrow(spot.spark.score_flows(df, model, max_results=40, threshold=0.5))
    monkeypatch.setattr(spot.spark, "_USE_ARROW_UDF", False)
    by_partition = spot.spark.to_arrow(spot.spark.score_flows(df, model, max_results=40, threshold=0.5))
    assert by_partition.equals(by_udf)
    assert by_udf["score"].to_pylist() == model.score(small, max_results=40, threshold=0.5)["score"].to_pylist()


def test_spark_dns_equals_local(spark):
    dns = spot.read_dns(os.path.join(os.path.dirname(__file__), "data", "dns-400.pcap"), queries=True)
    df = spark.createDataFrame(dns.to_pandas()).repartition(2)
    top = ["google.com", "example.com"]
    model = spot.spark.fit(df, source="dns", topics=3, iterations=5, seed=1, top_domains=top)
    local = spot.DnsModel(topics=3, iterations=5, seed=1, top_domains=top).fit(dns)
    assert isinstance(model, spot.DnsModel)
    assert model.topics().equals(local.topics())
    got = spot.spark.to_arrow(spot.spark.score(df, model, max_results=30))
    assert got["score"].to_pylist() == local.score(dns, max_results=30)["score"].to_pylist()
    words = spot.spark.to_arrow(spot.spark.words(df, source="dns", top_domains=top))
    assert sorted(w for w in words["word"].to_pylist() if w) == sorted(
        w for w in spot.dns_words(dns, top_domains=top)["word"].to_pylist() if w
    )
    with pytest.raises(ValueError, match="proxy"):
        spot.spark.fit(df, source="proxy")
