#!/usr/bin/env bash
# packaging/try.sh [--deb FILE] [-- CMD...]: a systemd of your own to play with. Boots a fresh
# container (tests/testbed: systemd-nspawn over a cached Debian rootfs, never the host's root),
# installs hero-systemd from its Debian package (built here, or FILE), puts the examples in
# /etc/hero/services, has herod load them, and opens a login shell inside (or runs CMD there).
# 'exit' (or Ctrl-D) leaves the shell; the container is then halted and nothing of it stays.
# Needs root, like systemd-nspawn.
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/.."

deb=""
while [ $# -gt 0 ]; do
  case $1 in
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "usage: packaging/try.sh [--deb FILE] [-- CMD...]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "try.sh: booting a container needs root: sudo bash packaging/try.sh" >&2; exit 1; }

stage=$(mktemp -d)
machine=""
cleanup() {
  if [ -n "$machine" ]; then bash tests/testbed/testbed.sh down "$machine"; fi
  rm -rf "$stage"
}
trap cleanup EXIT
chmod 755 "$stage"
if [ -z "$deb" ]; then
  echo "Building the Debian package..."
  deb=$(bash packaging/deb/build.sh "$stage")
else
  cp "$deb" "$stage/"
fi
bash tests/testbed/testbed.sh ensure >/dev/null
up=$(bash tests/testbed/testbed.sh up --bind-ro "$stage:/opt/hero")
machine=$(sed -n 's/^MACHINE=//p' <<<"$up")
inside() { bash tests/testbed/testbed.sh exec "$machine" -- "$@"; }

inside dpkg -i "/opt/hero/$(basename "$deb")" >"$stage/dpkg.log" 2>&1 || { cat "$stage/dpkg.log" >&2; exit 1; }
inside sh -c 'cp /usr/share/doc/hero-systemd/examples/* /etc/hero/services/'
inside heroctl -q daemon-reload

if [ $# -gt 0 ]; then
  inside "$@"
  exit
fi
cat <<EOF
Container $machine: its own systemd (PID 1 inside), herod running as herod.service, the
examples loaded from /etc/hero/services. Try:
  heroctl list-units           heroctl start web worker     heroctl status mailer
  heroctl stop --dry-run db    heroctl stop db              heroctl jobs api
  systemctl status herod       journalctl -u herod          heroctl --help
Leave with 'exit' (or Ctrl-D): the container is halted and nothing of it stays.
EOF
inside env TERM="${TERM:-xterm}" HOME=/root debian_chroot=hero-try bash -l || true
