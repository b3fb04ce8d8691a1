//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// daemonUser runs the daemon-key tests' services: a system user of its own.
const daemonUser = "herodaemon"

// notifyScript is a perl program (perl-base is in every Debian; it has no Time::HiRes, so
// select waits) that plays a daemon speaking sd_notify as its main process: it writes what its
// environment says of env_file to its state (or runtime) directory, and whether it could write
// the file $WRITE_PROBE names, notes each SIGHUP there, waits delay seconds, writes "ready"
// there and sends READY=1, and then, when pings is set, WATCHDOG=1 every 200 ms. Its "$" makes
// hero run it through hero-exec, which execs perl in its place: the main process is perl.
func notifyScript(pings bool, delay float64) string {
	ping := ""
	if pings {
		ping = `send($s, "WATCHDOG=1", 0, $a);`
	}
	return fmt.Sprintf(`use Socket;
my $d = $ENV{STATE_DIRECTORY} || $ENV{RUNTIME_DIRECTORY};
open(my $f, ">", "$d/env") or die "open $d/env: $!"; print $f ($ENV{KEYS_FROM_FILE} || "unset"), "\n"; close $f;
if ($ENV{WRITE_PROBE}) { my $res = "written"; if (open(my $w, ">", $ENV{WRITE_PROBE})) { close $w } else { $res = "refused: $!" }
  open(my $pf, ">", "$d/probe") or die "open: $!"; print $pf "$res\n"; close $pf; }
$SIG{HUP} = sub { open(my $g, ">>", "$d/hup") or die "open: $!"; print $g "hup $$\n"; close $g; };
select(undef, undef, undef, %g);
open(my $r, ">", "$d/ready") or die "open: $!"; close $r;
my $p = $ENV{NOTIFY_SOCKET}; $p =~ s/^\@/\0/;
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
my $a = pack_sockaddr_un($p);
send($s, "READY=1", 0, $a) or die "send: $!";
while (1) { %s select(undef, undef, undef, 0.2); }`, delay, ping)
}

func ensureDaemonUser(t *testing.T) {
	t.Helper()
	if testbed.Run(t, "id", daemonUser).Code != 0 {
		testbed.MustRun(t, "useradd", "--system", "--no-create-home", daemonUser)
	}
}

// unitState reads every property of a unit that hero's generated properties name, from the
// Unit and Service interfaces; Exec* commands as their path and argv only (the rest is run-time
// state).
func unitState(t *testing.T, conn *sddbus.Conn, unit string, names []string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	all, err := conn.GetUnitTypePropertiesContext(ctx, unit, "Service")
	if err != nil {
		t.Fatalf("properties of %s: %v", unit, err)
	}
	unitProps, err := conn.GetUnitPropertiesContext(ctx, unit)
	if err != nil {
		t.Fatalf("properties of %s: %v", unit, err)
	}
	for k, v := range unitProps {
		all[k] = v
	}
	out := map[string]any{}
	for _, n := range names {
		v, ok := all[n]
		if !ok {
			t.Errorf("%s has no property %s", unit, n)
			continue
		}
		if strings.HasPrefix(n, "Exec") {
			var cmds []string
			for _, c := range v.([][]any) {
				cmds = append(cmds, fmt.Sprint(c[0], c[1]))
			}
			v = cmds
		}
		out[n] = v
	}
	return out
}

