#!/usr/bin/env bash
# Import throughput: generates N households (default 1,000,000 ≈ 3.2 M members) of county
# 520322 with `fangpin generate`, then imports households, members and incomes into a fresh
# SQLite file and a fresh PostgreSQL database, printing rows per second and peak memory
# (maximum resident set size, from /usr/bin/time) of each import.
#
#   scripts/bench-import.sh [HOUSEHOLDS] [--sqlite-only]
#
# Environment: FANGPIN_DIVISIONS (a newer release of the division files; default: the
# copy built into fangpin),
# BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/fangpin_bench, recreated),
# BENCH_DIR (default ./bench-out).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
SQLITE_ONLY="${2:-}"
DIR="${BENCH_DIR:-bench-out}"
PG_ADMIN="postgres://postgres@127.0.0.1:5432/test"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/fangpin_bench}"

cargo build --release --quiet
BIN="$PWD/target/release/fangpin"
mkdir -p "$DIR"
KEY="$DIR/bench.key"
[ -f "$KEY" ] || "$BIN" --key-file "$KEY" keygen >/dev/null
export FANGPIN_KEY_FILE="$KEY"

DATA="$DIR/data-$N"
if [ ! -f "$DATA/members.csv" ]; then
  echo "generating $N households into $DATA"
  /usr/bin/time -f "generate: %e s, peak RSS %M KiB" \
    "$BIN" generate --county 520322 --households "$N" --seed 1 --out "$DATA" >/dev/null
fi

# Runs one import and prints: backend, file, rows, seconds, rows/s, peak RSS MiB.
measure() {
  local backend="$1" url="$2" kind="$3"
  local file="$DATA/$kind.csv"
  local rows; rows=$(( $(wc -l < "$file") - 1 ))
  local out; out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out" "$BIN" --database-url "$url" import "$kind" "$file" >/dev/null
  read -r secs rss < "$out"; rm -f "$out"
  awk -v b="$backend" -v k="$kind" -v r="$rows" -v s="$secs" -v m="$rss" \
    'BEGIN { printf "%-9s %-11s %9d rows %8.1f s %10.0f rows/s %8.0f MiB peak\n", b, k, r, s, r / s, m / 1024 }'
}

run() {
  local backend="$1" url="$2"
  "$BIN" --database-url "$url" import regions --county 520322 >/dev/null
  for kind in households members incomes; do measure "$backend" "$url" "$kind"; done
  # Idempotence at scale: the same members file again changes nothing.
  measure "$backend" "$url" members | sed 's/members /members*/'
}

DB="$DIR/bench.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
run sqlite "sqlite://$DB"

if [ "$SQLITE_ONLY" != "--sqlite-only" ]; then
  psql "$PG_ADMIN" -q -c 'DROP DATABASE IF EXISTS fangpin_bench WITH (FORCE)' -c 'CREATE DATABASE fangpin_bench'
  run postgres "$PG_URL"
fi
echo "(members* = re-import of the same file: every row unchanged)"
