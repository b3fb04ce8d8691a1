#!/usr/bin/env bash
# packaging/try.sh [--deb FILE] [--config-dir DIR] [-- CMD...]: a systemd of your own to play
# with. Boots a fresh container (tests/testbed: systemd-nspawn over a cached Debian rootfs, never
# the host's root), installs hero-systemd from its Debian package (built here, or FILE), puts the
# examples in /etc/hero/services (or, with --config-dir, mounts DIR there: your own stack, read
# and written in place, so 'heroctl edit' inside changes your files), has herod load them, and
# opens a login shell inside (or runs CMD there). 'exit' (or Ctrl-D) leaves the shell; the
# container is then halted and nothing of it stays (but DIR's files). Needs root, like
# systemd-nspawn.
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/.."

usage="usage: packaging/try.sh [--deb FILE] [--config-dir DIR] [-- CMD...]"
deb=""
confdir=""
while [ $# -gt 0 ]; do
  case $1 in
    --deb) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; deb=$(realpath "$2"); shift 2 ;;
    --config-dir) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; confdir=$(realpath "$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
if [ -n "$confdir" ] && [ ! -d "$confdir" ]; then
  echo "try.sh: --config-dir $confdir is not a directory" >&2
  exit 2
fi
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
binds=(--bind-ro "$stage:/opt/hero")
if [ -n "$confdir" ]; then binds+=(--bind "$confdir:/etc/hero/services"); fi
up=$(bash tests/testbed/testbed.sh up "${binds[@]}")
machine=$(sed -n 's/^MACHINE=//p' <<<"$up")
inside() { bash tests/testbed/testbed.sh exec "$machine" -- "$@"; }

inside dpkg -i "/opt/hero/$(basename "$deb")" >"$stage/dpkg.log" 2>&1 || { cat "$stage/dpkg.log" >&2; exit 1; }
if [ -z "$confdir" ]; then
  inside sh -c 'cp /usr/share/doc/hero-systemd/examples/* /etc/hero/services/'
  inside heroctl -q daemon-reload
  loaded="the examples loaded from /etc/hero/services"
else
  # A directory with problems still serves its valid part: say what they are, go on.
  inside heroctl -q daemon-reload || inside heroctl validate || true
  loaded="your $confdir mounted at /etc/hero/services (edits inside change it)"
fi

if [ $# -gt 0 ]; then
  inside "$@"
  exit
fi
cat <<EOF
Container $machine: its own systemd (PID 1 inside), herod running as herod.service,
$loaded. Try:
  heroctl status               heroctl start web worker     heroctl status mailer
  heroctl stop --dry-run db    heroctl stop web worker      heroctl jobs --failed
  heroctl logs api --since "5 min ago"    heroctl edit web  systemctl status herod
  journalctl -u herod          man heroctl                  heroctl --help
Leave with 'exit' (or Ctrl-D): the container is halted and nothing of it stays.
EOF
inside env TERM="${TERM:-xterm}" HOME=/root debian_chroot=hero-try bash -l || true
