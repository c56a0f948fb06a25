#!/usr/bin/env bash
# Times native DNS decoding against tshark with Apache Spot's field list on the same generated
# capture, in one run, and prints a Markdown table row for BENCHMARKS.md.
#
#   benches/dns_vs_tshark.sh [SIZE_MB]      (default 1024: a ≥ 1 GB capture)
#
# The capture is generated (deterministic seed) into benches/out/, which git ignores.
# Needs tshark (`apt-get install -y tshark`) and GNU time (`/usr/bin/time`) for peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB="${1:-1024}"
OUT=benches/out
mkdir -p "$OUT"
PCAP="$OUT/dns-${SIZE_MB}mb.pcap"

cargo build --release -p spot-decode --example gen_dns_pcap --example decode_dns
BIN=target/release/examples
if [ ! -s "$PCAP" ]; then
  "$BIN/gen_dns_pcap" "$PCAP" "$SIZE_MB" 42
fi
BYTES=$(stat -c %s "$PCAP")

timed() { # label, command...: prints "wall_s cpu_s peak_kb"
  local log="$OUT/$1.time"
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$log" "$@" > /dev/null 2> "$OUT/stderr.log" || { cat "$OUT/stderr.log"; exit 1; }
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$log"
}

# Warm the page cache so both tools read from memory.
cat "$PCAP" > /dev/null

read -r NATIVE_S NATIVE_CPU NATIVE_KB < <(timed native "$BIN/decode_dns" "$PCAP" --out "$OUT/dns.csv")
read -r TSHARK_S TSHARK_CPU TSHARK_KB < <(timed tshark tshark -n -r "$PCAP" -T fields \
  -E separator=, -E header=y -E quote=d \
  -e frame.time -e frame.time_epoch -e frame.len -e ip.src -e ip.dst -e dns.resp.name \
  -e dns.resp.type -e dns.resp.class -e dns.flags.rcode -e dns.a \
  -Y 'dns.flags.response == 1')

python3 - "$BYTES" "$NATIVE_S" "$NATIVE_CPU" "$NATIVE_KB" "$TSHARK_S" "$TSHARK_CPU" "$TSHARK_KB" <<'EOF'
import sys
b = int(sys.argv[1])
ns, nc, nkb, ts, tc, tkb = map(float, sys.argv[2:])
ns, nc = max(ns, 0.01), max(nc, 0.01)
print("| bytes | spot wall s | spot CPU s | MB/s per core | spot peak RSS | tshark wall s | tshark CPU s | tshark peak RSS | speed-up (wall / CPU) |")
print("|---|---|---|---|---|---|---|---|---|")
print(f"| {b} | {ns:.2f} | {nc:.2f} | {b/1e6/nc:.0f} | {nkb/1024:.0f} MiB | {ts:.2f} | {tc:.2f} | {tkb/1024:.0f} MiB | {ts/ns:.0f}x / {tc/nc:.0f}x |")
EOF
