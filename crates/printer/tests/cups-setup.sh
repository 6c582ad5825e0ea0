#!/usr/bin/env bash
# Sets up a real CUPS raw queue for the printer crate's end-to-end test, then (unless
# --setup-only) runs that test.
#
#   bash crates/printer/tests/cups-setup.sh              # install, configure, run the test
#   bash crates/printer/tests/cups-setup.sh --setup-only # install and configure only
#
# What it does (as root; Debian/Ubuntu):
#   1. installs cups, cups-client and cups-bsd if lpadmin/lp are missing;
#   2. installs a tiny capture backend, /usr/lib/cups/backend/cloudpos-capture, that writes
#      each job's bytes to the file named in its device URI (cloudpos-capture:/PATH). A
#      file:///PATH device is not used: even with `FileDevice Yes` in cups-files.conf,
#      CUPS 2.4 completed raw jobs on such a queue without writing the file;
#   3. starts cupsd if the scheduler is not running (no systemd needed);
#   4. creates the raw queue QUEUE (default cloudpos-test) with the device
#      cloudpos-capture:/tmp/cloudpos-cups/out.bin, so every job's bytes land there untouched;
#   5. runs `cargo test -p cloudpos-printer --test transports e2e_cups_raw_queue -- --ignored`
#      with CLOUDPOS_E2E_CUPS=QUEUE and CLOUDPOS_E2E_CUPS_OUT=the file.
#
# Environment: QUEUE (queue name), OUT_DIR (directory of the output file),
# CARGO_TARGET_DIR (passed through to cargo).
set -euo pipefail

QUEUE="${QUEUE:-cloudpos-test}"
OUT_DIR="${OUT_DIR:-/tmp/cloudpos-cups}"
OUT="$OUT_DIR/out.bin"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if ! command -v lpadmin >/dev/null || ! command -v lp >/dev/null; then
    echo "== installing CUPS"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cups cups-client cups-bsd >/dev/null
fi

BACKEND=/usr/lib/cups/backend/cloudpos-capture
echo "== installing the capture backend $BACKEND"
$SUDO tee "$BACKEND" >/dev/null <<'SH'
#!/bin/sh
# CUPS backend: writes each job's bytes, untouched, to the file named in the device URI
# (cloudpos-capture:/PATH). Without arguments it lists itself, as backends must.
if [ $# -eq 0 ]; then
    echo 'direct cloudpos-capture "Unknown" "CloudPOS capture (test)"'
    exit 0
fi
umask 022
out="${DEVICE_URI#cloudpos-capture:}"
if [ -n "$6" ]; then cat "$6" >"$out.part"; else cat >"$out.part"; fi || exit 1
mv -f "$out.part" "$out"
SH
# 0755: CUPS runs the backend as its unprivileged user (lp), not as root.
$SUDO chmod 0755 "$BACKEND"

# The scheduler writes the file as its unprivileged user (lp): give it a directory.
$SUDO mkdir -p "$OUT_DIR"
$SUDO chmod 1777 "$OUT_DIR"

if ! lpstat -r 2>/dev/null | grep -q "is running"; then
    echo "== starting cupsd"
    $SUDO cupsd
    for _ in $(seq 100); do lpstat -r 2>/dev/null | grep -q "is running" && break; sleep 0.1; done
fi
lpstat -r

echo "== creating raw queue $QUEUE -> cloudpos-capture:$OUT"
# No -m/-P: a queue without a driver is a raw queue (CUPS 2.4 warns that raw queues are
# deprecated; they still print, and `lp -o raw` passes the bytes through unchanged).
$SUDO lpadmin -p "$QUEUE" -E -v "cloudpos-capture:$OUT" 2>&1 | grep -v -i "deprecated" || true
$SUDO cupsenable "$QUEUE"
$SUDO cupsaccept "$QUEUE"
lpstat -p "$QUEUE" -v "$QUEUE"

echo
echo "export CLOUDPOS_E2E_CUPS=$QUEUE CLOUDPOS_E2E_CUPS_OUT=$OUT"
if [ "${1:-}" = "--setup-only" ]; then exit 0; fi

echo "== running the end-to-end test"
cd "$(dirname "$0")/../../.."
CLOUDPOS_E2E_CUPS="$QUEUE" CLOUDPOS_E2E_CUPS_OUT="$OUT" \
    cargo test -p cloudpos-printer --test transports e2e_cups_raw_queue -- --ignored --nocapture
