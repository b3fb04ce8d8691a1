//go:build integration

package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// journalReader is a user in the group adm: allowed to read services' output, as the journal.
const journalReader = "hero-alice"

// monitor is dbus-monitor on the system bus, run as a user, hearing herod's signals.
type monitor struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out bytes.Buffer
}

func (m *monitor) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.out.Write(p)
}

func (m *monitor) text() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.out.String()
}

// monitorAs starts dbus-monitor as user, matching herod's signals (as any user may), and
// returns once it hears: a signal of the test's own reaches it.
func monitorAs(t *testing.T, user string) *monitor {
	t.Helper()
	m := &monitor{}
	// setpriv execs dbus-monitor itself (runuser would fork it), so killing it ends it.
	m.cmd = exec.Command("setpriv", "--reuid="+user, "--regid="+user, "--init-groups", "dbus-monitor", "--system",
		"type='signal',sender='"+api.BusName+"'", "type='signal',interface='org.hero.Test'")
	m.cmd.Stdout, m.cmd.Stderr = m, m
	m.cmd.WaitDelay = 5 * time.Second
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.cmd.Process.Kill(); _ = m.cmd.Wait() })
	testbed.Eventually(t, 30*time.Second, "dbus-monitor hears the bus", func() bool {
		asUser(t, user, "dbus-send --system --type=signal /org/hero/Test org.hero.Test.Ping")
		return strings.Contains(m.text(), "member=Ping")
	})
	return m
}

// A failed start's output is told only to those who may read it: bob, with dbus-monitor on the
// system bus, hears the start's OperationProgress and OperationFinished say how the run ended
// and where to read more, never the service's last lines; OperationStatus (busctl) tells bob the
// same, and alice (adm) the whole; root's heroctl start still prints the service's last lines.
func TestAFailedStartsOutputReachesOnlyItsReaders(t *testing.T) {
	const secret = "DBPASS=leaky-s3cret-4711"
	ensureUser(t, unprivileged, false)
	addUser(t, journalReader, "adm")
	dir := t.TempDir()
	leaky := "oneshot = true\nexec = [\"/bin/sh\", \"-c\", \"echo " + secret + "; exit 3\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "leaky.toml"), []byte(leaky), 0o600); err != nil {
		t.Fatal(err)
	}
	installPolicy(t)
	herodIn(t, dir, t.TempDir(), nil).serving(t)
	mon := monitorAs(t, unprivileged)

	r := heroctl(t, "start", "leaky")
	wantExit(t, r, 1, "start leaky")
	if !strings.Contains(r.Stderr, secret) || !strings.Contains(r.Stderr, "exit status 3") {
		t.Errorf("root's heroctl start does not print the service's last lines:\n%s", r.Stderr)
	}
	finished := regexp.MustCompile(`member=OperationFinished\n\s+uint64 (\d+)`)
	var op string
	testbed.Eventually(t, 30*time.Second, "bob heard OperationFinished", func() bool {
		m := finished.FindStringSubmatch(mon.text())
		if m != nil {
			op = m[1]
		}
		return m != nil
	})
	heard := mon.text()
	if strings.Contains(heard, "leaky-s3cret") {
		t.Errorf("bob's dbus-monitor heard the service's output:\n%s", heard)
	}
	for _, want := range []string{"member=OperationProgress", "start leaky: systemd job failed (exit-code, exit status 3); see 'heroctl logs leaky'"} {
		if !strings.Contains(heard, want) {
			t.Errorf("bob's dbus-monitor did not hear %q:\n%s", want, heard)
		}
	}
	status := func(user string) testbed.Result {
		return testbed.Run(t, "runuser", "-u", user, "--", "busctl", "call", api.BusName, api.Path, api.Interface,
			api.MethodOperationStatus, "t", op)
	}
	bob := status(unprivileged)
	wantExit(t, bob, 0, "OperationStatus as bob")
	if strings.Contains(bob.Stdout, "leaky-s3cret") || !strings.Contains(bob.Stdout, "exit status 3") {
		t.Errorf("OperationStatus as bob: %s%s", bob.Stdout, bob.Stderr)
	}
	if alice := status(journalReader); !strings.Contains(alice.Stdout, secret) {
		t.Errorf("OperationStatus as alice (adm) lacks the service's last lines: %s%s", alice.Stdout, alice.Stderr)
	}
	if logs := heroctlAs(t, unprivileged, "logs", "leaky"); logs.Code == 0 || strings.Contains(logs.Stdout, secret) {
		t.Errorf("heroctl logs leaky as bob: exit %d\n%s", logs.Code, logs.Stdout)
	}
}

