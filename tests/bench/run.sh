#!/usr/bin/env bash
# tests/bench/run.sh: hero-systemd's benchmark, one command. It boots the testbed (a real
# systemd in a systemd-nspawn container, tests/testbed), runs herod under that systemd and
# measures, in one run, hero as a user runs it (every operation a heroctl process) against
# native systemd doing the same work on plain units in the same container:
#   cascade stop (chain, fan-out + diamond, diamond-rich graph), start (a chain's leaf, many
#   independent services; against a systemd-run loop and systemd's floor), status/list-units
#   latency, operations on unrelated services during a slow start, a load of concurrent
#   clients, a real stack's recovery (PostgreSQL, Redis, a Python app, nginx: kill -9 of
#   PostgreSQL and an apply of a changed env value, as hero services and as native units, a
#   client through nginx counting failed requests), scale (start, cascade, the first reads
#   after a start, reads, GetManagedObjects and herod's RSS at N = 50, 500, 2,000, 5,000
#   services; --short: 50, 200), herod's RSS and idle CPU; then, on the host, the core's go test
#   benchmarks. The container is the daemons tier's flavour of the testbed (Debian's
#   PostgreSQL, Redis and nginx; built once and cached); their own units are stopped first.
# It prints medians, spread and ratios, and writes into the output directory: results.md (the
# docs/benchmarks.md's table, with date and machine), results.csv, samples.csv (every sample),
# ratios.png and scale.png (gnuplot: ratios; cost against N), herod.log.
#
#   bash tests/bench/run.sh [--short] [--only SECTION] [--scale N,N...] [--profile] [--out DIR]
#     --short         few rounds and small sizes (CI; about 2-3 minutes)
#     --only SECTION  measure one section of the container's figures (e.g. scale, recovery), no
#                     core; scale-reads: the scale section's reads and memory alone (no timed
#                     starts)
#     --scale N,N...  the numbers of services of the scale section
#     --profile       build herod with -tags pprof and fetch its Go profiles (CPU during the
#                     reads at each N and a recovery, heap after the reads) into DIR/profiles;
#                     read them with 'go tool pprof -top DIR/profiles/FILE' (the figures of such
#                     a run include the profiler's cost)
#     --herod-env NAME=VALUE
#                     herod's environment (repeatable; e.g. GOMEMLIMIT=64MiB, to measure what
#                     a setting changes)
#     --out DIR       output directory (default tests/bench/out)
#
# Goals are reported beside the figures, never asserted: it fails only when something does not
# work. Needs root (systemd-nspawn); installs gnuplot-nox with apt if gnuplot is missing.
set -euo pipefail
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac

die() { echo "tests/bench/run.sh: $*" >&2; exit 1; }

mode=() only=() scale=() profile=() herodenv=() out=""
while [ $# -gt 0 ]; do
  case $1 in
    --short) mode=(--short); shift ;;
    --only) [ $# -ge 2 ] || die "--only needs a section"; only=(--only "$2"); shift 2 ;;
    --scale) [ $# -ge 2 ] || die "--scale needs counts"; scale=(--scale "$2"); shift 2 ;;
    --profile) profile=(--profile); shift ;;
    --herod-env) [ $# -ge 2 ] || die "--herod-env needs NAME=VALUE"; herodenv+=(--herod-env "$2"); shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (--short, --only SECTION, --scale N,N, --profile, --herod-env NAME=VALUE, --out DIR)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "must run as root: it boots systemd in a systemd-nspawn container"
command -v go >/dev/null || die "Go is required (https://go.dev/doc/install)"
cd "$(dirname "$0")/../.."
out=${out:-$PWD/tests/bench/out}
export CGO_ENABLED=0 GOFLAGS=${GOFLAGS:--mod=mod}
began=$(date +%s)

if ! command -v gnuplot >/dev/null; then
  echo "tests/bench/run.sh: installing gnuplot-nox (for the chart)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >&2
fi

mkdir -p "$out"
rm -f "$out"/{system.csv,core.csv,results.csv,results.md,samples.csv,ratios.dat,ratios.gp,ratios.png,scale.dat,scale.gp,scale.png,herod.log,systemd-version.txt,loadavg-start.txt}
rm -rf "$out/profiles"
# How busy the machine was (other work skews timings): the report prints it beside the figures.
cut -d' ' -f1 /proc/loadavg >"$out/loadavg-start.txt"
stage=$(mktemp -d)
machine=""
cleanup() {
  if [ -n "$machine" ]; then bash tests/testbed/testbed.sh down "$machine"; fi
  rm -rf "$stage"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$stage"
go build -o "$stage/bin/" ./cmd/heroctl ./cmd/hero-exec
if [ ${#profile[@]} -gt 0 ]; then
  go build -tags pprof -o "$stage/bin/" ./cmd/herod
else
  go build -o "$stage/bin/" ./cmd/herod
fi
go build -o "$stage/bin/hero-bench" ./tests/bench

# The daemons tier's flavour of the testbed: the recovery section runs Debian's PostgreSQL,
# Redis and nginx. Sections that need none of them run in it too (their units are stopped).
export HERO_TESTBED_EXTRA=postgresql,redis-server,nginx-light,curl,python3
bash tests/testbed/testbed.sh ensure >/dev/null
up=$(bash tests/testbed/testbed.sh up --bind-ro "$stage:/opt/hero" --bind-ro "$PWD:/opt/hero-src" --bind "$out:/opt/hero-out")
machine=$(sed -n 's/^MACHINE=//p' <<<"$up")
echo "testbed: $machine up in $(sed -n 's/^BOOT_MS=//p' <<<"$up") ms"
bash tests/testbed/testbed.sh exec "$machine" -- /opt/hero/bin/hero-bench system "${mode[@]}" "${only[@]}" "${scale[@]}" "${profile[@]}" "${herodenv[@]}" --out /opt/hero-out
# The core benchmarks run on the host with the container halted, so it takes no CPU from them.
bash tests/testbed/testbed.sh down "$machine"
machine=""

if [ ${#only[@]} -eq 0 ]; then
  printf '\n== core (go test benchmarks, on the host)\n'
  "$stage/bin/hero-bench" core "${mode[@]}" --out "$out" --repo "$PWD"
fi
"$stage/bin/hero-bench" report "${mode[@]}" "${only[@]}" --out "$out"
echo "tests/bench/run.sh: done in $(( $(date +%s) - began )) s"
