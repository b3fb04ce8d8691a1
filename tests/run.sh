#!/usr/bin/env bash
# tests/run.sh: every test tier of hero-systemd, as the README's test command.
#   1. pure tier: go vet, staticcheck + go test ./... (config, graphs, unitgen, cli, manual
#      pages, completion in bash/zsh/fish; no host access), then again with the race detector
#      (the one step built with cgo); code health: no function over 80 lines, every package of
#      more than three files in layers (at most 3 references back up), coverage floors
#   2. fuzz smoke: each fuzz target for a fixed number of executions (HERO_FUZZTIME, default
#      100000x; a duration like 60s also works)
#   3. package: the Debian package is built and checked by lintian (errors and warnings fail;
#      the overrides kept are explained in packaging/README.md)
#   4. integration tier, as root: the README's try command (packaging/try.sh) on that package and
#      its tutorial (packaging/tutorial.sh --check: the README's output is the program's), then
#      real systemd in a systemd-nspawn container (tests/testbed): the whole tier on Debian 12
#      (systemd 252), then a smoke subset (TRIXIE_SMOKE) on Debian 13 (systemd 257)
#   5. daemons tier, as root: Debian's own PostgreSQL, Redis, nginx and a Python server run as
#      hero services the way their packaged units run them (notify, reload, kill mode, a
#      capability, the strict sandbox beside Debian's redis-server.service), in a flavour of the
#      testbed with those packages (tests/daemons, build tag daemons), on Debian 12 and 13; it
#      prints what it measured
#   6. fleet tier, as root: real Ansible (ansible-core from Debian) with the hero.systemd
#      collection (packaging/ansible) against three containers at once (tests/fleet), and the
#      ansible-playbook line 'packaging/try.sh --hosts 3' prints, run as printed
#   7. browser tier, as root: the Cockpit page (packaging/cockpit) in Debian's chromium, headless,
#      driven by chromedp against cockpit-ws in a Cockpit flavour of the testbed with the package
#      installed (tests/browser, build tag browser), and the address and login
#      'packaging/try.sh --cockpit' prints; screenshots in HERO_BROWSER_ARTIFACTS (default
#      /tmp/hero-browser-artifacts)
#   8. the benchmark, short (tests/bench/run.sh --short): fails on errors, never on a figure
# Tests are printed as they end (a failure with its whole output). The last line counts the test
# functions (TestX; subtests are part of their test) of tiers 1, 4, 5, 6 and 7: "N passed, N failed,
# N skipped". As root it installs what it needs with apt (systemd-container, debootstrap,
# lintian, zsh, fish, bash-completion, man-db for the completion and manual tests, ansible-core
# and socat for the fleet tier, chromium for the browser tier; the rootfs and its flavours are
# built once and cached) and leaves no container behind.
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/.."
export CGO_ENABLED=0 GOFLAGS=${GOFLAGS:--mod=mod}
FUZZTIME=${HERO_FUZZTIME:-100000x}
module=$(go list -m)

step() { printf '\n==> %s\n' "$*"; }

command -v go >/dev/null || { echo "tests/run.sh: Go is required (https://go.dev/doc/install)" >&2; exit 1; }

# This run's containers carry this label (testbed.sh): its check for containers left behind
# looks at its own only, whatever else runs on the machine.
export HERO_TESTBED_RUN="tests-run-$$-$(date +%s)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tally=$work/tally
failures=$work/failures
failed=0

# summary prints every failure again (the end of a long log then says what failed) and the
# closing line; the exit status says whether everything passed.
summary() {
  local passed=0 tfailed=0 skipped=0
  [ -f "$tally" ] && read -r passed tfailed skipped <"$tally"
  if [ -s "$failures" ]; then
    step "what failed (each with the end of its output; the whole of it is above)"
    cat "$failures"
  fi
  printf '\n%d passed, %d failed, %d skipped\n' "$passed" "$tfailed" "$skipped"
}

# fail notes a failure outside go test, for the recap above the closing line.
fail() {
  failed=1
  printf '%s\n' "$@" >>"$failures"
}

