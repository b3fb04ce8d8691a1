package daemon

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// nobody is the unprivileged user calls are made as.
const nobody = 65534

// callAs calls a method of herod's manager with dbus-send as uid, and returns what it printed
// and whether the call failed.
func callAs(t *testing.T, td *testDaemon, uid uint32, method string, args ...string) (string, bool) {
	t.Helper()
	sender, err := exec.LookPath("dbus-send")
	if err != nil {
		t.Fatalf("these tests need dbus-send (Debian: apt-get install dbus-bin): %v", err)
	}
	argv := append([]string{"--bus=" + td.addr, "--print-reply", "--dest=" + api.BusName, api.Path, api.Interface + "." + method}, args...)
	cmd := exec.Command(sender, argv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	cmd.Dir = "/"
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("dbus-send as uid %d: %v", uid, err)
	}
	return out.String(), err != nil
}

// TestAnUnprivilegedCallerReadsButChangesNothing specifies access for a user who is neither root
// nor authorized by polkit (there is no polkit on the test's bus): reads answer, every mutating
// method and every method that returns what services wrote is denied, and a unit's environment
// values are masked.
func TestAnUnprivilegedCallerReadsButChangesNothing(t *testing.T) {
	files := map[string]string{}
	for k, v := range stack {
		files[k] = v
	}
	td := startDaemon(t, files)
	if err := os.Chmod(filepath.Join(td.config, "web.toml"), 0o600); err != nil {
		t.Fatal(err)
	}
	denied := []struct {
		method string
		args   []string
	}{
		{api.MethodStart, []string{"string:db", "boolean:false"}},
		{api.MethodStop, []string{"string:db", "boolean:false"}},
		{api.MethodRestart, []string{"string:db"}},
		{api.MethodKill, []string{"string:db", "int32:9"}},
		{api.MethodReloadService, []string{"string:db"}},
		{api.MethodReload, nil},
		{api.MethodEnable, []string{"array:string:db"}},
		{api.MethodApply, nil},
		{api.MethodJobLog, []string{"string:db", "int64:0", "uint32:10"}},
		{api.MethodJobOutput, []string{"string:db", "int64:0"}},
	}
	for _, c := range denied {
		out, failed := callAs(t, td, nobody, c.method, c.args...)
		if !failed || !strings.Contains(out, api.ErrAccessDenied) {
			t.Errorf("%s as nobody: %q; want %s", c.method, out, api.ErrAccessDenied)
		}
	}
	if list, _ := td.eng.List(testCtx(t)); len(list) != 4 || list[0].LastJob != nil || list[1].LastJob != nil {
		t.Errorf("a denied call changed something: %+v", list)
	}
	out, failed := callAs(t, td, nobody, api.MethodListServices)
	if failed || !strings.Contains(out, `"db"`) {
		t.Errorf("ListServices as nobody: %q", out)
	}
	out, failed = callAs(t, td, nobody, api.MethodUnitText, "string:web")
	if failed || !strings.Contains(out, "TOKEN") || strings.Contains(out, "s3cret") {
		t.Errorf("UnitText of web as nobody shows its environment's values, or fails:\n%s", out)
	}
	out, failed = callAs(t, td, 0, api.MethodUnitText, "string:web")
	if failed || !strings.Contains(out, "s3cret") {
		t.Errorf("UnitText of web as root does not show its environment:\n%s", out)
	}
}

// authority is polkit's CheckAuthorization, answering as told, and remembering what it was asked.
type authority struct {
	mu      sync.Mutex
	answer  polkitResult
	actions []string
	flags   []uint32
}

func (a *authority) CheckAuthorization(subject polkitSubject, action string, details map[string]string, flags uint32, cancel string) (polkitResult, *dbus.Error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.actions, a.flags = append(a.actions, action), append(a.flags, flags)
	return a.answer, nil
}

