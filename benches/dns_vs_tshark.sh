#!/usr/bin/env bash
# Times native DNS decoding (`spot decode dns`) against tshark with Apache Spot's field list on
# the same generated capture, in one run, and prints a Markdown table for BENCHMARKS.md: both
# times, the ratio, MB/s per core (bytes / CPU seconds) and peak RSS (`/usr/bin/time -v`).
#
#   SPOT=target/release/spot benches/dns_vs_tshark.sh [SIZE_MB]   (default 1024: a ≥ 1 GB capture)
#
# The capture is a labeled synthetic day (`spot generate dns`, seed 42, ≈ 256 bytes per lookup)
# generated into benches/out/, which git ignores, and kept for later runs; it holds at least
# SIZE_MB × 10^6 bytes (the script stops otherwise).
# Spot is timed three ways: to CSV (as tshark), to Parquet, and decoding only (the
# `decode_dns` example without `--out`, when DECODE_ONLY points at it: the default is
# target/release/examples/decode_dns, built by `cargo build --release --workspace --examples`).
# Needs tshark (`apt-get install -y tshark`) and GNU time (`/usr/bin/time`).
# Set TSHARK=skip to time spot alone (e.g. to check the script with a debug binary).
set -euo pipefail
cd "$(dirname "$0")/.."
SPOT="${SPOT:-target/release/spot}"
SIZE_MB="${1:-1024}"
TSHARK="${TSHARK:-tshark}"
DECODE_ONLY="${DECODE_ONLY:-$(dirname "$SPOT")/examples/decode_dns}"
OUT=benches/out
DAY="$OUT/dns-${SIZE_MB}mb"
PCAP="$DAY/dns.pcap"
mkdir -p "$OUT"
[ -x "$SPOT" ] || { echo "no spot binary at $SPOT (cargo build --release, or set SPOT=...)" >&2; exit 1; }

if [ ! -s "$PCAP" ]; then
  # Lookups (query + response) average about 256 bytes of capture (973 MB for 3.79 M records
  # at seed 42); 240 leaves a margin so that the file is never short of SIZE_MB.
  RECORDS=$(( SIZE_MB * 1000000 / 240 + 1000 ))
  "$SPOT" generate dns --out "$DAY" --records "$RECORDS" --seed 42
fi
BYTES=$(stat -c %s "$PCAP")
if [ "$BYTES" -lt $(( SIZE_MB * 1000000 )) ]; then
  echo "$PCAP holds $BYTES bytes, less than the $SIZE_MB MB asked: delete it and rerun" >&2
  exit 1
fi

timed() { # label, command...: prints "wall_s cpu_s peak_kb"
  local label="$1"
  shift
  # Outputs of an earlier run are deleted first: truncating a big file on the kernel's side
  # cost up to a second of system time, charged to the run that overwrote it.
  rm -f "$OUT/dns-spot.csv" "$OUT/dns-spot.parquet"
  sync
  /usr/bin/time -v -o "$OUT/$label.time" "$@" > "$OUT/$label.stdout" 2> "$OUT/$label.stderr" \
    || { cat "$OUT/$label.stderr" >&2; exit 1; }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { m = $2 }
    END { printf "%.2f %.2f %d\n", w, u + s, m }' "$OUT/$label.time"
}

# Warm the page cache so both tools read from memory.
cat "$PCAP" > /dev/null

read -r NATIVE_S NATIVE_CPU NATIVE_KB < <(timed spot "$SPOT" --threads 1 decode dns "$PCAP" --out "$OUT/dns-spot.csv")
NATIVE_ROWS=$(( $(wc -l < "$OUT/dns-spot.csv") - 1 ))
read -r PARQUET_S PARQUET_CPU PARQUET_KB < <(timed spot-parquet "$SPOT" --threads 1 decode dns "$PCAP" --out "$OUT/dns-spot.parquet")
PARQUET_BYTES=$(stat -c %s "$OUT/dns-spot.parquet")
# The outputs are large (the CSV is about 0.8 times the capture): not kept.
rm -f "$OUT/dns-spot.csv" "$OUT/dns-spot.parquet"
if [ -x "$DECODE_ONLY" ]; then
  read -r ONLY_S ONLY_CPU ONLY_KB < <(timed decode-only "$DECODE_ONLY" "$PCAP")
else
  ONLY_S=0 ONLY_CPU=0 ONLY_KB=0
fi
if [ "$TSHARK" = skip ]; then
  TSHARK_S=0 TSHARK_CPU=0 TSHARK_KB=0 TSHARK_ROWS=0
else
  # Apache Spot's ingest field list (spot-ingest/pipelines/dns), responses only.
  read -r TSHARK_S TSHARK_CPU TSHARK_KB < <(timed tshark "$TSHARK" -n -r "$PCAP" -T fields \
    -E separator=, -E header=y -E occurrence=f \
    -e frame.time -e frame.time_epoch -e frame.len -e ip.src -e ip.dst -e dns.resp.name \
    -e dns.resp.type -e dns.resp.class -e dns.flags.rcode -e dns.a \
    -Y 'dns.flags.response == 1')
  TSHARK_ROWS=$(( $(wc -l < "$OUT/tshark.stdout") - 1 ))
fi

python3 - "$BYTES" "$NATIVE_S" "$NATIVE_CPU" "$NATIVE_KB" "$NATIVE_ROWS" \
  "$TSHARK_S" "$TSHARK_CPU" "$TSHARK_KB" "$TSHARK_ROWS" "$SPOT" \
  "$PARQUET_S" "$PARQUET_CPU" "$PARQUET_KB" "$ONLY_S" "$ONLY_CPU" "$ONLY_KB" "$PARQUET_BYTES" <<'PY'
import sys
b = int(sys.argv[1])
ns, nc, nkb, nrows, ts, tc, tkb, trows = map(float, sys.argv[2:10])
spot = sys.argv[10]
ps, pc, pkb, os_, oc, okb, pbytes = map(float, sys.argv[11:18])
ns, nc = max(ns, 0.01), max(nc, 0.01)
print(f"capture: {b / 1e6:.0f} MB, {nrows:.0f} responses decoded by spot, {trows:.0f} rows from tshark; binary {spot}")
print()
print("| tool | wall s | CPU s | MB/s per core | peak RSS |")
print("|---|---|---|---|---|")
print(f"| spot decode dns (1 thread) → CSV | {ns:.2f} | {nc:.2f} | {b / 1e6 / nc:.0f} | {nkb / 1024:.0f} MiB |")
if pc > 0:
    print(f"| spot decode dns (1 thread) → Parquet | {ps:.2f} | {pc:.2f} | {b / 1e6 / pc:.0f} | {pkb / 1024:.0f} MiB |")
print()
print(f"Parquet file: {pbytes / 1e6:.1f} MB")
if oc > 0:
    print(f"| decoding only (decode_dns example, no output) | {os_:.2f} | {oc:.2f} | {b / 1e6 / oc:.0f} | {okb / 1024:.0f} MiB |")
if tc > 0:
    print(f"| tshark -T fields (Spot's fields) | {ts:.2f} | {tc:.2f} | {b / 1e6 / tc:.1f} | {tkb / 1024:.0f} MiB |")
    print()
    print(f"speed-up: {ts / ns:.0f}x wall, {tc / nc:.0f}x CPU")
PY
