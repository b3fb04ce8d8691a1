#!/usr/bin/env bash
# packaging/deb/build.sh [OUTDIR]: build the hero-systemd Debian package: static herod and
# heroctl stamped with the version, their manual pages, bash/zsh/fish completion, herod.service,
# the D-Bus policy and activation file, the polkit action, the examples, the Cockpit page
# (packaging/cockpit: plain files, no build step), copyright and changelog. Prints the path of the .deb. Needs Go, git and dpkg-deb.
#
# The version is HERO_VERSION if set, else `git describe` turned into a Debian version by
# cmd/internal/version/describe (v0.3.0-5-gabc1234 -> 0.3.0+5.gabc1234; see packaging/README.md).
# HERO_DEB_COMPRESSION is dpkg-deb's compressor (xz, the default; gzip, zstd or none: the test
# tiers build throw-away packages with none, which saves most of a build on a loaded machine).
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/../.."
# shellcheck source=packaging/progress.sh
source packaging/progress.sh
export CGO_ENABLED=0 GOFLAGS=${GOFLAGS:--mod=mod}
out=${1:-$PWD/dist}
# No contact address is published yet: .invalid (RFC 2606) says so; set HERO_MAINTAINER for a real one.
maintainer=${HERO_MAINTAINER:-"hero-systemd developers <maintainers@hero-systemd.invalid>"}
version=${HERO_VERSION:-$(go run ./cmd/internal/version/describe)}
[[ $version =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || { echo "build.sh: '$version' is not a Debian version (a digit, then letters, digits, . + ~)" >&2; exit 1; }
# Reproducible: file dates, the changelog's and the manual's date come from the commit.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
ldflags="-s -w -X github.com/hero-systemd/hero-systemd/cmd/internal/version.Version=$version"
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
doc=$root/usr/share/doc/hero-systemd
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/share/dbus-1/system.d" \
  "$root/usr/share/dbus-1/system-services" "$root/usr/share/polkit-1/actions" "$root/usr/share/bash-completion/completions" \
  "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d" \
  "$doc/examples" "$root/etc/hero/services" "$root/usr/share/cockpit/hero"

# hero-exec runs the commands systemd 252 cannot keep intact (see unitgen/execspec).
install -d "$root/usr/libexec/hero-systemd"
build_log=$(mktemp)
build() {
  go build -v -trimpath -ldflags "$ldflags" -o "$root/usr/bin/" ./cmd/herod ./cmd/heroctl &&
    go build -v -trimpath -ldflags "$ldflags" -o "$root/usr/libexec/hero-systemd/" ./cmd/hero-exec
}
with_progress "build.sh: compiling herod, heroctl and hero-exec" \
  "the first build on a machine downloads about 20 Go modules and compiles them with the standard library: minutes, up to 10 on a busy 2-core machine; seconds after" \
  "$build_log" go_progress build || { rm -f "$build_log"; exit 1; }
rm -f "$build_log"

# Manual pages: every page the generator knows, gzipped into its section's directory.
go run -trimpath -ldflags "$ldflags" ./cmd/internal/mangen "$root/man" >/dev/null
for page in "$root"/man/*.[1-9]; do
  section=${page##*.}
  install -d "$root/usr/share/man/man$section"
  gzip -9n <"$page" >"$root/usr/share/man/man$section/$(basename "$page").gz"
done
rm -r "$root/man"

heroctl=$root/usr/bin/heroctl
"$heroctl" completion bash >"$root/usr/share/bash-completion/completions/heroctl"
"$heroctl" completion zsh >"$root/usr/share/zsh/vendor-completions/_heroctl"
"$heroctl" completion fish >"$root/usr/share/fish/vendor_completions.d/heroctl.fish"

install -m 0644 packaging/systemd/herod.service "$root/lib/systemd/system/"
install -m 0644 packaging/dbus/org.hero.Proc1.conf "$root/usr/share/dbus-1/system.d/"
install -m 0644 packaging/dbus/org.hero.Proc1.service "$root/usr/share/dbus-1/system-services/"
install -m 0644 packaging/polkit/org.hero.proc1.policy "$root/usr/share/polkit-1/actions/"
install -m 0644 packaging/examples/*.toml packaging/examples/*.yaml "$doc/examples/"
install -m 0644 README.md "$doc/"
install -d "$doc/docs"
install -m 0644 docs/*.md "$doc/docs/"
# The "Hero services" page for Cockpit: its files as they are in the repository.
install -m 0644 packaging/cockpit/manifest.json packaging/cockpit/index.html packaging/cockpit/hero.js \
  packaging/cockpit/hero.css "$root/usr/share/cockpit/hero/"
bash packaging/deb/copyright.sh "$root/usr/bin/herod" "$heroctl" >"$doc/copyright"
bash packaging/deb/changelog.sh "$version" "$maintainer" | gzip -9n >"$doc/changelog.gz"
install -m 0644 packaging/deb/lintian-overrides -D "$root/usr/share/lintian/overrides/hero-systemd"

for script in postinst prerm postrm; do install -m 0755 "packaging/deb/$script" "$root/DEBIAN/"; done
cat >"$root/DEBIAN/control" <<CONTROL
Package: hero-systemd
Version: $version
Architecture: $arch
Maintainer: $maintainer
Depends: systemd, dbus
Suggests: polkitd, cockpit-bridge (>= 266)
Section: admin
Priority: optional
Homepage: https://github.com/hero-systemd/hero-systemd
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Description: run hero/zinit service configs on systemd
 herod runs services described as hero service configs (hero TOML, zinit YAML)
 as transient systemd units over D-Bus, with dependency cascades and a job
 ledger that keeps why a service died. heroctl is its systemctl-like command.
 With Cockpit installed, its "Hero services" page shows and drives the services.
CONTROL
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
# Owner root, modes from the umask-independent installs above, dates from the commit.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$out"
deb="$out/hero-systemd_${version}_${arch}.deb"
dpkg-deb --root-owner-group "-Z${HERO_DEB_COMPRESSION:-xz}" --build "$root" "$deb" >/dev/null
echo "$deb"