// withAuthority serves a polkit authority on td's bus.
func withAuthority(t *testing.T, td *testDaemon, answer polkitResult) *authority {
	t.Helper()
	conn, err := dbus.Connect(td.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	a := &authority{answer: answer}
	if err := conn.Export(a, polkitPath, "org.freedesktop.PolicyKit1.Authority"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName(polkitName, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v %v", polkitName, r, err)
	}
	return a
}

// TestPolkitDecidesForOtherUsers specifies that polkit decides the mutating calls of users other
// than root, for hero's action: a yes lets the call through; "after authentication" on a call
// that did not allow interaction asks for it (InteractiveAuthorizationRequired); a no denies.
func TestPolkitDecidesForOtherUsers(t *testing.T) {
	cases := []struct {
		answer polkitResult
		want   string // "" for a call let through
	}{
		{polkitResult{Authorized: true}, ""},
		{polkitResult{Challenge: true}, api.ErrInteractiveAuthorizationRequired},
		{polkitResult{}, api.ErrAccessDenied},
	}
	for _, c := range cases {
		td := startDaemon(t, stack)
		a := withAuthority(t, td, c.answer)
		out, failed := callAs(t, td, nobody, api.MethodEnable, "array:string:db")
		switch {
		case c.want == "" && failed:
			t.Errorf("polkit said %+v, and Enable as nobody failed: %s", c.answer, out)
		case c.want != "" && (!failed || !strings.Contains(out, c.want)):
			t.Errorf("polkit said %+v, and Enable as nobody answered %q; want %s", c.answer, out, c.want)
		}
		if len(a.actions) != 1 || a.actions[0] != api.PolkitAction || a.flags[0] != 0 {
			t.Errorf("polkit was asked %v (flags %v); want once, for %s, without interaction", a.actions, a.flags, api.PolkitAction)
		}
		en, err := enablements(testCtx(t), td.d.ledger, td.eng.Config())
		if err != nil {
			t.Fatal(err)
		}
		if got := en["db"].State == enabledState; got != (c.want == "") {
			t.Errorf("polkit said %+v: db enabled is %v", c.answer, got)
		}
	}
}

// TestAFailedStartsOutputReachesOnlyItsReaders specifies what a failed start tells whom: the
// OperationProgress and OperationFinished signals, which every user on the bus receives, say how
// the run ended and where to read more, without the service's last lines, the health check's
// words or systemd's reason; OperationStatus tells the whole error to callers who may read
// services' output (root here) and the signals' text to anyone else; a client waiting as root
// (heroctl) is told the whole.
func TestAFailedStartsOutputReachesOnlyItsReaders(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	code := 3
	fail := &bridge.StartError{Service: "db", JobResult: "failed", Job: &jobdb.Job{Result: "exit-code", ExitCode: &code},
		Lines: []string{"DBPASS=hunter2-s3cret"}, Health: []string{"health: curl said s3cret-health"}}
	td.eng.mu.Lock()
	td.eng.failNext = fail
	td.eng.mu.Unlock()
	monitor, err := dbus.Connect(td.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer monitor.Close()
	if err := monitor.AddMatchSignal(dbus.WithMatchInterface(api.Interface)); err != nil {
		t.Fatal(err)
	}
	heard := make(chan *dbus.Signal, 64)
	monitor.Signal(heard)

	q, err := td.c.Start(ctx, "db", false)
	if err != nil {
		t.Fatal(err)
	}
	o := td.wait(t, q)
	if o.Err == nil || o.Err.Name != api.ErrStartFailed || !strings.Contains(o.Err.Message, "DBPASS=hunter2-s3cret") {
		t.Errorf("root waiting for its start (heroctl) is not told the service's last lines: %+v", o.Err)
	}
	public := fail.Public().Error()
	if want := "start db: systemd job failed (exit-code, exit status 3); see 'heroctl logs db'"; public != want {
		t.Errorf("the public error is %q, want %q", public, want)
	}
	var signalled []string
	for len(signalled) < 2 {
		select {
		case s := <-heard:
			if s.Name == api.Interface+"."+api.SignalOperationProgress || s.Name == api.Interface+"."+api.SignalOperationFinished {
				signalled = append(signalled, fmt.Sprint(s.Body...))
			}
		case <-ctx.Done():
			t.Fatalf("the operation's signals did not come; heard %q", signalled)
		}
	}
	for _, body := range signalled {
		if strings.Contains(body, "s3cret") || !strings.Contains(body, public) {
			t.Errorf("a broadcast signal carries %q; want the public error %q and no secret", body, public)
		}
	}
	op := fmt.Sprintf("uint64:%d", q.Operation)
	if out, failed := callAs(t, td, nobody, api.MethodOperationStatus, op); failed || strings.Contains(out, "s3cret") || !strings.Contains(out, "exit status 3") {
		t.Errorf("OperationStatus as nobody: %s", out)
	}
	if out, failed := callAs(t, td, 0, api.MethodOperationStatus, op); failed || !strings.Contains(out, "DBPASS=hunter2-s3cret") || !strings.Contains(out, "s3cret-health") {
		t.Errorf("OperationStatus as root lacks the whole error: %s", out)
	}
}

// TestWhatSystemdWasNotGivenFollowsTheFilesMode specifies UnitText and ApplyPlan for a caller
// who may not read a service's file (web.toml, 0600): while systemd does not hold its
// definition, every value of the file is left out (its command line, its decoded comment);
// once the unit runs with it, systemd shows it to everyone and so does herod (environment values
// aside). A file every user may read, and root, are shown whole.
func TestWhatSystemdWasNotGivenFollowsTheFilesMode(t *testing.T) {
	td := startDaemon(t, stack)
	if err := os.Chmod(filepath.Join(td.config, "web.toml"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{td.config, filepath.Dir(td.config)} {
		os.Chmod(d, 0o755) // the other files are every user's to read
	}
	if _, err := td.c.Reload(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	out, failed := callAs(t, td, nobody, api.MethodUnitText, "string:web")
	if failed || strings.Contains(out, "/bin/sleep") || !strings.Contains(out, "ExecStart=…") || !strings.Contains(out, "Requires=hero-default-api.service") {
		t.Errorf("UnitText of the unstarted 0600 web as nobody:\n%s", out)
	}
	if out, _ := callAs(t, td, nobody, api.MethodUnitText, "string:db"); !strings.Contains(out, "ExecStart=/bin/sleep infinity") {
		t.Errorf("UnitText of the 0644 db as nobody is not whole:\n%s", out)
	}
	if out, _ := callAs(t, td, 0, api.MethodUnitText, "string:web"); !strings.Contains(out, "ExecStart=/bin/sleep infinity") {
		t.Errorf("UnitText of web as root is not whole:\n%s", out)
	}
	q, err := td.c.Start(testCtx(t), "web", false)
	if err != nil {
		t.Fatal(err)
	}
	td.wait(t, q)
	if out, _ := callAs(t, td, nobody, api.MethodUnitText, "string:web"); !strings.Contains(out, "ExecStart=/bin/sleep infinity") || strings.Contains(out, "s3cret") {
		t.Errorf("UnitText of web, which systemd holds, as nobody:\n%s", out)
	}

	td.eng.mu.Lock()
	td.eng.plan = plan.Apply{Restart: []string{"web"}, Changed: []plan.Change{{Service: "web", Unit: "hero-default-web.service", File: "web.toml",
		OldText: "[Service]\nExecStart=/bin/sleep infinity\n", OldKnown: true,
		NewText:     "[Service]\nExecStart=/bin/sleep --db-password=s3cret-arg\n",
		NewWithheld: "[Service]\nExecStart=…withheld\n"}}}
	td.eng.mu.Unlock()
	if out, failed := callAs(t, td, nobody, api.MethodApplyPlan, "string:"); failed || strings.Contains(out, "s3cret-arg") || !strings.Contains(out, "+ExecStart=…withheld") {
		t.Errorf("ApplyPlan as nobody:\n%s", out)
	}
	if out, _ := callAs(t, td, 0, api.MethodApplyPlan, "string:"); !strings.Contains(out, "s3cret-arg") || strings.Contains(out, "withheld") {
		t.Errorf("ApplyPlan as root is not whole, or holds the withheld text:\n%s", out)
	}
}
