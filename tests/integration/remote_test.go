//go:build integration

package integration

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// sshTo lets root reach user@127.0.0.1 over the container's sshd with a key, asking nothing
// about host keys (~/.ssh/config), as an administrator's setup would.
func sshTo(t *testing.T, login string) {
	t.Helper()
	key := "/root/.ssh/id_ed25519"
	if _, err := os.Stat(key); err != nil {
		os.MkdirAll("/root/.ssh", 0o700)
		testbed.MustRun(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
		config := "Host 127.0.0.1\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
		if err := os.WriteFile("/root/.ssh/config", []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	u, err := user.Lookup(login)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(u.HomeDir, ".ssh")
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	os.MkdirAll(dir, 0o700)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{u.HomeDir, dir, filepath.Join(dir, "authorized_keys")} {
		os.Chown(p, uid, gid)
	}
	testbed.MustRun(t, "systemctl", "start", "ssh")
}

// heroctl -H reaches herod on another host as systemctl -H does: ssh runs systemd-stdio-bridge
// there (here the container's own sshd stands in for another host).
func TestRemoteHost(t *testing.T) {
	startHerod(t)
	sshTo(t, "root")
	host := "root@127.0.0.1"

	r := heroctl(t, "-H", host, "start", "db")
	wantExit(t, r, 0, "-H start db")
	if !strings.Contains(r.Stderr, "Started db (job") {
		t.Errorf("-H start db: %q", r.Stderr)
	}
	wantExit(t, heroctl(t, "is-active", "db"), 0, "db runs (seen locally)")
	r = heroctl(t, "-H", host, "status", "db")
	wantExit(t, r, 0, "-H status db")
	if !strings.Contains(r.Stdout, "db - Example database") || !strings.Contains(r.Stdout, " 127.0.0.1 db[") {
		t.Errorf("-H status db (the log lines name the host):\n%s", r.Stdout)
	}
	if r := heroctl(t, "-H", "127.0.0.1:22", "show", "-p", "State", "--value", "db"); r.Stdout != "running\n" {
		t.Errorf("-H HOST:PORT show: %q %q", r.Stdout, r.Stderr)
	}
	// The offline verbs ask herod there: a local HERO_CONFIG_DIR says nothing about that host.
	empty := t.TempDir()
	cmd := exec.Command(heroctlBin, "-H", host, "list-dependencies", "--plain", "api")
	cmd.Env = append(os.Environ(), "HERO_CONFIG_DIR="+empty)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "api\n  db\n") {
		t.Errorf("-H list-dependencies with HERO_CONFIG_DIR set: %v %q", err, out)
	}
	wantExit(t, heroctl(t, "-H", host, "stop", "db"), 0, "-H stop db")
	wantExit(t, heroctl(t, "is-active", "db"), 3, "db stopped (seen locally)")

	// A host that cannot be reached: said so, and no local directory read instead.
	r = heroctl(t, "-H", "127.0.0.1:1", "graph")
	wantExit(t, r, 1, "-H to a closed port")
	if !strings.Contains(r.Stderr, "herod on 127.0.0.1:1 is not running or not reachable") || strings.Contains(r.Stderr, "instead") {
		t.Errorf("-H to a closed port: %q", r.Stderr)
	}
	for _, args := range [][]string{
		{"-H", host, "--config-dir", empty, "validate"},
		{"-H", host, "validate", empty},
		{"-H", host, "--user", "status", "db"},
		{"-H", "-oProxyCommand=x", "status", "db"},
	} {
		r := heroctl(t, args...)
		wantExit(t, r, 1, strings.Join(args, " "))
		if !strings.Contains(r.Stderr, "Usage: heroctl") {
			t.Errorf("%v: %q, want a usage error", args, r.Stderr)
		}
	}
}
