//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

const unprivileged = "hero-tester"

var (
	heroctlBin = filepath.Join(testbed.BinDir, "heroctl")
	herodBin   = filepath.Join(testbed.BinDir, "herod")
)

// herod is a daemon started for one test, with a copy of the example configs.
type herod struct {
	cmd       *exec.Cmd
	configDir string
	stateDir  string
	log       string
}

// installPolicy puts the packaged D-Bus policy and polkit action in place and makes the bus read
// the policy (refusing one it cannot parse: dbus-daemon would ignore it whole).
func installPolicy(t *testing.T) {
	t.Helper()
	for from, to := range map[string]string{
		"packaging/dbus/org.hero.Proc1.conf":     "/etc/dbus-1/system.d/org.hero.Proc1.conf",
		"packaging/polkit/org.hero.proc1.policy": "/usr/share/polkit-1/actions/org.hero.proc1.policy",
	} {
		data, err := os.ReadFile(filepath.Join(testbed.SrcDir, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	since := time.Now().Add(-time.Second).Format("2006-01-02 15:04:05")
	testbed.MustRun(t, "busctl", "call", "org.freedesktop.DBus", "/", "org.freedesktop.DBus", "ReloadConfig")
	if log := testbed.MustRun(t, "journalctl", "-u", "dbus", "-o", "cat", "--since", since); strings.Contains(log, "org.hero.Proc1.conf") {
		t.Fatalf("dbus-daemon refused the policy:\n%s", log)
	}
	if testbed.Run(t, "id", unprivileged).Code != 0 {
		testbed.MustRun(t, "useradd", "--no-create-home", unprivileged)
	}
}

func startHerod(t *testing.T, extra ...string) *herod {
	t.Helper()
	installPolicy(t)
	h := &herod{configDir: t.TempDir(), stateDir: t.TempDir()}
	examples, _ := filepath.Glob(filepath.Join(testbed.SrcDir, "packaging/examples/*"))
	for _, f := range examples {
		data, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(h.configDir, filepath.Base(f)), data, 0o644)
	}
	h.launch(t, extra...)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(h.log)
			t.Logf("herod log:\n%s", log)
		}
	})
	return h.serving(t)
}

// stop stops the herod launched last (SIGTERM) and waits for it.
func (h *herod) stop() {
	h.cmd.Process.Signal(syscall.SIGTERM)
	h.cmd.Wait()
}

// serving waits for herod's bus name.
func (h *herod) serving(t *testing.T) *herod {
	t.Helper()
	testbed.Eventually(t, 10*time.Second, "herod owns its name", func() bool {
		return testbed.Run(t, "busctl", "status", api.BusName).Code == 0
	})
	return h
}

// herodIn returns a herod on dir (holding files) and state, started (see launch); it does not
// wait for its bus name.
func herodIn(t *testing.T, dir, state string, files map[string]string, extra ...string) *herod {
	t.Helper()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := &herod{configDir: dir, stateDir: state}
	h.launch(t, extra...)
	return h
}

// launch starts (another) herod on h's directories, its output appended to h.log (in the state
// directory unless set). When the test ends it is stopped (SIGTERM), and hero's units with it.
func (h *herod) launch(t *testing.T, extra ...string) *herod {
	t.Helper()
	if h.log == "" {
		h.log = filepath.Join(h.stateDir, "herod.log")
	}
	logf, err := os.OpenFile(h.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(herodBin, append([]string{"--config-dir", h.configDir, "--state-dir", h.stateDir}, extra...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.cmd = cmd
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		logf.Close()
		exec.Command("systemctl", "stop", "hero-*.service").Run()
		exec.Command("systemctl", "reset-failed", "hero-*.service").Run()
		waitHeroUnitsGone()
	})
	return h
}

// waitHeroUnitsGone waits (up to 30 s) until systemd has unloaded every hero unit: systemd 257
// collects stopped units a moment later than 252 does, and the next test's units of the same
// names can only be created once the old ones are gone.
func waitHeroUnitsGone() {
	testbed.Until(30*time.Second, 50*time.Millisecond, func() bool {
		out, err := exec.Command("systemctl", "list-units", "--all", "--plain", "--no-legend", "hero-*.service").Output()
		return err == nil && strings.TrimSpace(string(out)) == ""
	})
}

// heroctl runs the CLI as root (or as the unprivileged user with asUser).
func heroctl(t *testing.T, args ...string) testbed.Result {
	t.Helper()
	return testbed.Run(t, heroctlBin, args...)
}

func heroctlAs(t *testing.T, user string, args ...string) testbed.Result {
	t.Helper()
	return testbed.Run(t, "runuser", append([]string{"-u", user, "--", heroctlBin}, args...)...)
}

func wantExit(t *testing.T, r testbed.Result, code int, what string) {
	t.Helper()
	if r.Code != code {
		t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.Code, code, r.Stdout, r.Stderr)
	}
}

