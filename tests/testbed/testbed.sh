#!/usr/bin/env bash
# testbed.sh: a real systemd in a systemd-nspawn container, for hero-systemd's tests and demo.
#
# systemd is never booted on the host's own root: it would wipe /tmp and remount the shared
# /sys/fs/cgroup read-only. Each container boots a cached Debian rootfs under a tmpfs overlay
# (--volatile=overlay), so every boot starts clean and the cache is never written.
#
#   testbed.sh ensure                        install host tools, build the rootfs cache; print its path
#   testbed.sh up [--bind-ro HOST:DEST]...   boot a container; print MACHINE=, NSPAWN_PID=, LEADER=, BUS=,
#                                            ROOTFS=, SYSTEM_STATE=, BOOT_MS=
#   testbed.sh exec MACHINE -- CMD...        run CMD inside the container
#   testbed.sh down MACHINE                  halt the container (TERM, then KILL) by its nspawn PID
#   testbed.sh run [--bind-ro HOST:DEST]... -- CMD...
#                                            up, run CMD on the host with HERO_TESTBED_* set, down
#                                            (always, even on failure or interrupt); exit with CMD's code
#   testbed.sh list                          containers this script started that are still up
#
# Environment: HERO_TESTBED_CACHE (cache folder, default /var/cache/hero-systemd/testbed),
# HERO_TESTBED_STATE (run state, default /run/hero-testbed), HERO_TESTBED_SUITE (the Debian
# release booted: bookworm = systemd 252, the default; trixie = systemd 257), HERO_TESTBED_EXTRA
# (comma-separated Debian packages added to that release's rootfs with apt in a chroot, for
# flavours such as Cockpit or Ansible targets; each flavour is a cache entry of its own),
# HERO_TESTBED_RUN (a label: the containers started while it is set carry it, and `list` while it
# is set lists only those, so a test run tells its own containers from another run's).
set -euo pipefail

SUITE=${HERO_TESTBED_SUITE:-bookworm}
EXTRA=${HERO_TESTBED_EXTRA:-}
PACKAGES=systemd,systemd-sysv,dbus,dbus-user-session,procps,libglib2.0-bin,man-db,bash-completion,libpam-systemd,polkitd,openssh-server,openssh-client
# Bump RECIPE_VERSION when the rootfs customisation below changes: the cache key is derived from it.
RECIPE_VERSION=3
CACHE=${HERO_TESTBED_CACHE:-/var/cache/hero-systemd/testbed}
STATE=${HERO_TESTBED_STATE:-/run/hero-testbed}
BOOT_TIMEOUT=${HERO_TESTBED_BOOT_TIMEOUT:-60}

# shellcheck source=packaging/progress.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../packaging/progress.sh"

die() { echo "testbed: $*" >&2; exit 1; }
log() { echo "testbed: $*" >&2; }

recipe_key() { printf '%s|%s|%s' "$SUITE" "$PACKAGES" "$RECIPE_VERSION" | sha256sum | cut -c1-12; }
base_path() { echo "$CACHE/rootfs-$SUITE-$(recipe_key)"; }
rootfs_path() {
  if [ -z "$EXTRA" ]; then base_path; return; fi
  echo "$CACHE/rootfs-$SUITE-$(recipe_key)-$(printf '%s' "$EXTRA" | sha256sum | cut -c1-8)"
}

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (systemd-nspawn and debootstrap need it)"; }

install_host_tools() {
  local missing=()
  command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v nsenter >/dev/null || missing+=(util-linux)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# The mirror is read from the machine's own apt sources, so no host name is written here.
apt_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  echo "$uri"
}

# customise_rootfs makes the container quiet and quick to boot: nothing it does not need.
customise_rootfs() {
  local root=$1
  echo hero-testbed >"$root/etc/hostname"
  : >"$root/etc/machine-id"
  # No getty on the container console, no waiting for networks or time sync.
  for unit in console-getty.service getty@.service systemd-networkd-wait-online.service \
              systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  mkdir -p "$root/opt/hero"
}

# build_lock takes an exclusive lock on building target (on fd 9, released when the caller's
# process ends or closes it): the containers of one tier ask for the same rootfs at once, and
# only one may build it; the others wait, then use what it built. Without it each built its own
# and moved it over the others', removing a rootfs under a container already running on it.
build_lock() {
  mkdir -p "$CACHE"
  exec 9>"$1.lock"
  if ! flock -n 9; then
    log "waiting for the build of $1 that another run started (about 1 to 2 minutes)"
    flock 9
  fi
}

