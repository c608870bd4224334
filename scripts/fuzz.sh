#!/usr/bin/env bash
# Fuzzing every parser of outside input with AFL++ (cargo-afl, stable Rust). The targets
# are in fuzz/ (a cargo workspace of its own); docs/operations.md, “Fuzzing”, says what
# each covers and records the figures of the long runs.
#
#   scripts/fuzz.sh build                  build the instrumented targets
#   scripts/fuzz.sh run TARGET [MINUTES]   fuzz one target (default 30 minutes), then print
#                                          its figures; stops by itself
#   scripts/fuzz.sh all [MINUTES]          every target in turn, MINUTES each, then a table
#   scripts/fuzz.sh stats [TARGET…]        the figures of the last runs again
#   scripts/fuzz.sh repro TARGET FILE…     run inputs through a target outside AFL (shows
#                                          the panic and its message)
#   scripts/fuzz.sh check                  every seed and every kept regression input
#                                          through its target: none may crash
#
# TARGET is one of: csv workbook fields policy api.
#
# One afl-fuzz runs at a time, on one core. A run resumes the corpus it left in
# fuzz/out/TARGET unless FUZZ_FRESH=1. Environment: FUZZ_OUT (default fuzz/out),
# FUZZ_MEMORY_MB (memory limit of the target, default 2048: an input that needs more is
# recorded as a crash), CARGO_TARGET_DIR (default fuzz/target).
#
# On a machine without cargo-afl, the first run installs it (`cargo install cargo-afl`,
# then `cargo afl config --build`, which compiles AFL++ from the sources in the crate and
# needs a C compiler and make: `apt-get install build-essential`).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
FUZZ="$PWD"
OUT="${FUZZ_OUT:-$FUZZ/out}"
TARGETS=(csv workbook fields policy api)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FUZZ/target}"
BIN="$CARGO_TARGET_DIR/release"

say() { printf '%s\n' "$*" >&2; }

ensure_afl() {
  if ! cargo afl --version >/dev/null 2>&1; then
    say "cargo-afl is not installed: installing it (cargo install cargo-afl --locked)…"
    cargo install cargo-afl --locked
  fi
  # `cargo afl fuzz` needs AFL++ built for this compiler; `config --build` does it once.
  # afl-fuzz's help exits with 1, so whether it ran is told by what it printed.
  local help
  help=$(cargo afl fuzz -h 2>&1 || true)
  if [[ "$help" != *"Required parameters"* ]]; then
    say "building AFL++ for this Rust compiler (cargo afl config --build)…"
    if ! command -v make >/dev/null || ! command -v cc >/dev/null; then
      say "AFL++ is compiled from source and needs a C compiler and make:"
      say "  apt-get install -y build-essential"
      exit 1
    fi
    cargo afl config --build --force
  fi
}

known_target() {
  local t
  for t in "${TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done
  say "unknown target “$1”; targets: ${TARGETS[*]}"
  exit 2
}

build() {
  ensure_afl
  say "building the instrumented targets into $BIN…"
  cargo afl build --release --bins --quiet
}

# Per-target settings: a timeout per input in ms (the api target's first input of each
# process sets up its database and logs in every role) and a dictionary.
timeout_ms() { case "$1" in api) echo 10000 ;; workbook) echo 3000 ;; *) echo 1000 ;; esac; }
dict_of() { case "$1" in csv | workbook) echo csv ;; api) echo json ;; policy) echo toml ;; *) echo fields ;; esac; }

