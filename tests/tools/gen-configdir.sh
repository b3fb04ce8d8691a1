#!/usr/bin/env bash
# gen-configdir.sh N DIR: writes N hero TOML service files into DIR, for measuring how fast a
# config directory is read (docs/benchmarks.md). Service "root" is required by every other one;
# each s<i> is also ordered after s<i-1>, has an environment, a restart policy and limits, so
# every part of the decoder is exercised. Then:
#   time heroctl stop --dry-run root --config-dir DIR
set -euo pipefail
n=${1:?usage: gen-configdir.sh N DIR}
dir=${2:?usage: gen-configdir.sh N DIR}
mkdir -p "$dir"
printf 'description = "the root every service requires"\nexec = ["/usr/bin/sleep", "infinity"]\n' >"$dir/root.toml"
for ((i = 1; i < n; i++)); do
  printf -v name 's%06d' "$i"
  printf -v prev 's%06d' $((i - 1))
  after=""
  [ "$i" -gt 1 ] && after="after = [\"$prev\"]"
  printf '%s\n' \
    "description = \"generated service $i\"" \
    "exec = [\"/usr/bin/sleep\", \"infinity\"]" \
    "env = { PORT = \"$((8000 + i % 1000))\", MODE = \"production\" }" \
    "restart = \"on-failure\"" \
    "restart_delay = \"2s\"" \
    "" \
    "[dependencies]" \
    "requires = [\"root\"]" \
    "$after" \
    "" \
    "[limits]" \
    "memory = \"256M\"" \
    "tasks = 64" >"$dir/$name.toml"
done
