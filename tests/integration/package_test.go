//go:build integration

package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// The Debian package installs a working setup: herod enabled and running under systemd, the
// D-Bus policy and activation and the polkit action in place, heroctl on PATH; removing it stops
// herod.
func TestDebianPackage(t *testing.T) {
	os.Remove("/etc/dbus-1/system.d/org.hero.Proc1.conf") // the package brings its own
	os.Remove("/usr/share/polkit-1/actions/org.hero.proc1.policy")
	testbed.MustRun(t, "busctl", "call", "org.freedesktop.DBus", "/", "org.freedesktop.DBus", "ReloadConfig")
	t.Cleanup(func() {
		testbed.Run(t, "dpkg", "--purge", "hero-systemd")
		testbed.Run(t, "systemctl", "stop", "hero-*.service")
	})
	r := testbed.Run(t, "dpkg", "-i", testbed.Deb)
	if r.Code != 0 {
		t.Fatalf("dpkg -i: %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if s := strings.TrimSpace(testbed.Run(t, "systemctl", "is-active", "herod").Stdout); s != "active" {
		t.Fatalf("herod.service is %s after install\n%s", s, testbed.Run(t, "journalctl", "-u", "herod", "--no-pager").Stdout)
	}
	if s := strings.TrimSpace(testbed.Run(t, "systemctl", "is-enabled", "herod").Stdout); s != "enabled" {
		t.Errorf("herod.service is %s, want enabled", s)
	}
	checkPackageIdentity(t)
	if out := testbed.MustRun(t, "pkaction", "--verbose", "--action-id", "org.hero.proc1.manage-services"); !strings.Contains(out, "implicit active:   auth_admin_keep") {
		t.Errorf("polkit does not know the package's action:\n%s", out)
	}
	// An empty /etc/hero/services is a working setup; add a service and reload.
	wantExit(t, testbed.Run(t, "/usr/bin/heroctl", "validate"), 0, "validate an empty config dir")
	data, _ := os.ReadFile(testbed.SrcDir + "/packaging/examples/db.toml")
	os.WriteFile("/etc/hero/services/db.toml", data, 0o644)
	wantExit(t, testbed.Run(t, "/usr/bin/heroctl", "daemon-reload"), 0, "daemon-reload")
	wantExit(t, testbed.Run(t, "/usr/bin/heroctl", "start", "db"), 0, "start db")
	wantExit(t, testbed.Run(t, "/usr/bin/heroctl", "is-active", "db"), 0, "is-active db")
	if _, err := os.Stat("/var/lib/hero/ledger/jobs.db"); err != nil {
		t.Errorf("the ledger is not in /var/lib/hero: %v", err)
	}
	// Bus activation: with herod stopped, a call starts it through systemd.
	testbed.MustRun(t, "systemctl", "stop", "herod")
	wantExit(t, testbed.Run(t, "/usr/bin/heroctl", "status", "db"), 0, "status through bus activation")
	if s := strings.TrimSpace(testbed.Run(t, "systemctl", "is-active", "herod").Stdout); s != "active" {
		t.Errorf("herod was not activated by the bus: %s", s)
	}
	// An upgrade (the package installed over itself) keeps the ledger and the configs and
	// restarts no service: the new herod adopts db's run.
	before := strings.TrimSpace(testbed.Run(t, "systemctl", "show", "-p", "InvocationID", "--value", "hero-default-db.service").Stdout)
	wantExit(t, testbed.Run(t, "dpkg", "-i", testbed.Deb), 0, "dpkg -i over itself")
	// heroctl's reads answer from systemd while herod is away: wait for herod's name.
	testbed.Eventually(t, 10*time.Second, "herod back", func() bool { return testbed.Run(t, "busctl", "status", api.BusName).Code == 0 })
	wantExit(t, testbed.Run(t, "/usr/bin/heroctl", "is-active", "db"), 0, "db after the upgrade")
	if after := strings.TrimSpace(testbed.Run(t, "systemctl", "show", "-p", "InvocationID", "--value", "hero-default-db.service").Stdout); after != before {
		t.Errorf("db restarted by the upgrade: invocation %s, then %s", before, after)
	}
	if r := testbed.Run(t, "/usr/bin/heroctl", "jobs", "db", "-o", "json"); strings.Count(r.Stdout, `"phase": "running"`) != 1 {
		t.Errorf("db's jobs after the upgrade, want exactly one running:\n%s", r.Stdout)
	}
	if _, err := os.Stat("/etc/hero/services/db.toml"); err != nil {
		t.Errorf("the upgrade lost a config: %v", err)
	}
	// A broken service file does not keep herod from starting: herod --check (herod.service's
	// ExecStartPre) names it in herod's journal, herod serves the rest, and status explains it.
	os.WriteFile("/etc/hero/services/typo.toml", []byte("exce = 1\n"), 0o644)
	wantExit(t, testbed.Run(t, "systemctl", "restart", "herod"), 0, "systemctl restart herod with a broken file")
	testbed.Eventually(t, 30*time.Second, "herod --check naming typo.toml in herod's journal", func() bool {
		log := testbed.Run(t, "journalctl", "-u", "herod", "-n", "40", "--no-pager").Stdout
		return strings.Contains(log, "typo.toml:1: exce: unknown key")
	})
	if r := testbed.Run(t, "/usr/bin/heroctl", "status", "typo"); !strings.Contains(r.Stdout, "bad-config") || !strings.Contains(r.Stdout, "exce: unknown key") {
		t.Errorf("heroctl status typo: exit %d:\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	wantExit(t, testbed.Run(t, "/usr/bin/heroctl", "is-active", "db"), 0, "db, running through herod's restart")
	os.Remove("/etc/hero/services/typo.toml")
	// herod cannot start at all (its config directory is a file): heroctl says so within
	// seconds, with advice, instead of waiting for the bus's activation timeout, and status
	// answers from systemd's view (db runs on).
	testbed.MustRun(t, "systemctl", "stop", "herod")
	os.Rename("/etc/hero/services", "/etc/hero/services.away")
	os.WriteFile("/etc/hero/services", []byte("not a directory\n"), 0o644)
	began := time.Now()
	r = testbed.Run(t, "/usr/bin/heroctl", "status", "db")
	if took := time.Since(began); r.Code != 0 || took > 7*time.Second || !strings.Contains(r.Stderr, "systemctl status herod") || !strings.Contains(r.Stdout, "State: running") {
		t.Errorf("heroctl with herod unable to start: exit %d after %s: %q", r.Code, took.Round(time.Millisecond), r.Stderr)
	}
	os.Remove("/etc/hero/services")
	os.Rename("/etc/hero/services.away", "/etc/hero/services")
	testbed.Run(t, "systemctl", "reset-failed", "herod")
	testbed.MustRun(t, "systemctl", "restart", "herod")
	// Removing the package stops hero's services (they would be orphans) and herod; purging
	// removes the ledger.
	wantExit(t, testbed.Run(t, "dpkg", "--remove", "hero-systemd"), 0, "dpkg --remove")
	if s := strings.TrimSpace(testbed.Run(t, "systemctl", "is-active", "hero-default-db.service").Stdout); s == "active" {
		t.Errorf("db still runs after the package was removed")
	}
	if _, err := os.Stat("/var/lib/hero/ledger/jobs.db"); err != nil {
		t.Errorf("remove (not purge) lost the ledger: %v", err)
	}
	wantExit(t, testbed.Run(t, "dpkg", "--purge", "hero-systemd"), 0, "dpkg --purge")
	testbed.Eventually(t, 30*time.Second, "herod stopped", func() bool {
		return strings.TrimSpace(testbed.Run(t, "systemctl", "is-active", "herod").Stdout) != "active"
	})
	if _, err := os.Stat("/var/lib/hero"); err == nil {
		t.Errorf("/var/lib/hero is still there after purge")
	}
}

// checkPackageIdentity: the package and both programs carry one version; the manual pages,
// completions, copyright and changelog are where Debian puts them.
func checkPackageIdentity(t *testing.T) {
	t.Helper()
	if v := testbed.Run(t, "dpkg-query", "-W", "-f", "${Version}", "hero-systemd").Stdout; v != testbed.Version {
		t.Errorf("package version %q, want %q", v, testbed.Version)
	}
	for _, prog := range []string{"heroctl", "herod"} {
		if out := testbed.Run(t, "/usr/bin/"+prog, "--version").Stdout; out != prog+" "+testbed.Version+"\n" {
			t.Errorf("%s --version: %q", prog, out)
		}
	}
	for _, path := range []string{
		"/usr/share/man/man1/heroctl.1.gz", "/usr/share/man/man8/herod.8.gz",
		"/usr/share/bash-completion/completions/heroctl", "/usr/share/zsh/vendor-completions/_heroctl",
		"/usr/share/fish/vendor_completions.d/heroctl.fish",
		"/usr/share/doc/hero-systemd/copyright", "/usr/share/doc/hero-systemd/changelog.gz",
	} {
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", path, err)
		}
	}
	// The installed manual renders without warnings.
	for _, page := range []string{"heroctl", "8 herod"} {
		r := testbed.Run(t, "sh", "-c", "MANWIDTH=80 man --warnings "+page+" 2>&1 >/dev/null; man -w "+page)
		if r.Code != 0 || !strings.HasPrefix(r.Stdout, "/usr/share/man/man") {
			t.Errorf("man %s: %q %q", page, r.Stdout, r.Stderr)
		}
	}
	// bash-completion finds the installed completion by itself and completes through it.
	r := testbed.Run(t, "bash", "-c", `source /usr/share/bash-completion/bash_completion
_completion_loader heroctl; complete -p heroctl
COMP_LINE="heroctl kill -s SIGK"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(heroctl kill -s SIGK); COMP_CWORD=3
__start_heroctl heroctl SIGK -s; echo "${COMPREPLY[*]}"`)
	if r.Stdout != "complete -o default -F __start_heroctl heroctl\nSIGKILL\n" {
		t.Errorf("bash completion: %q %q", r.Stdout, r.Stderr)
	}
	// The changelog's newest entry is this version.
	r = testbed.Run(t, "sh", "-c", "zcat /usr/share/doc/hero-systemd/changelog.gz | head -1")
	if want := "hero-systemd (" + testbed.Version + ") unstable; urgency=medium"; strings.TrimSpace(r.Stdout) != want {
		t.Errorf("changelog starts %q, want %q", r.Stdout, want)
	}
}
