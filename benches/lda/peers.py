"""Fits the peer LDA libraries on the corpus written by `lda_bench generate` and writes each
model's topics (one line per word, K values of P(word | topic)) for the shared evaluator.

Prints one line per fitted model (tab-separated):
KIND NAME PHI_FILE SECONDS CPU_SECONDS ITERATIONS ALPHA PEAK_RSS_MIB THREADS
where KIND is `row` for a peer's full budget and `curve` for a checkpoint on the way (sklearn,
tomotopy: topics saved after 2, 5, 10, 20, 30, 50 iterations or passes, the time of saving them
excluded). SECONDS is wall time of training, CPU_SECONDS user + system time of this process
and all its descendants (joblib workers, gensim's pool, Spark's JVM) over the same span. The
peak RSS is this process's (`ru_maxrss`), plus for Spark the JVM's (`VmHWM`), so run one peer
per process (`--only`) to read it per peer. Peers: sklearn-batch, sklearn-online, gensim,
tomotopy, spark-em, spark-online.
"""

import argparse
import os
import resource
import sys
import time

CHECKPOINTS = [2, 5, 10, 20, 30, 50]
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


def save_phi(out, name, phi_kw, tag=""):
    phi = np.asarray(phi_kw, dtype=np.float64)
    phi = phi / phi.sum(axis=1, keepdims=True)
    path = os.path.join(out, name.replace(" ", "_") + tag + ".phi")
    np.savetxt(path, phi.T, fmt="%.10g")
    return path


def tree_cpu():
    """User + system CPU seconds of this process and every live descendant, plus the children
    they have waited for (Linux /proc), so that joblib's or gensim's worker processes and Spark's
    JVM count."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        stats[int(pid)] = (int(rest[1]), sum(int(x) for x in rest[11:15]))
    children = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo.extend(children.get(pid, []))
    return total / tick


class Clock:
    """Wall and CPU time of training, pausable around checkpoints."""

    def __init__(self):
        self.wall, self.cpu = 0.0, 0.0

    def start(self):
        self.t, self.c = time.perf_counter(), tree_cpu()

    def stop(self):
        self.wall += time.perf_counter() - self.t
        self.cpu += tree_cpu() - self.c


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

    def report(name, phi, clock, iters, alpha=a.alpha, extra_kib=0, kind="row"):
        path = save_phi(a.out, name, phi, "" if kind == "row" else f"@{iters}")
        rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + extra_kib) / 1024
        print(f"{kind}\t{name}\t{path}\t{clock.wall:.3f}\t{clock.cpu:.2f}\t{iters}\t{alpha}"
              f"\t{rss:.0f}\t{a.threads}", flush=True)

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
            sklearn_fit(m, x, method, iters, lambda phi, clock, i, kind: report(
                f"sklearn {method}", phi, clock, i, kind=kind))

    if "gensim" in only:
        from gensim.models import LdaMulticore

        bow = [list(zip(x.indices[x.indptr[d]:x.indptr[d + 1]].tolist(),
                        x.data[x.indptr[d]:x.indptr[d + 1]].tolist())) for d in range(d_n)]
        id2word = {i: str(i) for i in range(w_n)}
        clock = Clock()
        clock.start()
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
            eval_every=0,
            random_state=0,
        )
        clock.stop()
        report("gensim LdaMulticore", m.get_topics(), clock, 10)

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

        def topics(m):
            # tomotopy's vocabulary holds only the words of the training documents; words seen
            # only in held-out tokens get the same smoothed estimate as every other engine's,
            # (n_kw + eta) / (n_k + W eta), rather than probability 0 (which the evaluator
            # would skip, flattering tomotopy on a corpus with rare words).
            vocab = [int(v) for v in m.used_vocabs]
            n_k = np.asarray(m.get_count_by_topics(), dtype=np.float64)
            phi = np.full((k, w_n), a.eta)
            for j in range(k):
                phi[j, vocab] = np.asarray(m.get_topic_word_dist(j)) * (n_k[j] + len(vocab) * a.eta)
            return phi

        # Trained in steps up to each checkpoint (the sampler's state carries over), the time of
        # saving the topics in between excluded.
        clock, done = Clock(), 0
        for target in [c for c in CHECKPOINTS if c < iters] + [iters]:
            clock.start()
            m.train(target - done, workers=a.threads)
            clock.stop()
            done = target
            report("tomotopy LDAModel", topics(m), clock, done,
                   kind="row" if done == iters else "curve")

    spark_runs = [r for r in ["em", "online"] if f"spark-{r}" in only]
    if spark_runs:
        spark_peers(a, x, spark_runs, report)


def sklearn_fit(m, x, method, iters, report):
    """`LatentDirichletAllocation.fit`'s loop (scikit-learn 1.x: `_em_step` per iteration or
    mini-batch, in one joblib pool), run here to save the topics at checkpoints; fit's final
    perplexity pass, which does not change the topics, is left out. Falls back to `fit` (no
    checkpoints) where the private methods differ."""
    clock = Clock()
    try:
        from joblib import effective_n_jobs
        from sklearn.utils.parallel import Parallel
        from sklearn.utils import gen_batches

        m._validate_params()
        x = m._check_non_neg_array(x, reset_n_features=True, whom="LatentDirichletAllocation.fit")
        clock.start()
        m._init_latent_vars(x.shape[1], dtype=x.dtype)
        n = x.shape[0]
        with Parallel(n_jobs=effective_n_jobs(m.n_jobs)) as parallel:
            for i in range(1, iters + 1):
                if method == "online":
                    for s in gen_batches(n, m.batch_size):
                        m._em_step(x[s, :], total_samples=n, batch_update=False, parallel=parallel)
                else:
                    m._em_step(x, total_samples=n, batch_update=True, parallel=parallel)
                m.n_iter_ += 1
                if i in CHECKPOINTS and i < iters:
                    clock.stop()
                    report(m.components_, clock, i, "curve")
                    clock.start()
        clock.stop()
    except AttributeError as e:
        print(f"sklearn: no checkpoints ({e}); timing fit", file=sys.stderr)
        clock = Clock()
        clock.start()
        m.fit(x)
        clock.stop()
    report(m.components_, clock, iters, "row")


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
        clock = Clock()
        clock.start()
        model = lda.fit(df)
        clock.stop()
        phi = model.topicsMatrix().toArray().T  # K x W (em: counts; online: lambda)
        report(f"spark {run}", phi, clock, iters, alpha=alpha, extra_kib=jvm_peak_kib(spark))
    spark.stop()


if __name__ == "__main__":
    sys.exit(main())
