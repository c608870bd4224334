#!/usr/bin/env bash
# Screening benchmark, side by side with DuckDB on the same data.
#
#   scripts/bench-screen.sh [HOUSEHOLDS]        (default 1,000,000)
#
# 1. generates N households of county 520322 with `fangpin generate` (registry and the
#    eight department feeds of 2025) and imports them into a fresh SQLite file — the
#    medical feed without its December rows;
# 2. a full screening as of 2025-11-30 (writes leads: the state a county is in before the
#    December batch arrives);
# 3. the December medical batch is imported, then an incremental screening runs;
# 4. a full screening of all the data as of 2025-12-31 (`--dry-run`), and DuckDB (from
#    PyPI, in a virtual environment under bench-out/) running the same rules as one SQL
#    query over the same CSV files, its tables in memory (scripts/screen_duckdb.py);
# 5. prints both times, their ratio, peak memory, feed import throughput, and checks that
#    both engines flag exactly the same (household, rule) pairs.
#
# Environment: FANGPIN_DIVISIONS (a newer release of the division files; default: the
# copy built into fangpin), BENCH_DIR (default
# ./bench-out). Needs python3 with venv and network access to PyPI on the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000000}"
DIR="${BENCH_DIR:-bench-out}"

cargo build --release --quiet
BIN="$PWD/target/release/fangpin"
mkdir -p "$DIR"
VENV="$DIR/venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r scripts/requirements-bench.txt
fi

DATA="$DIR/data-$N"
if [ ! -f "$DATA/death.csv" ]; then
  echo "generating $N households into $DATA"
  "$BIN" generate --county 520322 --households "$N" --seed 1 --out "$DATA" >/dev/null
fi
# The medical feed split into January–November and December (结算日期 is the third column).
WORK="$DIR/screen-$N"
mkdir -p "$WORK"
awk -F, -v head="$WORK/medical-jan-nov.csv" -v dec="$WORK/medical-dec.csv" '
  NR == 1 { print > head; print > dec; next }
  substr($3, 1, 7) == "2025-12" { print > dec; next }
  { print > head }' "$DATA/medical.csv"

DB="$WORK/bench.db"
KEY="$WORK/bench.key"
rm -f "$DB" "$DB-wal" "$DB-shm"
[ -f "$KEY" ] || "$BIN" --key-file "$KEY" keygen >/dev/null
export FANGPIN_DATABASE_URL="sqlite://$DB" FANGPIN_KEY_FILE="$KEY" FANGPIN_ACTOR=bench

# Runs a command under /usr/bin/time; sets SECS and RSS_MIB.
timed() {
  local t; t=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$t" "$@" > "$WORK/last.out"
  read -r SECS RSS < "$t"; rm -f "$t"
  RSS_MIB=$(( RSS / 1024 ))
}
rows() { echo $(( $(wc -l < "$1") - 1 )); }

echo "== registry import (SQLite) =="
"$BIN" import regions --county 520322 >/dev/null
for kind in households members incomes; do
  timed "$BIN" import "$kind" "$DATA/$kind.csv"
  printf "%-12s %9d rows %7.1f s\n" "$kind" "$(rows "$DATA/$kind.csv")" "$SECS"
done

echo "== feed import (SQLite) =="
printf "%-12s %9s %8s %12s %10s\n" feed rows seconds rows/s "peak MiB"
feed_import() {
  local kind="$1" file="$2"
  local n; n=$(rows "$file")
  timed "$BIN" import feed "$kind" "$file"
  awk -v k="$kind" -v r="$n" -v s="$SECS" -v m="$RSS_MIB" \
    'BEGIN { printf "%-12s %9d %8.1f %12.0f %10d\n", k, r, s, r / s, m }'
}
feed_import medical "$WORK/medical-jan-nov.csv"
MED_SECS=$SECS; MED_ROWS=$(rows "$WORK/medical-jan-nov.csv"); MED_RSS=$RSS_MIB
for kind in disability disaster assistance employment schooling housing death; do
  feed_import "$kind" "$DATA/$kind.csv"
done

echo "== screening =="
timed "$BIN" screen --as-of 2025-11-30
echo "full, as of 2025-11-30, writing leads, first after the registry import (builds the screening image): ${SECS} s, peak ${RSS_MIB} MiB"
grep -E '^(筛查|已记录|用时)' "$WORK/last.out" | sed 's/^/  /'

feed_import medical "$WORK/medical-dec.csv" | sed 's/^medical /medical-dec/'
DEC_ROWS=$(rows "$WORK/medical-dec.csv")
timed "$BIN" screen --incremental --as-of 2025-12-31
INC_SECS=$SECS
echo "incremental after the December batch (${DEC_ROWS} rows): ${SECS} s, peak ${RSS_MIB} MiB"
grep -E '^(增量|全量|筛查|已记录|用时)' "$WORK/last.out" | sed 's/^/  /'

