#!/usr/bin/env bash
# Load test of the HTTP service on the 1,000,000-household county, SQLite and PostgreSQL:
# 50 concurrent clients on household search (by 户编号, name, village), then on the lists
# (the county's cases paged 200 deep, single villages' cases, the county's open leads).
# Figures are printed for each scenario and for each kind of request in it.
#
#   scripts/load-test.sh [CLIENTS] [SECONDS]          (defaults 50 and 30)
#
# The first run generates the county (1,000,000 households of 520322) and imports it into
# bench-out/load-1000000/load.db and the PostgreSQL database, screened as of 2025-12-31 so
# that leads exist (about 10 minutes). The script opens up to 20,000
# cases from those leads (through the API) before measuring the case list.
#
# Environment: FANGPIN_DIVISIONS (a newer release of the division files; default: the
# copy built into fangpin), LOAD_PG_URL (default
# postgres://postgres@127.0.0.1:5432/fangpin_load), BENCH_DIR (default ./bench-out).
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${1:-50}"
SECONDS_EACH="${2:-30}"
DIR="${BENCH_DIR:-bench-out}"
PG_URL="${LOAD_PG_URL:-postgres://postgres@127.0.0.1:5432/fangpin_load}"
OUT="$DIR/load-1000000"
DATA="$DIR/data-1000000"
KEY="$OUT/load.key"
PASSWORD="load-test-2026"

# The PostgreSQL database is created when missing (the URL's last path component).
PG_DB="${PG_URL##*/}"; PG_DB="${PG_DB%%\?*}"
PG_ADMIN="${PG_URL%/*}/postgres"
if ! psql "$PG_ADMIN" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
  psql "$PG_ADMIN" -q -c "CREATE DATABASE \"$PG_DB\""
fi

cargo build --release --quiet --bin fangpin
cargo build --release --quiet -p web --example loadtest
BIN="$PWD/target/release/fangpin"
LOAD="$PWD/target/release/examples/loadtest"
mkdir -p "$OUT"
[ -f "$KEY" ] || "$BIN" --key-file "$KEY" keygen >/dev/null
if [ ! -f "$DATA/incomes.csv" ]; then
  "$BIN" generate --county 520322 --households 1000000 --seed 1 --out "$DATA" >/dev/null
fi

for URL in "sqlite://$OUT/load.db" "$PG_URL"; do
  export FANGPIN_DATABASE_URL="$URL" FANGPIN_KEY_FILE="$KEY"
  echo "== $(echo "$URL" | sed 's/:.*//')"
  MARK="$OUT/.imported-$(echo "$URL" | sed 's/:.*//')"
  if [ ! -f "$MARK" ]; then
    "$BIN" import regions --county 520322 >/dev/null
    for k in households members incomes; do "$BIN" import "$k" "$DATA/$k.csv" >/dev/null; done
    "$BIN" screen --as-of 2025-12-31 >/dev/null
    touch "$MARK"
  fi
  "$BIN" user list | grep '^load_county ' >/dev/null ||
    FANGPIN_PASSWORD="$PASSWORD" "$BIN" user add load_county --role 县级经办 --region 520322 --own-password >/dev/null
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  FANGPIN_LISTEN="127.0.0.1:$PORT" FANGPIN_LOG=warn "$BIN" serve 2>"$OUT/serve.log" &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  RSS_BEFORE=$(ps -o rss= -p $SERVER)
  ARGS=(--base "http://127.0.0.1:$PORT" --user load_county --password "$PASSWORD")
  "$LOAD" "${ARGS[@]}" --scenario open-cases --count 20000
  "$LOAD" "${ARGS[@]}" --scenario search --clients "$CLIENTS" --seconds "$SECONDS_EACH"
  "$LOAD" "${ARGS[@]}" --scenario cases --clients "$CLIENTS" --seconds "$SECONDS_EACH"
  # Resident memory, and of it the server's own (anonymous) memory: on SQLite the rest is
  # the database file mapped (mmap_size), shared with the page cache.
  ANON=$(awk '/^Anonymous:/ {print int($2 / 1024)}' /proc/$SERVER/smaps_rollup)
  echo "server memory: $((RSS_BEFORE / 1024)) MiB resident at start;" \
    "$(( $(ps -o rss= -p $SERVER) / 1024 )) MiB resident after, $ANON MiB of it its own"
  kill -TERM $SERVER; wait $SERVER || true
  trap - EXIT
done