ensure_rootfs() {
  need_root
  install_host_tools
  if [ -n "$EXTRA" ]; then ensure_flavour; return; fi
  local target tmp started
  target=$(base_path)
  if [ -f "$target/.hero-testbed-complete" ]; then echo "$target"; return 0; fi
  build_lock "$target"
  if [ -f "$target/.hero-testbed-complete" ]; then exec 9>&-; echo "$target"; return 0; fi
  tmp=$(mktemp -d "$CACHE/.building-XXXXXX")
  started=$(date +%s)
  log "building $SUITE rootfs ($PACKAGES) into $target"
  if ! with_progress "testbed: debootstrap of $SUITE (downloading and installing the Debian packages of the rootfs)" \
    "once, then cached: about 1 to 2 minutes, longer on a busy machine" "$tmp.log" apt_progress \
    debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp" "$(apt_mirror)"; then
    rm -rf "$tmp" "$tmp.log"
    die "debootstrap failed"
  fi
  customise_rootfs "$tmp"
  touch "$tmp/.hero-testbed-complete"
  rm -f "$tmp.log"
  # Atomic: only a finished build ever carries the final name.
  rm -rf "$target"
  mv "$tmp" "$target"
  log "rootfs built in $(( $(date +%s) - started ))s"
  exec 9>&-
  echo "$target"
}

# ensure_flavour builds the base rootfs of SUITE, then a copy of it with EXTRA installed by apt in
# a chroot (some packages, Cockpit's among them, cannot be configured by debootstrap itself).
# No service is started in the chroot (policy-rc.d says 101).
ensure_flavour() {
  local base target tmp started rc=0
  target=$(rootfs_path)
  if [ -f "$target/.hero-testbed-complete" ]; then echo "$target"; return 0; fi
  base=$(EXTRA= ensure_rootfs)
  build_lock "$target"
  if [ -f "$target/.hero-testbed-complete" ]; then exec 9>&-; echo "$target"; return 0; fi
  tmp=$(mktemp -d "$CACHE/.building-XXXXXX")
  started=$(date +%s)
  log "building $SUITE rootfs with $EXTRA into $target"
  cp -a "$base/." "$tmp/"
  rm -f "$tmp/.hero-testbed-complete"
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
  chmod 755 "$tmp/usr/sbin/policy-rc.d"
  cp -L /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
  mount -t proc proc "$tmp/proc"
  with_progress "testbed: installing $EXTRA into a copy of the $SUITE rootfs (apt)" \
    "once, then cached: about 1 to 2 minutes" "$tmp.log" apt_progress \
    chroot "$tmp" env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 sh -c \
    "apt-get update && apt-get install -y --no-install-recommends $(tr ',' ' ' <<<"$EXTRA") && apt-get clean" || rc=$?
  umount "$tmp/proc"
  rm -f "$tmp/usr/sbin/policy-rc.d"
  if [ "$rc" != 0 ]; then
    rm -rf "$tmp" "$tmp.log"
    die "installing $EXTRA into the $SUITE rootfs failed"
  fi
  touch "$tmp/.hero-testbed-complete"
  rm -f "$tmp.log"
  rm -rf "$target"
  mv "$tmp" "$target"
  log "rootfs with $EXTRA built in $(( $(date +%s) - started ))s"
  exec 9>&-
  echo "$target"
}

# own_cgroups makes a cgroup for the machine in the hierarchies systemd tracks processes in
# (name=systemd and the unified one, on a cgroup v1 host) and prints their paths. Without a systemd
# on the host, nspawn --keep-unit puts the container under the cgroup it was started in: every
# container started from the same one shared /payload, and two containers running units of the
# same name removed each other's unit cgroups (starts failing with status 219/CGROUP, "Failed to
# attach to cgroup ... No such file or directory"). Other controllers are left as they are.
own_cgroups() {
  local h
  # Not for systemd 257 (trixie): with a cgroup of its own, processes entered with nsenter
  # (which stay in the caller's cgroup) got EUNATCH from logind ("Protocol driver not
  # attached") and herod never got its bus name (measured; 252 does not mind). Trixie
  # containers keep nspawn's default place: the tests run one at a time.
  [ "$SUITE" = trixie ] && return 0
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
    [ -f "$h/cgroup.procs" ] || continue
    mkdir -p "$h/hero-testbed/$1" && echo "$h/hero-testbed/$1"
  done
  # A cgroup2 root (a unified-only host) is left alone: there nspawn's own cgroup handling applies.
  return 0
}

