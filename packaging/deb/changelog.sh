#!/usr/bin/env bash
# packaging/deb/changelog.sh VERSION MAINTAINER: print the package's Debian changelog (installed
# as /usr/share/doc/hero-systemd/changelog.gz, as Debian policy 12.7 asks of a native package),
# made from CHANGELOG.md: each "## X.Y.Z - YYYY-MM-DD" section becomes an entry, and the
# "## Unreleased" section becomes the entry of VERSION, dated SOURCE_DATE_EPOCH (the commit's
# time), unless VERSION is itself a released one. An entry's items are its "- " lines.
set -euo pipefail
version=$1 maintainer=$2
epoch=${SOURCE_DATE_EPOCH:-$(date +%s)}
cd "$(dirname "$0")/../.."
# Two passes over CHANGELOG.md: the first collects the released versions.
LC_ALL=C awk -v version="$version" -v maint="$maintainer" -v epoch="$epoch" '
function rfc2822(day,   cmd, out) {
  cmd = (day == "") ? "date -u -R -d @" epoch : "date -u -R -d " day
  cmd | getline out; close(cmd); return out
}
# wrap prints an item as Debian changelogs want it: "  * " then lines of at most 80 columns.
function wrap(text,   n, words, i, line) {
  n = split(text, words, " "); line = "  *"
  for (i = 1; i <= n; i++) {
    if (length(line) + 1 + length(words[i]) > 80) { print line; line = "   " }
    line = line " " words[i]
  }
  print line
}
function flush() { if (item != "") wrap(item); item = "" }
function close_entry() {
  flush()
  if (!open) return
  if (!items) print "  * Development snapshot; see the git log."
  print ""; print " -- " maint "  " date
  open = 0
}
function open_entry(v, day) {
  close_entry()
  if (entries++) print ""
  print "hero-systemd (" v ") unstable; urgency=medium"; print ""
  open = 1; items = 0; date = rfc2822(day)
}
NR == FNR { if (/^## [0-9]/) released[$2] = 1; next }
/^## Unreleased/ { skip = (version in released); if (!skip) open_entry(version, ""); next }
/^## [0-9]/ { skip = 0; open_entry($2, $4); next }
skip || !open { next }
/^- / { flush(); sub(/^- /, ""); item = $0; items++; next }
/^  +[^ ]/ && item != "" { sub(/^ +/, ""); item = item " " $0 }
END { close_entry() }
' CHANGELOG.md CHANGELOG.md
