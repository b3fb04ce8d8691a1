#!/usr/bin/env bash
# packaging/graph.sh: draw the example stack's dependency graph for the README: heroctl graph
# --dot over packaging/examples, rendered by graphviz into docs/examples-graph.svg (installs
# graphviz with apt when missing, as root). Run it again when the examples change, and commit.
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "graph.sh: graphviz is missing: apt-get install graphviz" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null
fi
out=docs/examples-graph.svg
CGO_ENABLED=0 go run ./cmd/heroctl graph --dot --config-dir packaging/examples | dot -Tsvg >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
