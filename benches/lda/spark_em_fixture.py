"""Regenerates crates/spot-model/tests/data/spark_em.json: Spark MLlib's EM LDA (the optimizer
Apache Spot trained with) on a tiny corpus, run to convergence from several seeds.

Spark draws its own random initial state, which cannot be set from outside, so the fixture holds
what does not depend on it once EM has converged: the topics (P(word | topic), each column of
Spark's term-topic counts normalized, up to the order of the topics), the topic totals N_k and
Spark's training log-likelihood and log prior. `tests/spark_em.rs` checks that spot's `em`
reaches the same fixed point.

    python benches/lda/spark_em_fixture.py OUT.json      # needs pyspark (Java 17)
"""

import json
import sys
import tempfile

from pyspark.ml.clustering import LDA
from pyspark.ml.linalg import Vectors
from pyspark.sql import SparkSession

# 6 documents over 8 words: docs 0-2 mostly use words 0-3, docs 3-5 words 4-7, with a little
# overlap so that both topics appear in some documents.
TRIPLETS = [
    (0, 0, 9), (0, 1, 5), (0, 2, 4), (0, 3, 2), (0, 4, 1),
    (1, 0, 3), (1, 1, 8), (1, 2, 6), (1, 3, 5),
    (2, 0, 6), (2, 2, 7), (2, 3, 3), (2, 6, 2),
    (3, 4, 8), (3, 5, 6), (3, 6, 3), (3, 7, 5),
    (4, 4, 4), (4, 5, 9), (4, 6, 7), (4, 1, 1),
    (5, 4, 2), (5, 5, 3), (5, 6, 6), (5, 7, 9), (5, 3, 2),
]
DOCS, WORDS, K = 6, 8, 2
# Spark's own EM defaults for K = 2 (docConcentration 50/K + 1, topicConcentration 1.1): with
# them EM has one fixed point here (up to the order of the topics). With Apache Spot's 1.02 and 1.001
# it has several, and which one EM reaches depends on the random start.
ALPHA, BETA = 26.0, 1.1
ITERATIONS = 200
SEEDS = [1, 2, 3]


def main(out):
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # Without checkpoints the lineage of 200 EM iterations overflows the JVM stack.
    spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="spark-em-"))
    rows = []
    for d in range(DOCS):
        entries = sorted((w, float(c)) for dd, w, c in TRIPLETS if dd == d)
        rows.append((d, Vectors.sparse(WORDS, entries)))
    df = spark.createDataFrame(rows, ["id", "features"])
    runs = []
    for seed in SEEDS:
        lda = (
            LDA(k=K, maxIter=ITERATIONS, seed=seed, optimizer="em")
            .setDocConcentration([ALPHA])
            .setTopicConcentration(BETA)
            .setCheckpointInterval(10)
        )
        model = lda.fit(df)
        m = model.topicsMatrix().toArray()  # WORDS x K term-topic counts
        totals = [float(sum(m[w][j] for w in range(WORDS))) for j in range(K)]
        topics = [[float(m[w][j]) / totals[j] for w in range(WORDS)] for j in range(K)]
        runs.append(
            {
                "seed": seed,
                "topic_totals": totals,
                "topics": topics,
                "training_log_likelihood": model.trainingLogLikelihood(),
                "log_prior": model.logPrior(),
            }
        )
    spark.stop()
    fixture = {
        "source": "Spark MLlib %s LDA(optimizer='em'), local[1], via PySpark" % spark.version,
        "docs": DOCS,
        "words": WORDS,
        "topics": K,
        "alpha": ALPHA,
        "beta": BETA,
        "iterations": ITERATIONS,
        "triplets": TRIPLETS,
        "runs": runs,
    }
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
