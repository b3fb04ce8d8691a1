#!/usr/bin/env bash
# tests/run.sh: every test tier of hero-systemd, as the README's test command.
#   1. pure tier: go vet + go test ./... (config, graphs, unitgen, cli; no host access), then
#      again with the race detector (the one step built with cgo)
#   2. fuzz smoke: each fuzz target for a fixed number of executions (HERO_FUZZTIME, default
#      100000x; a duration like 60s also works)
#   3. integration tier: real systemd in a systemd-nspawn container (tests/testbed), as root
# It installs what it needs (systemd-container, debootstrap; the rootfs is built once and cached)
# and leaves no container behind.
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/.."
export CGO_ENABLED=0 GOFLAGS=${GOFLAGS:--mod=mod}
FUZZTIME=${HERO_FUZZTIME:-100000x}

step() { printf '\n==> %s\n' "$*"; }

command -v go >/dev/null || { echo "tests/run.sh: Go is required (https://go.dev/doc/install)" >&2; exit 1; }

step "pure tier: go vet ./... && go test ./..."
go vet ./...
go vet -tags integration ./tests/...
go test -count=1 ./...

step "pure tier with the race detector: go test -race ./... (cgo for this run only)"
CGO_ENABLED=1 go test -count=1 -race ./...

step "fuzz smoke ($FUZZTIME per target)"
for target in unitgen/config:FuzzParseTOML unitgen/config:FuzzParseYAML unitgen/config:FuzzSplitWords \
  unitgen/config:FuzzTOMLMatchesDecoder unitgen/config:FuzzParseBounded unitgen/config:FuzzParseSignal \
  unitgen:FuzzTextMatchesProperties unitgen:FuzzSplitWordsThroughText unitgen:FuzzUnitName \
  graphs:FuzzBuild; do
  pkg=${target%%:*} name=${target##*:}
  out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "./$pkg" 2>&1) || {
    echo "$out"
    echo "tests/run.sh: fuzz target $name failed (a failing input is saved under $pkg/testdata/fuzz/$name)" >&2
    exit 1
  }
  echo "$name: $(grep -E '^fuzz: elapsed' <<<"$out" | tail -1)"
done

step "integration tier: real systemd in a container"
if [ "$(id -u)" != 0 ]; then
  echo "tests/run.sh: the integration tier boots systemd-nspawn and must run as root" >&2
  exit 1
fi
bash tests/testbed/testbed.sh ensure >/dev/null
log=$(mktemp)
set +e
go test -count=1 -tags integration -v ./tests/... >"$log" 2>&1
status=$?
set -e
cat "$log"
rm -f "$log"
left=$(bash tests/testbed/testbed.sh list)
if [ -n "$left" ]; then
  echo "tests/run.sh: containers left behind: $left" >&2
  exit 1
fi
exit "$status"
