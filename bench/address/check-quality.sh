#!/bin/sh
# The address standardiser's quality bar (issue 25) as a test: generates the labelled set (seed 1,
# 6,000 lines) and the register of roads of its counties (roads.mjs: the generator's world, not
# its answers), runs `zhizhi address standardize --data` on a data directory holding that register
# (as an address office runs it), and fails when a field is below its target. Run by ctest as
# address_quality.
#   bench/address/check-quality.sh BINARY [WORKDIR]
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
binary="$1"
work="${2:-${TMPDIR:-/tmp}}"
mkdir -p "$work"
set_file="$work/address-set.jsonl"
roads_file="$work/address-roads.csv"
node "$here/generate.mjs" --seed 1 --count 6000 --out "$set_file" 2>/dev/null
node "$here/roads.mjs" --set "$set_file" --out "$roads_file" 2>/dev/null
node "$here/evaluate.mjs" --set "$set_file" --zhizhi "$binary" --threads 2 --startup-runs 1 \
  --roads "$roads_file" \
  --min county=0.995 --min town=0.98 --min village=0.97 \
  --min road=0.98 --min number=0.98 --min building=0.98 --min unit=0.98 --min room=0.98 \
  >"$work/address-quality.md"
