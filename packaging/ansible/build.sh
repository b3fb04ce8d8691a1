#!/usr/bin/env bash
# packaging/ansible/build.sh [OUTDIR]: build the hero.systemd Ansible collection tarball
# (hero-systemd-VERSION.tar.gz) into OUTDIR (default dist/) and print its path. Needs Go, git and
# ansible-galaxy (Debian: apt-get install ansible-core). Install it with
#   ansible-galaxy collection install OUTDIR/hero-systemd-VERSION.tar.gz
# VERSION is the Debian package's (packaging/deb/build.sh: HERO_VERSION, else `git describe` by
# cmd/internal/version), as Semantic Versioning spells it (0.4.0~rc.1 is 0.4.0-rc.1): one
# version for the package and the collection, from one place. It is stamped into galaxy.yml's
# copy; the galaxy.yml in the repository says 0.0.0.
# The collection is built from a copy with links resolved, so the example playbook's files/ (a
# link to packaging/examples in the repository) travels in the tarball; a plain
# `ansible-galaxy collection build packaging/ansible` builds the same collection without them.
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-dist}")
command -v ansible-galaxy >/dev/null || { echo "build.sh: ansible-galaxy is missing (apt-get install ansible-core)" >&2; exit 1; }
version=$(CGO_ENABLED=0 GOFLAGS=${GOFLAGS:--mod=mod} go run ./cmd/internal/version/describe -semver ${HERO_VERSION:+"$HERO_VERSION"})
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -rL packaging/ansible "$stage/systemd"
sed -i "s/^version: .*/version: $version/" "$stage/systemd/galaxy.yml"
mkdir -p "$out"
ansible-galaxy collection build "$stage/systemd" --output-path "$out" --force >&2
echo "$out/hero-systemd-$version.tar.gz"
