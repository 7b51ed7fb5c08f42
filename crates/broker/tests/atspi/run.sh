#!/usr/bin/env bash
# The real-bus accessibility test (issue 12): a private D-Bus session, the
# AT-SPI bus in it, Xvfb, the app, and check.py as the screen reader.
#
#   bash crates/broker/tests/atspi/run.sh path/to/workshop
#
# accesskit only exposes a tree while an assistive technology is listening:
# it watches org.a11y.Status.IsEnabled on the session bus's org.a11y.Bus.
# A desktop sets it when a screen reader starts (or through the
# org.gnome.desktop.a11y.applications setting); here it is set with
# dbus-send before the app starts, as Orca would.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "${1:?usage: run.sh path/to/workshop}")"

if [[ -z ${WORKSHOP_ATSPI_INNER:-} ]]; then
  export WORKSHOP_ATSPI_INNER=1
  exec dbus-run-session -- bash "$0" "$bin"
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

/usr/libexec/at-spi-bus-launcher --launch-immediately >"$work/bus.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus \
    org.a11y.Bus.GetAddress >/dev/null 2>&1 && break
  sleep 0.1
done
dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus \
  org.a11y.Bus.GetAddress >/dev/null
dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus \
  org.freedesktop.DBus.Properties.Set string:org.a11y.Status \
  string:IsEnabled variant:boolean:true >/dev/null

display=":$((200 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x1024x24 -nolisten tcp -noreset >"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  xdpyinfo -display "$display" >/dev/null 2>&1 && break
  sleep 0.1
done
export DISPLAY="$display"
unset WAYLAND_DISPLAY

WINIT_X11_SCALE_FACTOR=1 "$bin" --user-data-dir "$work/data" >"$work/app.log" 2>&1 &
app=$!
pids+=($app)
# Debian's python3 (python3-gi is installed for it, not for any other).
if ! /usr/bin/python3 "$here/check.py"; then
  echo "--- app log" >&2
  tail -n 50 "$work/app.log" >&2
  exit 1
fi
if [[ -n ${WORKSHOP_ATSPI_SHOT:-} ]]; then
  import -window root "$WORKSHOP_ATSPI_SHOT"
fi
kill "$app"
wait "$app" 2>/dev/null || true
