"""Adds the time-to-quality columns to the rows of `run.sh`.

Usage: python3 table.py ROWS CURVE   (both tab-separated, as `lda_bench` prints them:
engine, threads, iterations, seconds, CPU seconds, peak RSS MiB, held-out ll/token, perplexity,
topic TV). ROWS holds each engine's full budget, CURVE its checkpoints (shorter budgets).

The bar is 1% of the best held-out log-likelihood per token any row or checkpoint reached:
ll >= best - 0.01 * |best|. For each row, "to 1%" is the wall (and CPU) time of its first
checkpoint (fewest iterations, same engine and thread count, at most the row's iterations) that
reaches the bar; "<= T" where the engine saves no checkpoints (Spark, gensim) and only its full
budget reaches it; "not reached" where even the full budget falls short.
"""

import sys


def read(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                v = line.rstrip("\n").split("\t")
                if len(v) != 9:
                    continue
                try:
                    ll = float(v[6])
                    iters = int(v[2])
                    secs = float(v[3])
                except ValueError:
                    continue
                rows.append({"v": v, "name": v[0], "threads": v[1], "iters": iters,
                             "secs": secs, "cpu": v[4], "ll": ll})
    except FileNotFoundError:
        pass
    return rows


def main():
    rows, curve = read(sys.argv[1]), read(sys.argv[2])
    best = max(r["ll"] for r in rows + curve)
    bar = best - 0.01 * abs(best)
    print(f"best held-out ll/token {best:.4f}; within 1%: >= {bar:.4f}", file=sys.stderr)
    print("engine\tthreads\titerations\tseconds\tCPU s\tpeak RSS MiB\theld-out ll/token"
          "\tperplexity\ttopic TV\tto 1%: s (iterations)\tto 1%: CPU s")
    for r in rows:
        pts = [c for c in curve
               if c["name"] == r["name"] and c["threads"] == r["threads"]
               and c["iters"] <= r["iters"]]
        reached = sorted((p for p in pts + [r] if p["ll"] >= bar), key=lambda p: p["iters"])
        if not reached:
            t, c = "not reached", "-"
        elif not pts:
            t, c = f"<= {r['secs']:.2f} ({r['iters']})", f"<= {r['cpu']}"
        else:
            p = reached[0]
            t, c = f"{p['secs']:.2f} ({p['iters']})", p["cpu"]
        print("\t".join(r["v"] + [t, c]))


if __name__ == "__main__":
    main()
