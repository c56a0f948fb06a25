"""Fits the peer LDA libraries on the corpus written by `lda_bench generate` and writes each
model's topics (one line per word, K values of P(word | topic)) for the shared evaluator.

Prints one line per peer: NAME PHI_FILE SECONDS ITERATIONS ALPHA PEAK_RSS_MIB THREADS
(tab-separated). The peak RSS is this process's (`ru_maxrss`), plus for Spark the JVM's
(`VmHWM`), so run one peer per process (`--only`) to read it per peer. Peers: sklearn-batch,
sklearn-online, gensim, tomotopy, spark-em, spark-online.
"""

import argparse
import os
import resource
import sys
import time

PEERS = ["sklearn-batch", "sklearn-online", "gensim", "tomotopy", "spark-em", "spark-online"]

import numpy as np
import scipy.sparse as sp


def load(path):
    with open(path) as f:
        d_n, w_n = map(int, f.readline().split())
        rows, cols, vals = [], [], []
        for line in f:
            d, w, c = line.split()
            rows.append(int(d))
            cols.append(int(w))
            vals.append(float(c))
    return sp.csr_matrix((vals, (rows, cols)), shape=(d_n, w_n))


def save_phi(out, name, phi_kw):
    phi = np.asarray(phi_kw, dtype=np.float64)
    phi = phi / phi.sum(axis=1, keepdims=True)
    path = os.path.join(out, name.replace(" ", "_") + ".phi")
    np.savetxt(path, phi.T, fmt="%.10g")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--topics", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--alpha", type=float, default=0.1)
    ap.add_argument("--eta", type=float, default=0.01)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    x = load(os.path.join(a.out, "observed.tsv"))
    d_n, w_n = x.shape
    k = a.topics
    only = set(filter(None, a.only.split(","))) or set(PEERS)
    unknown = only - set(PEERS)
    if unknown:
        sys.exit(f"unknown peers {sorted(unknown)}: expected some of {PEERS}")

    def report(name, phi, secs, iters, alpha=a.alpha, extra_kib=0):
        path = save_phi(a.out, name, phi)
        rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + extra_kib) / 1024
        print(f"{name}\t{path}\t{secs:.3f}\t{iters}\t{alpha}\t{rss:.0f}\t{a.threads}", flush=True)

    sklearn_runs = [
        ("batch", 50, {}),
        ("online", 10, {"batch_size": max(1, d_n // 10), "learning_offset": 64.0, "learning_decay": 0.51}),
    ]
    sklearn_runs = [r for r in sklearn_runs if f"sklearn-{r[0]}" in only]
    if sklearn_runs:
        from sklearn.decomposition import LatentDirichletAllocation

        for method, iters, extra in sklearn_runs:
            m = LatentDirichletAllocation(
                n_components=k,
                doc_topic_prior=a.alpha,
                topic_word_prior=a.eta,
                learning_method=method,
                max_iter=iters,
                n_jobs=a.threads,
                random_state=0,
                **extra,
            )
            t = time.perf_counter()
            m.fit(x)
            report(f"sklearn {method}", m.components_, time.perf_counter() - t, iters)

    if "gensim" in only:
        from gensim.models import LdaMulticore

        bow = [list(zip(x.indices[x.indptr[d]:x.indptr[d + 1]].tolist(),
                        x.data[x.indptr[d]:x.indptr[d + 1]].tolist())) for d in range(d_n)]
        id2word = {i: str(i) for i in range(w_n)}
        t = time.perf_counter()
        m = LdaMulticore(
            corpus=bow,
            id2word=id2word,
            num_topics=k,
            alpha=np.full(k, a.alpha),
            eta=a.eta,
            passes=10,
            iterations=50,
            chunksize=max(1, d_n // 10),
            workers=max(1, a.threads - 1),
            random_state=0,
        )
        report("gensim LdaMulticore", m.get_topics(), time.perf_counter() - t, 10)

    if "tomotopy" in only:
        import tomotopy as tp

        m = tp.LDAModel(k=k, alpha=a.alpha, eta=a.eta, seed=0)
        m.optim_interval = 0
        for d in range(d_n):
            words = []
            for w, c in zip(x.indices[x.indptr[d]:x.indptr[d + 1]], x.data[x.indptr[d]:x.indptr[d + 1]]):
                words.extend([str(w)] * int(c))
            if words:
                m.add_doc(words)
        iters = 100
        t = time.perf_counter()
        m.train(iters, workers=a.threads)
        secs = time.perf_counter() - t
        phi = np.zeros((k, w_n))
        vocab = [int(v) for v in m.used_vocabs]
        for j in range(k):
            phi[j, vocab] = m.get_topic_word_dist(j)
        report("tomotopy LDAModel", phi, secs, iters)

    spark_runs = [r for r in ["em", "online"] if f"spark-{r}" in only]
    if spark_runs:
        spark_peers(a, x, spark_runs, report)


def jvm_peak_kib(spark):
    """Peak RSS of the Spark JVM (a child process of this one), in KiB, or 0 if unknown."""
    try:
        pid = spark.sparkContext._gateway.proc.pid
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (AttributeError, OSError, ValueError):
        pass
    return 0


def spark_peers(a, x, runs, report):
    """Spark MLlib LDA, as Apache Spot ran it (`em`, Spot's alpha 1.02 and beta 1.001, as spot's
    `em` row) and `online` (alpha 0.1, eta 0.01, 10% mini-batches, tau0 64, kappa 0.51, as spot's
    `online` row), in PySpark `local[THREADS]`. Timed: `fit` only."""
    from pyspark.ml.clustering import LDA
    from pyspark.ml.linalg import Vectors
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{a.threads}]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", str(a.threads))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(os.path.join(a.out, "spark-checkpoints"))
    d_n, w_n = x.shape
    k = a.topics
    rows = []
    for d in range(d_n):
        lo, hi = x.indptr[d], x.indptr[d + 1]
        rows.append((d, Vectors.sparse(w_n, x.indices[lo:hi].tolist(), x.data[lo:hi].tolist())))
    df = spark.createDataFrame(rows, ["id", "features"]).repartition(a.threads).cache()
    df.count()
    for run in runs:
        if run == "em":
            iters, alpha, eta = 50, 1.02, 1.001
            lda = LDA(k=k, maxIter=iters, seed=0, optimizer="em", checkpointInterval=10)
        else:
            iters, alpha, eta = 100, a.alpha, a.eta
            lda = LDA(k=k, maxIter=iters, seed=0, optimizer="online", subsamplingRate=0.1,
                      learningOffset=64.0, learningDecay=0.51, optimizeDocConcentration=False)
        lda.setDocConcentration([alpha]).setTopicConcentration(eta)
        t = time.perf_counter()
        model = lda.fit(df)
        secs = time.perf_counter() - t
        phi = model.topicsMatrix().toArray().T  # K x W (em: counts; online: lambda)
        report(f"spark {run}", phi, secs, iters, alpha=alpha, extra_kib=jvm_peak_kib(spark))
    spark.stop()


if __name__ == "__main__":
    sys.exit(main())