run() {
  local target="$1" minutes="${2:-30}"
  known_target "$target"
  local dir="$OUT/$target" input
  mkdir -p "$dir/tmp"
  if [ "${FUZZ_FRESH:-0}" = 1 ]; then rm -rf "${dir:?}/default"; fi
  if [ -d "$dir/default/queue" ]; then
    input=-    # resume the corpus of the last run
  else
    input="$dir/in"
    rm -rf "$input" && mkdir -p "$input"
    cp "$FUZZ/seeds/$target"/* "$input"/
    if [ -d "$FUZZ/regressions/$target" ]; then
      cp "$FUZZ/regressions/$target"/* "$input"/ 2>/dev/null || true
    fi
  fi
  say "fuzzing $target for $minutes min (output $dir)…"
  # No CPU binding (the machine is shared), no core-dump handler needed, plain status
  # lines instead of the full-screen display; the target's scratch files go under $dir.
  AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_UI=1 AFL_FORKSRV_INIT_TMOUT=60000 TMPDIR="$dir/tmp" \
    cargo afl fuzz -i "$input" -o "$dir" -V $((minutes * 60)) \
    -m "${FUZZ_MEMORY_MB:-2048}" -t "$(timeout_ms "$target")" \
    -x "$FUZZ/dict/$(dict_of "$target").dict" \
    -- "$BIN/$target" >"$dir/afl.log" 2>&1 || {
    say "afl-fuzz stopped with an error; the end of $dir/afl.log:"
    tail -20 "$dir/afl.log" >&2
    exit 1
  }
  rm -rf "$dir/tmp"
  stats_header
  stats_row "$target"
}

stat() { sed -n "s/^$1 *: *//p" "$2" | head -1; }

stats_header() {
  echo
  echo "| target | minutes | executions | execs/s | corpus | edges | crashes | hangs | stability |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
}

stats_row() {
  local f="$OUT/$1/default/fuzzer_stats"
  if [ ! -f "$f" ]; then
    echo "| $1 | no run yet | | | | | | | |"
    return
  fi
  local run execs
  run=$(stat run_time "$f")
  execs=$(stat execs_done "$f")
  printf '| %s | %d | %s | %d | %s | %s / %s | %s | %s | %s |\n' "$1" \
    $(((run + 30) / 60)) "$execs" $((execs / (run > 0 ? run : 1))) \
    "$(stat corpus_count "$f")" "$(stat edges_found "$f")" "$(stat total_edges "$f")" \
    "$(stat saved_crashes "$f")" "$(stat saved_hangs "$f")" "$(stat stability "$f")"
  local crashes="$OUT/$1/default/crashes" hangs="$OUT/$1/default/hangs"
  if compgen -G "$crashes/id*" >/dev/null || compgen -G "$hangs/id*" >/dev/null; then
    say "  $1: inputs kept in $crashes and $hangs; replay with: scripts/fuzz.sh repro $1 FILE"
  fi
}

repro() {
  local target="$1" file status=0
  shift
  known_target "$target"
  [ -x "$BIN/$target" ] || build
  for file in "$@"; do
    say "== $file"
    # Outside afl-fuzz a target reads one input from standard input and runs it once.
    TMPDIR="${TMPDIR:-/tmp}" RUST_BACKTRACE=1 "$BIN/$target" <"$file" || {
      status=$?
      say "   crashed (exit $status)"
    }
  done
  return $status
}

check() {
  local target file failed=0 n=0
  [ -x "$BIN/${TARGETS[0]}" ] || build
  for target in "${TARGETS[@]}"; do
    for file in "$FUZZ/seeds/$target"/* "$FUZZ/regressions/$target"/*; do
      [ -f "$file" ] || continue
      n=$((n + 1))
      if ! "$BIN/$target" <"$file" >/dev/null 2>&1; then
        say "CRASH: $target $file"
        failed=$((failed + 1))
      fi
    done
  done
  echo "$((n - failed)) passed, $failed failed"
  [ "$failed" = 0 ]
}

case "${1:-}" in
  build) build ;;
  run)
    [ $# -ge 2 ] || { say "usage: scripts/fuzz.sh run TARGET [MINUTES]"; exit 2; }
    known_target "$2"
    build
    run "$2" "${3:-30}"
    ;;
  all)
    build
    for t in "${TARGETS[@]}"; do run "$t" "${2:-30}" >/dev/null; done
    stats_header
    for t in "${TARGETS[@]}"; do stats_row "$t"; done
    ;;
  stats)
    shift
    stats_header
    for t in "${@:-${TARGETS[@]}}"; do stats_row "$t"; done
    ;;
  repro)
    [ $# -ge 3 ] || { say "usage: scripts/fuzz.sh repro TARGET FILE…"; exit 2; }
    shift
    repro "$@"
    ;;
  check) check ;;
  *)
    sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
