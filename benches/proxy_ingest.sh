#!/usr/bin/env bash
# Times `spot decode proxy` against Apache Spot's ingest logic (Python shlex split + positional
# mapping, benches/spot_ingest_baseline.py) on one generated W3C ELFF log, in one run: wall and
# CPU seconds, MB/s per core, peak RSS (/usr/bin/time -v) and the speed-up. The log goes to
# benches/out/ (git-ignored).
#
#   benches/proxy_ingest.sh [SIZE_MB]          # default 1100 (a ≥ 1 GB log)
#   SPOT=target/debug/spot benches/proxy_ingest.sh 20   # quick check with the debug binary
#   PY_MB=100 benches/proxy_ingest.sh          # Python on the first 100 MB only (it runs at
#                                              # ~2 MB/s); the speed-up is then a ratio of MB/s
set -euo pipefail
cd "$(dirname "$0")/.."
SPOT=${SPOT:-target/release/spot}
SIZE_MB=${1:-${SIZE_MB:-1100}}
OUT=benches/out
LOG=$OUT/proxy-elff-${SIZE_MB}mb.log
mkdir -p "$OUT"
[ -x "$SPOT" ] || { echo "no spot binary at $SPOT (cargo build --release, or set SPOT=)" >&2; exit 1; }
[ -f "$LOG" ] || python3 benches/gen_elff.py --mb "$SIZE_MB" --seed 7 --out "$LOG"
BYTES=$(stat -L -c %s "$LOG")
echo "input: $LOG ($((BYTES / 1000000)) MB, $(grep -vc '^#' "$LOG") records), $(nproc) cores, $SPOT"

run() { # name, bytes, command...
  local name=$1 bytes=$2; shift 2
  /usr/bin/time -v -o "$OUT/time.$name" "$@" > "$OUT/out.$name" 2> "$OUT/err.$name"
  local wall user sys rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$OUT/time.$name" |
    awk -F: '{s=0; for (i=1;i<=NF;i++) s=s*60+$i; print s}')
  user=$(awk -F': ' '/User time/ {print $2}' "$OUT/time.$name")
  sys=$(awk -F': ' '/System time/ {print $2}' "$OUT/time.$name")
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$OUT/time.$name")
  local cpu
  cpu=$(python3 -c "print(f'{$user+$sys:.2f}')")
  echo "$name: wall ${wall} s, CPU ${cpu} s, $(python3 -c "print(f'{$bytes/1e6/$cpu:.1f}')") MB/s per core, peak RSS $((rss / 1024)) MB"
  eval "CPU_$name=$cpu"
}
run spot "$BYTES" "$SPOT" --threads 1 decode proxy --input "$LOG" --out "$OUT/proxy-decoded.parquet"
tail -1 "$OUT/err.spot"
PY_LOG=$LOG
PY_BYTES=$BYTES
if [ -n "${PY_MB:-}" ]; then
  PY_LOG=$OUT/proxy-elff-prefix-${PY_MB}mb.log
  head -c $((PY_MB * 1000000)) "$LOG" | sed '$d' > "$PY_LOG"
  PY_BYTES=$(stat -L -c %s "$PY_LOG")
fi
run python "$PY_BYTES" python3 benches/spot_ingest_baseline.py "$PY_LOG"
cat "$OUT/out.python"
python3 -c "print(f'speed-up: {($BYTES/$CPU_spot)/($PY_BYTES/$CPU_python):.1f}x in MB/s per core')"
