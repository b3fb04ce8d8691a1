#!/usr/bin/env bash
# packaging/tutorial.sh [--deb FILE] [--update | --check]: the README's "first service in five
# minutes", run in a fresh container (packaging/try.sh: the Debian package installed, herod
# running). Prints each step as "$ command" and its real output, in the README's form; --update
# also rewrites the README's block between <!-- tutorial:start --> and <!-- tutorial:end -->;
# --check compares that block with this run's output (times, PIDs and durations aside) and exits
# 1 when they differ: tests/run.sh runs it, so the README's claims stay what the program does.
# Needs root, like systemd-nspawn.
set -euo pipefail
cd "$(dirname "$0")/.."
args=() update=0 check=0
while [ $# -gt 0 ]; do
  case $1 in
    --deb) args+=(--deb "$2"); shift 2 ;;
    --update) update=1; shift ;;
    --check) check=1; shift ;;
    *) echo "usage: packaging/tutorial.sh [--deb FILE] [--update | --check]" >&2; exit 2 ;;
  esac
done

# The steps, run inside the container. run prints the command as typed, then what it printed
# (stdout and stderr, as a terminal shows them); a step's exit status is not the tutorial's.
steps=$(cat <<'EOF'
set -u
run() { echo "\$ $*"; "$@" 2>&1 || true; }
cat > /etc/hero/services/hello.toml <<'T'
description = "Says hello every second"
exec = ["/bin/sh", "-c", "while true; do echo hello; sleep 1; done"]
T
cat > /etc/hero/services/greeter.toml <<'T'
description = "Needs hello"
exec = ["/bin/sleep", "infinity"]

[dependencies]
requires = ["hello"]
T
cat > /etc/hero/services/flaky.toml <<'T'
description = "Fails at once"
exec = ["/bin/sh", "-c", "echo starting; echo 'fatal: no config file' >&2; exit 3"]
T
heroctl daemon-reload >/dev/null
echo '```'
run heroctl start greeter
# Two lines of output before status shows them (the service prints one a second).
for _ in $(seq 50); do [ "$(journalctl -q -t hello -o cat | wc -l)" -ge 2 ] && break; sleep 0.1; done
run heroctl status hello -n 4
run heroctl logs hello -n 2
echo '```'
echo
echo '**A crash and its record.** Every run is a job in the ledger, with its exit status and output,'
echo 'kept after the service stopped (and after the journal rotated) until the next start you ask for.'
echo
echo '```'
run heroctl start flaky
for _ in $(seq 100); do heroctl is-failed -q flaky && break; sleep 0.1; done
run heroctl status flaky -n 0
run heroctl jobs flaky
run heroctl logs flaky
echo '```'
echo
echo '**A requirement that dies.** When `hello` is killed, systemd stops what requires it; `status`'
echo 'says what it waits for and who brings it back (herod starts `greeter` as soon as `hello` runs'
echo 'again, however that happens), and a start of `greeter` brings `hello` back first.'
echo
echo '```'
run heroctl kill -s KILL hello
for _ in $(seq 100); do heroctl is-active -q greeter || break; sleep 0.1; done
run heroctl status greeter -n 0
run heroctl start greeter
echo '```'
echo
echo '**A change, applied.** Edit a running service'"'"'s file; `heroctl apply` reads the directory, shows'
echo 'what changed and what restarts with it, then does exactly that and says so.'
echo
echo '```'
echo "\$ sed -i 's/every second/every second, edited/' /etc/hero/services/hello.toml"
sed -i 's/every second/every second, edited/' /etc/hero/services/hello.toml
run heroctl apply
echo '```'
echo
echo '**A cascade.** Stopping a service stops, first, everything that requires it. `--dry-run` shows'
echo 'the plan and touches nothing.'
echo
echo '```'
run heroctl stop --dry-run hello
run heroctl stop hello
run heroctl is-active hello greeter flaky
echo '```'
EOF
)
out=$(bash packaging/try.sh "${args[@]}" -- bash -c "$steps" | tr -d '\r')
printf '%s\n' "$out"
if [ "$check" = 1 ]; then
  python3 - "$out" <<'EOF'
import difflib, re, sys
# What differs from run to run: dates and times, PIDs, how long a run took.
volatile = [
    (r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} UTC", "DATE"),
    (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "DATE"),
    (r"\w{3} [ \d]\d \d{2}:\d{2}:\d{2}", "DATE"),
    (r"\[\d+\]:", "[PID]:"),
    (r"Main PID: \d+", "Main PID: PID"),
    (r"\(ran [\d.]+[µm]?s\)", "(ran TIME)"),
]
# hello writes a line a second: how many of them (and of systemd's lines before them) fall in a
# window of 4 or 2 lines depends on the machine's speed, not on hero.
chatter = re.compile(r"hero-testbed (hello\[PID\]: hello|systemd\[PID\]: Start(ing|ed) hero-default-hello\.service)")
def norm(text):
    for pat, rep in volatile:
        text = re.sub(pat, rep, text)
    return [l for l in text.strip().splitlines() if not chatter.search(l)]
readme = open("README.md").read()
block = re.search(r"<!-- tutorial:start -->\n(.*?)\n<!-- tutorial:end -->", readme, re.S)
if not block:
    sys.exit("packaging/tutorial.sh: README.md has no tutorial block")
want, got = norm(block.group(1)), norm(sys.argv[1])
if want != got:
    sys.stderr.write("packaging/tutorial.sh: the README's tutorial differs from what the program does now "
                     "(run 'sudo bash packaging/tutorial.sh --update'):\n")
    sys.stderr.writelines(l + "\n" for l in difflib.unified_diff(want, got, "README.md", "this run", lineterm=""))
    sys.exit(1)
print("packaging/tutorial.sh: the README's tutorial is what the program does", file=sys.stderr)
EOF
fi
if [ "$update" = 1 ]; then
  python3 - "$out" <<'EOF'
import re, sys
path = "README.md"
text = open(path).read()
block = "<!-- tutorial:start -->\n" + sys.argv[1].rstrip() + "\n<!-- tutorial:end -->"
new, n = re.subn(r"<!-- tutorial:start -->.*?<!-- tutorial:end -->", lambda m: block, text, flags=re.S)
if n != 1:
    sys.exit("packaging/tutorial.sh: README.md has no tutorial block")
open(path, "w").write(new)
EOF
  echo "packaging/tutorial.sh: README.md updated" >&2
fi
