#!/usr/bin/env bash
# Peak memory of the largest files an import accepts (docs/formats.md, “Limits”): writes
# one file per way a file can cost memory (scripts/upload_worst_cases.py), imports each
# into a fresh SQLite database with the release binary, and prints its size, outcome,
# seconds and peak resident memory (maximum RSS, from /usr/bin/time). The server reads an
# upload with the same reader after streaming it to disk, so these are an upload's figures
# too.
#
#   scripts/bench-upload-memory.sh [MIB]      MIB: the upload limit (default 64)
#
# Environment: BENCH_DIR (default ./bench-out).
set -euo pipefail
cd "$(dirname "$0")/.."
MIB="${1:-64}"
DIR="${BENCH_DIR:-bench-out}/upload-$MIB"

cargo build --release --locked --quiet --bin fangpin
BIN="$PWD/target/release/fangpin"
mkdir -p "$DIR"
if [ ! -f "$DIR/members-csv.csv" ]; then
  echo "writing the worst-case files into $DIR" >&2
  python3 scripts/upload_worst_cases.py "$DIR" "$MIB" >&2
fi

echo "| file | size | outcome | seconds | peak RSS |"
echo "|---|---:|---|---:|---:|"
for f in households-csv.csv members-csv.csv shared-strings.xlsx styles.xlsx; do
  db="$DIR/bench.db"
  rm -f "$db" "$db-wal" "$db-shm"
  export FANGPIN_DATABASE_URL="sqlite://$db" FANGPIN_KEY_FILE="$DIR/bench.key"
  [ -f "$FANGPIN_KEY_FILE" ] || "$BIN" keygen >/dev/null
  "$BIN" import regions --county 520322 >/dev/null
  # The members' households first (not measured).
  if [ "$f" = members-csv.csv ]; then "$BIN" import households "$DIR/households-csv.csv" >/dev/null; fi
  out=$(mktemp)
  set +e
  kind=households
  [ "$f" = members-csv.csv ] && kind=members
  /usr/bin/time -f "%e %M" -o "$out.time" "$BIN" import "$kind" "$DIR/$f" >"$out" 2>&1
  status=$?
  set -e
  read -r secs kib < <(tail -n 1 "$out.time")
  if [ "$status" = 0 ]; then
    outcome=$(grep -o '共 [0-9]* 行' "$out" | head -1 || true)
    outcome="imported, ${outcome:-?}"
  else
    outcome="exit $status: $(head -c 120 "$out" | tr '\n' ' ')"
  fi
  size=$(du -m "$DIR/$f" | cut -f1)
  printf '| %s | %s MiB | %s | %s | %d MiB |\n' "$f" "$size" "$outcome" "$secs" $((kib / 1024))
  rm -f "$out" "$out.time"
done
