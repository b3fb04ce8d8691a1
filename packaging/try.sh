#!/usr/bin/env bash
# packaging/try.sh [--deb FILE] [--config-dir DIR | --cockpit | --hosts N] [-- CMD...]: a systemd
# of your own to play with. Boots fresh containers (tests/testbed: systemd-nspawn over a cached
# Debian rootfs, never the host's root), installs hero-systemd from its Debian package (built
# here, or FILE), and halts them all when it ends (Ctrl-C too): nothing of them stays. Needs root,
# like systemd-nspawn.
#
#   (default)          one container, the examples in /etc/hero/services (or, with --config-dir,
#                      DIR mounted there: your own stack, read and written in place, so
#                      'heroctl edit' inside changes your files), herod has them loaded; a login
#                      shell inside (or CMD run there). 'exit' (or Ctrl-D) leaves it.
#   --cockpit          the same container with Cockpit: its address on this machine's loopback
#                      and a login (root, a password made for this run) are printed, to open the
#                      "Hero services" page in a browser here; then the shell inside.
#   --hosts N          N containers (1 to 9), each an Ansible target (python3, sshd, the package);
#                      an inventory and the collection installed in a folder on this machine,
#                      and the ansible-playbook line that deploys the example stack to all of them
#                      from here are printed; then a shell on this machine in that folder (or CMD
#                      run there). It installs ansible-core and socat with apt when missing.
set -euo pipefail
# Go's standard install location, in case PATH lacks it.
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=packaging/progress.sh
source packaging/progress.sh

usage="usage: packaging/try.sh [--deb FILE] [--config-dir DIR | --cockpit | --hosts N] [-- CMD...]"
deb="" confdir="" cockpit=0 hosts=0
while [ $# -gt 0 ]; do
  case $1 in
    --deb) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; deb=$(realpath "$2"); shift 2 ;;
    --config-dir) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; confdir=$(realpath "$2"); shift 2 ;;
    --cockpit) cockpit=1; shift ;;
    --hosts) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; hosts=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
if [ -n "$confdir" ] && [ ! -d "$confdir" ]; then
  echo "try.sh: --config-dir $confdir is not a directory" >&2
  exit 2
