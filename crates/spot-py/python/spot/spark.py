"""spot on Apache Spark: the same Rust pipeline inside PySpark's ``mapInArrow``.

Words and (document, word) counts are made per partition; Spark sums the counts; the model is
fitted once on the driver from the summed counts (the same corpus, hence the same model, as a
single-machine :meth:`spot.Model.fit`); scoring runs per partition with the model broadcast
as bytes, each partition keeping its own bounded top-N before one final merge. Results equal the
single-machine results for the same data and seed. Flows and DNS records are supported (proxy
words weigh user agents by their count over the whole input, which a partition does not see).
DNS ``top_domains`` given as a list of names travel with the job; a file path must exist on
every executor.

>>> from pyspark.sql import SparkSession                     # doctest: +SKIP
>>> import spot, spot.spark
>>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
>>> df = spark.createDataFrame(spot.demo.flows(seed=1).flows)       # doctest: +SKIP
>>> model = spot.spark.fit_flows(df, topics=20, seed=0)              # doctest: +SKIP
>>> top = spot.spark.score_flows(df, model, max_results=200)         # doctest: +SKIP
>>> dns_model = spot.spark.fit(dns_df, source="dns", top_domains=["google.com"])  # doctest: +SKIP

On a cluster, ship the wheel to the executors (``spark-submit --py-files spot_py-*.whl`` or
``pip install`` on every node) and run the same code.
"""

from __future__ import annotations

import pickle
import uuid
from typing import TYPE_CHECKING, Any, Iterator, Optional

import pyarrow as pa

import spot

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = [
    "fit",
    "fit_flows",
    "flow_word_counts",
    "flow_words",
    "score",
    "score_flows",
    "to_arrow",
    "word_counts",
    "words",
]

_DRIVER_SUM_PARTITIONS = 16
_POS = "_spot_position"
_WORD_COLUMNS = {"flow": ("src_word", "dst_word"), "dns": ("word",)}
_MODELS = {"flow": spot.FlowModel, "dns": spot.DnsModel}


def _types() -> Any:
    from pyspark.sql import types

    return types


def _check(source: str) -> None:
    if source not in _WORD_COLUMNS:
        raise ValueError(
            f"source {source!r} is not supported on Spark: expected flow or dns (proxy words count "
            "user agents over the whole input; collect proxy logs and use spot.ProxyModel)"
        )


def _batches(it: Iterator[pa.RecordBatch]) -> Optional[pa.Table]:
    batches = list(it)
    return pa.Table.from_batches(batches) if batches else None