# gotest runs go test with its arguments, printing through tests/testfmt; a failure is noted.
gotest() {
  go test -json "$@" 2>&1 | go run ./tests/testfmt -module "$module" -tally "$tally" -failures "$failures" || failed=1
}

if [ "$(id -u)" = 0 ]; then
  missing=()
  for tool in dbus-daemon:dbus-daemon dbus-send:dbus-bin lintian:lintian zsh:zsh fish:fish man:man-db ansible-playbook:ansible-core socat:socat chromium:chromium; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
  done
  [ -f /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

step "pure tier: go vet ./..., staticcheck ./... && go test ./..."
go vet ./...
go vet -tags integration ./tests/...
go vet -tags daemons ./tests/daemons/
go vet -tags fleet ./tests/fleet/
go vet -tags browser ./tests/browser/
# staticcheck, at the version this tree is kept clean with (installed from the Go module proxy
# when missing: a clean machine has none), over every package and every build tag's tests.
staticcheck=$(GOFLAGS= go env GOPATH)/bin/staticcheck
staticcheck_version=v0.8.2
if ! "$staticcheck" -version 2>/dev/null | grep -q "(${staticcheck_version#v})"; then
  GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
"$staticcheck" ./... || fail "staticcheck found problems (listed above)"
for tag in integration daemons fleet browser; do
  "$staticcheck" -tags "$tag" ./tests/... || fail "staticcheck -tags $tag found problems (listed above)"
done
gotest -count=1 ./...

step "pure tier with the race detector: go test -race ./... (cgo for this run only)"
if ! raced=$(CGO_ENABLED=1 go test -count=1 -race ./... 2>&1); then
  echo "$raced"
  fail "the pure tier failed under the race detector:" "$(grep -E -A30 -- '^(--- FAIL|WARNING: DATA RACE|panic:)' <<<"$raced" | tail -n 60)"
else
  grep -v '^ok ' <<<"$raced" || true
  echo "every package passed"
fi

step "code health: no function over 80 lines; files in layers; pure-tier coverage (bridge >= 60%, herod >= 50%, hero-exec >= 70%)"
go run ./tests/tools/funclen . || fail "functions over 80 lines (listed above): split them"
# coverage prints the total statement coverage of packages in the pure tier (-short: no systemd).
coverage() {
  go test -short -count=1 -coverprofile="$work/cover.out" "$@" >/dev/null &&
    go tool cover -func="$work/cover.out" | awk '/^total:/ { sub("%", "", $3); print $3 }'
}
# layers: each package's files on floors (a file uses what files below it define). Every package
# of more than three files keeps at most 3 references that run back up (docs/design.md draws
# them). A package named in layers_pending is only reported (none is: the list is for a package
# whose layering is under way, and names it until its change lands).
layers_pending=""
enforced=() pending=()
for dir in $(go list -f '{{if gt (len .GoFiles) 3}}{{.Dir}}{{end}}' ./... | sed "s#^$PWD/##"); do
  case "$layers_pending" in *" $dir "*) pending+=("$dir") ;; *) enforced+=("$dir") ;; esac
