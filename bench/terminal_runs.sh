#!/usr/bin/env bash
# The terminals of other makers against zhizhi's own on the same load (docs/terminals.md,
# "Throughput"): one server on a copy of the demo district, then ROUNDS rounds of three runs of
# `zhizhi simulate --load` — zhizhi terminals (POST /api/v1/gate/events), Uface terminals (the
# recognition callback, form fields) and ZKTeco terminals (one ATTLOG line a POST, as in
# real-time mode) — the same persons, connections and seconds, in turn, so that each round gives
# same-run ratios. Prints one line per run and, per vendor, the median of its ratios to the
# zhizhi run of the same round.
#
# Usage: bench/terminal_runs.sh [ROUNDS] [CONNECTIONS]     e.g. bench/terminal_runs.sh 5 64
# Environment: BUILD_DIR (default build/), SECONDS_PER_RUN (4), PORT (18381), SEED (a directory
# for the demo district, kept between invocations: seeded when it has none). Loopback only;
# every run is bounded. The load generator shares the machine's cores with the server (see
# gate_cpu_split in scripts/lib.sh).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"   # ROOT, BUILD_DIR, wait_port, wait_idle, …
ROUNDS="${1:-5}"
CONNS="${2:-64}"
# ZKTeco's times have whole seconds, and (user, time) is a punch: each person can punch once a
# second, so the loader runs a person's clock ahead by a second a punch — on the demo's 227
# persons at ~12,000 events/s that is ~50 s a second, and the gate refuses times over 5 minutes
# ahead: runs of 4 s stay clear of it.
SECS="${SECONDS_PER_RUN:-4}"
PORT="${PORT:-18381}"
URL="http://127.0.0.1:$PORT"

WORK="$(mktemp -d /tmp/zhizhi-terminal-runs.XXXXXX)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

SEED="${SEED:-$WORK/seed}"
if [ ! -f "$SEED/admin.token" ]; then
  echo "==> demo district: $SEED"
  "$BUILD_DIR/zhizhi" demo --data "$SEED" --quiet >/dev/null
fi
cp -r "$SEED" "$WORK/data"
gate_cpu_split
echo "==> $CPU_SPLIT; $CONNS connections, ${SECS} s a run"
"${SERVER_PIN[@]}" "$BUILD_DIR/zhizhi" serve --data "$WORK/data" --port "$PORT" --log-level warn \
  --no-faces &
PID=$!
wait_port "$PORT"
wait_idle "$PID"

# vendor seconds → events/s; a run whose events were not all passes (the gate refused or
# replayed some: /metrics before and after) is marked, as its figure measures something else.
load() {
  local before after rate
  before=$(gate_answer_counts "$URL")
  rate=$("${CLIENT_PIN[@]}" "$BUILD_DIR/zhizhi" simulate --load --url "$URL" \
    --token-file "$WORK/data/admin.token" --vendor "$1" --seconds "$2" --connections "$CONNS" |
    awk '/^events:/ { printf "%.0f", $7 }')
  after=$(gate_answer_counts "$URL")
  read -r _ _ r0 f0 _ <<< "$before"
  read -r _ _ r1 f1 _ <<< "$after"
  if [ $((r1 - r0 + f1 - f0)) -ne 0 ]; then
    echo "  ($1: $((r1 - r0)) replayed, $((f1 - f0)) refused: not a clean run)" >&2
  fi
  echo "$rate"
}
load zhizhi 3 >/dev/null   # warm-up: first devices, caches, the page cache
: > "$WORK/ratios"
for round in $(seq 1 "$ROUNDS"); do
  native=$(load zhizhi "$SECS")
  uface=$(load uface "$SECS")
  zkteco=$(load zkteco "$SECS")
  printf 'round %d: zhizhi %s events/s, uface %s (%.2f), zkteco %s (%.2f)\n' "$round" "$native" \
    "$uface" "$(awk -v a="$uface" -v b="$native" 'BEGIN {print a / b}')" "$zkteco" \
    "$(awk -v a="$zkteco" -v b="$native" 'BEGIN {print a / b}')"
  echo "$(awk -v a="$uface" -v b="$native" 'BEGIN {print a / b}') $(awk -v a="$zkteco" -v b="$native" 'BEGIN {print a / b}')" >> "$WORK/ratios"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "median ratio to zhizhi's own terminals: uface $(cut -d' ' -f1 "$WORK/ratios" | median), zkteco $(cut -d' ' -f2 "$WORK/ratios" | median)"
