#!/usr/bin/env bash
# Native nfcapd reading vs nfdump's CSV output, same input, same run.
#
#   bash benches/nfcapd.sh [COPIES]     (default 400 copies: ~1M flows; 4000: ~1 GB uncompressed)
#
# Builds an nfcapd file by merging COPIES copies of a shared test file with nfdump itself
# (`nfdump -R DIR -w`, uncompressed and LZ4), then times, on each:
#   nfdump -r FILE -o csv > /dev/null
#   spot decode flow FILE --out benches/out/x.parquet
# and prints wall time, flows/s and peak RSS. Needs nfdump (Debian: apt-get install nfdump).
# Everything it writes goes under benches/out/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES=${1:-400}
OUT=benches/out
SRC=crates/spot-decode/tests/data/flow/nfcapd-export-v9
command -v nfdump >/dev/null || { echo "nfdump not found (apt-get install nfdump)"; exit 1; }
# SPOT=path/to/spot skips the release build (for a quick look with another build).
if [ -z "${SPOT:-}" ]; then
  cargo build --release --workspace --bins >/dev/null
  SPOT=target/release/spot
fi
mkdir -p "$OUT/copies"
for i in $(seq -w 1 "$COPIES"); do
  [ -e "$OUT/copies/nfcapd.20261125$(printf '%04d' $((10#$i % 10000)))" ] || cp "$SRC" "$OUT/copies/nfcapd.20261125$(printf '%04d' $((10#$i % 10000)))"
done
[ -e "$OUT/big-none" ] || nfdump -R "$OUT/copies" -w "$OUT/big-none"
[ -e "$OUT/big-lz4" ] || nfdump -R "$OUT/copies" -y -w "$OUT/big-lz4"
FLOWS=$((COPIES * 2400))
measure() { # label command...
  local label=$1; shift
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$OUT/rss" "$@" >/dev/null 2>"$OUT/err" || { cat "$OUT/err"; exit 1; }
  t1=$(date +%s.%N)
  rss=$(tail -1 "$OUT/rss")
  awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$FLOWS" -v r="$rss" \
    'BEGIN { s = b - a; printf "%-40s %8.2f s %12.0f flows/s %8.1f MiB peak RSS\n", l, s, n / s, r / 1024 }'
}
for f in big-none big-lz4; do
  ls -l "$OUT/$f" | awk '{ printf "%s: %.1f MiB, '"$FLOWS"' flows\n", $9, $5 / 1048576 }'
  measure "nfdump -r $f -o csv" sh -c "nfdump -r $OUT/$f -o csv > /dev/null"
  measure "spot decode flow $f --out x.parquet" "$SPOT" decode flow "$OUT/$f" --out "$OUT/x.parquet"
  measure "spot decode flow $f --out x.csv" "$SPOT" decode flow "$OUT/$f" --out "$OUT/x.csv"
done
