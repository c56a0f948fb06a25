#!/usr/bin/env bash
# Native nfcapd reading vs nfdump's CSV output, same input, same run.
#
#   SPOT=target/release/spot bash benches/nfcapd.sh [COPIES]
#
# COPIES: default 400 (~1M flows, ~100 MB uncompressed); 4400 gives a >= 1 GB uncompressed file
# (10.6M flows). Builds an nfcapd file by merging COPIES copies of a shared test file with
# nfdump itself (`nfdump -R DIR -w`, uncompressed and LZ4), then times, on each, in one run:
#   nfdump -r FILE -o csv > /dev/null
#   spot decode flow FILE --out benches/out/x.parquet   (and --out x.csv)
#   spot ml flow --input FILE (Spot mode, top 1000)       (uncompressed file only)
# and prints wall time, flows/s, flows/s per core (user+sys CPU) and peak RSS. Needs nfdump
# (Debian: apt-get install nfdump). SPOT is the binary to time (default target/release/spot:
# build it first with `cargo build --release --workspace`). Everything it writes goes under
# benches/out/ (git-ignored); the merged files are reused by later runs of the same COPIES.
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES=${1:-400}
OUT=benches/out
SRC=crates/spot-decode/tests/data/flow/nfcapd-export-v9
command -v nfdump >/dev/null || { echo "nfdump not found (apt-get install nfdump)"; exit 1; }
SPOT=${SPOT:-target/release/spot}
[ -x "$SPOT" ] || { echo "$SPOT not found: cargo build --release --workspace (or set SPOT)"; exit 1; }
# Inputs are per COPIES, so a run at another size never reuses a file of the wrong size.
OUT=benches/out/nfcapd-$COPIES
mkdir -p "$OUT/copies"
for i in $(seq 1 "$COPIES"); do
  f="$OUT/copies/nfcapd.$(printf '%012d' "$i")"
  [ -e "$f" ] || ln "$SRC" "$f" 2>/dev/null || cp "$SRC" "$f"
done
[ -e "$OUT/big-none" ] || nfdump -R "$OUT/copies" -w "$OUT/big-none"
[ -e "$OUT/big-lz4" ] || nfdump -R "$OUT/copies" -y -w "$OUT/big-lz4"
rm -rf "$OUT/copies"
FLOWS=$((COPIES * 2400))
measure() { # label command...
  local label=$1; shift
  local t0 t1 rss user sys
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M %U %S" -o "$OUT/rss" "$@" >/dev/null 2>"$OUT/err" || { cat "$OUT/err"; exit 1; }
  t1=$(date +%s.%N)
  read -r rss user sys < <(tail -1 "$OUT/rss")
  awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$FLOWS" -v r="$rss" -v u="$user" -v k="$sys" \
    'BEGIN { s = b - a; cpu = u + k; if (cpu <= 0) cpu = s;
      printf "%-44s %8.2f s %12.0f flows/s %12.0f flows/s/core %8.1f MiB peak RSS\n", l, s, n / s, n / cpu, r / 1024 }'
}
for f in big-none big-lz4; do
  ls -l "$OUT/$f" | awk '{ printf "%s: %.1f MiB, '"$FLOWS"' flows\n", $9, $5 / 1048576 }'
  measure "nfdump -r $f -o csv" sh -c "nfdump -r $OUT/$f -o csv > /dev/null"
  measure "spot decode flow $f --out x.parquet" "$SPOT" decode flow "$OUT/$f" --out "$OUT/x.parquet"
  measure "spot decode flow $f --out x.csv" "$SPOT" decode flow "$OUT/$f" --out "$OUT/x.csv"
done
measure "spot ml flow --input big-none (spot mode)" "$SPOT" ml flow --input "$OUT/big-none" \
  --mode spot --max-results 1000 --out "$OUT/scores.csv"
rm -f "$OUT/x.parquet" "$OUT/x.csv"
