# Shared by scripts/run, scripts/test and scripts/bench: install what is missing, then build.
# Idempotent: packages already present are not touched, and the build is incremental.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

# Debian packages the build and tests need (Debian 12 "bookworm").
ZHIZHI_APT_PACKAGES=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libboost-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libsodium-dev
  libgtest-dev libgmock-dev libbenchmark-dev
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
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
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

build() {
  install_apt "${ZHIZHI_APT_PACKAGES[@]}"
  build_web
  echo "==> building in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}
