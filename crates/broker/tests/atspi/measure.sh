#!/usr/bin/env bash
# Cost of the accessibility path (issue 12), measured, never asserted:
# launch → first Main Window FrameReady (from the audit log's timestamps) and
# RSS/PSS (/proc/PID/smaps_rollup) of the broker, its spawner and the Main
# renderer, with the AT-SPI bus idle (off) or with IsEnabled set and an AT
# having walked the tree once (on).
#
#   dbus-run-session -- bash crates/broker/tests/atspi/measure.sh on|off path/to/workshop out.txt
mode=$1; bin=$2; out=$3
set -euo pipefail
work=$(mktemp -d); pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
/usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 1 100); do dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus org.a11y.Bus.GetAddress >/dev/null 2>&1 && break; sleep 0.1; done
if [[ $mode == on ]]; then
  dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus org.freedesktop.DBus.Properties.Set string:org.a11y.Status string:IsEnabled variant:boolean:true >/dev/null
fi
display=":$((300 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x1024x24 -nolisten tcp -noreset >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 1 100); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
export DISPLAY=$display
t0=$(date +%s.%N)
RUST_LOG=info,workshop::audit=debug WINIT_X11_SCALE_FACTOR=1 "$bin" --user-data-dir "$work/data" >"$work/app.log" 2>&1 & app=$!; pids+=($app)
for _ in $(seq 1 200); do grep -q 'role="main".*kind="FrameReady"' "$work/app.log" && break; sleep 0.05; done
if [[ $mode == on ]]; then
  # An AT walks the tree once (as Orca does on start).
  /usr/bin/python3 - <<'PY'
import gi, time
gi.require_version("Atspi", "2.0")
from gi.repository import Atspi
def walk(n, d=0):
    c = 1
    for i in range(n.get_child_count()):
        k = n.get_child_at_index(i)
        if k is not None: c += walk(k, d+1)
    return c
end = time.monotonic() + 20
while time.monotonic() < end:
    apps = [a for a in (Atspi.get_desktop(0).get_child_at_index(i) for i in range(Atspi.get_desktop(0).get_child_count())) if a and a.get_toolkit_name() == "workshop"]
    if apps and walk(apps[0]) > 3: break
    time.sleep(0.1)
PY
fi
# settle: wait until the log stops growing for 1 s
prev=-1; for _ in $(seq 1 50); do cur=$(wc -c <"$work/app.log"); [[ $cur == $prev ]] && break; prev=$cur; sleep 1; done
{
  echo "mode=$mode t0=$t0"
  grep -m1 'role="main".*kind="FrameReady"' "$work/app.log" | cut -c1-32
  grep 'kind="AccessUpdate"' "$work/app.log" | grep -o 'role="[a-z]*".*size=[0-9]*' | head -3
  for p in $app $(pgrep -P $app); do
    echo "pid=$p $(tr '\0' ' ' </proc/$p/cmdline | cut -c1-60) $(grep -E '^(Rss|Pss):' /proc/$p/smaps_rollup | tr -s ' ' | tr '\n' ' ')"
    for c in $(pgrep -P $p); do echo "  child=$c $(tr '\0' ' ' </proc/$c/cmdline | cut -c1-60) $(grep -E '^(Rss|Pss):' /proc/$c/smaps_rollup | tr -s ' ' | tr '\n' ' ')"; done
  done
} >"$out"
