//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// A service's environment values, and a pre-action's, reach its commands byte for byte, and
// no unprivileged user reads them anywhere: not through systemctl, busctl, heroctl, nor the
// file system (the transient unit file, herod's environment files). Root sees them.
func TestEnvironmentValuesStaySecret(t *testing.T) {
	const (
		mainSecret = "MainSecret-4711 \"quoted\" $HOME `tick` \\back 'single'\nsecond line"
		preSecret  = "PreSecret-0815 $$ ; %n"
	)
	out := t.TempDir() // root's alone: where the commands write what they got
	script := func(file, vars string) string {
		return `for v in ` + vars + `; do eval "printf '%s\n' \"$v=\$$v\""; done > ` + filepath.Join(out, file) + `; env > ` + filepath.Join(out, file+".env")
	}
	svc := `description = "keeps secrets"
env = { DB_PASSWORD = ` + tomlQuote(mainSecret) + ` }

[[actions]]
name = "prepare"
exec = ["/bin/sh", "-c", ` + tomlQuote(script("pre", "PRE_TOKEN DB_PASSWORD")) + `]
env = { PRE_TOKEN = ` + tomlQuote(preSecret) + ` }

[[actions]]
name = "serve"
exec = ["/bin/sh", "-c", ` + tomlQuote(script("main", "DB_PASSWORD PRE_TOKEN")+"; exec sleep infinity") + `]
`
	installPolicy(t)
	dir := t.TempDir()
	herodIn(t, dir, t.TempDir(), map[string]string{"vault.toml": svc}).serving(t)
	wantExit(t, heroctl(t, "start", "vault"), 0, "start vault")
	unit := unitgen.UnitName("default", "vault")
	testbed.Eventually(t, 30*time.Second, "the main process wrote what it got", func() bool {
		_, err := os.Stat(filepath.Join(out, "main.env"))
		return err == nil
	})

	// The values arrive exactly (the top-level env is every action's); the pre-action's own
	// variable stays its own.
	read := func(name string) string {
		data, _ := os.ReadFile(filepath.Join(out, name))
		return string(data)
	}
	if got, want := read("main"), "DB_PASSWORD="+mainSecret+"\nPRE_TOKEN=\n"; got != want {
		t.Errorf("the main process got:\n%q\nwant:\n%q", got, want)
	}
	if got, want := read("pre"), "PRE_TOKEN="+preSecret+"\nDB_PASSWORD="+mainSecret+"\n"; got != want {
		t.Errorf("the pre-action got:\n%q\nwant:\n%q", got, want)
	}
	if strings.Contains(read("main.env")+read("pre.env"), unitgen.PreEnvPrefix) {
		t.Errorf("a command sees the variables that carry pre-actions' environments:\n%s", read("main.env"))
	}

	secrets := []string{"MainSecret-4711", "PreSecret-0815"}
	leaks := func(what string, r testbed.Result) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(r.Stdout+r.Stderr, s) {
				t.Errorf("%s as an unprivileged user shows %q:\n%s%s", what, s, r.Stdout, r.Stderr)
			}
		}
	}
	as := func(args ...string) testbed.Result {
		return testbed.Run(t, "runuser", append([]string{"-u", unprivileged, "--"}, args...)...)
	}
	objPath := "/org/freedesktop/systemd1/unit/" + busEscape(unit)
	show := as("systemctl", "show", unit)
	if !strings.Contains(show.Stdout, "EnvironmentFiles=") || !strings.Contains(show.Stdout, "Environment=HERO_SERVICE=vault") {
		t.Errorf("systemctl show lacks the unit's environment settings (is it the unit?):\n%s", show.Stdout)
	}
	leaks("systemctl show", show)
	leaks("systemctl show -p Environment", as("systemctl", "show", "-p", "Environment", unit))
	leaks("systemctl cat", as("systemctl", "cat", unit))
	leaks("busctl introspect", as("busctl", "introspect", "org.freedesktop.systemd1", objPath))
	leaks("busctl get-property Environment", as("busctl", "get-property", "org.freedesktop.systemd1", objPath, "org.freedesktop.systemd1.Service", "Environment"))
	leaks("busctl ExecStartPre", as("busctl", "get-property", "org.freedesktop.systemd1", objPath, "org.freedesktop.systemd1.Service", "ExecStartPre"))
	transient := as("cat", "/run/systemd/transient/"+unit)
	if transient.Code != 0 || !strings.Contains(transient.Stdout, "EnvironmentFile=") {
		t.Errorf("the transient unit file is not readable, or names no environment file (exit %d):\n%s%s", transient.Code, transient.Stdout, transient.Stderr)
	}
	leaks("the transient unit file", transient)
	leaks("grep of /run", as("grep", "-rs", "Secret-", "/run", "/tmp", "/var/tmp"))
	if r := as("/bin/sh", "-c", "cat /run/hero-systemd/env/*"); r.Code == 0 {
		t.Errorf("the environment files are readable by an unprivileged user:\n%s", r.Stdout)
	}
	cat := as(heroctlBin, "cat", "vault")
	if !strings.Contains(cat.Stdout, `"DB_PASSWORD=…"`) {
		t.Errorf("heroctl cat as an unprivileged user does not name the variable:\n%s", cat.Stdout)
	}
	leaks("heroctl cat", cat)
	leaks("heroctl status", as(heroctlBin, "status", "vault"))
	leaks("heroctl show", as(heroctlBin, "show", "vault"))

	// Root sees the values, and the file is root's alone.
	if r := heroctl(t, "cat", "vault"); !strings.Contains(r.Stdout, "MainSecret-4711") {
		t.Errorf("root's heroctl cat lacks the values:\n%s", r.Stdout)
	}
	files, _ := filepath.Glob(filepath.Join(unitgen.DefaultEnvDir, unit+"-*"+unitgen.EnvFileSuffix))
	if len(files) != 1 {
		t.Fatalf("environment files %v, want one", files)
	}
	for path, want := range map[string]os.FileMode{filepath.Dir(unitgen.DefaultEnvDir): 0o700, unitgen.DefaultEnvDir: 0o700, files[0]: 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want mode %v", path, fi.Mode(), err, want)
		}
	}
}

// busEscape is systemd's object path escaping of a unit name (sd_bus_path_encode).
func busEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("_" + hex2(c))
	}
	return b.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