done
go run ./tests/tools/layers -max-up 3 "${enforced[@]}" || fail "files that use what files above them define (listed above): at most 3 per package"
[ ${#pending[@]} -eq 0 ] || go run ./tests/tools/layers "${pending[@]}" || fail "tests/tools/layers failed"
for floor in ./bridge/...:60 ./cmd/internal/daemon:50 ./cmd/internal/heroexec:70; do
  pkgs=${floor%%:*} min=${floor##*:}
  got=$(coverage "$pkgs") || { fail "go test -short -cover $pkgs failed"; continue; }
  echo "$pkgs: $got% of statements covered without systemd (floor $min%)"
  awk -v g="$got" -v m="$min" 'BEGIN { exit !(g >= m) }' || fail "$pkgs: coverage without systemd $got% is under its floor $min%"
done

step "fuzz smoke ($FUZZTIME per target)"
for target in unitgen/config:FuzzParseTOML unitgen/config:FuzzParseYAML unitgen/config:FuzzSplitWords \
  unitgen/config:FuzzTOMLMatchesDecoder unitgen/config:FuzzParseBounded unitgen/config:FuzzParseSignal \
  unitgen:FuzzTextMatchesProperties unitgen:FuzzSplitWordsThroughText unitgen:FuzzUnitName \
  graphs:FuzzBuild graphs:FuzzPlans; do
  pkg=${target%%:*} name=${target##*:}
  if out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "./$pkg" 2>&1); then
    echo "$name: $(grep -E '^fuzz: elapsed' <<<"$out" | tail -1)"
  else
    echo "$out"
    echo "tests/run.sh: fuzz target $name failed (a failing input is saved under $pkg/testdata/fuzz/$name)" >&2
    fail "fuzz target $name failed:" "$(tail -n 30 <<<"$out")"
  fi
done

step "package: build the .deb, lintian"
deb=$(bash packaging/deb/build.sh "$work/dist")
echo "$deb"
if command -v lintian >/dev/null; then
  # As root lintian says it would rather not be; it reads the package only.
  lintian --fail-on error,warning "$deb" 2> >(grep -v 'running with root privileges' >&2) || fail "lintian failed on $deb (its tags are above)"
else
  echo "tests/run.sh: lintian is not installed (run as root to install it, or apt-get install lintian)" >&2
  fail "lintian is not installed"
fi

step "integration tier: real systemd in a container"
if [ "$(id -u)" != 0 ]; then
  echo "tests/run.sh: the integration tier boots systemd-nspawn and must run as root" >&2
  summary
  exit 1
fi
bash tests/testbed/testbed.sh ensure >/dev/null
before=$(bash tests/testbed/testbed.sh list)
# The README's "try it yourself" command, on the package built above: herod running, the six
# examples loaded.
tried=$(bash packaging/try.sh --deb "$deb" -- sh -c 'systemctl is-active herod; heroctl list-units --no-legend | wc -l' 2>&1) || true
if [ "$tried" = "$(printf 'active\n6')" ]; then
  echo "packaging/try.sh: herod active, 6 services loaded"
else
  echo "tests/run.sh: packaging/try.sh did not give a running herod with the examples:" >&2
  echo "$tried" >&2
  fail "packaging/try.sh did not give a running herod with the examples:" "$(tail -n 30 <<<"$tried")"
fi
# try.sh --config-dir DIR: your own directory mounted instead of the examples (one service here).
own=$(mktemp -d)
cp packaging/examples/db.toml "$own/"
tried=$(bash packaging/try.sh --deb "$deb" --config-dir "$own" -- sh -c 'heroctl list-units --no-legend | wc -l; heroctl start db >/dev/null 2>&1 && heroctl is-active db' 2>&1) || true
rm -rf "$own"
if [ "$tried" = "$(printf '1\nactive')" ]; then
  echo "packaging/try.sh --config-dir: your directory loaded, its service started"
else
  echo "tests/run.sh: packaging/try.sh --config-dir did not load the directory given:" >&2
  echo "$tried" >&2
  fail "packaging/try.sh --config-dir did not load the directory given:" "$(tail -n 30 <<<"$tried")"
fi
# The README's tutorial ("your first service in five minutes"), run in a fresh container: what it
# prints must be the README's block, times and PIDs aside (packaging/tutorial.sh --update
# rewrites the block).
if tut=$(bash packaging/tutorial.sh --deb "$deb" --check 2>&1 >/dev/null); then
  echo "packaging/tutorial.sh --check: the README's tutorial is what the program prints"
else
  echo "$tut" >&2
  fail "the README's tutorial is not what the program prints (packaging/tutorial.sh --check):" "$(tail -n 40 <<<"$tut")"
fi
gotest -count=1 -timeout 60m -tags integration ./tests/integration/

# The second systemd version: a representative subset (units and their properties, values
# byte for byte across a daemon-reload, cascade stop, runs as jobs, herod killed mid-operation,
# herod --user, every heroctl verb, the trust, disclosure and secrets checks, the daemon
# keys: as properties and unit text across a daemon-reload, notify, watchdog, reload, env_file;
# the floods' kept tails; outages, liveness, restart_window, the restart count, soft wants and
# systemd's own dependency semantics).
TRIXIE_SMOKE='^(TestCascadeStopChain|TestHeroctlVerb[A-Za-z]+|TestExampleStack|TestSystemdAcceptsGeneratedProperties|TestValuesReachTheProgramLiterally|TestValuesAcrossDaemonReload|TestKilledMidStartAndMidCascade|TestEveryRunIsAJob|TestUserMode|TestUntrustedFilesAreNeverRun|TestProblemsDiscloseNoUnreadableFile|TestEnvironmentValuesStaySecret|TestDaemonKeysAsPropertiesAndText|TestNotifyStartReturnsWhenReady|TestMissedWatchdogEndsTheRun|TestReloadKeepsTheRun|TestEnvFileTrust|TestAFailedStartsOutputReachesOnlyItsReaders|TestAUsersSymlinkIsNeverFollowed|TestUnitTextOfAnUnreadableFileUntilSystemdHasIt|TestFloodKeepsTheExactTailInBoundedMemory|TestStoppedFloodKeepsItsLastOutput|TestNativeDependencySemantics|TestOutageOfSeveralAttemptsBringsDependentsBack|TestStartLimitThenStartOfTheRequirement|TestHerodKilledDuringAnOutage|TestLivenessRestartsAHungService|TestLivenessHangingCheckStopsAServiceThatDoesNotRestart|TestLivenessWorksWithoutHerod|TestLivenessRunsAsTheServiceAndEndsWithIt|TestRestartWindow|TestRestartsAreCountedOnce|TestWantsIsSoft)$'
step "integration smoke on Debian 13 (trixie, systemd 257): $TRIXIE_SMOKE"
HERO_TESTBED_SUITE=trixie bash tests/testbed/testbed.sh ensure >/dev/null
HERO_TESTBED_SUITE=trixie gotest -count=1 -tags integration -run "$TRIXIE_SMOKE" ./tests/integration/
step "daemons tier: Debian's PostgreSQL, Redis, nginx and a Python server as hero services (tests/daemons)"
# Its own rootfs flavour (HERO_TESTBED_EXTRA, set by its TestMain), built once and cached.
gotest -count=1 -timeout 30m -tags daemons ./tests/daemons/
HERO_TESTBED_SUITE=trixie gotest -count=1 -timeout 30m -tags daemons ./tests/daemons/
step "fleet tier: Ansible (hero.systemd collection) against three containers at once"
# The same package as above; the collection is built and installed from its tarball.
# TestFleetTiming is the README's measurement (HERO_FLEET_TIMING=N), not a check.
HERO_FLEET_DEB=$deb gotest -count=1 -timeout 20m -tags fleet -skip TestFleetTiming ./tests/fleet/
step "browser tier: the Cockpit page in chromium (tests/browser)"
artifacts=${HERO_BROWSER_ARTIFACTS:-}
if [ -z "$artifacts" ]; then
  # The default folder holds only the last run's screenshots.
  artifacts=${TMPDIR:-/tmp}/hero-browser-artifacts
  rm -rf "$artifacts"
fi
HERO_BROWSER_ARTIFACTS=$artifacts gotest -count=1 -tags browser ./tests/browser/
echo "screenshots of the Cockpit page: $artifacts"

step "benchmark, short: tests/bench/run.sh --short (figures are reported, never asserted)"
if ! bash tests/bench/run.sh --short; then
  echo "tests/run.sh: the short benchmark failed (an error, not a figure)" >&2
  fail "the short benchmark failed (an error, not a figure; its output is above)"
fi
# Only this run's containers that were not up before count: other runs on this machine may have
# theirs.
left=$(comm -13 <(sort <<<"$before") <(bash tests/testbed/testbed.sh list | sort))
if [ -n "$left" ]; then
  echo "tests/run.sh: containers left behind: $left" >&2
  fail "containers left behind: $left"
fi
summary
exit "$failed"