// propertyNames are the names of a unit's generated properties, once each, sorted.
func propertyNames(u *unitgen.Unit) []string {
	seen := map[string]bool{}
	var names []string
	for _, p := range u.Properties {
		if !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	return names
}

// The daemon keys (notify, watchdog, reload, reload_signal, kill_mode, success_exit_status,
// restart on-abnormal, capabilities, groups, umask, state/cache/logs directories, env_file,
// sandbox with writable paths) given to systemd as D-Bus properties start a service that runs;
// systemd reads back what hero meant, the same after a daemon-reload (when it reads the
// transient unit from its file again) and from hero's unit-file text started as a unit of its
// own, property by property. (The namespace restriction is why the sandbox allows the UTS
// namespace: systemd 252 writes an empty set to the transient file as "RestrictNamespaces=",
// and read it back after the daemon-reload as "every kind".)
func TestDaemonKeysAsPropertiesAndText(t *testing.T) {
	conn := testbed.Systemd(t)
	ensureDaemonUser(t)
	os.MkdirAll("/srv/hero-keys-writable", 0o755)
	testbed.MustRun(t, "chown", daemonUser, "/srv/hero-keys-writable") // its user's: only the sandbox stands in the way
	if err := os.WriteFile("/etc/hero-keys.env", []byte("KEYS_FROM_FILE=\"from the env_file\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove("/etc/hero-keys.env") })
	script := tomlQuote(notifyScript(true, 0))
	set := loadSet(t, map[string]string{
		// Capabilities (so no private user namespace), every directory, the reload signal.
		"keysa.toml": `user = "` + daemonUser + `"
groups = ["adm", "daemon"]
umask = "0027"
capabilities = ["CAP_NET_BIND_SERVICE"]
state_dir = "hero-keysa"
cache_dir = "hero-keysa"
logs_dir = "hero-keysa"
env_file = "/etc/hero-keys.env"
env = { KEYS_FROM_FILE = "from env, overridden by the env_file", WRITE_PROBE = "/srv/hero-keys-writable/probe-a" }
sandbox = "strict"
writable = ["/srv/hero-keys-writable"]
exec = ["/usr/bin/perl", "-e", ` + script + `]
notify = true
watchdog = "600s"
reload_signal = "SIGHUP"
kill_mode = "mixed"
stop_signal = "SIGINT"
success_exit_status = [143, "SIGUSR1"]
restart = "on-abnormal"
`,
		// No capability: a user namespace of its own; notify from the main process only; a
		// reload command that holds '$'.
		"keysb.toml": `user = "` + daemonUser + `"
state_dir = "hero-keysb"
env = { KEYS_FROM_FILE = "from env", WRITE_PROBE = "/srv/hero-keys-writable/probe-b" }
sandbox = "strict"
exec = ["/usr/bin/perl", "-e", ` + script + `]
notify = "main"
reload = ["/bin/sh", "-c", "echo reloaded by $0"]
kill_mode = "process"
`,
	})
	opts := unitgen.Options{ExecHelper: testbed.ExecHelper}
	for _, name := range []string{"keysa", "keysb"} {
		u, result := startUnit(t, conn, set, name, opts)
		if result != "done" {
			t.Fatalf("%s: start job %s:\n%s", name, result, strings.Join(journalOutput(t, u.Name), "\n"))
		}
		dir := "/var/lib/hero-" + name
		testbed.Eventually(t, 30*time.Second, name+" wrote its environment", func() bool { return readFile(dir+"/env") != "" })
		owner := strings.TrimSpace(testbed.MustRun(t, "stat", "-c", "%U", dir))
		if owner != daemonUser {
			t.Errorf("%s: its state directory is %s's, want %s's", name, owner, daemonUser)
		}
		// The sandbox reloads as any service does (a signal through hero-exec, a command).
		testbed.MustRun(t, "systemctl", "reload", u.Name)
		names := propertyNames(u)
		before := unitState(t, conn, u.Name, names)
		testbed.MustRun(t, "systemctl", "daemon-reload")
		after := unitState(t, conn, u.Name, names)
		if activeState(t, conn, u.Name) != "active" {
			t.Errorf("%s is %s after the daemon-reload", name, activeState(t, conn, u.Name))
		}
		testbed.MustRun(t, "systemctl", "stop", u.Name)
		fromText := startTextUnit(t, conn, u, names)
		for _, n := range names {
			if !reflect.DeepEqual(before[n], after[n]) {
				t.Errorf("%s: %s was %v, after a daemon-reload %v", name, n, before[n], after[n])
			}
			if !reflect.DeepEqual(before[n], fromText[n]) {
				t.Errorf("%s: %s is %v over D-Bus, %v from the unit's text", name, n, before[n], fromText[n])
			}
		}
		checkDaemonKeys(t, name, before)
	}
	// env_file is read after hero's own file of env values: a name set in both is the file's.
	if got := readFile("/var/lib/hero-keysa/env"); got != "from the env_file" {
		t.Errorf("keysa's program got KEYS_FROM_FILE=%q, want its env_file's value", got)
	}
	if got := readFile("/var/lib/hero-keysb/env"); got != "from env" {
		t.Errorf("keysb's program got KEYS_FROM_FILE=%q from env (hero's environment file, in the sandbox)", got)
	}
	if got := readFile("/var/lib/hero-keysa/hup"); !strings.HasPrefix(got, "hup ") {
		t.Errorf("keysa's reload_signal did not reach it in the sandbox: %q", got)
	}
	if got := readFile("/var/lib/hero-keysa/probe"); got != "written" {
		t.Errorf("keysa could not write its writable path: %q", got)
	}
	if got := readFile("/var/lib/hero-keysb/probe"); !strings.HasPrefix(got, "refused: Read-only file system") {
		t.Errorf("keysb, sandboxed without writable paths, wrote outside its directories: %q", got)
	}
}

// startTextUnit writes u's text as a unit file of its own, starts it (it runs the same program)
// and returns its state; the unit is stopped and removed when the test ends.
func startTextUnit(t *testing.T, conn *sddbus.Conn, u *unitgen.Unit, names []string) map[string]any {
	t.Helper()
	textUnit := "hero-keys-text-" + u.Service + ".service"
	path := filepath.Join("/run/systemd/system", textUnit)
	if err := os.WriteFile(path, []byte(u.Text()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		testbed.Run(t, "systemctl", "stop", textUnit)
		os.Remove(path)
		testbed.Run(t, "systemctl", "daemon-reload")
	})
	testbed.MustRun(t, "systemctl", "daemon-reload")
	if r := testbed.Run(t, "systemctl", "start", textUnit); r.Code != 0 {
		t.Fatalf("the unit of %s's text does not start: %s%s\n%s", u.Service, r.Stdout, r.Stderr, strings.Join(journalOutput(t, textUnit), "\n"))
	}
	return unitState(t, conn, textUnit, names)
}

// checkDaemonKeys checks systemd's reading of the keys against what they mean.
func checkDaemonKeys(t *testing.T, name string, got map[string]any) {
	t.Helper()
	want := map[string]map[string]any{
		"keysa": {"Type": "notify", "NotifyAccess": "all", "WatchdogUSec": uint64(600_000_000), "KillMode": "mixed",
			"Restart": "on-abnormal", "AmbientCapabilities": uint64(1 << 10), "CapabilityBoundingSet": uint64(1 << 10),
			"SupplementaryGroups": []string{"adm", "daemon"}, "UMask": uint32(0o027), "StateDirectory": []string{"hero-keysa"},
			"CacheDirectory": []string{"hero-keysa"}, "LogsDirectory": []string{"hero-keysa"}, "ProtectSystem": "strict",
			"ProtectHome": "yes", "ReadWritePaths": []string{"/srv/hero-keys-writable"}, "SystemCallErrorNumber": int32(1),
			"RestrictNamespaces": uint64(0x04000000), "SuccessExitStatus": []any{[]int32{143}, []int32{10}}},
		"keysb": {"NotifyAccess": "main", "PrivateUsers": true, "CapabilityBoundingSet": uint64(0), "KillMode": "process"},
	}
	for k, v := range want[name] {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s: systemd says %s=%#v, want %#v", name, k, got[k], v)
		}
	}
	if name == "keysb" {
		reload := fmt.Sprint(got["ExecReload"])
		if !strings.Contains(reload, "hero-exec exec") {
			t.Errorf("keysb: ExecReload=%s, want its '$' command through hero-exec", reload)
		}
	}
}
