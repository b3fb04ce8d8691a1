//go:build integration

package integration

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// addUser creates a user (with a home) in groups, once.
func addUser(t *testing.T, name string, groups ...string) {
	t.Helper()
	for _, g := range groups {
		if testbed.Run(t, "getent", "group", g).Code != 0 {
			testbed.MustRun(t, "groupadd", g)
		}
	}
	if testbed.Run(t, "id", name).Code != 0 {
		testbed.MustRun(t, "useradd", "--create-home", "--shell", "/bin/sh", name)
	}
	for _, g := range groups {
		testbed.MustRun(t, "usermod", "-aG", g, name)
	}
}

// polkitRule installs a polkit rule (JavaScript) for hero's action, removed when the test ends.
func polkitRule(t *testing.T, name, body string) {
	t.Helper()
	path := "/etc/polkit-1/rules.d/" + name + ".rules"
	rule := "polkit.addRule(function(action, subject) {\n  if (action.id == \"" + api.PolkitAction + "\") {\n    " + body + "\n  }\n});\n"
	if err := os.WriteFile(path, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path); testbed.Run(t, "systemctl", "try-restart", "polkit") })
	// polkitd reads its rules again when they change; a restart makes that certain.
	testbed.MustRun(t, "systemctl", "restart", "polkit")
}

// A polkit rule granting hero's action to a group lets its members manage services, through
// heroctl, busctl and -H; everyone else is refused by herod itself (the bus lets them ask).
func TestPolkitRuleLetsAGroupManage(t *testing.T) {
	startHerod(t)
	addUser(t, "heroop", "heroops")
	polkitRule(t, "50-hero-test", `if (subject.isInGroup("heroops")) return polkit.Result.YES;`)

	wantExit(t, heroctl(t, "start", "db"), 0, "root starts db")
	r := heroctlAs(t, "heroop", "stop", "db")
	wantExit(t, r, 0, "a member of heroops stops db")
	wantExit(t, heroctl(t, "is-active", "db"), 3, "db stopped by the member")
	out := testbed.MustRun(t, "runuser", "-u", "heroop", "--", "busctl", "call", api.BusName, api.Path, api.Interface, "Start", "sb", "db", "true")
	if !regexp.MustCompile(`^tasb [1-9][0-9]* 1 "db" false\n$`).MatchString(out) {
		t.Errorf("busctl Start by a member: %q", out)
	}
	testbed.Eventually(t, 10*time.Second, "db up", func() bool { return heroctl(t, "is-active", "db").Code == 0 })

	// Not a member: herod refuses (its error, its message), with busctl's interactive flag
	// too: no agent answers for them.
	r = heroctlAs(t, unprivileged, "stop", "db")
	wantExit(t, r, 1, "a non-member stops db")
	if !strings.Contains(r.Stderr, "access denied") || !strings.Contains(r.Stderr, api.PolkitAction) {
		t.Errorf("non-member: %q", r.Stderr)
	}
	r = testbed.Run(t, "runuser", "-u", unprivileged, "--", "busctl", "call", api.BusName, api.ServicePath("db"), api.ServiceInterface, "Stop", "b", "false")
	if r.Code == 0 || !strings.Contains(r.Stderr, "Stop changes services: only root may call it, or a user polkit authorizes for "+api.PolkitAction) {
		t.Errorf("non-member busctl Stop: exit %d %q", r.Code, r.Stderr)
	}
	wantExit(t, heroctl(t, "is-active", "db"), 0, "db still runs")
	wantExit(t, heroctl(t, "restart", "db"), 0, "root needs no rule")

	// Over -H the caller is the user ssh logs in as.
	sshTo(t, "heroop")
	wantExit(t, heroctl(t, "-H", "heroop@127.0.0.1", "stop", "db"), 0, "-H heroop@ stops db")
	wantExit(t, heroctl(t, "is-active", "db"), 3, "db stopped over -H")
}

// On a terminal, heroctl lets polkit ask for a password (it runs pkttyagent and sets
// ALLOW_INTERACTIVE_AUTHORIZATION, as systemctl does); --no-ask-password never asks.
func TestPolkitAsksForAPasswordOnATerminal(t *testing.T) {
	startHerod(t)
	const password = "hero-Test-pw1"
	addUser(t, "heroauth", "heroself")
	testbed.MustRun(t, "sh", "-c", "echo 'heroauth:"+password+"' | chpasswd")
	polkitRule(t, "50-hero-self", `if (subject.isInGroup("heroself")) return polkit.Result.AUTH_SELF;`)
	sshTo(t, "heroauth")
	wantExit(t, heroctl(t, "start", "db"), 0, "start db")

	// ssh -tt gives heroctl a terminal (and a logind session, as a login has).
	term := func(args ...string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
		cmd := exec.Command("ssh", append([]string{"-tt", "heroauth@127.0.0.1", heroctlBin}, args...)...)
		in, _ := cmd.StdinPipe()
		pipe, _ := cmd.StdoutPipe()
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, in, bufio.NewReader(pipe)
	}
	readUntil := func(r *bufio.Reader, want string) (string, bool) {
		var seen strings.Builder
		done := make(chan bool, 1)
		go func() {
			for {
				b, err := r.ReadByte()
				if err != nil {
					done <- false
					return
				}
				seen.WriteByte(b)
				if strings.HasSuffix(seen.String(), want) {
					done <- true
					return
				}
			}
		}()
		select {
		case ok := <-done:
			return seen.String(), ok
		case <-time.After(20 * time.Second):
			return "(timed out)", false
		}
	}

	cmd, _, out := term("--no-ask-password", "stop", "db")
	if seen, _ := readUntil(out, "\n"); strings.Contains(seen, "Password:") || !strings.Contains(seen, "access denied") {
		t.Errorf("--no-ask-password: %q, want a refusal and no password prompt", seen)
	}
	if err := cmd.Wait(); err == nil {
		t.Errorf("--no-ask-password stop succeeded without authentication")
	}
	wantExit(t, heroctl(t, "is-active", "db"), 0, "db still runs")

	cmd, in, out := term("stop", "db")
	seen, ok := readUntil(out, "Password: ")
	if !ok || !strings.Contains(seen, api.PolkitAction) {
		t.Fatalf("no password prompt naming the action: %q", seen)
	}
	// The agent prints its prompt before it turns the terminal's echo off, flushing what was
	// typed meanwhile: type the password once echo is off, as a person reading the prompt does.
	testbed.Eventually(t, 20*time.Second, "the agent's terminal without echo", func() bool {
		tty := strings.TrimSpace(testbed.Run(t, "sh", "-c", "readlink /proc/$(pgrep -n -u heroauth pkttyagent)/fd/0").Stdout)
		return strings.HasPrefix(tty, "/dev/pts/") && strings.Contains(testbed.Run(t, "stty", "-a", "-F", tty).Stdout, "-echo ")
	})
	io.WriteString(in, password+"\n")
	rest, _ := io.ReadAll(out)
	if err := cmd.Wait(); err != nil {
		t.Errorf("stop after authenticating: %v\n%s", err, rest)
	}
	if !strings.Contains(string(rest), "AUTHENTICATION COMPLETE") || !strings.Contains(string(rest), "Stopped db.") {
		t.Errorf("stop after authenticating printed %q", rest)
	}
	wantExit(t, heroctl(t, "is-active", "db"), 3, "db stopped by the authenticated user")
}