// heroctl start prints a progress line per service it starts, and -o json names them in
// start order; starting what runs already succeeds.
func TestHeroctlVerbStart(t *testing.T) {
	startHerod(t)
	r := heroctl(t, "start", "web", "-o", "json")
	wantExit(t, r, 0, "start web")
	var started struct {
		Started        []string `json:"started"`
		AlreadyRunning bool     `json:"already_running"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &started); err != nil || !reflect.DeepEqual(started.Started, []string{"db", "api", "web"}) {
		t.Errorf("start -o json: %q (%v)", r.Stdout, err)
	}
	for _, svc := range []string{"db", "api", "web"} {
		if !strings.Contains(r.Stderr, "Started "+svc+" (job") {
			t.Errorf("no progress line for %s in %q", svc, r.Stderr)
		}
	}
	wantExit(t, heroctl(t, "start", "web"), 0, "start running web")
}

// is-active and status exit as systemctl's: 0 running, 3 not running, 4 no such service.
func TestHeroctlVerbExitCodes(t *testing.T) {
	startHerod(t)
	heroctl(t, "start", "web")
	wantExit(t, heroctl(t, "is-active", "web"), 0, "is-active web")
	wantExit(t, heroctl(t, "is-active", "worker"), 3, "is-active worker")
	wantExit(t, heroctl(t, "is-active", "nope"), 4, "is-active nope")
	wantExit(t, heroctl(t, "status", "web"), 0, "status web")
	wantExit(t, heroctl(t, "status", "worker"), 3, "status worker")
	wantExit(t, heroctl(t, "status", "nope"), 4, "status nope")
	wantExit(t, heroctl(t, "jobs", "nope"), 4, "jobs nope")
}

// A service that crashes stays readable: is-failed, its output (logs), its exit status (show).
func TestHeroctlVerbCrashIsReadable(t *testing.T) {
	startHerod(t)
	heroctl(t, "start", "web")
	wantExit(t, heroctl(t, "start", "mailer"), 0, "start mailer")
	testbed.Eventually(t, 30*time.Second, "mailer failed", func() bool { return heroctl(t, "is-failed", "mailer").Code == 0 })
	wantExit(t, heroctl(t, "is-failed", "web"), 1, "is-failed web")
	if r := heroctl(t, "logs", "mailer"); !strings.Contains(r.Stdout, "fatal: no route to SMTP relay") {
		t.Errorf("logs mailer: %q", r.Stdout)
	}
	if r := heroctl(t, "show", "-p", "State,ExitCode", "mailer"); r.Stdout != "ExitCode=3\nState=failed\n" {
		t.Errorf("show: %q", r.Stdout)
	}
	if r := heroctl(t, "show", "-p", "State", "--value", "web"); r.Stdout != "running\n" {
		t.Errorf("show --value: %q", r.Stdout)
	}
}

// list-units prints systemctl's table with its legend (none with --no-legend), or every
// service's status with -o json.
func TestHeroctlVerbListUnits(t *testing.T) {
	startHerod(t)
	heroctl(t, "start", "web")
	r := heroctl(t, "list-units", "-o", "json")
	var units []client.Status
	if err := json.Unmarshal([]byte(r.Stdout), &units); err != nil || len(units) != 6 {
		t.Errorf("list-units -o json: %v, %d units", err, len(units))
	}
	r = heroctl(t, "list-units")
	if !strings.HasPrefix(r.Stdout, "UNIT ") || !strings.Contains(r.Stdout, "6 services listed.") ||
		!regexp.MustCompile(`(?m)^hero-default-web\.service +loaded +active +running +running +`).MatchString(r.Stdout) {
		t.Errorf("list-units:\n%s", r.Stdout)
	}
	r = heroctl(t, "list-units", "--no-legend")
	if strings.Contains(r.Stdout, "UNIT") || strings.Contains(r.Stdout, "listed") {
		t.Errorf("list-units --no-legend:\n%s", r.Stdout)
	}
}

// stop takes the dependents down with the service (-o json names them and the jobs it
// cancelled); a second stop cancels nothing; the stopped runs stay in the ledger.
func TestHeroctlVerbStopCascades(t *testing.T) {
	startHerod(t)
	heroctl(t, "start", "web")
	r := heroctl(t, "stop", "db", "-o", "json")
	wantExit(t, r, 0, "stop db")
	var stop struct {
		OK                bool     `json:"ok"`
		Cancelled         uint32   `json:"cancelled"`
		StoppedDependents []string `json:"stopped_dependents"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &stop); err != nil || !stop.OK || stop.Cancelled != 3 ||
		!reflect.DeepEqual(stop.StoppedDependents, []string{"web", "api"}) {
		t.Errorf("stop -o json: %q", r.Stdout)
	}
	if r := heroctl(t, "stop", "db", "-o", "json"); !strings.Contains(r.Stdout, `"cancelled": 0`) {
		t.Errorf("second stop: %q", r.Stdout)
	}
	r = heroctl(t, "jobs", "web", "-o", "json")
	var jobs []client.Job
	if err := json.Unmarshal([]byte(r.Stdout), &jobs); err != nil || len(jobs) != 1 || jobs[0].Phase != "cancelled" {
		t.Errorf("jobs web -o json: %q", r.Stdout)
	}
}

