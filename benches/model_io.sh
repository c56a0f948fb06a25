#!/usr/bin/env bash
# Save and load time of a spot model file with DOCS documents (the document-topic matrix
# dominates: 8 * DOCS * TOPICS bytes). Usage: benches/model_io.sh [DOCS] [TOPICS] [WORDS]
# Example (the 10^7-document case, about 1.7 GB on disk and 2x that in memory while saving):
#   cargo build --release --examples && MODEL_IO=target/release/examples/model_io \
#     benches/model_io.sh 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-1000000}
topics=${2:-20}
words=${3:-10000}
out=benches/out/model_io
mkdir -p "$out"
# MODEL_IO=path/to/model_io reuses a built driver; otherwise the dev profile.
if [ -z "${MODEL_IO:-}" ]; then
  cargo build -q --workspace --examples
  MODEL_IO=target/debug/examples/model_io
fi
printf 'docs\twords\ttopics\tfile MiB\tsave s\tsave CPU s\tload s\tload CPU s\tindex s\tload MiB/s\tpeak RSS MiB\n'
/usr/bin/time -f "%M" -o "$out/rss" "$MODEL_IO" "$out/model.spotlda" \
  --docs "$docs" --words "$words" --topics "$topics" | tr -d '\n'
printf '\t%s\n' "$(($(cat "$out/rss") / 1024))"
rm -f "$out/model.spotlda"