# A small batch: 5,000 December rows with another total, so that they are new records.
python3 - "$WORK/medical-dec.csv" "$WORK/medical-small.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig")))
col = rows[0].index("医疗总费用")
out = [rows[0]] + [r[:col] + [f"{float(r[col]) + 1:.2f}"] + r[col + 1:] for r in rows[1:5001]]
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline="")).writerows(out)
PY
SMALL_BATCH=$("$BIN" import feed medical "$WORK/medical-small.csv" | sed -n 's/^导入成功（批次 \([0-9]*\)，.*/\1/p')
timed "$BIN" screen --incremental --as-of 2025-12-31
SMALL_SECS=$SECS
echo "incremental after a batch of 5,000 medical rows: ${SECS} s, peak ${RSS_MIB} MiB"
grep -E '^(筛查|已记录|用时)' "$WORK/last.out" | sed 's/^/  /'
# Withdrawn again: DuckDB below reads the generated files only.
"$BIN" feed withdraw "$SMALL_BATCH" >/dev/null

# The comparison: all of 2025, as of 2025-12-31, no writes. Best of three.
BEST=""; BEST_EVAL=""; BEST_LOAD=""; PEAK=0
for i in 1 2 3; do
  timed "$BIN" screen --as-of 2025-12-31 --dry-run
  EVAL=$(sed -n 's/^用时：读取 \([0-9.]*\) 秒，研判 \([0-9.]*\) 秒.*/\2/p' "$WORK/last.out")
  LOAD=$(sed -n 's/^用时：读取 \([0-9.]*\) 秒，研判 \([0-9.]*\) 秒.*/\1/p' "$WORK/last.out")
  if [ -z "$BEST" ] || awk -v a="$SECS" -v b="$BEST" 'BEGIN { exit !(a < b) }'; then
    BEST=$SECS; BEST_EVAL=$EVAL; BEST_LOAD=$LOAD
  fi
  [ "$RSS_MIB" -gt "$PEAK" ] && PEAK=$RSS_MIB
done
FLAGGED=$(sed -n 's/^筛查 \([0-9]*\) 户.*预警 \([0-9]*\) 户$/\2/p' "$WORK/last.out")
"$BIN" screen --as-of 2025-12-31 --dry-run --out "$WORK/fangpin.csv" >/dev/null

echo "== DuckDB =="
"$VENV/bin/python" scripts/screen_duckdb.py --data "$DATA" --as-of 2025-12-31 \
  --policy docs/policy.toml --pairs "$WORK/duckdb-pairs.csv" > "$WORK/duckdb.json"
cat "$WORK/duckdb.json"

echo "== result =="
"$VENV/bin/python" - "$WORK" "$BEST" "$BEST_LOAD" "$BEST_EVAL" "$PEAK" "$FLAGGED" \
  "$MED_ROWS" "$MED_SECS" "$MED_RSS" "$DEC_ROWS" "$INC_SECS" "$SMALL_SECS" <<'PY'
import csv, json, sys
work, total, load, ev, peak, flagged, med_rows, med_secs, med_rss, dec_rows, inc, small = sys.argv[1:]
total, load, ev, med_rows, med_secs, dec_rows, inc = map(float, (total, load, ev, med_rows, med_secs, dec_rows, inc))
duck = json.load(open(f"{work}/duckdb.json"))
ours = set()
with open(f"{work}/fangpin.csv", encoding="utf-8-sig") as f:
    for row in csv.DictReader(f):
        for rule in row["规则编号"].split(","):
            ours.add((row["户编号"], rule))
theirs = set()
with open(f"{work}/duckdb-pairs.csv", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        theirs.add((row["household_no"], row["rule"]))
q = duck["query_seconds"]
print(f"fangpin screen (full, dry run, screening image current): {total:.2f} s end to end "
      f"(reading the database {load:.2f} s, rules {ev:.3f} s), peak {peak} MiB, {flagged} households flagged")
print(f"DuckDB {duck['duckdb_version']}: query {q:.2f} s (warm {duck['query_seconds_warm']:.2f} s) "
      f"on tables loaded in {duck['load_seconds']:.1f} s, peak {duck['peak_rss_mib']:.0f} MiB, "
      f"{duck['households_flagged']} households flagged")
print(f"ratio, DuckDB query / fangpin end to end: {q / total:.1f}x")
print(f"ratio, DuckDB query / fangpin rules pass:  {q / ev:.1f}x")
print(f"feed import: medical {med_rows:.0f} rows in {med_secs:.1f} s = {med_rows / med_secs:,.0f} rows/s, peak {med_rss} MiB")
print(f"incremental screening after {dec_rows:.0f} new medical rows: {inc:.2f} s; after 5,000: {float(small):.2f} s")
same = ours == theirs
print(f"same (household, rule) pairs: {'yes' if same else 'NO'} ({len(ours)} vs {len(theirs)})")
if not same:
    print("  only fangpin:", sorted(ours - theirs)[:5])
    print("  only DuckDB:", sorted(theirs - ours)[:5])
    sys.exit(1)
PY