// restart brings back the dependents that ran; kill signals a running service (3 for a stopped
// one, 1 for a bad signal); reset-failed clears a failed state.
func TestHeroctlVerbRestartKillResetFailed(t *testing.T) {
	startHerod(t)
	heroctl(t, "start", "web", "worker")
	wantExit(t, heroctl(t, "restart", "api", "-o", "json"), 0, "restart api")
	for _, svc := range []string{"api", "web", "worker"} {
		wantExit(t, heroctl(t, "is-active", svc), 0, "is-active "+svc+" after restart")
	}
	wantExit(t, heroctl(t, "kill", "-s", "HUP", "cleanup"), 3, "kill a stopped service")
	wantExit(t, heroctl(t, "kill", "-s", "SIGBOGUS", "web"), 1, "kill with a bad signal")
	wantExit(t, heroctl(t, "kill", "-s", "KILL", "worker"), 0, "kill -9 worker")
	testbed.Eventually(t, 30*time.Second, "worker failed", func() bool { return heroctl(t, "is-failed", "worker").Code == 0 })
	wantExit(t, heroctl(t, "reset-failed", "worker"), 0, "reset-failed worker")
	if r := heroctl(t, "show", "-p", "State", "--value", "worker"); r.Stdout != "inactive\n" {
		t.Errorf("state after reset-failed: %q", r.Stdout)
	}
}

// The verbs that also work without herod (plans, validate, cat, list-dependencies, graph) ask
// herod when it runs; completion scripts are printed.
func TestHeroctlVerbOffline(t *testing.T) {
	startHerod(t)
	if r := heroctl(t, "stop", "--dry-run", "db", "-o", "json"); !strings.Contains(r.Stdout, `"stopped_dependents": [`) || !strings.Contains(r.Stdout, `"mailer"`) {
		t.Errorf("stop --dry-run: %q", r.Stdout)
	}
	if r := heroctl(t, "start", "--dry-run", "web", "-o", "json"); !strings.Contains(r.Stdout, `"dependencies": [`) || !strings.Contains(r.Stdout, `"db"`) {
		t.Errorf("start --dry-run: %q", r.Stdout)
	}
	wantExit(t, heroctl(t, "validate"), 0, "validate")
	if r := heroctl(t, "cat", "api"); !strings.Contains(r.Stdout, "Requires=hero-default-db.service") {
		t.Errorf("cat api: %q", r.Stdout)
	}
	if r := heroctl(t, "list-dependencies", "--reverse", "--plain", "db"); !strings.HasPrefix(r.Stdout, "db\n  api\n") {
		t.Errorf("list-dependencies: %q", r.Stdout)
	}
	if r := heroctl(t, "graph", "--dot"); !strings.Contains(r.Stdout, `"api" -> "db";`) {
		t.Errorf("graph --dot: %q", r.Stdout)
	}
	if r := heroctl(t, "completion", "bash"); r.Code != 0 || !strings.Contains(r.Stdout, "heroctl") {
		t.Errorf("completion bash: exit %d", r.Code)
	}
}

