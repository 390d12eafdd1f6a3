#!/bin/sh
# The address standardiser's quality bar (issue 25) as a test: generates the labelled set (seed 1,
# 6,000 lines) and fails when `zhizhi address standardize` is below a target. Road is held to its
# target on the lines without typo'd roads (the standardiser cannot know a road it has no list of;
# docs/benchmarks.md). Run by ctest as address_quality.
#   bench/address/check-quality.sh BINARY [WORKDIR]
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
binary="$1"
work="${2:-${TMPDIR:-/tmp}}"
mkdir -p "$work"
set_file="$work/address-set.jsonl"
node "$here/generate.mjs" --seed 1 --count 6000 --out "$set_file" 2>/dev/null
node "$here/evaluate.mjs" --set "$set_file" --zhizhi "$binary" --threads 2 --startup-runs 1 \
  --min county=0.995 --min town=0.98 --min village=0.97 \
  --min number=0.98 --min building=0.98 --min unit=0.98 --min room=0.98 \
  --min road/-road_typo=0.98 >"$work/address-quality.md"
