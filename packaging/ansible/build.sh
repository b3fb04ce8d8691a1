#!/usr/bin/env bash
# packaging/ansible/build.sh [OUTDIR]: build the hero.systemd Ansible collection tarball
# (hero-systemd-VERSION.tar.gz, VERSION from galaxy.yml) into OUTDIR (default dist/) and print
# its path. Needs ansible-galaxy (Debian: apt-get install ansible-core). Install it with
#   ansible-galaxy collection install OUTDIR/hero-systemd-VERSION.tar.gz
# The collection is built from a copy with links resolved, so the example playbook's files/ (a
# link to packaging/examples in the repository) travels in the tarball; a plain
# `ansible-galaxy collection build packaging/ansible` builds the same collection without them.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-dist}")
command -v ansible-galaxy >/dev/null || { echo "build.sh: ansible-galaxy is missing (apt-get install ansible-core)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -rL packaging/ansible "$stage/systemd"
mkdir -p "$out"
ansible-galaxy collection build "$stage/systemd" --output-path "$out" --force >&2
version=$(awk '$1 == "version:" {print $2; exit}' packaging/ansible/galaxy.yml)
echo "$out/hero-systemd-$version.tar.gz"
