#!/usr/bin/env bash
# Highest zero-loss rate of `spot collect` and of nfcapd, on the same NetFlow v5 replay over
# loopback (127.0.0.1 only), same run.
#
#   SPOT=target/release/spot bash benches/collect_rate.sh [COUNT] [RATE...]
#
# For each RATE (datagrams/s; default 10k 50k 100k 200k 400k 800k), replays COUNT datagrams
# (default 100000; cycling through the 240 datagrams of exports-v5.pcap, 30 flows each) with
# examples/netflow_replay to a fresh `spot collect`, then to a fresh `nfcapd`, both with the same
# socket buffer (RCVBUF, default 4 MiB, the kernel's usual net.core.rmem_max), and counts the flows
# each stored: `spot collect`'s exit summary ("flows written"), `nfdump -I` on nfcapd's files. Loss
# = flows sent - flows stored. Prints one line per rate and, at the end, the highest rate at
# which each lost nothing. The replay binary is taken from REPLAY (default: beside SPOT,
# `examples/netflow_replay`: `cargo build --release --examples` builds both).
# SPOT_ARGS adds options to `spot collect` (e.g. SPOT_ARGS="--decode-priority idle").
# Needs nfcapd/nfdump (Debian: apt-get install nfdump). Writes under benches/out/ only.
set -euo pipefail
cd "$(dirname "$0")/.."
SPOT=${SPOT:-target/release/spot}
REPLAY=${REPLAY:-$(dirname "$SPOT")/examples/netflow_replay}
COUNT=${1:-100000}
shift || true
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(10000 50000 100000 200000 400000 800000)
PORT=${PORT:-29955}
RCVBUF=${RCVBUF:-4194304}
read -r -a SPOT_EXTRA <<< "${SPOT_ARGS:-}"
PCAP=crates/spot-decode/tests/data/flow/exports-v5.pcap
OUT=benches/out/collect_rate
for b in "$SPOT" "$REPLAY"; do
  [ -x "$b" ] || { echo "$b not found: cargo build --release --workspace --examples (or set SPOT/REPLAY)"; exit 1; }
done
command -v nfcapd >/dev/null && command -v nfdump >/dev/null ||
  { echo "nfcapd/nfdump not found (apt-get install nfdump)"; exit 1; }
mkdir -p "$OUT"

replay() { # rate -> "sent flows seconds"
  "$REPLAY" "$PCAP" "127.0.0.1:$PORT" "$1" "$COUNT" | awk '{ print $2, $4, $6 }'
}

spot_run() { # rate -> "stored sent seconds"
  local dir="$OUT/spot-$1" pid sent flows secs stored
  rm -rf "$dir"
  "$SPOT" collect --listen "127.0.0.1:$PORT" --out "$dir" --rotate 1h --rcvbuf "$RCVBUF" \
    ${SPOT_EXTRA[@]+"${SPOT_EXTRA[@]}"} 2> "$OUT/spot-$1.log" &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$OUT/spot-$1.log" 2>/dev/null && break; sleep 0.1; done
  read -r sent flows secs < <(replay "$1")
  sleep 1
  kill -TERM "$pid"
  wait "$pid" || true
  stored=$(grep '^collect:' "$OUT/spot-$1.log" | tail -1 | sed -E 's/.* ([0-9]+) flows written.*/\1/')
  echo "${stored:-0} $flows $secs"
}

nfcapd_run() { # rate -> "stored sent seconds"
  local dir="$OUT/nfcapd-$1" pid sent flows secs stored
  rm -rf "$dir"
  mkdir -p "$dir"
  nfcapd -w "$dir" -b 127.0.0.1 -p "$PORT" -t 3600 -B "$RCVBUF" > "$OUT/nfcapd-$1.log" 2>&1 &
  pid=$!
  sleep 1
  read -r sent flows secs < <(replay "$1")
  sleep 1
  kill -TERM "$pid"
  wait "$pid" || true
  stored=$(nfdump -R "$dir" -I 2>/dev/null | awk '/^Flows:/ { print $2; exit }')
  echo "${stored:-0} $flows $secs"
}

best_spot=0
best_nfcapd=0
spot_lost=
nfcapd_lost=
printf '%10s %12s | %-28s | %-28s\n' "rate/s" "flows sent" "spot collect: stored (lost)" "nfcapd: stored (lost)"
for r in "${RATES[@]}"; do
  read -r s_stored s_sent s_secs < <(spot_run "$r")
  read -r n_stored n_sent n_secs < <(nfcapd_run "$r")
  printf '%10s %12s | %12s (%8s) %5.2fs | %12s (%8s) %5.2fs\n' "$r" "$s_sent" \
    "$s_stored" $((s_sent - s_stored)) "$s_secs" "$n_stored" $((n_sent - n_stored)) "$n_secs"
  # The highest rate below which every rate tried was loss-free too.
  if [ "$s_stored" -eq "$s_sent" ]; then [ "$spot_lost" ] || best_spot=$r; else spot_lost=1; fi
  if [ "$n_stored" -eq "$n_sent" ]; then [ "$nfcapd_lost" ] || best_nfcapd=$r; else nfcapd_lost=1; fi
done
echo "highest rate loss-free at it and every lower rate (datagrams/s, $COUNT datagrams of 30 v5 flows): spot collect $best_spot, nfcapd $best_nfcapd"
