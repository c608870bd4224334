#!/usr/bin/env bash
# Reads and sign-ins while a members file is imported through the service (as a job), on
# SQLite and on PostgreSQL: p50/p90/p99/max of each, without an import and during one.
#
#   scripts/bench-during-import.sh [HOUSEHOLDS]     (default 309000: ≈ 1,000,000 members)
#
# For each database: a fresh database, the county's divisions and households imported from
# the command line, then `fangpin serve`, and crates/web/examples/during_import.rs, which
# measures 8 readers (searches, household pages, the case list) and 2 clients signing in
# every 250 ms for 10 s, then uploads members.csv and measures the same load until the
# import job has finished. Everything runs on this machine: client, server and PostgreSQL
# share its cores.
#
# Environment: BENCH_DIR (default ./bench-out), BENCH_PG_ADMIN (a database to create the
# benchmark's from, default postgres://postgres@127.0.0.1:5432/postgres), BENCH_PG_DB
# (default fangpin_during), CARGO_TARGET_DIR (default ./target).
set -euo pipefail
cd "$(dirname "$0")/.."
HOUSEHOLDS="${1:-309000}"
DIR="${BENCH_DIR:-bench-out}"
ADMIN="${BENCH_PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
PGDB="${BENCH_PG_DB:-fangpin_during}"
PG_URL="${ADMIN%/*}/$PGDB"
TARGET="${CARGO_TARGET_DIR:-target}"
OUT="$DIR/during-$HOUSEHOLDS"
DATA="$OUT/data"
KEY="$OUT/bench.key"
PASSWORD="bench-during-2026"

cargo build --release --locked --quiet --bin fangpin
cargo build --release --locked --quiet -p web --example during_import
BIN="$TARGET/release/fangpin"
PROBE="$TARGET/release/examples/during_import"
mkdir -p "$OUT"
[ -f "$KEY" ] || "$BIN" --key-file "$KEY" keygen >/dev/null
if [ ! -f "$DATA/members.csv" ]; then
  "$BIN" generate --county 520322 --households "$HOUSEHOLDS" --seed 1 --out "$DATA" >/dev/null
fi
echo "members.csv: $(( $(wc -l < "$DATA/members.csv") - 1 )) members of $HOUSEHOLDS households"

for URL in "sqlite://$OUT/bench.db" "$PG_URL"; do
  NAME=$(echo "$URL" | sed 's/:.*//')
  echo "== $NAME"
  if [ "$NAME" = sqlite ]; then
    rm -f "$OUT/bench.db" "$OUT/bench.db-wal" "$OUT/bench.db-shm"
  else
    psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $PGDB" -c "CREATE DATABASE $PGDB"
  fi
  export FANGPIN_DATABASE_URL="$URL" FANGPIN_KEY_FILE="$KEY"
  "$BIN" import regions --county 520322 >/dev/null
  "$BIN" import households "$DATA/households.csv" >/dev/null
  FANGPIN_PASSWORD="$PASSWORD" "$BIN" user add bench_county --role 县级经办 --region 520322 --own-password >/dev/null
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$OUT/uploads"
  FANGPIN_LISTEN="127.0.0.1:$PORT" FANGPIN_MAX_BODY_MIB=1024 FANGPIN_UPLOAD_DIR="$OUT/uploads" \
    FANGPIN_LOG=warn "$BIN" serve 2>"$OUT/serve-$NAME.log" &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  "$PROBE" --base "http://127.0.0.1:$PORT" --user bench_county --password "$PASSWORD" \
    --file "$DATA/members.csv" --kind members
  kill -TERM $SERVER; wait $SERVER || true
  trap - EXIT
done
