#!/usr/bin/env bash
# packaging/deb/build.sh [OUTDIR]: build the hero-systemd Debian package (static herod and
# heroctl, herod.service, the D-Bus policy and activation file, bash completion, examples).
# Prints the path of the .deb. Needs Go and dpkg-deb.
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/../.."
out=${1:-$PWD/dist}
version=${HERO_VERSION:-$(git describe --tags --always 2>/dev/null | sed 's/^v//; s/-/+/g' || echo 0)}
case $version in [0-9]*) ;; *) version="0.0+$version" ;; esac
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/share/dbus-1/system.d" \
  "$root/usr/share/dbus-1/system-services" "$root/usr/share/bash-completion/completions" \
  "$root/usr/share/doc/hero-systemd/examples" "$root/etc/hero/services"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$root/usr/bin/" ./cmd/herod ./cmd/heroctl
install -m 0644 packaging/systemd/herod.service "$root/lib/systemd/system/"
install -m 0644 packaging/dbus/org.hero.Proc1.conf "$root/usr/share/dbus-1/system.d/"
install -m 0644 packaging/dbus/org.hero.Proc1.service "$root/usr/share/dbus-1/system-services/"
"$root/usr/bin/heroctl" completion bash >"$root/usr/share/bash-completion/completions/heroctl"
install -m 0644 packaging/examples/* "$root/usr/share/doc/hero-systemd/examples/"
install -m 0644 README.md "$root/usr/share/doc/hero-systemd/"
cat >"$root/DEBIAN/control" <<CONTROL
Package: hero-systemd
Version: $version
Architecture: $arch
Maintainer: hero-systemd developers <hero-systemd@localhost>
Depends: systemd, dbus
Section: admin
Priority: optional
Installed-Size: $(du -sk "$root" | cut -f1)
Description: run hero/zinit service configs on systemd
 herod runs services described as hero service configs (hero TOML, zinit YAML) as transient
 systemd units over D-Bus, with dependency cascades and a job ledger that keeps why a service
 died. heroctl is its systemctl-like command.
CONTROL
for script in postinst prerm postrm; do install -m 0755 "packaging/deb/$script" "$root/DEBIAN/"; done
mkdir -p "$out"
deb="$out/hero-systemd_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
