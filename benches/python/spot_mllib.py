"""A PySpark re-implementation of Apache Spot's flow pipeline, the baseline of the Spark
benchmark: words by a Python UDF (Spot's flow word rules), documents by Spark, MLlib's LDA
with Spot's settings (EM, K = 20, alpha 1.02, beta 1.001, 20 iterations), scores by a UDF over
the broadcast topics (Σ_k P(word | k)·P(k | ip), the smaller of source and destination), top-N
by Spark. Written from the rules in README.md ("The model, exactly as Apache Spot"), not from
Spot's code; used by spark_vs_local.py."""

import math
from typing import Any

import numpy as np

LOG2 = math.log10(2.0)


def port_word(sport: int, dport: int) -> "tuple[int, str]":
    """(port, side with the ``-1_`` prefix: "src", "dst" or "")."""
    if sport == 0 and dport == 0:
        return 0, ""
    if dport == 0 and sport > 0:
        return sport, "src"
    if sport == 0 and dport > 0:
        return dport, "dst"
    if sport <= 1024 and dport <= 1024:
        return 111111, ""
    if sport <= 1024 < dport:
        return sport, "src"
    if dport <= 1024 < sport:
        return dport, "dst"
    return 333333, ""


def flow_words(hour: int, sport: int, dport: int, proto: str, ibyt: int, ipkt: int) -> "tuple[str, str]":
    b = math.ceil(math.log10(ibyt + 1.0) / LOG2)
    p = math.ceil(math.log10(ipkt + 1.0) / LOG2)
    port, prefix = port_word(sport, dport)
    base = f"{port}_{proto}_{hour}_{b}_{p}"
    return ("-1_" + base if prefix == "src" else base, "-1_" + base if prefix == "dst" else base)


def top_flows(spark: Any, df: Any, *, max_results: int, seed: int, topics: int = 20, iterations: int = 20) -> Any:
    """The ``max_results`` lowest-scored flows of ``df`` as a pyarrow Table (with ``score``)."""
    from pyspark.ml.clustering import LDA
    from pyspark.ml.feature import CountVectorizer
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    words_type = T.StructType([T.StructField("src_word", T.StringType()), T.StructField("dst_word", T.StringType())])
    words_udf = F.udf(flow_words, words_type)
    valid = df.where(
        F.col("trhour").between(0, 23) & F.col("sip").isNotNull() & F.col("dip").isNotNull()
        & (F.col("sport") >= 0) & (F.col("dport") >= 0) & (F.col("ibyt") >= 0) & (F.col("ipkt") >= 0)
    )
    words = valid.withColumn("w", words_udf("trhour", "sport", "dport", "proto", "ibyt", "ipkt")).select(
        "*", F.col("w.src_word").alias("src_word"), F.col("w.dst_word").alias("dst_word")
    ).drop("w").cache()
    docs = (
        words.select(F.col("sip").alias("ip"), F.col("src_word").alias("word"))
        .unionAll(words.select(F.col("dip").alias("ip"), F.col("dst_word").alias("word")))
        .groupBy("ip")
        .agg(F.collect_list("word").alias("words"))
    )
    cv = CountVectorizer(inputCol="words", outputCol="features", minDF=1.0).fit(docs)
    vectors = cv.transform(docs).select("ip", "features").cache()
    lda = LDA(
        k=topics, maxIter=iterations, optimizer="em", docConcentration=[1.02], topicConcentration=1.001, seed=seed
    ).fit(vectors)
    word_topic = lda.topicsMatrix().toArray()  # vocabulary × topics
    word_topic = word_topic / word_topic.sum(axis=0, keepdims=True)
    index = {w: i for i, w in enumerate(cv.vocabulary)}
    doc_topics = lda.transform(vectors).select("ip", "topicDistribution")
    bc = spark.sparkContext.broadcast((index, word_topic))

    def prob(word: str, theta: Any) -> float:
        index, wt = bc.value
        i = index.get(word)
        if i is None or theta is None:
            return 0.0
        return float(np.dot(wt[i], theta.toArray()))

    prob_udf = F.udf(prob, T.DoubleType())
    src = doc_topics.select(F.col("ip").alias("sip"), F.col("topicDistribution").alias("src_theta"))
    dst = doc_topics.select(F.col("ip").alias("dip"), F.col("topicDistribution").alias("dst_theta"))
    scored = (
        words.join(src, "sip", "left")
        .join(dst, "dip", "left")
        .withColumn("score", F.least(prob_udf("src_word", "src_theta"), prob_udf("dst_word", "dst_theta")))
        .drop("src_theta", "dst_theta", "src_word", "dst_word")
        .orderBy("score")
        .limit(max_results)
    )
    return scored.toArrow() if hasattr(scored, "toArrow") else scored.toPandas()
