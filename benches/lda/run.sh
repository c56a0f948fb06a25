#!/usr/bin/env bash
# Compares spot's LDA engines with scikit-learn, gensim, tomotopy and Spark MLlib on one planted
# corpus: wall time, peak RSS, held-out log-likelihood, topic recovery, and 1 -> 2 thread scaling
# of spot's engines. Usage: benches/lda/run.sh   (env: see README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=benches/out/lda
THREADS=${THREADS:-2}
PEERS=${PEERS:-sklearn-batch,sklearn-online,gensim,tomotopy,spark-em,spark-online}
ENGINES=${ENGINES:-em,online,gibbs30,gibbs100}
ARGS=(--docs "${DOCS:-5000}" --words "${WORDS:-2000}" --topics "${TOPICS:-20}" --doc-len "${DOC_LEN:-100}")
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
# `cargo build --release --examples`). Otherwise the dev profile at opt-level 2 (the workspace's
# dependencies are already optimized there).
if [ -z "${LDA_BENCH:-}" ]; then
  CARGO_PROFILE_DEV_OPT_LEVEL=2 cargo build -q --workspace --examples
  LDA_BENCH=target/debug/examples/lda_bench
fi
"$LDA_BENCH" generate "$OUT" "${ARGS[@]}"
echo "corpus: ${ARGS[*]}, 10% of each document's tokens held out" >&2
printf 'engine\tthreads\titerations\tseconds\tpeak RSS MiB\theld-out ll/token\tperplexity\ttopic TV\n'
# spot's engines, one process each (so the peak RSS is the engine's), at 1 and $THREADS threads.
for t in $(printf '%s\n' 1 "$THREADS" | sort -un); do
  for e in ${ENGINES//,/ }; do
    RAYON_NUM_THREADS=$t "$LDA_BENCH" ours --engine "$e" "${ARGS[@]}"
  done
done
# Peers, one process each, at $THREADS threads.
for p in ${PEERS//,/ }; do
  benches/out/venv/bin/python benches/lda/peers.py "$OUT" --topics "${TOPICS:-20}" \
    --threads "$THREADS" --only "$p" |
    while IFS=$'\t' read -r name phi secs iters alpha rss threads; do
      "$LDA_BENCH" eval "$name" "$phi" "$secs" "$iters" "$alpha" "$rss" "$threads" "${ARGS[@]}"
    done
done