// A symlink on the way to a service file is followed only when root made it: root's hop.toml
// leads to /tmp/hop.toml, bob's symlink to a root-owned file of bob's choosing. herod refuses it
// as untrusted, naming the symlink and its owner, and never runs it; the same chain through a
// symlink root made in /tmp is read.
func TestAUsersSymlinkIsNeverFollowed(t *testing.T) {
	ensureUser(t, unprivileged, false)
	base := publicDir(t)
	dir, markers := filepath.Join(base, "services"), filepath.Join(base, "markers")
	os.Mkdir(dir, 0o755)
	os.Mkdir(markers, 0o755)
	// Root-owned files bob may point at: any root file could become a service.
	for _, name := range []string{"chosen", "rootmade"} {
		if err := os.WriteFile(filepath.Join(base, name+".toml"), []byte(markerService(filepath.Join(markers, name))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bobLink := "/tmp/hero-hop-" + filepath.Base(base) + ".toml"
	if r := asUser(t, unprivileged, "ln -s "+filepath.Join(base, "chosen.toml")+" "+bobLink); r.Code != 0 {
		t.Fatalf("bob could not make his symlink: %s", r.Stderr)
	}
	rootLink := "/tmp/hero-roothop-" + filepath.Base(base) + ".toml"
	os.Symlink(filepath.Join(base, "rootmade.toml"), rootLink)
	t.Cleanup(func() { os.Remove(bobLink); os.Remove(rootLink) })
	os.Symlink(bobLink, filepath.Join(dir, "hop.toml"))
	os.Symlink(rootLink, filepath.Join(dir, "roothop.toml"))

	check := testbed.Run(t, herodBin, "--check", "--config-dir", dir, "--state-dir", t.TempDir())
	if check.Code == 0 {
		t.Errorf("herod --check passed a symlink bob made:\n%s%s", check.Stdout, check.Stderr)
	}
	if want := "hop.toml: symlink to an untrusted place: untrusted: symlink " + bobLink + " is owned by " + unprivileged; !strings.Contains(check.Stdout+check.Stderr, want) {
		t.Errorf("herod --check does not say %q:\n%s%s", want, check.Stdout, check.Stderr)
	}
	installPolicy(t)
	herodIn(t, dir, t.TempDir(), nil).serving(t)
	testbed.Eventually(t, 60*time.Second, "the service through root's symlink ran", func() bool {
		_, err := os.Stat(filepath.Join(markers, "rootmade"))
		return err == nil
	})
	r := heroctl(t, "start", "hop")
	if r.Code == 0 || !strings.Contains(r.Stderr, "untrusted") {
		t.Errorf("heroctl start hop: exit %d, want a refusal naming it untrusted\n%s", r.Code, r.Stderr)
	}
	if st := heroctl(t, "status", "hop"); !strings.Contains(st.Stdout, "bad-config") || !strings.Contains(st.Stdout, unprivileged) {
		t.Errorf("hop is not bad-config with bob named:\n%s", st.Stdout)
	}
	if _, err := os.Stat(filepath.Join(markers, "chosen")); err == nil {
		t.Errorf("the file bob chose ran as a service")
	}
}

// What systemd was not given follows the file's mode: a 0600 service file's command line is
// not shown to bob by heroctl cat, nor by heroctl apply --dry-run (ApplyPlan), while systemd does
// not hold that definition; once the service runs with it, systemd shows it to everyone and so
// does heroctl cat. Root sees everything.
func TestUnitTextOfAnUnreadableFileUntilSystemdHasIt(t *testing.T) {
	ensureUser(t, unprivileged, false)
	dir := filepath.Join(publicDir(t), "services")
	os.Mkdir(dir, 0o755)
	file := filepath.Join(dir, "pw.toml")
	write := func(secret string) {
		t.Helper()
		// ';' makes it a command hero-exec runs, decoded in a comment of the unit text.
		svc := "exec = [\"/bin/sh\", \"-c\", \"sleep 1000; echo --db-password=" + secret + "\"]\n"
		if err := os.WriteFile(file, []byte(svc), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(file, 0o600)
	}
	write("never-given-s3cret")
	os.WriteFile(filepath.Join(dir, "open.toml"), []byte("exec = [\"/bin/sleep\", \"1001\"]\n"), 0o644)
	installPolicy(t)
	herodIn(t, dir, t.TempDir(), nil).serving(t)

	cat := heroctlAs(t, unprivileged, "cat", "pw")
	wantExit(t, cat, 0, "heroctl cat pw as bob")
	if strings.Contains(cat.Stdout, "s3cret") || strings.Contains(cat.Stdout, "sleep 1000") || !strings.Contains(cat.Stdout, "ExecStart=…") {
		t.Errorf("heroctl cat of a 0600 file systemd was never given, as bob:\n%s", cat.Stdout)
	}
	if open := heroctlAs(t, unprivileged, "cat", "open"); !strings.Contains(open.Stdout, "ExecStart=/bin/sleep 1001") {
		t.Errorf("heroctl cat of a file every user may read, as bob:\n%s", open.Stdout)
	}
	if root := heroctl(t, "cat", "pw"); !strings.Contains(root.Stdout, "never-given-s3cret") {
		t.Errorf("root's heroctl cat lacks the command:\n%s", root.Stdout)
	}

	wantExit(t, heroctl(t, "start", "pw"), 0, "start pw")
	unit := "hero-default-pw.service"
	if show := asUser(t, unprivileged, "systemctl show -p ExecStart "+unit); !strings.Contains(show.Stdout, "hero-exec") {
		t.Errorf("systemctl show as bob does not show the running unit's command: %s", show.Stdout)
	}
	if cat := heroctlAs(t, unprivileged, "cat", "pw"); !strings.Contains(cat.Stdout, "never-given-s3cret") {
		t.Errorf("heroctl cat as bob of the unit systemd runs (and shows everyone) is withheld:\n%s", cat.Stdout)
	}

	write("next-s3cret")
	wantExit(t, heroctl(t, "daemon-reload"), 0, "daemon-reload") // for cat: apply reads the directory itself
	for what, r := range map[string]testbed.Result{
		"heroctl cat":               heroctlAs(t, unprivileged, "cat", "pw"),
		"heroctl apply --dry-run":   heroctlAs(t, unprivileged, "apply", "--dry-run"),
		"busctl call ApplyPlan":     testbed.Run(t, "runuser", "-u", unprivileged, "--", "busctl", "--json=short", "call", api.BusName, api.Path, api.Interface, api.MethodApplyPlan, "s", ""),
		"heroctl apply -o json dry": heroctlAs(t, unprivileged, "apply", "--dry-run", "-o", "json"),
	} {
		if strings.Contains(r.Stdout+r.Stderr, "next-s3cret") || !strings.Contains(r.Stdout, "ExecStart=") {
			t.Errorf("%s as bob shows the new definition's command, or no unit:\n%s%s", what, r.Stdout, r.Stderr)
		}
	}
	if plan := heroctlAs(t, unprivileged, "apply", "--dry-run"); !strings.Contains(plan.Stdout, "pw") || !strings.Contains(plan.Stdout, "+ExecStart=…") {
		t.Errorf("bob's apply --dry-run does not show pw's change withheld:\n%s", plan.Stdout)
	}
	if plan := heroctl(t, "apply", "--dry-run"); !strings.Contains(plan.Stdout, "next-s3cret") {
		t.Errorf("root's apply --dry-run lacks the new command:\n%s", plan.Stdout)
	}
}
