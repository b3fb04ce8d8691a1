//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// dumpFlag makes this test binary, started by a unit, write what it received and stop: so the
// commands under test run no shell, and whatever reaches them is compared byte for byte.
const dumpFlag = "--hero-literal-dump"

// A unit runs `TESTBINARY --hero-literal-dump FILE ARGS...`: FILE gets ARGS and FILE.env the
// environment, NUL-separated; a FILE named "main" then waits to be stopped (it is the main
// process), any other exits 0.
func init() {
	if len(os.Args) < 3 || os.Args[1] != dumpFlag {
		return
	}
	file := os.Args[2]
	os.WriteFile(file, []byte(strings.Join(os.Args[3:], "\x00")), 0o644)
	os.WriteFile(file+".env", []byte(strings.Join(os.Environ(), "\x00")), 0o644)
	if filepath.Base(file) == "main" {
		time.Sleep(time.Hour)
	}
	os.Exit(0)
}

// literalValues are what systemd would otherwise rewrite: its variables and their escape, its
// specifiers, and what its unit-file syntax treats specially.
var literalValues = []string{
	"$", "$X", "${X}", "$$", "$$X", "a$X", "$1", "%n", "%%", "100%n%%", `back\slash`, `trailing\`,
	`"double"`, "'single'", "line1\nline2", ";", "a;b", " lead", "trail ", "",
}

// tomlQuote writes s as a TOML basic string: JSON's string escapes are TOML's (for UTF-8).
func tomlQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func tomlArray(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = tomlQuote(w)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// literalService is a service of four commands (a pre-action with its own environment, a
// script, the main process, a health check when health is set) that each dump into dir what
// they received: values as arguments, and in their environment V0... (and PRE).
func literalService(t *testing.T, dir string, values []string, health bool) string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{`X = "expanded"`}
	for i, v := range values {
		env = append(env, fmt.Sprintf("V%d = %s", i, tomlQuote(v)))
	}
	cmd := func(name string) string {
		return tomlArray(append([]string{self, dumpFlag, filepath.Join(dir, name)}, values...)...)
	}
	file := `env = { ` + strings.Join(env, ", ") + ` }

[[actions]]
name = "pre"
exec = ` + cmd("pre") + `
env = { PRE = ` + tomlQuote(strings.Join(values, "|")) + ` }

[[actions]]
name = "script"
interpreter = ` + tomlArray(self, dumpFlag, filepath.Join(dir, "script")) + `
script = ` + tomlQuote(strings.Join(values, "|")) + `

[[actions]]
name = "main"
exec = ` + cmd("main") + "\n"
	if health {
		file += "health = " + cmd("health") + "\nhealth_interval = \"100ms\"\n"
	}
	return file
}

// checkDump compares what each command of literalService received.
func checkDump(t *testing.T, dir string, values []string, health bool) {
	t.Helper()
	waitForDump(t, dir)
	words := func(file string) []string {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			return nil
		}
		return strings.Split(string(data), "\x00")
	}
	cmds := []string{"pre", "main"}
	if health {
		cmds = append(cmds, "health")
	}
	for _, cmd := range cmds {
		if got := words(cmd); !reflect.DeepEqual(got, values) {
			t.Errorf("%s received the arguments %q\nwant %q", cmd, got, values)
		}
		env := map[string]string{}
		for _, kv := range words(cmd + ".env") {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		for i, v := range values {
			if got := env[fmt.Sprintf("V%d", i)]; got != v {
				t.Errorf("%s: environment V%d=%q, want %q", cmd, i, got, v)
			}
		}
		if want := strings.Join(values, "|"); cmd == "pre" && env["PRE"] != want {
			t.Errorf("pre-action's own PRE=%q, want %q", env["PRE"], want)
		}
	}
	if got, want := words("script"), []string{strings.Join(values, "|")}; !reflect.DeepEqual(got, want) {
		t.Errorf("the interpreter received %q\nwant the script %q", got, want)
	}
}

// waitForDump waits for the main process (started once systemd executed it) to have written.
func waitForDump(t *testing.T, dir string) {
	t.Helper()
	testbed.Eventually(t, 10*time.Second, "the main process's dump", func() bool {
		_, err := os.Stat(filepath.Join(dir, "main.env"))
		return err == nil
	})
}

// Arguments, scripts, health commands and environment values reach the program exactly as the
// service file has them, whether systemd gets the unit as D-Bus properties or as the unit file
// `heroctl cat` prints.
func TestValuesReachTheProgramLiterally(t *testing.T) {
	conn := testbed.Systemd(t)
	viaBus, viaText := t.TempDir(), t.TempDir()
	set := loadSet(t, map[string]string{
		"lit.toml":     literalService(t, viaBus, literalValues, true),
		"littext.toml": literalService(t, viaText, literalValues, true),
	})
	if _, result := startUnit(t, conn, set, "lit", unitgen.Options{ExecHelper: testbed.ExecHelper}); result != "done" {
		t.Fatalf("start job %q", result)
	}
	checkDump(t, viaBus, literalValues, true)

	// The same unit from its text: written where systemd reads unit files, loaded, started.
	u, err := unitgen.Generate(set, set.Service("littext"), unitgen.Options{ExecHelper: testbed.ExecHelper})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("/run/systemd/system", u.Name)
	if err := os.WriteFile(file, []byte(u.Text()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := bridge.WriteEnvFile(u, unitgen.DefaultEnvDir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		testbed.Run(t, "systemctl", "stop", u.Name)
		os.Remove(file)
		testbed.Run(t, "systemctl", "daemon-reload")
	})
	testbed.MustRun(t, "systemctl", "daemon-reload")
	testbed.MustRun(t, "systemctl", "start", u.Name)
	checkDump(t, viaText, literalValues, true)
}

// Every value stays exact across a daemon-reload (after which systemd reads the transient
// unit back from its file), also those with '$' or ';', which systemd 252's transient unit
// files do not keep: hero runs those commands through hero-exec. The last part shows systemd's
// own behaviour, the reason hero-exec exists: a plain Exec line with them is changed.
func TestValuesAcrossDaemonReload(t *testing.T) {
	conn := testbed.Systemd(t)
	restartAfterReload := func(name string, values []string) string {
		dir := t.TempDir()
		set := loadSet(t, map[string]string{name + ".toml": literalService(t, dir, values, false)})
		u, result := startUnit(t, conn, set, name, unitgen.Options{ExecHelper: testbed.ExecHelper})
		if result != "done" {
			t.Fatalf("start job %q", result)
		}
		testbed.MustRun(t, "systemctl", "daemon-reload")
		os.RemoveAll(dir)
		os.Mkdir(dir, 0o755)
		testbed.Run(t, "systemctl", "restart", u.Name)
		return dir
	}
	dir := restartAfterReload("reload", literalValues)
	checkDump(t, dir, literalValues, false)

	// What systemd 252 does to a plain command's "$" and ";" at a daemon-reload.
	unit := "plain-dollar.service"
	// Removed before the start: busctl returns once the job is queued, the oneshot may have
	// written the file by then.
	os.Remove("/run/plain-dollar")
	testbed.MustRun(t, "busctl", "call", "--", "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
		"StartTransientUnit", "ssa(sv)a(sa(sv))", unit, "fail", "3", "Type", "s", "oneshot", "RemainAfterExit", "b", "true",
		"ExecStart", "a(sasb)", "1", "/bin/sh", "3", "/bin/sh", "-c", "echo 'a;b$$c' >/run/plain-dollar", "false", "0")
	t.Cleanup(func() { exec.Command("systemctl", "stop", unit).Run(); os.Remove("/run/plain-dollar") })
	testbed.Eventually(t, 30*time.Second, "the plain command ran", func() bool { return readFile("/run/plain-dollar") != "" })
	before := readFile("/run/plain-dollar")
	testbed.MustRun(t, "systemctl", "daemon-reload")
	testbed.MustRun(t, "systemctl", "restart", unit)
	after := readFile("/run/plain-dollar")
	t.Logf("systemd %s, a plain command writing a;b$c: before a daemon-reload %q, after %q",
		strings.Fields(testbed.MustRun(t, "systemctl", "--version"))[1], before, after)
}

// systemd-analyze verify reads the text of every unit of the examples and of the literal
// service without a complaint.
func TestUnitTextVerifies(t *testing.T) {
	examples := filepath.Join(testbed.SrcDir, "packaging", "examples")
	set, probs, err := configdir.Load(examples)
	if err != nil || len(probs) > 0 {
		t.Fatalf("examples: %v %v", err, probs)
	}
	lit := loadSet(t, map[string]string{"lit.toml": literalService(t, t.TempDir(), literalValues, true)})
	dir := t.TempDir()
	files := []string{writeUnit(t, dir, lit, lit.Service("lit"), examples)}
	for _, svc := range set.Services {
		files = append(files, writeUnit(t, dir, set, svc, examples))
	}
	sort.Strings(files)
	r := testbed.Run(t, "systemd-analyze", append([]string{"verify"}, files...)...)
	if r.Code != 0 || strings.TrimSpace(r.Stderr+r.Stdout) != "" {
		t.Errorf("systemd-analyze verify: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

func writeUnit(t *testing.T, dir string, set *config.Set, svc *config.Service, configDir string) string {
	t.Helper()
	u, err := unitgen.Generate(set, svc, unitgen.Options{ConfigDir: configDir, ExecHelper: testbed.ExecHelper})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, u.Name)
	if err := os.WriteFile(path, []byte(u.Text()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := bridge.WriteEnvFile(u, unitgen.DefaultEnvDir); err != nil {
		t.Fatal(err)
	}
	return path
}

// heroctl cat prints the same unit whether herod generates it or heroctl reads the directory
// itself: one definition.
func TestCatOfflineIsHerods(t *testing.T) {
	h := startHerod(t)
	for _, name := range []string{"db", "api", "web", "worker", "mailer", "cleanup"} {
		online := heroctl(t, "cat", name)
		offline := heroctl(t, "cat", "--config-dir", h.configDir, name)
		wantExit(t, online, 0, "cat "+name)
		wantExit(t, offline, 0, "cat --config-dir "+name)
		if online.Stdout != offline.Stdout {
			t.Errorf("cat %s differs:\nherod:\n%s\nheroctl --config-dir:\n%s", name, online.Stdout, offline.Stdout)
		}
	}
}