fi
case $hosts in [0-9]) ;; *) echo "try.sh: --hosts takes a number from 1 to 9, not $hosts" >&2; exit 2 ;; esac
if [ $((cockpit + (hosts > 0) + (${#confdir} > 0))) -gt 1 ]; then
  echo "try.sh: --config-dir, --cockpit and --hosts go one at a time" >&2
  exit 2
fi
[ "$(id -u)" = 0 ] || { echo "try.sh: booting a container needs root: sudo bash packaging/try.sh" >&2; exit 1; }
cmd_given=$(($# > 0))

stage=$(mktemp -d)
machines=() pids=() machine="" leader="" fport=""
cleanup() {
  local p m
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ ${#machines[@]} -gt 0 ]; then
    [ "$cmd_given" = 1 ] || echo "Halting ${machines[*]}..." >&2
    for m in "${machines[@]}"; do bash tests/testbed/testbed.sh down "$m"; done
  fi
  rm -rf "$stage"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$stage"
mkdir "$stage/pkg"
if [ -z "$deb" ]; then
  echo "Building the Debian package (packaging/deb/build.sh)..." >&2
  deb=$(bash packaging/deb/build.sh "$stage/pkg")
else
  cp "$deb" "$stage/pkg/"
fi

# up boots a container (with the flavour in HERO_TESTBED_EXTRA) and sets machine and leader;
# cleanup halts it.
up() {
  local out
  out=$(bash tests/testbed/testbed.sh up "$@")
  machine=$(sed -n 's/^MACHINE=//p' <<<"$out") leader=$(sed -n 's/^LEADER=//p' <<<"$out")
  machines+=("$machine")
}
inside() { local m=$1; shift; bash tests/testbed/testbed.sh exec "$m" -- "$@"; }
install_hero() {
  inside "$1" dpkg -i "/opt/hero/pkg/$(basename "$deb")" >"$stage/dpkg-$1.log" 2>&1 || { cat "$stage/dpkg-$1.log" >&2; exit 1; }
}

# forward listens on a free port of this machine's loopback (from 9090 up; set in fport) and joins
# every connection to port on the loopback of the container whose PID 1 is leader (socat inside
# its network namespace): nothing leaves the machine. cleanup stops it.
forward() {
  local leader=$1 port=$2 p
  for p in $(seq 9090 9190); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue # taken
    socat "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork" "EXEC:nsenter -t $leader -n socat STDIO TCP\\:127.0.0.1\\:$port" \
      </dev/null 2>>"$stage/forward.log" &
    pids+=($!)
    for _ in $(seq 50); do
      (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && { fport=$p; return 0; }
      kill -0 "${pids[-1]}" 2>/dev/null || break
      sleep 0.1
    done
  done
  echo "try.sh: no free port to forward from 127.0.0.1:9090-9190" >&2
  return 1
}

need_tools() {
  local missing=() t
  for t in "$@"; do command -v "${t%%:*}" >/dev/null || missing+=("${t##*:}"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  with_progress "Installing ${missing[*]} with apt" "about a minute" "$stage/apt.log" apt_progress \
    sh -c "DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${missing[*]}"
}

# shell opens a root shell in machine (or runs CMD there).
shell() {
  local m=$1; shift
  if [ $# -gt 0 ]; then inside "$m" "$@"; return; fi
  inside "$m" env TERM="${TERM:-xterm}" HOME=/root debian_chroot=hero-try bash -l || true
}

try_one() {
  local binds=(--bind-ro "$stage:/opt/hero") loaded m
  if [ -n "$confdir" ]; then binds+=(--bind "$confdir:/etc/hero/services"); fi
  up "${binds[@]}"
  m=$machine
  install_hero "$m"
  if [ -z "$confdir" ]; then
    inside "$m" sh -c 'cp /usr/share/doc/hero-systemd/examples/* /etc/hero/services/'
    inside "$m" heroctl -q daemon-reload
    loaded="the examples loaded from /etc/hero/services"
  else
    # A directory with problems still serves its valid part: say what they are, go on.
    inside "$m" heroctl -q daemon-reload || inside "$m" heroctl validate || true
    loaded="your $confdir mounted at /etc/hero/services (edits inside change it)"
  fi
  if [ $# -gt 0 ]; then shell "$m" "$@"; return; fi
  cat <<EOF
Container $m: its own systemd (PID 1 inside), herod running as herod.service,
$loaded. Try:
  heroctl                      heroctl start web worker     heroctl status mailer
  heroctl stop --dry-run db    heroctl stop web worker      heroctl jobs --failed
  heroctl logs api --since "5 min ago"    heroctl edit web  heroctl apply --dry-run
  journalctl -u herod          man heroctl                  heroctl --help
Leave with 'exit' (or Ctrl-D): the container is halted and nothing of it stays.
EOF
  shell "$m"
}

# try_cockpit: Cockpit's own cockpit-ws (no TLS, on the container's loopback) asks for a login;
# root gets a password made for this run. A session is the browser's own (log in again after it
# ends), so no page load can lock another out, as a --local-session would.
try_cockpit() {
  local m port password
  need_tools socat:socat curl:curl
  HERO_TESTBED_EXTRA=cockpit-ws,cockpit-bridge,cockpit-system up --bind-ro "$stage:/opt/hero"
  m=$machine
  install_hero "$m"
  inside "$m" sh -c 'cp /usr/share/doc/hero-systemd/examples/* /etc/hero/services/ && heroctl -q daemon-reload'
  password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | cut -c1-12)
  printf 'root:%s\n' "$password" | inside "$m" chpasswd
  # Cockpit refuses root by default (/etc/cockpit/disallowed-users); this container is yours.
  inside "$m" sh -c 'sed -i "/^root$/d" /etc/cockpit/disallowed-users 2>/dev/null; true'
  inside "$m" systemd-run --unit hero-try-cockpit /usr/lib/cockpit/cockpit-ws --no-tls --port 9190 --address 127.0.0.1 >/dev/null
  forward "$leader" 9190
  port=$fport
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/cockpit/login")" != 000 ] && break
    sleep 0.2
  done
  cat <<EOF
Cockpit runs in container $m with hero-systemd and the examples loaded.
Open in a browser on this machine:
  http://127.0.0.1:$port/hero
and log in as root with the password $password (made for this run; the port is on this
machine's loopback only). "Hero services" is in Cockpit's menu. Below is a shell in the
container: heroctl start web, heroctl stop db... and watch the page follow.
Leave with 'exit' (or Ctrl-D): the container is halted and nothing of it stays.
EOF
  shell "$m" "$@"
}

# try_hosts boots N Ansible targets and makes a folder on this machine from which the example
# playbook deploys to all of them: the collection installed there, an inventory whose ssh reaches
# each container's sshd through its network namespace (nsenter ... socat as ProxyCommand: nothing
# leaves the machine), and an ansible.cfg that points at both.
try_hosts() {
  local n=$1 work=$stage/fleet m i tarball
  shift
  need_tools ansible-playbook:ansible-core ansible-galaxy:ansible-core socat:socat ssh:openssh-client ssh-keygen:openssh-client
  mkdir -p "$work"
  echo "Building and installing the hero.systemd collection (packaging/ansible/build.sh)..." >&2
  tarball=$(bash packaging/ansible/build.sh "$stage/dist" 2>"$stage/collection.log") || { cat "$stage/collection.log" >&2; exit 1; }
  ansible-galaxy collection install "$tarball" -p "$work/collections" >>"$stage/collection.log" 2>&1 || { cat "$stage/collection.log" >&2; exit 1; }
  cp -r "$work/collections/ansible_collections/hero/systemd/examples/." "$work/"
  ssh-keygen -q -t ed25519 -N "" -C hero-try -f "$work/id_ed25519"
  {
    echo "# $n hero-systemd hosts: testbed containers on this machine, reached through their network"
    echo "# namespaces (nothing leaves the machine). Halted when packaging/try.sh ends."
    echo "[hero]"
  } >"$work/inventory.ini"
  for i in $(seq 1 "$n"); do
    echo "Booting host h$i of $n..." >&2
    HERO_TESTBED_EXTRA=python3 up --bind-ro "$stage:/opt/hero"
    m=$machine
    install_hero "$m"
    inside "$m" sh -c 'install -d -m 700 /root/.ssh && cat >/root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys' <"$work/id_ed25519.pub"
    inside "$m" systemctl start ssh
    printf "h%d ansible_ssh_common_args='-o ProxyCommand=\"nsenter -t %s -n socat - TCP:127.0.0.1:22\" -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'\n" "$i" "$leader" >>"$work/inventory.ini"
  done
  cat >>"$work/inventory.ini" <<EOF

[hero:vars]
ansible_user=root
ansible_python_interpreter=/usr/bin/python3
ansible_ssh_private_key_file=$work/id_ed25519
EOF
  cat >"$work/ansible.cfg" <<EOF
# Read by ansible-playbook run in this folder.
[defaults]
collections_path = $work/collections
host_key_checking = False
retry_files_enabled = False
[ssh_connection]
pipelining = True
EOF
  if [ $# -gt 0 ]; then (cd "$work" && "$@"); return; fi
  cat <<EOF
$n hosts run hero-systemd (containers ${machines[*]}). The inventory, $work/inventory.ini:

$(sed 's/^/    /' "$work/inventory.ini")

Deploy the example stack to all of them from this machine (as root):
  cd $work && ansible-playbook -i inventory.ini deploy-stack.yml
Run it again: nothing changes. Edit files/*.toml and run it again: the handler applies it.
Below is a shell in that folder. Leave with 'exit' (or Ctrl-D): the hosts are halted and
nothing of them stays.
EOF
  (cd "$work" && PS1='[hero-try hosts] \w# ' bash --norc) || true
}

if [ "$cockpit" = 1 ]; then
  try_cockpit "$@"
elif [ "$hosts" -gt 0 ]; then
  try_hosts "$hosts" "$@"
else
  try_one "$@"
fi