func TestReloadServesTheValidPart(t *testing.T) {
	h := startHerod(t)
	wantExit(t, heroctl(t, "start", "web"), 0, "start web")
	os.WriteFile(filepath.Join(h.configDir, "typo.toml"), []byte("exce = \"/bin/true\"\n"), 0o644)
	r := heroctl(t, "daemon-reload")
	// Loaded what it could: exit 0, as systemctl daemon-reload, saying what it left out.
	wantExit(t, r, 0, "daemon-reload with a broken file")
	if !strings.Contains(r.Stderr, `typo.toml:1: exce: unknown key or section (did you mean "exec"?)`) || !strings.Contains(r.Stderr, "the rest is loaded") {
		t.Errorf("reload error: %q", r.Stderr)
	}
	wantExit(t, heroctl(t, "validate"), 1, "validate sees the broken file")
	r = heroctl(t, "status", "typo")
	wantExit(t, r, 3, "status of the broken service")
	if !strings.Contains(r.Stdout, "State: bad-config") || !strings.Contains(r.Stdout, "unknown key or section") {
		t.Errorf("status typo:\n%s", r.Stdout)
	}
	r = heroctl(t, "start", "typo")
	wantExit(t, r, 1, "start of a bad-config service")
	if !strings.Contains(r.Stderr, "typo is bad-config") {
		t.Errorf("start typo: %q", r.Stderr)
	}
	// Its plan is refused the way its start is (a client such as the Cockpit page asks for the
	// plan first), not as a service that does not exist.
	r = testbed.Run(t, "busctl", "call", api.BusName, api.Path, api.Interface, "StartPlan", "s", "typo")
	if r.Code == 0 || !strings.Contains(r.Stderr, "typo is bad-config") || !strings.Contains(r.Stderr, "exce: unknown key") {
		t.Errorf("StartPlan of a bad-config service: exit %d %q", r.Code, r.Stderr)
	}
	if r := heroctl(t, "list-units", "--no-legend"); !strings.Contains(r.Stdout, "bad-config") {
		t.Errorf("list-units does not list the bad-config service:\n%s", r.Stdout)
	}
	// A running service whose file breaks keeps its last good definition and keeps running.
	os.WriteFile(filepath.Join(h.configDir, "web.toml"), []byte("exec = \"/bin/sleep 100\"\nrestrat = 1\n"), 0o644)
	wantExit(t, heroctl(t, "daemon-reload"), 0, "daemon-reload with web broken")
	wantExit(t, heroctl(t, "is-active", "web"), 0, "web keeps running")
	r = heroctl(t, "status", "web")
	if !strings.Contains(r.Stdout, "keeps its last good definition") || !strings.Contains(r.Stdout, "restrat") {
		t.Errorf("status web:\n%s", r.Stdout)
	}
	wantExit(t, heroctl(t, "restart", "web"), 0, "restart web, on its last good definition")
	// Fixed files load as usual.
	os.WriteFile(filepath.Join(h.configDir, "typo.toml"), []byte("exec = \"/bin/sleep 100\"\n"), 0o644)
	os.WriteFile(filepath.Join(h.configDir, "web.toml"), []byte("exec = \"/bin/sleep 100\"\n[dependencies]\nrequires = [\"api\"]\n"), 0o644)
	r = heroctl(t, "daemon-reload")
	wantExit(t, r, 0, "daemon-reload fixed")
	if !strings.Contains(r.Stderr, "Reloaded: 7 service(s).") {
		t.Errorf("reload: %q", r.Stderr)
	}
	wantExit(t, heroctl(t, "start", "typo"), 0, "start the fixed service")
}

// herod starts with broken files in its directory: it serves every other service (and starts
// those enabled), a service after an undefined one is blocked, waiting for it.
func TestHerodServesADirectoryWithProblems(t *testing.T) {
	installPolicy(t)
	dir, state := t.TempDir(), t.TempDir()
	files := map[string]string{
		"good.toml":    "status = \"start\"\nexec = [\"/bin/sleep\", \"1000\"]\n",
		"broken.toml":  "status = \"start\"\nexec = [\"/bin/sleep\", \"1000\"]\nrestart = \"bogus\"\n",
		"needy.toml":   "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"broken\"]\n",
		"waiting.yaml": "exec: sleep 1000\nafter:\n  - containerd\n",
	}
	herodIn(t, dir, state, files)
	testbed.Eventually(t, 10*time.Second, "herod serves, good started", func() bool { return heroctl(t, "is-active", "good").Code == 0 })
	for name, want := range map[string]string{"broken": "bad-config", "needy": "bad-config", "waiting": "blocked"} {
		r := heroctl(t, "show", "-p", "State", "--value", name)
		if strings.TrimSpace(r.Stdout) != want {
			t.Errorf("%s is %q, want %s", name, strings.TrimSpace(r.Stdout), want)
		}
	}
	r := heroctl(t, "start", "waiting")
	wantExit(t, r, 1, "start of a blocked service")
	if !strings.Contains(r.Stderr, "waits for containerd") {
		t.Errorf("start waiting: %q", r.Stderr)
	}
	r = heroctl(t, "status", "needy")
	if !strings.Contains(r.Stdout, `requires "broken", which is bad-config`) {
		t.Errorf("status needy:\n%s", r.Stdout)
	}
	// Offline verbs work on the rest and say what they left out.
	r = heroctl(t, "graph", "--config-dir", dir)
	wantExit(t, r, 0, "graph of a directory with problems")
	if !strings.Contains(r.Stderr, "broken") {
		t.Errorf("graph did not say what it left out: %q", r.Stderr)
	}
}

