#!/usr/bin/env bash
# packaging/demo.sh: the README's run command. Shows hero-systemd's main job on the example stack
# in packaging/examples: validation, the dependency graph, the generated units, the cascade-stop
# plan, then the stack running on a real systemd. When the host's PID 1 is not systemd (or unless
# HERO_DEMO_HOST=1 is set), systemd is booted in a throw-away systemd-nspawn container.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=0
EXAMPLES=packaging/examples

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" || true; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/heroctl" ./cmd/heroctl
heroctl() { "$tmp/heroctl" --config-dir "$EXAMPLES" "$@"; }

say "1. Validate the example configs ($EXAMPLES)"
run heroctl validate

say "2. What web needs, and what a stop of db would take down"
run heroctl list-dependencies web
run heroctl list-dependencies --reverse db

say "3. The transient unit hero hands to systemd for api"
run heroctl cat api

say "4. Cascade-stop plan of db (dry run: nothing is touched)"
run heroctl stop --dry-run db
run heroctl stop --dry-run db -o json

say "5. Bad input is refused with every problem named, before anything touches the host"
mkdir "$tmp/broken"
cp "$EXAMPLES"/*.toml "$tmp/broken/"
printf 'exec = "/bin/true"\nrestrat = "always"\n[dependencies]\nrequires = ["dbx"]\n' >"$tmp/broken/typo.toml"
printf 'exec = "/bin/true"\n[dependencies]\nrequires = ["web"]\n' >>"$tmp/broken/db.toml"
printf '$ heroctl validate --config-dir %s\n' "$tmp/broken"
"$tmp/heroctl" validate --config-dir "$tmp/broken" || echo "(exit status $?)"

say "6. The stack on a real systemd"
if [ "$(id -u)" != 0 ]; then
  echo "Booting systemd in a container needs root: run 'sudo bash packaging/demo.sh' for this part."
  exit 0
fi
if [ "${HERO_DEMO_HOST:-0}" = 1 ]; then
  echo "HERO_DEMO_HOST=1: running on the host's systemd is not supported yet; using a container." >&2
fi
echo "The host's PID 1 is $(ps -p 1 -o comm=); booting systemd in a systemd-nspawn container."
echo "(The bridge and herod are not built yet, so the services' units are started through"
echo " go-systemd in plan order, as tests/integration/examples_test.go does.)"
bash tests/testbed/testbed.sh ensure >/dev/null
go test -count=1 -tags integration -run '^TestExampleStack$' -v ./tests/integration/ 2>&1 |
  sed -n 's/^ *examples_test.go:[0-9]*: /  /p; s/^        /    /p; /^testbed:/p; /^--- /p'
