#!/usr/bin/env bash
# Proves the Debian package on this machine (run by .ci/run as root):
# installs target/debian/workshop_*.deb with dpkg -i, validates the desktop
# entry, the AppStream metainfo and the AppArmor profile, starts the
# installed /usr/bin/workshop from a clean environment under Xvfb and waits
# for its Main Window, checks that every shared library the running app
# (broker and renderers) has mapped belongs to a package in the closure of
# the package's Depends, then purges it and checks that nothing it
# installed is left.
#
# Usage: packaging/check-package.sh DISPLAY
set -euo pipefail
cd "$(dirname "$0")/.."
display=${1:?usage: check-package.sh DISPLAY}
APP_ID=dev.workshop.Workshop
log() { printf '\n==> %s\n' "$*"; }
fail() { echo "check-package: $*" >&2; exit 1; }

# Polls "$@" every 0.1 s for up to $1 seconds.
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

deb=$(ls -t "${CARGO_TARGET_DIR:-target}"/debian/workshop_*.deb 2>/dev/null | head -1)
[[ -n $deb ]] || fail "no target/debian/workshop_*.deb: run cargo deb -p workshop-broker"
log "package $deb: $(du -k "$deb" | cut -f1) KiB"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb -c "$deb" | awk '{print $6}'

log "dpkg -i"
export DEBIAN_FRONTEND=noninteractive
if ! dpkg -i "$deb"; then
  apt-get install -f -y -qq --no-install-recommends
fi
dpkg-query -W -f='${Status}\n' workshop | grep -q 'install ok installed'
[[ $(command -v workshop) == /usr/bin/workshop ]] || fail "workshop is not /usr/bin/workshop"
/usr/bin/workshop --version

log "desktop entry, metainfo, man pages, completions"
desktop-file-validate "/usr/share/applications/$APP_ID.desktop"
grep -qx "StartupWMClass=$APP_ID" "/usr/share/applications/$APP_ID.desktop"
appstreamcli validate --no-net "/usr/share/metainfo/$APP_ID.metainfo.xml"
for f in /usr/share/icons/hicolor/scalable/apps/$APP_ID.svg \
         /usr/share/icons/hicolor/{16x16,32x32,48x48,64x64,128x128,256x256,512x512}/apps/$APP_ID.png \
         /usr/share/man/man1/workshop.1* /usr/share/doc/workshop/copyright \
         /usr/share/bash-completion/completions/workshop \
         /usr/share/zsh/vendor-completions/_workshop \
         /usr/share/fish/vendor_completions.d/workshop.fish; do
  [[ -s $f ]] || fail "missing $f"
done
zcat -f /usr/share/man/man1/workshop.1* | grep -q 'sandbox\\-report' || fail "man page lacks the reports"
bash -n /usr/share/bash-completion/completions/workshop

log "AppArmor profile"
profile=/usr/share/workshop/apparmor/workshop
grep -q '^profile workshop /usr/bin/workshop flags=(unconfined) {' "$profile"
grep -q '^  userns,$' "$profile"
if command -v apparmor_parser >/dev/null; then
  if apparmor_parser -QK -S "$profile" >/dev/null 2>/tmp/workshop-aa.err; then
    echo "the profile parses ($(apparmor_parser --version | head -1))"
    [[ -f /etc/apparmor.d/workshop ]] || fail "postinst did not install a profile this AppArmor accepts"
  else
    # AppArmor 3 (Debian 12) has neither abi/4.0 nor the userns rule; the
    # rest of the profile must still parse, and postinst must have
    # skipped it (a profile in /etc/apparmor.d that does not parse would
    # fail apparmor.service at boot).
    echo "this AppArmor ($(apparmor_parser --version | head -1)) rejects abi 4.0 / userns: $(tail -1 /tmp/workshop-aa.err)"
    sed -e 's|^abi <abi/4.0>,|abi <abi/3.0>,|' -e '/^  userns,$/d' "$profile" >/tmp/workshop-aa-3.0
    apparmor_parser -QK -S /tmp/workshop-aa-3.0 >/dev/null
    echo "the profile without its userns rule parses"
    [[ ! -e /etc/apparmor.d/workshop ]] || fail "postinst installed a profile this AppArmor cannot parse"
  fi
else
  echo "apparmor_parser not installed: profile not parsed"
fi

log "the installed app under Xvfb, from a clean environment"
home=$(mktemp -d)
env -i DISPLAY="$display" HOME="$home" WINIT_X11_SCALE_FACTOR=1 \
  /usr/bin/workshop >"$home/workshop.log" 2>&1 &
app=$!
cleanup_app() { kill "$app" 2>/dev/null || true; }
trap cleanup_app EXIT
main_window() { wid=$(DISPLAY="$display" xdotool search --name '^Main Window$' 2>/dev/null | head -1); [[ -n $wid ]]; }
wait_for 30 main_window || { cat "$home/workshop.log"; fail "no Main Window within 30 s"; }
echo "Main Window is X window $wid"
class=$(DISPLAY="$display" xprop -id "$wid" WM_CLASS)
echo "$class"
grep -qF "\"workshop\", \"$APP_ID\"" <<<"$class" || fail "WM_CLASS is not $APP_ID"
# The Main Window's renderer is a child of the broker.
renderers() { pgrep -P "$app" >/dev/null; }
wait_for 30 renderers || fail "no renderer process"

log "every mapped library belongs to the Depends closure"
# Renderers are the broker's children or, past the extra fork that makes
# a renderer PID 1 of its PID namespace, its grandchildren.
pids=$app
for p in $(pgrep -P "$app" || true); do
  pids+=" $p $(pgrep -P "$p" | tr '\n' ' ' || true)"
done
libs=$(for p in $pids; do awk '$6 ~ /\.so/ {print $6}' "/proc/$p/maps" 2>/dev/null || true; done | sort -u)
[[ -n $libs ]] || fail "no libraries mapped?"
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances workshop 2>/dev/null \
          | grep -v '^ ' | tr -d '<>' | sed 's/:.*//' | sort -u)
bad=0
while read -r lib; do
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null || true)
  pkg=${owner%%:*}; pkg=${pkg%%,*}
  if [[ -z $pkg ]]; then
    echo "  $lib: owned by no package"; bad=1
  elif grep -qx "$pkg" <<<"$closure"; then
    echo "  $lib: $pkg"
  else
    echo "  $lib: $pkg, NOT in the Depends closure"; bad=1
  fi
done <<<"$libs"
((bad == 0)) || fail "libraries outside the Depends closure"

log "stop the app (SIGTERM is a clean shutdown)"
kill -TERM "$app"
gone() { ! kill -0 "$app" 2>/dev/null; }
wait_for 30 gone || fail "workshop did not exit on SIGTERM"
trap - EXIT
rm -rf "$home"

log "dpkg --purge"
files=$(dpkg-query -L workshop)
dpkg --purge workshop
if dpkg-query -W -f='${Status}' workshop 2>/dev/null | grep -q installed; then fail "still installed"; fi
left=0
while read -r f; do
  [[ -z $f || -d $f ]] && continue
  if [[ -e $f || -L $f ]]; then echo "  left behind: $f"; left=1; fi
done <<<"$files"
for d in /usr/share/workshop /usr/share/doc/workshop /etc/apparmor.d/workshop; do
  if [[ -e $d ]]; then echo "  left behind: $d"; left=1; fi
done
((left == 0)) || fail "purge left files behind"
echo "purged: nothing of the package is left"
