#!/bin/sh
# Base data end to end (issue 26), measured: the planted feeds at a share of the seed's scale are
# imported with `zhizhi import-source` into a fresh data directory, and linked; as the reference
# in the same run, sqlite3's own CSV import of the same population file into a plain table (no
# checks, no standardising, no sealing, no indexes), and sqlite3 copying the rows zhizhi stored
# into the same table with the same indexes (the floor of the store).
#   bench/linkage/import-bench.sh BINARY [PEOPLE (default 103000)] [WORKDIR]
# Prints one line per step: seconds, rows, rows/s; and the peak memory of each zhizhi process.
set -eu
binary="$1"
people="${2:-103000}"
work="${3:-${TMPDIR:-/tmp}/basedata-bench}"
scale=$(awk "BEGIN{print $people/1030000}")
rm -rf "$work"
mkdir -p "$work"
"$binary" linkage feeds --out "$work/feeds" --people "$people" \
  --houses "$(awk "BEGIN{printf \"%d\", 650000*$scale}")" \
  --addresses "$(awk "BEGIN{printf \"%d\", 710000*$scale}")" \
  --units "$(awk "BEGIN{printf \"%d\", 110000*$scale}")" --seed 1 >/dev/null

rows() { tail -n +2 "$1" | wc -l; }
now() { date +%s.%N; }

# The reference: sqlite3's CSV import of the population file.
start=$(now)
sqlite3 "$work/plain.db" ".import --csv $work/feeds/ps_population.csv plain"
end=$(now)
n=$(rows "$work/feeds/ps_population.csv")
awk -v s="$start" -v e="$end" -v n="$n" \
  'BEGIN{printf "reference sqlite3 .import ps_population: %.2f s, %d rows, %.0f rows/s\n", e-s, n, n/(e-s)}'

# zhizhi: each feed stored (no linking), then each kind linked once.
for source in ps_population grid_people rental_tenants ps_housing grid_houses market_units grid_units; do
  file=$(ls "$work/feeds/$source".*)
  start=$(now)
  /usr/bin/time -f "%M" -o "$work/rss" "$binary" import-source --data "$work/data" "$source" "$file" \
    --mapping "$work/feeds/mappings/$source.json" --no-link >"$work/$source.json"
  end=$(now)
  n=$(grep -o '"rows": [0-9]*' "$work/$source.json" | grep -o '[0-9]*')
  awk -v s="$start" -v e="$end" -v n="$n" -v src="$source" -v rss="$(cat "$work/rss")" \
    'BEGIN{printf "zhizhi import-source %s: %.2f s, %d rows, %.0f rows/s, peak %d MiB\n", src, e-s, n, n/(e-s), rss/1024}'
done
# The second reference: SQLite itself storing the rows zhizhi stored for ps_population — the same
# rows, the same table and indexes, one INSERT … SELECT in one transaction — the floor of the store.
sqlite3 "$work/data/zhizhi.db" ".schema source_records" | sed 's/REFERENCES basedata_imports(id)//' |
  sqlite3 "$work/copy.db"
start=$(now)
sqlite3 "$work/copy.db" "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-16000;
  ATTACH '$work/data/zhizhi.db' AS src; BEGIN; INSERT INTO main.source_records SELECT * FROM
  src.source_records WHERE source = 'ps_population'; COMMIT;" >/dev/null
end=$(now)
n=$(sqlite3 "$work/copy.db" "SELECT COUNT(*) FROM source_records")
awk -v s="$start" -v e="$end" -v n="$n" \
  'BEGIN{printf "reference sqlite3 INSERT … SELECT of the stored ps_population rows (same table and indexes): %.2f s, %d rows, %.0f rows/s\n", e-s, n, n/(e-s)}'

# Linking: one more import per kind (an empty feed) links what the --no-link imports left waiting.
for kind in unit house person; do
  printf 'k,n\n' >"$work/empty.csv"
  case $kind in
    person) fields='{"name":"n"}' ;;
    house) fields='{"address":"n"}' ;;
    unit) fields='{"name":"n"}' ;;
  esac
  printf '{"kind":"%s","key":"k","fields":%s}' "$kind" "$fields" >"$work/empty.json"
  start=$(now)
  /usr/bin/time -f "%M" -o "$work/rss" "$binary" import-source --data "$work/data" "bench_$kind" \
    "$work/empty.csv" --mapping "$work/empty.json" >"$work/link-$kind.json" || true
  end=$(now)
  awk -v s="$start" -v e="$end" -v k="$kind" -v rss="$(cat "$work/rss")" \
    'BEGIN{printf "zhizhi link %s: %.2f s (process), peak %d MiB\n", k, e-s, rss/1024}'
done
ls -l "$work/data/zhizhi.db" | awk '{printf "database: %d MiB\n", $5/1048576}'
# The stored links scored against the truth, like linkage_quality scores `linkage run`.
sqlite3 "$work/data/zhizhi.db" "SELECT json_object('source', source, 'source_id', source_id, \
  'entity', entity_id) FROM source_records WHERE kind = 'person' AND withdrawn = 0 AND \
  source NOT LIKE 'bench_%'" >"$work/links.jsonl"
node "$(dirname "$0")/evaluate.mjs" --feeds "$work/feeds" --links "$work/links.jsonl"
