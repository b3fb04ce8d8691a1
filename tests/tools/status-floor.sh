#!/usr/bin/env bash
# status-floor.sh [--deb FILE] [ROUNDS]: what a heroctl status is made of, against what
# systemctl status costs, in a container of the testbed with the example stack running
# (packaging/try.sh). Each command runs ROUNDS times (default 30); the mean is printed in
# microseconds. heroctl asks herod for the status and, beside it, for the last lines, which
# herod reads with a journalctl process: compare "journalctl -n 0" with "systemctl status"
# (docs/benchmarks.md, "heroctl status NAME"). Needs root, like systemd-nspawn.
set -euo pipefail
deb=() rounds=30
while [ $# -gt 0 ]; do
  case $1 in
    --deb) deb=(--deb "${2:?--deb needs a file}"); shift 2 ;;
    *) rounds=$1; shift ;;
  esac
done
case $rounds in '' | *[!0-9]*) echo "status-floor.sh: ROUNDS must be a number, not $rounds" >&2; exit 2 ;; esac
cd "$(dirname "$0")/../.."
# shellcheck disable=SC2016 # expanded inside the container
probe='
rounds=$1
heroctl start db api web worker mailer >/dev/null
mean() {
  local began=$(date +%s%N)
  for ((k = 0; k < rounds; k++)); do "$@" >/dev/null 2>&1 || true; done
  echo "$(( ($(date +%s%N) - began) / rounds / 1000 )) us: $*"
}
unit=/org/freedesktop/systemd1/unit/hero_2ddefault_2ddb_2eservice
mean systemctl --version
mean heroctl --version
mean journalctl --no-pager -n 0
mean systemctl status --no-pager hero-default-db.service
mean heroctl status -n 0 db
mean heroctl status db
mean busctl call org.freedesktop.systemd1 "$unit" org.freedesktop.DBus.Properties GetAll s ""
mean busctl call org.hero.Proc1 /org/hero/Proc1 org.hero.Proc1.Manager Status s db
mean busctl call org.hero.Proc1 /org/hero/Proc1 org.hero.Proc1.Manager JobLog sxu db 0 10
'
exec bash packaging/try.sh "${deb[@]}" -- bash -c "$probe" probe "$rounds"