def words(df: "DataFrame", *, source: str = "flow", top_domains: Any = None, user_domain: Optional[str] = None) -> "DataFrame":
    """``df`` with the source's word columns and ``invalid_reason`` (see :func:`spot.flow_words`,
    :func:`spot.dns_words`), made per partition."""
    _check(source)
    t = _types()
    names = _WORD_COLUMNS[source] + ("invalid_reason",)
    schema = t.StructType(list(df.schema.fields) + [t.StructField(n, t.StringType(), True) for n in names])

    def per_partition(it: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for b in it:
            if source == "flow":
                out = spot.flow_words(b)
            else:
                out = spot.dns_words(b, top_domains=top_domains, user_domain=user_domain)
            yield from out.to_batches()

    return df.mapInArrow(per_partition, schema)


def _narrow(df: "DataFrame", source: str) -> "DataFrame":
    """``df`` with only the columns the source's words read (:func:`spot.word_columns`): Spark
    converts every column it hands to Python, so fewer columns make a cheaper pass. A missing
    column is left to the words to report."""
    return df.select(*_word_column_names(df, source))


def _word_column_names(df: "DataFrame", source: str) -> "list[str]":
    """The columns of ``df`` that the source's words read, in ``df``'s order."""
    need = set(spot.word_columns(source))
    return [c for c in df.columns if c in need]


def _partial_counts(
    df: "DataFrame", source: str, top_domains: Any, user_domain: Optional[str]
) -> "DataFrame":
    """(``doc``, ``word``, ``count``) summed within each partition, not across them."""
    _check(source)

    def counts(it: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        table = _batches(it)
        if table is not None:
            yield from spot.word_counts(
                table, source=source, top_domains=top_domains, user_domain=user_domain
            ).to_batches()

    return _narrow(df, source).mapInArrow(counts, "doc string, word string, count long")


def _sum_counts(partial: "DataFrame") -> "DataFrame":
    from pyspark.sql import functions as F

    return partial.groupBy("doc", "word").agg(F.sum("count").alias("count"))


def word_counts(
    df: "DataFrame", *, source: str = "flow", top_domains: Any = None, user_domain: Optional[str] = None
) -> "DataFrame":
    """(``doc``, ``word``, ``count``) summed over the whole DataFrame (see :func:`spot.word_counts`)."""
    return _sum_counts(_partial_counts(df, source, top_domains, user_domain))


def to_arrow(df: "DataFrame") -> pa.Table:
    """Collects a (small) DataFrame to the driver as a ``pyarrow.Table``."""
    if hasattr(df, "toArrow"):
        return df.toArrow()
    return pa.Table.from_batches(df._collect_as_arrow())  # PySpark < 4


def fit(
    df: "DataFrame",
    *,
    source: str = "flow",
    feedback: Optional[str] = None,
    dupfactor: int = 1000,
    top_domains: Any = None,
    user_domain: Optional[str] = None,
    sum_on: str = "auto",
    **model: Any,
) -> spot.Model:
    """Fits the ``source``'s model (:class:`spot.FlowModel`, :class:`spot.DnsModel`) on a
    DataFrame: (document, word) counts by Spark, the engine once on the driver. ``model``:
    the model's keyword arguments (``topics``, ``alpha``, ``beta``, ``iterations``, ``seed``,
    ``optimizer``, ``tolerance``; ``feedback_proto`` for flows). The same data and seed give
    the same model as :meth:`spot.Model.fit`.

    ``sum_on``: where the per-partition counts are added up. ``"spark"``: by a Spark
    aggregation, so the driver receives each (document, word) pair once. ``"driver"``: the
    driver receives every partition's counts and adds them up itself, which saves a shuffle but
    receives a pair once per partition that holds it. ``"auto"`` (default): the driver when the
    DataFrame has at most 16 partitions, Spark otherwise. The model is the same either way."""
    _check(source)
    if sum_on not in ("auto", "spark", "driver"):
        raise ValueError(f"sum_on must be 'auto', 'spark' or 'driver', not {sum_on!r}")
    fit_kwargs = {"feedback_proto": model.pop("feedback_proto")} if "feedback_proto" in model else {}
    words_kwargs = {"top_domains": top_domains, "user_domain": user_domain} if source == "dns" else {}
    counts_df = _partial_counts(df, source, top_domains, user_domain)
    if sum_on == "spark" or (sum_on == "auto" and df.rdd.getNumPartitions() > _DRIVER_SUM_PARTITIONS):
        counts_df = _sum_counts(counts_df)
    counts = to_arrow(counts_df)
    m = _MODELS[source](**model, **words_kwargs)
    return m.fit_counts(counts, feedback=feedback, dupfactor=dupfactor, **fit_kwargs)


_LOADED: "tuple[str, Any]" = ("", None)


class _Shipped:
    """A model broadcast to the executors, unpickled once per Python worker (not per batch)."""

    def __init__(self, df: "DataFrame", model: spot.Model) -> None:
        self.token = uuid.uuid4().hex
        self.blob = df.sparkSession.sparkContext.broadcast(pickle.dumps(model))

    def model(self) -> Any:
        global _LOADED
        if _LOADED[0] != self.token:
            _LOADED = (self.token, pickle.loads(self.blob.value))
        return _LOADED[1]


def score(
    df: "DataFrame",
    model: spot.Model,
    *,
    threshold: float = 1.0,
    max_results: Optional[int] = None,
) -> "DataFrame":
    """Scores a DataFrame with ``model`` (broadcast once): the rows with score ≤ ``threshold``,
    at most ``max_results``, lowest score first, ties in input order (partition order, then row
    order), with a ``score`` column.

    With PySpark ≥ 4.1 the score is an Arrow UDF over only the columns the words read
    (:func:`spot.word_columns`), attached to the rows by Spark, which then keeps the top rows;
    older versions hand whole partitions to :func:`spot.Model.score` and merge their top rows."""
    _check(model.source)
    shipped = _Shipped(df, model)
    if _USE_ARROW_UDF:
        scored = _scored_by_udf(df, model.source, shipped)
    else:
        scored = _scored_by_partition(df, shipped, threshold, max_results)
    scored = scored.where(scored["score"] <= threshold).orderBy("score", _POS)
    if max_results is not None:
        scored = scored.limit(max_results)
    return scored.drop(_POS)


def _arrow_udf_available() -> bool:
    try:
        from pyspark.sql import functions as F

        return hasattr(F, "arrow_udf")
    except ImportError:  # pragma: no cover
        return False


_USE_ARROW_UDF = _arrow_udf_available()


def _scored_by_udf(df: "DataFrame", source: str, shipped: _Shipped) -> "DataFrame":
    """``df`` with ``score`` from a scalar Arrow UDF and ``_POS`` (partition, then row)."""
    from pyspark.sql import functions as F

    names = _word_column_names(df, source)

    def row_scores(*columns: pa.Array) -> pa.Array:
        return shipped.model().row_scores(pa.RecordBatch.from_arrays(list(columns), names=names))

    # One argument per column, not one struct column: Spark converts separate columns to Arrow
    # about a third faster than the same columns inside a struct.
    udf = F.arrow_udf(row_scores, "double")  # scalar, from the type hints
    scored = df.withColumn("score", udf(*[F.col(c) for c in names]))
    # monotonically_increasing_id is the partition index, then the row's position in it.
    return scored.withColumn(_POS, F.monotonically_increasing_id())


def _scored_by_partition(
    df: "DataFrame", shipped: _Shipped, threshold: float, max_results: Optional[int]
) -> "DataFrame":
    """Each partition's own top rows by :meth:`spot.Model.score`, with ``_POS``."""
    t = _types()
    schema = t.StructType(
        list(df.schema.fields)
        + [t.StructField("score", t.DoubleType(), True), t.StructField(_POS, t.LongType(), False)]
    )

    def per_partition(it: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        table = _batches(it)
        if table is None:
            return
        out = shipped.model().score(table, threshold=threshold, max_results=max_results)
        ctx = TaskContext.get()
        part = ctx.partitionId() if ctx is not None else 0
        pos = pa.array([(part << 33) + i for i in range(out.num_rows)], pa.int64())
        yield from out.append_column(pa.field(_POS, pa.int64(), False), pos).to_batches()

    return df.mapInArrow(per_partition, schema)


def flow_words(df: "DataFrame") -> "DataFrame":
    """``df`` with ``src_word``, ``dst_word`` and ``invalid_reason`` (see :func:`spot.flow_words`)."""
    return words(df, source="flow")


def flow_word_counts(df: "DataFrame") -> "DataFrame":
    """(``doc``, ``word``, ``count``) of flows summed over the whole DataFrame."""
    return word_counts(df, source="flow")


def fit_flows(
    df: "DataFrame",
    *,
    topics: int = 20,
    alpha: float = 1.02,
    beta: float = 1.001,
    iterations: int = 20,
    seed: int = 0,
    optimizer: str = "em",
    tolerance: Optional[float] = None,
    feedback: Optional[str] = None,
    dupfactor: int = 1000,
    feedback_proto: str = "TCP",
    sum_on: str = "auto",
) -> spot.FlowModel:
    """Fits a :class:`spot.FlowModel` on a DataFrame of flows (see :func:`fit`)."""
    m = fit(
        df,
        source="flow",
        sum_on=sum_on,
        feedback=feedback,
        dupfactor=dupfactor,
        topics=topics,
        alpha=alpha,
        beta=beta,
        iterations=iterations,
        seed=seed,
        optimizer=optimizer,
        tolerance=tolerance,
        feedback_proto=feedback_proto,
    )
    assert isinstance(m, spot.FlowModel)
    return m


def score_flows(
    df: "DataFrame",
    model: spot.Model,
    *,
    threshold: float = 1.0,
    max_results: Optional[int] = None,
) -> "DataFrame":
    """Scores a DataFrame of flows with ``model`` (see :func:`score`)."""
    return score(df, model, threshold=threshold, max_results=max_results)