# remove_cgroups removes a halted machine's cgroups, deepest first (they are empty by then).
remove_cgroups() {
  local cg
  [ -f "$1" ] || return 0
  for cg in $(cat "$1"); do
    [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}

# The container's PID 1 is the nspawn process's child; none yet early in the boot.
leader_of() { { ps -o pid= --ppid "$1" 2>/dev/null || true; } | head -1 | tr -d ' '; }

in_container() {
  local leader=$1; shift
  nsenter -t "$leader" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 "$@"
}

cmd_up() {
  local binds=()
  while [ $# -gt 0 ]; do
    case $1 in
      --bind-ro) binds+=("--bind-ro=$2"); shift 2 ;;
      --bind) binds+=("--bind=$2"); shift 2 ;;
      *) die "up: unknown argument $1" ;;
    esac
  done
  local rootfs machine dir nspawn_pid leader state deadline started
  rootfs=$(ensure_rootfs)
  machine="hero-tb-$$-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  dir="$STATE/$machine"
  mkdir -p "$dir"
  printf '%s\n' "${HERO_TESTBED_RUN:-}" >"$dir/run"
  started=$(date +%s%N)
  own_cgroups "$machine" >"$dir/cgroups"
  # The shell moves itself into the container's cgroups, then becomes systemd-nspawn (same PID).
  setsid sh -c 'for cg in $(cat "$1"); do echo $$ >"$cg/cgroup.procs"; done; shift; exec "$@"' sh "$dir/cgroups" \
    systemd-nspawn -q -D "$rootfs" -M "$machine" --register=no --keep-unit \
    --volatile=overlay --private-network "${binds[@]}" -b </dev/null >"$dir/console.log" 2>&1 &
  nspawn_pid=$!
  echo "$nspawn_pid" >"$dir/nspawn.pid"
  deadline=$(( $(date +%s) + BOOT_TIMEOUT ))
  # Early in the boot nspawn's child is a short-lived helper; the leader is the child that runs
  # systemd.
  leader=""
  while :; do
    kill -0 "$nspawn_pid" 2>/dev/null || { tail -20 "$dir/console.log" >&2; cmd_down "$machine"; die "systemd-nspawn exited during boot"; }
    [ "$(date +%s)" -lt "$deadline" ] || { cmd_down "$machine"; die "no container leader after ${BOOT_TIMEOUT}s"; }
    leader=$(leader_of "$nspawn_pid")
    if [ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ]; then break; fi
    sleep 0.05
  done
  echo "$leader" >"$dir/leader"
  while :; do
    state=$(in_container "$leader" systemctl is-system-running 2>/dev/null || true)
    case $state in running|degraded) break ;; esac
    if ! kill -0 "$nspawn_pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      tail -20 "$dir/console.log" >&2
      cmd_down "$machine"
      die "container did not reach running (last state: ${state:-none})"
    fi
    sleep 0.1
  done
  echo "MACHINE=$machine"
  echo "NSPAWN_PID=$nspawn_pid"
  echo "LEADER=$leader"
  echo "BUS=unix:path=/proc/$leader/root/run/dbus/system_bus_socket"
  echo "ROOTFS=$rootfs"
  echo "SYSTEM_STATE=$state"
  echo "BOOT_MS=$(( ($(date +%s%N) - started) / 1000000 ))"
}

machine_leader() {
  local dir="$STATE/$1"
  [ -f "$dir/leader" ] || die "no such testbed machine: $1"
  cat "$dir/leader"
}

cmd_exec() {
  local machine=$1; shift
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "exec: no command"
  in_container "$(machine_leader "$machine")" "$@"
}

cmd_down() {
  local machine=$1 dir pid i
  dir="$STATE/$machine"
  [ -f "$dir/nspawn.pid" ] || return 0
  pid=$(cat "$dir/nspawn.pid")
  # Only the nspawn process this script started, by its PID.
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
  fi
  remove_cgroups "$dir/cgroups"
  rm -rf "$dir"
}

cmd_run() {
  local up_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do up_args+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "run: no command"
  local out rc=0
  out=$(cmd_up "${up_args[@]}")
  RUN_MACHINE=$(sed -n 's/^MACHINE=//p' <<<"$out")
  trap 'cmd_down "$RUN_MACHINE"' EXIT
  trap 'exit 130' INT TERM
  while IFS='=' read -r k v; do export "HERO_TESTBED_$k=$v"; done <<<"$out"
  log "up: $RUN_MACHINE (leader $HERO_TESTBED_LEADER, booted in ${HERO_TESTBED_BOOT_MS} ms)"
  "$@" || rc=$?
  return $rc
}

cmd_list() {
  local d
  [ -d "$STATE" ] || return 0
  for d in "$STATE"/*/; do
    [ -f "$d/nspawn.pid" ] || continue
    if [ -n "${HERO_TESTBED_RUN:-}" ] && [ "$(cat "$d/run" 2>/dev/null)" != "$HERO_TESTBED_RUN" ]; then
      continue
    fi
    kill -0 "$(cat "$d/nspawn.pid")" 2>/dev/null && basename "$d"
  done
  return 0
}

# usage prints the comment block at the top of this file (after the #! line), without the "# ".
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }

main() {
  [ $# -gt 0 ] || { usage >&2; exit 2; }
  local verb=$1; shift
  case $verb in
    ensure) ensure_rootfs ;;
    up) need_root; cmd_up "$@" ;;
    exec) need_root; [ $# -ge 2 ] || die "usage: exec MACHINE -- CMD..."; cmd_exec "$@" ;;
    down) need_root; [ $# -eq 1 ] || die "usage: down MACHINE"; cmd_down "$1" ;;
    run) need_root; cmd_run "$@" ;;
    list) cmd_list ;;
    -h|--help|help) usage ;;
    *) die "unknown verb $verb (ensure, up, exec, down, run, list)" ;;
  esac
}

main "$@"
