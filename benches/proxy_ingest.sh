#!/usr/bin/env bash
# Times our proxy log reader against Apache Spot's ingest logic (Python shlex split + positional
# mapping) on one generated W3C ELFF log. The log goes to benches/out/ (git-ignored).
#
#   benches/proxy_ingest.sh            # ~1.1 GB log
#   SIZE_MB=200 benches/proxy_ingest.sh
#   PY_MB=100 benches/proxy_ingest.sh  # Python on the first 100 MB only (it runs at ~2 MB/s);
#                                      # the speed-up is then the ratio of MB/s
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1100}
OUT=benches/out
LOG=$OUT/proxy-elff-${SIZE_MB}mb.log
mkdir -p "$OUT"
[ -f "$LOG" ] || python3 benches/gen_elff.py --mb "$SIZE_MB" --seed 7 --out "$LOG"
PROFILE=${PROFILE:-release}  # PROFILE=dev for a quick check of this script
cargo build --profile "$PROFILE" --workspace --example proxy_decode
BIN=target/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")/examples/proxy_decode
BYTES=$(stat -c %s "$LOG")
echo "input: $LOG ($((BYTES / 1000000)) MB), $(nproc) cores"

run() { # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.$name" "$@" > "$OUT/out.$name"
  read -r secs rss < "$OUT/time.$name"
  echo "$name: $(cat "$OUT/out.$name" | head -1)"
  echo "$name: ${secs} s, $(python3 -c "print(f'{$BYTES/1e6/$secs:.1f}')") MB/s, peak RSS $((rss / 1024)) MB"
  eval "SECS_$name=$secs"
}
run rust "$BIN" "$LOG"
PY_LOG=$LOG
PY_BYTES=$BYTES
if [ -n "${PY_MB:-}" ]; then
  PY_LOG=$OUT/proxy-elff-prefix-${PY_MB}mb.log
  head -c $((PY_MB * 1000000)) "$LOG" | sed '$d' > "$PY_LOG"
  PY_BYTES=$(stat -c %s "$PY_LOG")
fi
BYTES=$PY_BYTES run python python3 benches/spot_ingest_baseline.py "$PY_LOG"
python3 -c "print(f'speed-up: {($BYTES/$SECS_rust)/($PY_BYTES/$SECS_python):.1f}x in MB/s (one core each)')"
