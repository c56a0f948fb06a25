"""Fits the peer LDA libraries on the corpus written by `lda_bench generate` and writes each
model's topics (one line per word, K values of P(word | topic)) for the shared evaluator.

Prints one line per peer: NAME PHI_FILE SECONDS ITERATIONS ALPHA (tab-separated).
"""

import argparse
import os
import sys
import time

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
    only = set(filter(None, a.only.split(",")))

    def report(name, phi, secs, iters):
        path = save_phi(a.out, name, phi)
        print(f"{name}\t{path}\t{secs:.3f}\t{iters}\t{a.alpha}", flush=True)

    if not only or "sklearn" in only:
        from sklearn.decomposition import LatentDirichletAllocation

        for method, iters, extra in [
            ("batch", 50, {}),
            ("online", 10, {"batch_size": max(1, d_n // 10), "learning_offset": 64.0, "learning_decay": 0.51}),
        ]:
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

    if not only or "gensim" in only:
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

    if not only or "tomotopy" in only:
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


if __name__ == "__main__":
    sys.exit(main())