// The D-Bus API with clients nobody here wrote: busctl and gdbus.
func TestAPIWithBusctlAndGdbus(t *testing.T) {
	startHerod(t)
	r := testbed.MustRun(t, "busctl", "introspect", "--no-pager", api.BusName, api.Path)
	for _, m := range []string{".Start", ".Stop", ".Status", ".ListJobs", ".JobOutput", ".JobFinished", ".ServiceStateChanged"} {
		if !strings.Contains(r, m) {
			t.Errorf("introspection lacks %s", m)
		}
	}
	xml := testbed.MustRun(t, "busctl", "call", api.BusName, api.Path, "org.freedesktop.DBus.Introspectable", "Introspect")
	if !strings.Contains(xml, "Stop(name, remove_jobs): privileged") {
		t.Errorf("introspection data does not document the members")
	}
	// Start returns at once with the operation's id and what it will start.
	out := testbed.MustRun(t, "busctl", "call", api.BusName, api.Path, api.Interface, "Start", "sb", "api", "true")
	if !regexp.MustCompile(`^tasb [1-9][0-9]* 2 "db" "api" false$`).MatchString(strings.TrimSpace(out)) {
		t.Errorf("busctl Start: %q", out)
	}
	testbed.Eventually(t, 10*time.Second, "api up", func() bool { return heroctl(t, "is-active", "api").Code == 0 })
	out = testbed.MustRun(t, "gdbus", "call", "--system", "-d", api.BusName, "-o", api.Path, "-m", api.Interface+".Stop", "db", "false")
	if !regexp.MustCompile(`^\(uint64 [1-9][0-9]*, \['api', 'db'\]\)$`).MatchString(strings.TrimSpace(out)) {
		t.Errorf("gdbus Stop: %q", out)
	}
	testbed.Eventually(t, 10*time.Second, "db stopped", func() bool {
		out := testbed.MustRun(t, "gdbus", "call", "--system", "-d", api.BusName, "-o", api.Path, "-m", api.Interface+".Status", "db")
		return strings.Contains(out, "'State': <'stopped'>")
	})
}

