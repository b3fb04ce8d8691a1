package daemon

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/cmd/api"
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
		en, err := td.d.enablements(testCtx(t), td.eng.Config())
		if err != nil {
			t.Fatal(err)
		}
		if got := en["db"].State == Enabled; got != (c.want == "") {
			t.Errorf("polkit said %+v: db enabled is %v", c.answer, got)
		}
	}
}
