#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a bounded time, one after another.
#
#   fuzz/run.sh [SECONDS_PER_TARGET]        (default 60)
#
# Each target runs as one libFuzzer process (-jobs=1 -workers=1) on its committed corpus
# (fuzz/corpus/<target>, read only) plus a scratch corpus that receives the new entries,
# with -timeout=1 (an input that takes over 1 s is a hang) and -rss_limit_mb=2048.
# A crash, hang or out-of-memory writes its reproducer to fuzz/artifacts/<target>/ and
# makes the script fail (exit 1) after the remaining targets have run.
#
# Environment:
#   FUZZ_TARGETS   space-separated subset of targets (default: all)
#   FUZZ_WORK      scratch directory (default: $CARGO_TARGET_DIR/fuzz-run or fuzz/target/fuzz-run)
#   FUZZ_MERGE=1   afterwards, merge the new entries that add coverage into fuzz/corpus/<target>
#   FUZZ_SANITIZER address (default) or none
#   CARGO_TARGET_DIR  where cargo builds (default: fuzz/target)
# Needs a nightly toolchain and cargo-fuzz (`cargo +nightly install cargo-fuzz --locked`).
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
fi

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$FUZZ_DIR"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FUZZ_DIR/target}"
WORK="${FUZZ_WORK:-$CARGO_TARGET_DIR/fuzz-run}"
SANITIZER="${FUZZ_SANITIZER:-address}"
TRIPLE="$(rustc +nightly -vV | sed -n 's/^host: //p')"

ALL_TARGETS="$(cargo +nightly fuzz list)"
TARGETS="${FUZZ_TARGETS:-$ALL_TARGETS}"

echo "building: $(echo $TARGETS | tr '\n' ' ')(sanitizer: $SANITIZER)"
if [ -z "${FUZZ_TARGETS:-}" ]; then
    cargo +nightly fuzz build --sanitizer "$SANITIZER"
else
    for t in $TARGETS; do
        cargo +nightly fuzz build --sanitizer "$SANITIZER" "$t"
    done
fi
BIN_DIR="$CARGO_TARGET_DIR/$TRIPLE/release"

count_files() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l; }

failed=0
summary=()
for t in $TARGETS; do
    corpus="$FUZZ_DIR/corpus/$t"
    artifacts="$FUZZ_DIR/artifacts/$t"
    scratch="$WORK/$t/corpus"
    logs="$WORK/$t/logs"
    mkdir -p "$corpus" "$artifacts" "$scratch" "$logs"
    rm -f "$logs"/fuzz-*.log
    before_artifacts="$(count_files "$artifacts")"
    committed="$(count_files "$corpus")"
    scratch_before="$(count_files "$scratch")"

    echo "── $t: ${SECONDS_PER_TARGET}s on $committed committed + $scratch_before scratch inputs"
    status=0
    # -jobs=1 makes libFuzzer run the fuzzing process as a child writing fuzz-0.log in
    # the current directory: run it from the log directory.
    (cd "$logs" && "$BIN_DIR/$t" \
        -jobs=1 -workers=1 \
        -max_total_time="$SECONDS_PER_TARGET" \
        -timeout=1 \
        -rss_limit_mb=2048 \
        -print_final_stats=1 \
        -artifact_prefix="$artifacts/" \
        "$scratch" "$corpus") >"$logs/driver.log" 2>&1 || status=$?
    log="$logs/fuzz-0.log"
    [ -f "$log" ] || log="$logs/driver.log"

    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    [ -n "$runs" ] || runs="$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#')"
    cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || true)"
    ft="$(grep -Eo 'ft: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || true)"
    secs="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
    new=$(( $(count_files "$scratch") - scratch_before ))
    new_artifacts=$(( $(count_files "$artifacts") - before_artifacts ))

    verdict="ok"
    if [ "$status" -ne 0 ] || [ "$new_artifacts" -gt 0 ] \
        || grep -qE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|^ALARM: working on the last Unit' "$log"; then
        verdict="FAILED (exit $status, $new_artifacts new artifact(s) in fuzz/artifacts/$t; log: $log)"
        failed=1
        grep -E 'panicked at|ERROR: libFuzzer|ALARM|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/    /' || true
    fi
    line="$(printf '%-18s %5ss  %12s execs  cov %6s  ft %6s  +%s corpus entries  %s' \
        "$t" "${secs:-?}" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$new" "$verdict")"
    summary+=("$line")
    echo "$line"

    if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$new" -gt 0 ]; then
        (cd "$logs" && "$BIN_DIR/$t" -merge=1 -timeout=1 -rss_limit_mb=2048 \
            "$corpus" "$scratch") >"$logs/merge.log" 2>&1 || true
        echo "    merged: fuzz/corpus/$t has $(count_files "$corpus") entries (was $committed)"
    fi
done

echo
echo "summary (${SECONDS_PER_TARGET}s per target):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
