#!/usr/bin/env bash
# Compares spot's LDA engines with scikit-learn, gensim, tomotopy and Spark MLlib on one corpus
# (planted, or the flow words of a `spot demo` day): wall and CPU time, peak RSS, held-out
# log-likelihood, time to within 1% of the best one, topic recovery, and 1 -> 2 thread scaling
# of spot's engines. Usage: benches/lda/run.sh   (env: see README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPUS=${CORPUS:-planted}
THREADS=${THREADS:-2}
PEERS=${PEERS-sklearn-batch,sklearn-online,gensim,tomotopy,spark-em,spark-online}
ENGINES=${ENGINES:-em,online,gibbs30,gibbs100}
CURVE=${CURVE:-1}
case "$CORPUS" in
  planted)
    OUT=benches/out/lda
    ARGS=(--docs "${DOCS:-5000}" --words "${WORDS:-2000}" --topics "${TOPICS:-20}" --doc-len "${DOC_LEN:-100}")
    ;;
  flow)
    OUT=benches/out/lda-flow
    ARGS=(--corpus flow --dir "$OUT" --topics "${TOPICS:-20}")
    if [ -n "${FLOWS:-}" ]; then ARGS+=(--flows "$FLOWS"); fi
    ;;
  *) echo "CORPUS must be planted or flow" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
if [ -n "$PEERS" ]; then
  if [ ! -x benches/out/venv/bin/python ]; then
    python3 -m venv benches/out/venv
  fi
  PKGS=(numpy scipy)
  case ",$PEERS," in *,sklearn-*) PKGS+=(scikit-learn) ;; esac
  case ",$PEERS," in *,gensim,*) PKGS+=(gensim) ;; esac
  case ",$PEERS," in *,tomotopy,*) PKGS+=(tomotopy) ;; esac
  case ",$PEERS," in *,spark-*) PKGS+=(pyspark) ;; esac # needs Java 17+
  benches/out/venv/bin/pip install -q "${PKGS[@]}"
fi
# LDA_BENCH: a prebuilt driver (e.g. target/release/examples/lda_bench after
# `cargo build --release --workspace --examples`). Otherwise the dev profile at opt-level 2 (the
# workspace's dependencies are already optimized there).
if [ -z "${LDA_BENCH:-}" ]; then
  CARGO_PROFILE_DEV_OPT_LEVEL=2 cargo build -q --workspace --examples
  LDA_BENCH=target/debug/examples/lda_bench
fi
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$LDA_BENCH" generate "$OUT" "${ARGS[@]}"
echo "corpus: $CORPUS ${ARGS[*]}, 10% of each document's tokens held out" >&2
ROWS=$OUT/rows.tsv
CURVE_FILE=$OUT/curve.tsv
: >"$ROWS"
: >"$CURVE_FILE"
CURVE_ARGS=()
if [ "$CURVE" = 1 ]; then CURVE_ARGS=(--curve "$CURVE_FILE"); fi
# spot's engines, one process each (so the peak RSS is the engine's), at 1 and $THREADS threads.
for t in $(printf '%s\n' 1 "$THREADS" | sort -un); do
  for e in ${ENGINES//,/ }; do
    RAYON_NUM_THREADS=$t "$LDA_BENCH" ours --engine "$e" "${CURVE_ARGS[@]}" "${ARGS[@]}" | tee -a "$ROWS" >&2
  done
done
# Peers, one process each, at $THREADS threads; their checkpoints (CURVE=1) go to the curve.
for p in ${PEERS//,/ }; do
  benches/out/venv/bin/python benches/lda/peers.py "$OUT" --topics "${TOPICS:-20}" \
    --threads "$THREADS" --only "$p" |
    while IFS=$'\t' read -r kind name phi secs cpu iters alpha rss threads; do
      if [ "$kind" = row ]; then
        "$LDA_BENCH" eval "$name" "$phi" "$secs" "$cpu" "$iters" "$alpha" "$rss" "$threads" "${ARGS[@]}" |
          tee -a "$ROWS" >&2
      elif [ "$CURVE" = 1 ]; then
        "$LDA_BENCH" eval "$name" "$phi" "$secs" "$cpu" "$iters" "$alpha" "$rss" "$threads" "${ARGS[@]}" \
          >>"$CURVE_FILE"
      fi
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 benches/lda/table.py "$ROWS" "$CURVE_FILE"
