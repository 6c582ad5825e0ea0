#!/usr/bin/env bash
# Makes the voice announcement clips of crates/voice/clips/ (issue 17, item 2).
#
# Needs eSpeak NG and SoX (Debian: apt-get install espeak-ng sox). Runs offline.
#
# Each line of clips.tsv is read by eSpeak NG's Mandarin pinyin voice (cmn-latn-pinyin:
# Debian's Mandarin dictionary lacks many of the characters, so the words are written in
# pinyin with tone numbers), then SoX trims the silence at both ends, converts to 16 kHz mono
# 16-bit PCM without dither (so the output is reproducible) and normalises every clip to the
# same peak level. The terminal joins the clips with short gaps (crates/voice/src/render.rs).
#
#   tools/voice-clips/make-clips.sh [OUT_DIR]     (default: crates/voice/clips)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-"$HERE/../../crates/voice/clips"}
RATE=175        # words per minute (eSpeak's default): a payment speaker's pace
PITCH=50        # eSpeak's default pitch
PEAK_DB=-3      # every clip's peak, dBFS
VOICE=cmn-latn-pinyin

command -v espeak-ng >/dev/null || { echo "espeak-ng is missing (apt-get install espeak-ng)" >&2; exit 1; }
command -v sox >/dev/null || { echo "sox is missing (apt-get install sox)" >&2; exit 1; }
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

while IFS=$'\t' read -r name text pinyin; do
  case "$name" in ''|'#'*) continue ;; esac
  espeak-ng -v "$VOICE" -s "$RATE" -p "$PITCH" -w "$tmp/$name.wav" "$pinyin"
  # silence 1 0.01 0.5%: drop leading audio below 0.5 % of full scale; reverse, again, reverse
  # back: the same at the end. Then resample, mono, 16 bit, normalise the peak.
  sox -D "$tmp/$name.wav" -r 16000 -c 1 -b 16 -e signed-integer "$OUT/$name.wav" \
    silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse gain -n "$PEAK_DB"
  printf '%-12s %-6s %-28s %ss\n' "$name" "$text" "$pinyin" "$(soxi -D "$OUT/$name.wav")"
done < "$HERE/clips.tsv"
