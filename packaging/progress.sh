# packaging/progress.sh, sourced by the scripts whose first run is long (packaging/deb/build.sh,
# packaging/demo.sh, packaging/try.sh, tests/testbed/testbed.sh): a long step says what it does,
# how far it got, how long it has run and about how long it takes, instead of minutes of
# silence. Everything goes to stderr, so stdout stays the scripts' own.

# with_progress WHAT ESTIMATE LOG COUNTER CMD...: runs CMD (from this shell, so a function works)
# with its output in LOG, and says on stderr "WHAT (ESTIMATE)..." at once, then every
# HERO_PROGRESS_EVERY seconds (default 15) how long it has run, what COUNTER (a function given
# LOG, or "") says of its progress, and LOG's last line. CMD's status is returned; when it
# fails, LOG's last 30 lines go to stderr.
with_progress() {
  local what=$1 estimate=$2 log=$3 counter=$4
  shift 4
  local started=$SECONDS every=${HERO_PROGRESS_EVERY:-15} next pid rc=0 done last
  next=$every
  printf '%s (%s)...\n' "$what" "$estimate" >&2
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if (( SECONDS - started >= next )); then
      done=""
      [ -n "$counter" ] && done=$("$counter" "$log" 2>/dev/null)
      last=$(tail -n 1 "$log" 2>/dev/null | tr -d '\r' | cut -c1-72)
      printf '  %s: %s so far%s%s\n' "$what" "$(duration $((SECONDS - started)))" "${done:+, $done}" "${last:+ ($last)}" >&2
      next=$((next + every))
    fi
  done
  wait "$pid" || rc=$?
  if [ "$rc" != 0 ]; then
    tail -n 30 "$log" >&2
  else
    printf '  %s: done in %s\n' "$what" "$(duration $((SECONDS - started)))" >&2
  fi
  return "$rc"
}

# duration prints a number of seconds as people read it: 45s, 2m05s.
duration() {
  if (($1 < 60)); then printf '%ds' "$1"; else printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); fi
}

# go_progress counts what `go build -v` (or `go run`/`go test -v`) has done so far: modules
# downloaded ("go: downloading ...") and packages compiled (the lines naming them).
go_progress() {
  local downloaded compiled
  downloaded=$(grep -c '^go: downloading ' "$1" || true)
  compiled=$(grep -cv '^go: \|^#\|^ ' "$1" || true)
  printf '%d Go modules downloaded, %d packages compiled' "$downloaded" "$compiled"
}

# apt_progress counts what debootstrap or apt-get has done so far, by the packages it names.
apt_progress() {
  local got unpacked configured
  got=$(grep -c '^I: Retrieving \|^Get:' "$1" || true)
  unpacked=$(grep -c '^I: Extracting \|^I: Unpacking \|^Unpacking ' "$1" || true)
  configured=$(grep -c '^I: Configuring \|^Setting up ' "$1" || true)
  printf '%d packages downloaded, %d unpacked, %d configured' "$got" "$unpacked" "$configured"
}
