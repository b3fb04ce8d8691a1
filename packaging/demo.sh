#!/usr/bin/env bash
# packaging/demo.sh: the README's run command. hero-systemd's main job on the example stack in
# packaging/examples: validate it, plan it, then run it on a real systemd through herod and
# heroctl: start, status, a crash's kept output, the cascade-stop dry run, the cascade stop, and
# what the job ledger kept. The host's PID 1 is not systemd here, so systemd is booted in a
# throw-away systemd-nspawn container (tests/testbed); it is never booted on the host's root.
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/.."
# shellcheck source=packaging/progress.sh
source packaging/progress.sh
export CGO_ENABLED=0
EXAMPLES=packaging/examples

# Bold headings on a terminal only, and never with NO_COLOR set (https://no-color.org).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

stage=$(mktemp -d)
machine=""
cleanup() {
  if [ -n "$machine" ]; then bash tests/testbed/testbed.sh down "$machine"; fi
  rm -rf "$stage"
}
trap cleanup EXIT
chmod 755 "$stage"
with_progress "Building herod, heroctl and hero-exec" \
  "the first build on a machine downloads about 20 Go modules and compiles them with the standard library: minutes, up to 10 on a busy 2-core machine; seconds after" \
  "$stage/build.log" go_progress go build -v -o "$stage/bin/" ./cmd/herod ./cmd/heroctl ./cmd/hero-exec

# exited explains a non-zero exit status as heroctl (like systemctl) means it.
exited() {
  case $1 in
    1) echo "(exit status 1: failure)" ;;
    3) echo "(exit status 3: not active, as systemctl says of a unit that does not run)" ;;
    4) echo "(exit status 4: no such service)" ;;
    *) echo "(exit status $1)" ;;
  esac
}
offline() { printf '$ heroctl %s\n' "$*"; "$stage/bin/heroctl" --config-dir "$EXAMPLES" "$@" || exited $?; }

say "1. Validate the example configs ($EXAMPLES): 6 services, one of them a zinit file"
offline validate

say "2. What web needs, and what stopping db would take down"
offline list-dependencies web
offline list-dependencies --reverse db

say "3. Bad input is refused with every problem named, before anything touches the host"
mkdir "$stage/broken"
cp "$EXAMPLES"/* "$stage/broken/"
printf 'exec = "/bin/true"\nrestrat = "always"\n[dependencies]\nrequires = ["dbx"]\n' >"$stage/broken/typo.toml"
printf '$ heroctl validate --config-dir %s\n' "$stage/broken"
"$stage/bin/heroctl" validate --config-dir "$stage/broken" || exited $?

say "4. A real systemd"
if [ "$(id -u)" != 0 ]; then
  echo "Booting systemd in a container needs root: run 'sudo bash packaging/demo.sh' for the rest."
  exit 0
fi
if [ -d /run/systemd/system ]; then
  echo "This host runs systemd, but the demo leaves it alone: it boots a systemd of its own in a systemd-nspawn container."
else
  echo "This host does not run systemd (as containers and CI machines often do not): the demo boots one in a systemd-nspawn container."
fi
bash tests/testbed/testbed.sh ensure >/dev/null
echo "Booting the container (seconds)..."
up=$(bash tests/testbed/testbed.sh up --bind-ro "$stage:/opt/hero" --bind-ro "$PWD:/opt/hero-src")
machine=$(sed -n 's/^MACHINE=//p' <<<"$up")
echo "Container $machine is up in $(sed -n 's/^BOOT_MS=//p' <<<"$up") ms."
inside() { bash tests/testbed/testbed.sh exec "$machine" -- "$@"; }
# typed prints a command line as typed: words with spaces quoted.
typed() {
  local line="$" w
  for w in "$@"; do case $w in *" "*) line+=" '$w'" ;; *) line+=" $w" ;; esac; done
  printf '%s\n' "$line"
}
show() { typed "$@"; inside env PATH=/opt/hero/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" || exited $?; }

say "5. Install the D-Bus policy and let systemd run herod"
inside cp /opt/hero-src/packaging/dbus/org.hero.Proc1.conf /etc/dbus-1/system.d/
inside busctl call org.freedesktop.DBus / org.freedesktop.DBus ReloadConfig
show systemd-run --unit herod /opt/hero/bin/herod --config-dir /opt/hero-src/packaging/examples
for _ in $(seq 1 100); do inside busctl status org.hero.Proc1 >/dev/null 2>&1 && break; sleep 0.05; done

say "6. Start web, worker, mailer and cleanup: queued at once with their requires closures; systemd orders them"
show heroctl start web worker mailer cleanup
sleep 0.5
show heroctl list-units

say "7. mailer crashed on start; why stays readable"
show heroctl status mailer
show heroctl jobs mailer

say "8. The cascade-stop plan of db, then the cascade stop itself"
show heroctl stop --dry-run db
show heroctl stop db -o json
show heroctl list-units --no-legend
echo "LOAD is systemd's: it unloads a stopped transient unit (not-found) once no loaded unit refers"
echo "to it. A failed unit (mailer) stays loaded until 'heroctl reset-failed', and so do the units it"
echo "refers to. hero knows every service either way: STATE says how each last ran."

say "9. What the ledger kept: jobs are never deleted on stop"
show heroctl jobs api
show heroctl logs api
show heroctl status worker

say "10. herod is killed (SIGKILL) while worker ends: the next herod records the run from systemd's journal"
show heroctl start worker
show systemctl kill --kill-whom=main --signal=KILL herod
gone() { case $(inside systemctl show -p ActiveState --value "$1") in inactive|failed) return 0 ;; esac; return 1; }
for _ in $(seq 1 100); do gone herod && break; sleep 0.1; done
show systemctl kill --kill-whom=main --signal=TERM hero-default-worker.service
for _ in $(seq 1 100); do gone hero-default-worker.service && break; sleep 0.1; done
inside systemctl reset-failed herod
# A unit of its own: the killed herod's unit may still be winding down.
show systemd-run --unit herod-again /opt/hero/bin/herod --config-dir /opt/hero-src/packaging/examples
for _ in $(seq 1 100); do inside busctl status org.hero.Proc1 >/dev/null 2>&1 && break; sleep 0.05; done
echo "worker ended on SIGTERM while no herod ran. systemd counts SIGTERM as a clean end of a service"
echo "(it is what a stop sends), so its run is succeeded, result success:"
show heroctl jobs worker

say "11. The overview, and the forms systemctl and journalctl users type"
show heroctl status
show heroctl list-units --failed
show heroctl jobs --failed
show heroctl logs mailer --since "10 min ago" -p info -g fatal
show heroctl start wrker

say "12. The same API from a client nobody here wrote"
show busctl call org.hero.Proc1 /org/hero/Proc1 org.hero.Proc1.Manager Start sb worker true
show gdbus call --system -d org.hero.Proc1 -o /org/hero/Proc1 -m org.hero.Proc1.Manager.Stop db false

say "Your turn"
echo "The demo's container goes away as the demo ends. For a systemd of your own to play with, run"
echo "  sudo bash packaging/try.sh"
echo "It opens a shell in a fresh container with herod installed from the Debian package and"
echo "these examples loaded in /etc/hero/services; 'exit' leaves it and halts the container."
