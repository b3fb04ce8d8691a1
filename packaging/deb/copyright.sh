#!/usr/bin/env bash
# packaging/deb/copyright.sh BINARY...: print the package's copyright file (machine-readable
# format 1.0). hero-systemd's own files are Apache-2.0; the Go modules statically linked into
# BINARY (as `go version -m` lists them, plus Go's standard library) get one paragraph each, with
# the license and copyright from modules.tsv and the text of the license files the module itself
# ships. A linked module that modules.tsv does not list is an error: a new dependency cannot
# ship without its license.
set -euo pipefail
here=$(dirname "$0")
table="$here/modules.tsv"

# indent writes files as the text of a License field: one space before each line, "." for empty.
indent() { sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /' "$@"; }

# license_files lists the license and notice files at the root of a module directory.
license_files() {
  find "$1" -maxdepth 1 -type f \( -iname 'LICEN[CS]E*' -o -iname 'COPYING*' -o -iname 'NOTICE*' \) \
    ! -iname 'LICENSE-LOGO*' | LC_ALL=C sort
}

cat <<'HEAD'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hero-systemd
Upstream-Contact: hero-systemd developers
Source: https://github.com/hero-systemd/hero-systemd
Comment: herod and heroctl are static Go programs. Besides hero-systemd's own code they contain
 the Go modules listed below (paragraphs "Files: go-module/PATH", from the Go module cache as
 go.mod pins them) and Go's standard library.

Files: *
Copyright: 2026 hero-systemd developers
License: Apache-2.0
HEAD

modules=$( { echo std; go version -m "$@" | awk '$1 == "dep" {print $2}'; } | LC_ALL=C sort -u)
for mod in $modules; do
  row=$(awk -F'\t' -v m="$mod" '$1 == m' "$table")
  [ -n "$row" ] || { echo "copyright.sh: module $mod is linked but not in $table" >&2; exit 1; }
  IFS=$'\t' read -r _ license holders only <<<"$row"
  if [ "$mod" = std ]; then dir=$(go env GOROOT); else dir=$(go list -m -f '{{.Dir}}' "$mod"); fi
  [ -d "$dir" ] || { echo "copyright.sh: no directory for $mod (go mod download)" >&2; exit 1; }
  printf '\nFiles: go-module/%s\n' "$mod"
  printf 'Copyright: %s\n' "${holders//; /$'\n' }"
  printf 'License: %s\n' "$license"
  # Apache-2.0 alone is in /usr/share/common-licenses; every other text is the module's own.
  if [ "$license" != Apache-2.0 ]; then
    if [ -n "$only" ]; then files=$(printf "$dir/%s\n" $only); else files=$(license_files "$dir"); fi
    [ -n "$files" ] || { echo "copyright.sh: $mod ships no license file" >&2; exit 1; }
    # shellcheck disable=SC2086 # one path per line, none with spaces (module cache paths)
    indent $files
  fi
done

cat <<'TAIL'

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 except in compliance with the License. You may obtain a copy of the License at
 .
 https://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software distributed under the
 License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
 either express or implied. See the License for the specific language governing permissions
 and limitations under the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can be found in
 /usr/share/common-licenses/Apache-2.0.
TAIL
