#!/usr/bin/env bash
# Repeated gate load runs, each on a fresh copy of the demo district, for comparisons that must
# see through the VM's run-to-run spread (±20 %, docs/benchmarks.md): one line per run with
# events/s, latency, the server's CPU per event by thread (writer, HTTP, checkpointer, all),
# wrk's CPU per request, and the server's count of its answers (/metrics): passes decided,
# replays (must be 0) and refusals (must be 0), and the mean group commit (write jobs per commit,
# the demo's and the device registration's few included).
#
# Usage: bench/gate_runs.sh [RUNS] [CONNECTIONS...]      e.g. bench/gate_runs.sh 5 512 256
# Environment: BUILD_DIR (default build/, the RelWithDebInfo build of scripts/test; for Release
# figures pass the BUILD_DIR that scripts/bench built), SECONDS_PER_RUN (10), SERVE_FLAGS (extra
# `serve` flags, to compare variants), BINARIES (several zhizhi binaries, space-separated, to
# compare builds: each run goes through them in turn on the same seed, and each line names its
# binary; default $BUILD_DIR/zhizhi), PORT (18380), LUA (another wrk script than
# bench/gate_events.lua, to compare clients), SEED (a directory for the demo district, kept
# between invocations: seeded when it has none), GATE_CPU_SPLIT (0: no pinning; by default, on 4
# or more cores, the server runs on cores 0-1 and wrk on the others: scripts/lib.sh
# gate_cpu_split). Needs wrk and curl (scripts/bench installs wrk). Loopback only; every run is
# bounded.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"   # ROOT, BUILD_DIR, wait_port, wait_idle, …
RUNS="${1:-3}"
shift || true
CONNS=("${@:-512}")
SECS="${SECONDS_PER_RUN:-10}"
PORT="${PORT:-18380}"
URL="http://127.0.0.1:$PORT"

WORK="$(mktemp -d /tmp/zhizhi-gate-runs.XXXXXX)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

SEED="${SEED:-$WORK/seed}"
if [ ! -f "$SEED/admin.token" ]; then
  echo "==> demo district (seeded once, copied for every run): $SEED"
  "$BUILD_DIR/zhizhi" demo --data "$SEED" --quiet >/dev/null
fi

ticks() { awk '{print $14 + $15}' "$1"; }
# tid name ticks, one line per thread of $PID
threads() {
  for t in /proc/"$PID"/task/*; do
    echo "$(basename "$t") $(cat "$t/comm") $(ticks "$t/stat")"
  done | sort
}

read -r -a BINS <<< "${BINARIES:-$BUILD_DIR/zhizhi}"
gate_cpu_split
echo "==> $CPU_SPLIT"
for run in $(seq 1 "$RUNS"); do
  for c in "${CONNS[@]}"; do
  for bin in "${BINS[@]}"; do
    rm -rf "$WORK/gate"
    cp -r "$SEED" "$WORK/gate"
    # shellcheck disable=SC2086
    "${SERVER_PIN[@]}" "$bin" serve --data "$WORK/gate" --port "$PORT" --log-level warn ${SERVE_FLAGS:-} &
    PID=$!
    wait_port "$PORT"
    wait_idle "$PID"
    device=$(register_bench_device "$URL" "$(cat "$WORK/gate/admin.token")" BENCH-RUNS)
    persons=$(roster_person_ids "$URL" "$device")
    threads > "$WORK/t0"
    ZHIZHI_DEVICE_TOKEN="$device" ZHIZHI_PERSONS="$persons" /usr/bin/time -o "$WORK/time" -f "%U %S" \
      "${CLIENT_PIN[@]}" wrk -t2 -c"$c" -d"${SECS}s" --latency -s "${LUA:-$ROOT/bench/gate_events.lua}" "$URL" > "$WORK/wrk"
    threads > "$WORK/t1"
    read -r allow deny replayed refused group < <(gate_answer_counts "$URL")
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    n=$(awk '/requests in/ {print $1}' "$WORK/wrk")
    # µs of CPU per event: ticks are 10 ms
    cpu=$(join "$WORK/t0" "$WORK/t1" | awk -v n="$n" '
      { d = ($5 - $3) * 10000 / n; all += d
        if ($2 == "zz-writer") w += d; else if ($2 == "zz-checkpoint") k += d; else h += d }
      END { printf "writer %.1f, http+other %.1f, checkpointer %.1f, all %.1f", w, h, k, all }')
    read -r wu ws < "$WORK/time"
    printf '%s run %d, %d connections: %s events/s, p50 %s, p99 %s; server us/event: %s; wrk us/request %.1f; %s\n' \
      "$(date +%H:%M:%S)$([ "${#BINS[@]}" -gt 1 ] && echo " $bin")" "$run" "$c" "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk")" \
      "$(awk '/ 50%/ {print $2}' "$WORK/wrk")" "$(awk '/ 99%/ {print $2}' "$WORK/wrk")" "$cpu" \
      "$(awk -v u="$wu" -v s="$ws" -v n="$n" 'BEGIN {print (u + s) * 1e6 / n}')" \
      "$((allow + deny)) decided, $replayed replayed, $refused refused, ~$group per commit"
  done
  done
done
