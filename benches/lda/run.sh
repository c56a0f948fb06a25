#!/usr/bin/env bash
# Compares spot's LDA engines with gensim, scikit-learn and tomotopy on one planted corpus.
# Usage: benches/lda/run.sh   (env: DOCS WORDS TOPICS DOC_LEN THREADS; see README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=benches/out/lda
THREADS=${THREADS:-2}
ARGS=(--docs "${DOCS:-5000}" --words "${WORDS:-2000}" --topics "${TOPICS:-20}" --doc-len "${DOC_LEN:-100}")
mkdir -p "$OUT"
if [ ! -x benches/out/venv/bin/python ]; then
  python3 -m venv benches/out/venv
fi
benches/out/venv/bin/pip install -q numpy scipy scikit-learn gensim tomotopy
# The dev profile keeps the workspace's already-optimized dependencies (opt-level 2); the
# workspace crates are built at the same level.
CARGO_PROFILE_DEV_OPT_LEVEL=2 cargo build -q --workspace --examples
BIN=target/debug/examples/lda_bench
"$BIN" generate "$OUT" "${ARGS[@]}"
echo "corpus: ${ARGS[*]}, 10% of each document's tokens held out; $THREADS threads" >&2
printf 'engine\titerations\tseconds\theld-out ll/token\tperplexity\ttopic TV\n'
RAYON_NUM_THREADS=$THREADS "$BIN" ours "${ARGS[@]}"
benches/out/venv/bin/python benches/lda/peers.py "$OUT" --topics "${TOPICS:-20}" --threads "$THREADS" |
  while IFS=$'\t' read -r name phi secs iters alpha; do
    "$BIN" eval "$name" "$phi" "$secs" "$iters" "$alpha" "${ARGS[@]}"
  done
