#!/bin/sh
# Record linkage's quality bar (issue 26) as a test: writes the planted feeds at a tenth of the
# seed's scale (103,000 people; seed 1), links them with `zhizhi linkage run` and fails when pair
# precision is below 99 % or recall below 98 %, or when a planted twin or namesake pair was made
# one person. Run by ctest as linkage_quality.
#   bench/linkage/check-quality.sh BINARY [WORKDIR]
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
binary="$1"
work="${2:-${TMPDIR:-/tmp}/linkage-quality}"
rm -rf "$work/feeds"
mkdir -p "$work"
"$binary" linkage feeds --out "$work/feeds" --people 103000 --houses 65000 --addresses 71000 \
  --units 11000 --seed 1 >"$work/feeds.json"
"$binary" linkage run --feeds "$work/feeds" --out "$work/links.jsonl" --threads 2 >"$work/report.json"
node "$here/evaluate.mjs" --feeds "$work/feeds" --links "$work/links.jsonl" \
  --min-precision 0.99 --min-recall 0.98 --max-joined-hard-negatives 0 | tee "$work/evaluation.json"
rm -rf "$work/feeds" "$work/links.jsonl"