// ListUnits is list-units' cheap read: for every service the same fields ListServices gives,
// as fixed structs, to anyone (busctl as an unprivileged user here).
func TestListUnitsMatchesListServices(t *testing.T) {
	startHerod(t)
	heroctl(t, "start", "api")
	c, err := client.Dial(context.Background(), false, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	units, err := c.ListUnits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	full, err := c.ListServices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != len(full) || len(units) == 0 {
		t.Fatalf("ListUnits gave %d services, ListServices %d", len(units), len(full))
	}
	for i, u := range units {
		f := full[i]
		want := client.Status{Service: f.Service, Unit: f.Unit, Description: f.Description, LoadState: f.LoadState,
			ActiveState: f.ActiveState, SubState: f.SubState, State: f.State, Enabled: f.Enabled, EnabledBy: f.EnabledBy}
		if !reflect.DeepEqual(u, want) {
			t.Errorf("ListUnits row %d: %+v\nListServices: %+v", i, u, want)
		}
	}
	r := testbed.Run(t, "runuser", "-u", unprivileged, "--", "busctl", "call", api.BusName, api.Path, api.Interface, api.MethodListUnits)
	if r.Code != 0 || !strings.Contains(r.Stdout, `"api" "hero-default-api.service"`) ||
		!strings.Contains(r.Stdout, `"loaded" "active" "running" "running"`) {
		t.Errorf("ListUnits as %s: %d %q %q", unprivileged, r.Code, r.Stdout, r.Stderr)
	}
}

// Malformed arguments are refused with a named error, and nothing changes.
func TestMalformedArgumentsChangeNothing(t *testing.T) {
	h := startHerod(t)
	call := func(method, sig string, args ...string) testbed.Result {
		return testbed.Run(t, "busctl", append([]string{"call", "--", api.BusName, api.Path, api.Interface, method, sig}, args...)...)
	}
	cases := []struct {
		name   string
		r      testbed.Result
		errMsg string
	}{
		{"path in name", call("Start", "sb", "../../etc/passwd", "true"), "invalid service name"},
		{"empty name", call("Stop", "sb", "", "false"), "empty service name"},
		{"huge name", call("Status", "s", strings.Repeat("a", 5000)), "longer than 48 bytes"},
		{"signal 0", call("Kill", "si", "db", "0"), "out of range 1..64"},
		{"negative job", call("JobOutput", "sx", "db", "-5"), "negative"},
		{"unknown service", call("Start", "sb", "ghost", "true"), `no such service "ghost"`},
		{"wrong signature", call("Start", "s", "db"), ""},
	}
	for _, c := range cases {
		if c.r.Code == 0 {
			t.Errorf("%s: accepted", c.name)
		}
		if c.errMsg != "" && !strings.Contains(c.r.Stderr, c.errMsg) {
			t.Errorf("%s: error %q lacks %q", c.name, c.r.Stderr, c.errMsg)
		}
	}
	// The named errors, through a typed client.
	c, err := client.Dial(context.Background(), false, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Start(context.Background(), "bad/name", true)
	if e, ok := client.AsError(err); !ok || e.Name != api.ErrInvalidArgument {
		t.Errorf("bad name: %v, want %s", err, api.ErrInvalidArgument)
	}
	_, err = c.Start(context.Background(), "ghost", true)
	if e, ok := client.AsError(err); !ok || e.Name != api.ErrNoSuchService {
		t.Errorf("unknown: %v, want %s", err, api.ErrNoSuchService)
	}
	// Nothing changed: no unit runs, no job was recorded.
	list, err := c.ListServices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Up() || s.LastJob != nil {
			t.Errorf("%s changed: %s, last job %+v", s.Service, s.ActiveState, s.LastJob)
		}
	}
	_ = h
}

// Unprivileged callers may read but not change anything. The bus lets them call every method;
// herod refuses: polkit (installed in the testbed, with no rule for them) would want an
// administrator's password, which a call without ALLOW_INTERACTIVE_AUTHORIZATION (heroctl
// off a terminal; busctl with it turned off) cannot give, and which nobody gives (busctl).
func TestUnprivilegedUserIsDeniedMutations(t *testing.T) {
	startHerod(t)
	heroctl(t, "start", "db")
	for _, args := range [][]string{{"start", "web"}, {"stop", "db"}, {"restart", "db"}, {"kill", "db"},
		{"reset-failed", "db"}, {"daemon-reload"}, {"start", "api", "worker"}, {"enable", "db"}} {
		r := heroctlAs(t, unprivileged, args...)
		wantExit(t, r, 1, "unprivileged "+strings.Join(args, " "))
		if !strings.Contains(r.Stderr, "access denied") || !strings.Contains(r.Stderr, "sudo heroctl") {
			t.Errorf("unprivileged %v: %q", args, r.Stderr)
		}
	}
	calls := [][]string{{"Start", "sb", "db", "true"}, {"Stop", "sb", "db", "false"}, {"Restart", "s", "db"},
		{"Kill", "si", "db", "9"}, {"ResetFailed", "s", "db"}, {"Reload"}, {"StartMany", "asb", "1", "db", "true"},
		{"Enable", "as", "1", "db"}, {"Disable", "as", "1", "db"}}
	for _, call := range calls {
		for _, interactive := range []string{"yes", "no"} {
			// gdbus names the error; busctl sends ALLOW_INTERACTIVE_AUTHORIZATION as asked.
			r := testbed.Run(t, "runuser", append([]string{"-u", unprivileged, "--", "busctl", "--allow-interactive-authorization=" + interactive,
				"call", api.BusName, api.Path, api.Interface}, call...)...)
			if r.Code == 0 || !strings.Contains(r.Stderr, call[0]+" changes services") {
				t.Errorf("unprivileged busctl %s (interactive %s): exit %d %q, want herod's refusal", call[0], interactive, r.Code, r.Stderr)
			}
		}
	}
	// Without the flag polkit's answer is "after authentication": the D-Bus error for that.
	r := testbed.Run(t, "runuser", "-u", unprivileged, "--", "gdbus", "call", "--system", "-d", api.BusName, "-o", api.Path,
		"-m", api.Interface+".Stop", "db", "false")
	if !strings.Contains(r.Stderr, api.ErrInteractiveAuthorizationRequired) {
		t.Errorf("unprivileged gdbus Stop: %q, want %s", r.Stderr, api.ErrInteractiveAuthorizationRequired)
	}
	wantExit(t, heroctl(t, "is-active", "db"), 0, "db still runs")
	for _, args := range [][]string{{"status", "db"}, {"list-units"}, {"jobs", "db"}, {"cat", "db"},
		{"stop", "--dry-run", "db"}, {"validate"}, {"graph"}, {"show", "db"}} {
		r := heroctlAs(t, unprivileged, args...)
		if r.Code != 0 {
			t.Errorf("unprivileged %v: exit %d %q", args, r.Code, r.Stderr)
		}
	}
}

// herod checks the caller's uid itself too: on a bus with no policy at all, an unprivileged
// caller still cannot change anything.
func TestHerodChecksCallerItself(t *testing.T) {
	installPolicy(t)
	// Not under t.TempDir(): its parent is private to root, and the unprivileged caller must
	// reach the socket.
	busDir, err := os.MkdirTemp("/run", "hero-bus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(busDir) })
	os.Chmod(busDir, 0o755)
	conf := filepath.Join(busDir, "open.conf")
	os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>custom</type><listen>unix:path=`+busDir+`/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/><allow user="*"/></policy>
</busconfig>`), 0o644)
	bus := exec.Command("dbus-daemon", "--config-file", conf, "--nofork")
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })
	addr := "unix:path=" + busDir + "/bus"
	testbed.Eventually(t, 30*time.Second, "private bus", func() bool { _, err := os.Stat(busDir + "/bus"); return err == nil })
	os.Chmod(busDir+"/bus", 0o777)
	startHerodOn(t, addr)
	r := heroctlAs(t, unprivileged, "--bus-address", addr, "start", "db")
	wantExit(t, r, 1, "unprivileged start on an open bus")
	if !strings.Contains(r.Stderr, "access denied") {
		t.Errorf("stderr %q", r.Stderr)
	}
	wantExit(t, heroctlAs(t, unprivileged, "--bus-address", addr, "status", "db"), 3, "unprivileged status")
	r = heroctlAs(t, unprivileged, "--bus-address", addr, "logs", "db")
	wantExit(t, r, 1, "unprivileged logs on an open bus")
	if !strings.Contains(r.Stderr, "adm") {
		t.Errorf("unprivileged logs on an open bus: %q", r.Stderr)
	}
	wantExit(t, heroctl(t, "--bus-address", addr, "start", "db"), 0, "root start")
}

func startHerodOn(t *testing.T, addr string) {
	t.Helper()
	herodIn(t, filepath.Join(testbed.SrcDir, "packaging/examples"), t.TempDir(), nil, "--bus-address", addr)
	testbed.Eventually(t, 10*time.Second, "herod on the private bus", func() bool {
		return heroctl(t, "--bus-address", addr, "status", "db").Code == 3
	})
}

// Clients can follow runs without polling: JobStarted and JobFinished signals, for every run.
func TestSignals(t *testing.T) {
	startHerod(t)
	conn, err := dbus.ConnectSystemBus(dbus.WithSignalHandler(dbus.NewSequentialSignalHandler()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(api.Interface)); err != nil {
		t.Fatal(err)
	}
	ch := make(chan *dbus.Signal, 256)
	conn.Signal(ch)
	heroctl(t, "start", "api")
	heroctl(t, "stop", "db")
	var got []string
	timeout := time.After(10 * time.Second)
	for len(got) < 4 {
		select {
		case s := <-ch:
			switch strings.TrimPrefix(s.Name, api.Interface+".") {
			case api.SignalJobStarted:
				got = append(got, fmt.Sprintf("JobStarted %v", s.Body[0]))
			case api.SignalJobFinished:
				got = append(got, fmt.Sprintf("JobFinished %v %v", s.Body[0], s.Body[2]))
			}
		case <-timeout:
			t.Fatalf("signals so far: %v", got)
		}
	}
	want := []string{"JobStarted db", "JobStarted api", "JobFinished api cancelled", "JobFinished db cancelled"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("signals %v, want %v", got, want)
	}
}

// A herod killed with SIGKILL loses nothing: the next one reconciles what ended meanwhile.
func TestHerodKilledThenReconciles(t *testing.T) {
	h := startHerod(t)
	os.WriteFile(filepath.Join(h.configDir, "ender.toml"), []byte("exec = [\"/bin/sh\", \"-c\", \"sleep 1; echo done; exit 5\"]\n"), 0o644)
	heroctl(t, "daemon-reload")
	wantExit(t, heroctl(t, "start", "ender"), 0, "start ender")
	h.cmd.Process.Kill()
	h.cmd.Wait()
	testbed.Eventually(t, 30*time.Second, "ender exited (after 1 s) while no herod ran", func() bool {
		return strings.TrimSpace(testbed.Run(t, "systemctl", "is-failed", "hero-default-ender.service").Stdout) == "failed"
	})
	h.launch(t).serving(t)
	testbed.Eventually(t, 10*time.Second, "second herod", func() bool { return heroctl(t, "status", "ender").Code == 3 })
	r := heroctl(t, "jobs", "ender", "-o", "json")
	var jobs []client.Job
	json.Unmarshal([]byte(r.Stdout), &jobs)
	if len(jobs) != 1 || jobs[0].Phase != "failed" || jobs[0].ExitCode == nil || *jobs[0].ExitCode != 5 {
		t.Errorf("ender's job after herod was killed: %q", r.Stdout)
	}
	if r := heroctl(t, "logs", "ender", "-o", "cat"); !strings.HasPrefix(r.Stdout, "done\n") && !strings.Contains(r.Stdout, "\ndone\n") {
		t.Errorf("ender's output %q", r.Stdout)
	}
}

// herod brings services to their wanted state when it starts: status = "start" ones are started
// (with what they require), running status = "stop" ones are stopped, "ignore" ones left alone.
func TestWantedStatesAtDaemonStart(t *testing.T) {
	installPolicy(t)
	dir, state := t.TempDir(), t.TempDir()
	files := map[string]string{
		"up.toml":   "status = \"start\"\nexec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"dep\"]\n",
		"dep.toml":  "exec = [\"/bin/sleep\", \"1000\"]\n",
		"down.toml": "status = \"stop\"\nexec = [\"/bin/sleep\", \"1000\"]\n",
		"free.toml": "exec = [\"/bin/sleep\", \"1000\"]\n",
	}
	h := herodIn(t, dir, state, files).serving(t)
	testbed.Eventually(t, 10*time.Second, "up started", func() bool { return heroctl(t, "is-active", "up").Code == 0 })
	wantExit(t, heroctl(t, "is-active", "dep"), 0, "dep, required by up")
	wantExit(t, heroctl(t, "is-active", "down"), 3, "down")
	wantExit(t, heroctl(t, "start", "down", "free"), 0, "start down and free by hand")
	h.stop()
	h.launch(t).serving(t)
	testbed.Eventually(t, 10*time.Second, "down stopped", func() bool { return heroctl(t, "is-active", "down").Code == 3 })
	wantExit(t, heroctl(t, "is-active", "free"), 0, "free (status ignore) keeps running")
	wantExit(t, heroctl(t, "is-active", "up"), 0, "up keeps running")
}

// heroctl enable / disable decide what herod starts when it starts, over the config's status
// key, kept in herod's state (the config files are not touched).
func TestEnableDisable(t *testing.T) {
	installPolicy(t)
	dir, state := t.TempDir(), t.TempDir()
	files := map[string]string{
		"auto.toml":  "status = \"start\"\nexec = [\"/bin/sleep\", \"1000\"]\n",
		"plain.toml": "exec = [\"/bin/sleep\", \"1000\"]\n",
		"later.toml": "exec = [\"/bin/sleep\", \"1000\"]\n",
	}
	h := herodIn(t, dir, state, files).serving(t)
	wantExit(t, heroctl(t, "is-enabled", "auto"), 0, "auto, by its status key")
	wantExit(t, heroctl(t, "is-enabled", "plain"), 1, "plain")
	wantExit(t, heroctl(t, "enable", "plain"), 0, "enable plain")
	wantExit(t, heroctl(t, "disable", "auto"), 0, "disable auto")
	wantExit(t, heroctl(t, "enable", "nope"), 4, "enable an unknown service")
	wantExit(t, heroctl(t, "is-active", "plain"), 3, "enable starts nothing")
	wantExit(t, heroctl(t, "enable", "--now", "later"), 0, "enable --now")
	wantExit(t, heroctl(t, "is-active", "later"), 0, "enable --now starts it")
	r := heroctl(t, "list-units", "--all")
	if !strings.Contains(r.Stdout, "enabled (heroctl)") || !strings.Contains(r.Stdout, "disabled (heroctl)") {
		t.Errorf("list-units --all:\n%s", r.Stdout)
	}
	for name, data := range files {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != data {
			t.Errorf("%s was edited: %q", name, got)
		}
	}
	heroctl(t, "stop", "auto")
	h.stop()
	exec.Command("systemctl", "stop", "hero-*.service").Run()
	h.launch(t).serving(t)
	testbed.Eventually(t, 10*time.Second, "enabled services started", func() bool {
		return heroctl(t, "is-active", "plain").Code == 0 && heroctl(t, "is-active", "later").Code == 0
	})
	wantExit(t, heroctl(t, "is-active", "auto"), 3, "disabled auto, although its status is start")
	wantExit(t, heroctl(t, "disable", "--now", "later"), 0, "disable --now")
	wantExit(t, heroctl(t, "is-active", "later"), 3, "disable --now stops it")
}
