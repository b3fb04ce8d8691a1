//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// herod --user serves the session bus of an ordinary user and runs their services in their own
// systemd manager; heroctl --user drives it, no root involved.
func TestUserMode(t *testing.T) {
	installPolicy(t) // creates the unprivileged user
	uid := strings.TrimSpace(testbed.MustRun(t, "id", "-u", unprivileged))
	runtime := "/run/user/" + uid
	testbed.MustRun(t, "loginctl", "enable-linger", unprivileged)
	t.Cleanup(func() { testbed.Run(t, "loginctl", "disable-linger", unprivileged) })
	testbed.Eventually(t, 20*time.Second, "the user's session bus", func() bool {
		_, err := os.Stat(runtime + "/bus")
		return err == nil
	})
	state, err := os.MkdirTemp("/run", "hero-user-state-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	n, _ := strconv.Atoi(uid)
	os.Chown(state, n, n)
	env := []string{"XDG_RUNTIME_DIR=" + runtime, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + runtime + "/bus"}
	asUser := func(args ...string) testbed.Result {
		return testbed.Run(t, "runuser", append([]string{"-u", unprivileged, "--", "env"}, append(env, args...)...)...)
	}
	herod := exec.Command("runuser", append([]string{"-u", unprivileged, "--", "env"}, append(env, herodBin, "--user",
		"--config-dir", filepath.Join(testbed.SrcDir, "packaging/examples"), "--state-dir", state)...)...)
	logf, _ := os.Create(filepath.Join(state, "herod.log"))
	herod.Stdout, herod.Stderr = logf, logf
	if err := herod.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		herod.Process.Signal(syscall.SIGTERM)
		herod.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(state, "herod.log"))
			t.Logf("herod --user log:\n%s", log)
		}
	})
	testbed.Eventually(t, 10*time.Second, "herod --user", func() bool { return asUser(heroctlBin, "--user", "status", "db").Code == 3 })

	wantExit(t, asUser(heroctlBin, "--user", "start", "api"), 0, "user start api")
	wantExit(t, asUser(heroctlBin, "--user", "is-active", "db"), 0, "user is-active db")
	// The units run in the user's own manager, not the system's.
	if r := asUser("systemctl", "--user", "is-active", "hero-default-api.service"); strings.TrimSpace(r.Stdout) != "active" {
		t.Errorf("api in the user manager: %q %q", r.Stdout, r.Stderr)
	}
	if r := testbed.Run(t, "systemctl", "is-active", "hero-default-api.service"); strings.TrimSpace(r.Stdout) == "active" {
		t.Errorf("api runs in the system manager")
	}
	r := asUser(heroctlBin, "--user", "stop", "db", "-o", "json")
	wantExit(t, r, 0, "user stop db")
	if !strings.Contains(r.Stdout, `"stopped_dependents": [`) || !strings.Contains(r.Stdout, `"api"`) {
		t.Errorf("user stop: %q", r.Stdout)
	}
	if r := asUser(heroctlBin, "--user", "logs", "api"); !strings.Contains(r.Stdout, "api: listening on :8080") {
		t.Errorf("user logs api: %q", r.Stdout)
	}
}
