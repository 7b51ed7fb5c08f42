#!/usr/bin/env bash
# Renders the hicolor PNGs from the hand-drawn SVG (librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/icons"
for s in 16 32 48 64 128 256 512; do
  rsvg-convert -w "$s" -h "$s" dev.workshop.Workshop.svg -o "dev.workshop.Workshop-$s.png"
done
