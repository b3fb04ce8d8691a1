//go:build integration

package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// busctl runs busctl on the system bus and fails the test on an error.
func busctl(t *testing.T, args ...string) string {
	t.Helper()
	return testbed.MustRun(t, "busctl", append([]string{"--no-pager"}, args...)...)
}

// The object tree as busctl sees it: every service and kept job a node, introspection at each,
// properties readable, methods on the service objects.
func TestObjectTreeWithBusctl(t *testing.T) {
	startHerod(t)
	wantExit(t, heroctl(t, "start", "api"), 0, "start api")
	tree := busctl(t, "tree", api.BusName)
	for _, node := range []string{api.Path, api.ServicesPath, api.JobsPath, api.ServicePath("db"), api.ServicePath("mailer"),
		api.JobPath(1), api.JobPath(2)} {
		if !strings.Contains(tree, node+"\n") {
			t.Errorf("busctl tree lacks %s:\n%s", node, tree)
		}
	}
	intro := busctl(t, "introspect", api.BusName, api.ServicePath("api"))
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\.State\s+property\s+s\s+"running"\s+emits-change`),
		regexp.MustCompile(`\.Requires\s+property\s+as\s+1 "db"`),
		regexp.MustCompile(`\.Stop\s+method\s+b\s+tas`),
		regexp.MustCompile(`\.Service\s+property\s+s\s+"api"\s+const`),
	} {
		if !want.MatchString(intro) {
			t.Errorf("busctl introspect of api's object lacks %s:\n%s", want, intro)
		}
	}
	if got := busctl(t, "get-property", api.BusName, api.ServicePath("db"), api.ServiceInterface, "ActiveState", "JobPath"); got != "s \"active\"\no \""+api.JobPath(1)+"\"\n" {
		t.Errorf("get-property of db: %q", got)
	}
	if got := busctl(t, "get-property", api.BusName, api.JobPath(2), api.JobInterface, "Service", "Phase", "ServicePath"); got != "s \"api\"\ns \"running\"\no \""+api.ServicePath("api")+"\"\n" {
		t.Errorf("get-property of job 2: %q", got)
	}
	if got := busctl(t, "call", api.BusName, api.Path, api.Interface, "GetService", "s", "api"); got != "o \""+api.ServicePath("api")+"\"\n" {
		t.Errorf("GetService api: %q", got)
	}
	if got := busctl(t, "call", api.BusName, api.Path, api.Interface, "GetJob", "x", "2"); got != "o \""+api.JobPath(2)+"\"\n" {
		t.Errorf("GetJob 2: %q", got)
	}
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{api.Path, api.Interface, "GetService", "s", "ghost"}, api.ErrNoSuchService},
		{[]string{api.Path, api.Interface, "GetJob", "x", "999"}, api.ErrNoSuchJob},
		{[]string{api.ServicePath("ghost"), api.PropertiesInterface, "GetAll", "s", api.ServiceInterface}, api.ErrUnknownObject},
		{[]string{api.JobPath(999), api.PropertiesInterface, "Get", "ss", api.JobInterface, "Phase"}, api.ErrUnknownObject},
		{[]string{api.ServicePath("db"), api.PropertiesInterface, "Set", "ssv", api.ServiceInterface, "State", "s", "failed"}, api.ErrPropertyReadOnly},
		{[]string{api.ServicePath("db"), api.PropertiesInterface, "Get", "ss", api.ServiceInterface, "Nope"}, api.ErrUnknownProperty},
	} {
		r := testbed.Run(t, "gdbus", append([]string{"call", "--system", "-d", api.BusName, "-o", c.args[0], "-m", c.args[1] + "." + c.args[2]},
			gdbusArgs(c.args[3:])...)...)
		if r.Code == 0 || !strings.Contains(r.Stderr, c.err) {
			t.Errorf("%s on %s: exit %d %q, want %s", c.args[2], c.args[0], r.Code, r.Stderr, c.err)
		}
	}
	// MainPID follows systemd's, across a restart.
	mainPID := func() (string, string) {
		prop := strings.TrimPrefix(strings.TrimSpace(busctl(t, "get-property", api.BusName, api.ServicePath("db"), api.ServiceInterface, "MainPID")), "u ")
		return prop, strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", "MainPID", "--value", "hero-default-db.service"))
	}
	before, sd := mainPID()
	if before == "0" || before != sd {
		t.Errorf("db's MainPID %s, systemd's %s", before, sd)
	}
	wantExit(t, heroctl(t, "restart", "db"), 0, "restart db")
	if after, sd := mainPID(); after == before || after != sd {
		t.Errorf("db's MainPID after a restart %s (before %s), systemd's %s", after, before, sd)
	}
	// The service object's methods are the manager's, for that service.
	out := busctl(t, "call", api.BusName, api.ServicePath("db"), api.ServiceInterface, "Stop", "b", "false")
	if !regexp.MustCompile(`^tas [1-9][0-9]* 2 "api" "db"\n$`).MatchString(out) {
		t.Errorf("Stop on db's object: %q", out)
	}
	testbed.Eventually(t, 10*time.Second, "db stopped", func() bool { return heroctl(t, "is-active", "db").Code == 3 })
	if got := busctl(t, "get-property", api.BusName, api.ServicePath("db"), api.ServiceInterface, "State"); got != "s \"stopped\"\n" {
		t.Errorf("db's State after its object's Stop: %q", got)
	}
	// heroctl show reads the object.
	if r := heroctl(t, "show", "-p", "JobPath,Requires", "api"); r.Stdout != "JobPath="+api.JobPath(4)+"\nRequires=db\n" {
		t.Errorf("heroctl show: %q", r.Stdout)
	}
}

// gdbusArgs turns busctl-style "SIGNATURE VALUES..." into gdbus's GVariant text.
func gdbusArgs(args []string) []string {
	if len(args) == 0 {
		return nil
	}
	var out []string
	for i, typ := range args[0] {
		v := args[1+i]
		switch typ {
		case 's':
			out = append(out, "'"+v+"'")
		case 'v':
			out = append(out, "<'"+args[2+i]+"'>")
			return out
		default:
			out = append(out, v)
		}
	}
	return out
}

// watch subscribes to herod's object signals (PropertiesChanged of its objects, InterfacesAdded
// and InterfacesRemoved) and returns them as they come.
func watch(t *testing.T) <-chan *dbus.Signal {
	t.Helper()
	conn, err := dbus.ConnectSystemBus(dbus.WithSignalHandler(dbus.NewSequentialSignalHandler()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for _, m := range [][]dbus.MatchOption{
		{dbus.WithMatchInterface(api.ObjectManagerInterface), dbus.WithMatchObjectPath(api.Path)},
		{dbus.WithMatchInterface(api.PropertiesInterface), dbus.WithMatchPathNamespace(api.Path)},
	} {
		if err := conn.AddMatchSignal(m...); err != nil {
			t.Fatal(err)
		}
	}
	ch := make(chan *dbus.Signal, 1024)
	conn.Signal(ch)
	return ch
}

// await reads signals until one satisfies cond, or fails the test after timeout.
func await(t *testing.T, ch <-chan *dbus.Signal, timeout time.Duration, what string, cond func(*dbus.Signal) bool) *dbus.Signal {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case s := <-ch:
			if cond(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("no signal: %s within %s", what, timeout)
			return nil
		}
	}
}

func changedProp(s *dbus.Signal, path, iface, prop string, value any) bool {
	if string(s.Path) != path || s.Name != api.PropertiesInterface+"."+api.SignalPropertiesChanged || len(s.Body) != 3 || s.Body[0] != iface {
		return false
	}
	v, ok := s.Body[1].(map[string]dbus.Variant)[prop]
	return ok && (value == nil || v.Value() == value)
}

func objectSignal(s *dbus.Signal, member, path string) bool {
	return s.Name == api.ObjectManagerInterface+"."+member && len(s.Body) > 0 && s.Body[0] == dbus.ObjectPath(path)
}

// Properties announce their changes; jobs and services come and go with InterfacesAdded and
// InterfacesRemoved; GetManagedObjects holds the same.
func TestObjectSignals(t *testing.T) {
	h := startHerod(t)
	ch := watch(t)
	wantExit(t, heroctl(t, "start", "db"), 0, "start db")
	job := await(t, ch, 5*time.Second, "InterfacesAdded of job 1", func(s *dbus.Signal) bool { return objectSignal(s, api.SignalInterfacesAdded, api.JobPath(1)) })
	if props := job.Body[1].(map[string]map[string]dbus.Variant)[api.JobInterface]; props["Service"].Value() != "db" {
		t.Errorf("InterfacesAdded of job 1: %v", job.Body)
	}
	await(t, ch, 5*time.Second, "db's State running", func(s *dbus.Signal) bool {
		return changedProp(s, api.ServicePath("db"), api.ServiceInterface, "State", "running")
	})
	wantExit(t, heroctl(t, "stop", "db"), 0, "stop db")
	await(t, ch, 5*time.Second, "job 1 cancelled", func(s *dbus.Signal) bool {
		return changedProp(s, api.JobPath(1), api.JobInterface, "Phase", "cancelled")
	})
	await(t, ch, 5*time.Second, "db's State stopped", func(s *dbus.Signal) bool {
		return changedProp(s, api.ServicePath("db"), api.ServiceInterface, "State", "stopped")
	})
	// Starting again prunes the ended job: its object goes.
	wantExit(t, heroctl(t, "start", "db"), 0, "start db again")
	await(t, ch, 5*time.Second, "InterfacesRemoved of job 1", func(s *dbus.Signal) bool { return objectSignal(s, api.SignalInterfacesRemoved, api.JobPath(1)) })
	// A reload adds and removes service objects.
	if err := os.WriteFile(filepath.Join(h.configDir, "extra.toml"), []byte("exec = \"/bin/sleep 100\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(h.configDir, "cleanup.yaml")); err != nil {
		t.Fatal(err)
	}
	wantExit(t, heroctl(t, "daemon-reload"), 0, "daemon-reload")
	added, gone := false, false
	await(t, ch, 5*time.Second, "InterfacesAdded of extra and InterfacesRemoved of cleanup", func(s *dbus.Signal) bool {
		added = added || objectSignal(s, api.SignalInterfacesAdded, api.ServicePath("extra"))
		gone = gone || objectSignal(s, api.SignalInterfacesRemoved, api.ServicePath("cleanup"))
		return added && gone
	})

	conn, err := dbus.ConnectSystemBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var objects map[dbus.ObjectPath]map[string]map[string]dbus.Variant
	if err := conn.Object(api.BusName, api.Path).CallWithContext(context.Background(), api.ObjectManagerInterface+".GetManagedObjects", 0).Store(&objects); err != nil {
		t.Fatal(err)
	}
	var services, jobs []string
	for path, ifaces := range objects {
		switch {
		case ifaces[api.ServiceInterface] != nil:
			services = append(services, string(path))
		case ifaces[api.JobInterface] != nil:
			jobs = append(jobs, string(path))
		}
	}
	if len(services) != 6 || objects[dbus.ObjectPath(api.ServicePath("extra"))] == nil || objects[dbus.ObjectPath(api.ServicePath("cleanup"))] != nil {
		t.Errorf("GetManagedObjects services: %v", services)
	}
	if len(jobs) != 1 || jobs[0] != api.JobPath(2) || objects[dbus.ObjectPath(api.JobPath(2))][api.JobInterface]["Phase"].Value() != "running" {
		t.Errorf("GetManagedObjects jobs: %v", jobs)
	}
}

// busctl monitor shows the properties' changes.
func TestBusctlMonitorSeesPropertiesChanged(t *testing.T) {
	startHerod(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	mon := execContext(ctx, "busctl", "monitor", "--match", "type='signal',member='PropertiesChanged',path='"+api.ServicePath("db")+"'")
	testbed.Eventually(t, 30*time.Second, "busctl monitor monitoring", func() bool {
		return strings.Contains(mon.String(), "Monitoring bus message stream")
	})
	wantExit(t, heroctl(t, "start", "db"), 0, "start db")
	testbed.Eventually(t, 30*time.Second, "busctl monitor printing db's change", func() bool {
		out := mon.String()
		return strings.Contains(out, "Member=PropertiesChanged") && strings.Contains(out, `STRING "State";`) && strings.Contains(out, `STRING "running";`)
	})
}

// output collects a background command's output; safe to read while it runs.
type output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// execContext starts a command in the background until ctx ends, collecting its output.
func execContext(ctx context.Context, name string, args ...string) *output {
	out := &output{}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err == nil {
		go cmd.Wait()
	}
	return out
}

// Jobs the ledger trims (beyond --keep-jobs ended jobs per service) leave the tree with
// InterfacesRemoved, as the runs of a crash loop come and go.
func TestTrimmedJobsLeaveTheTree(t *testing.T) {
	h := startHerod(t, "--keep-jobs", "2")
	crash := "exec = [\"/bin/sh\", \"-c\", \"sleep 0.2; exit 1\"]\nrestart = \"always\"\nrestart_delay = \"300ms\"\n"
	if err := os.WriteFile(filepath.Join(h.configDir, "crash.toml"), []byte(crash), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, heroctl(t, "daemon-reload"), 0, "daemon-reload")
	ch := watch(t)
	heroctl(t, "start", "--no-block", "crash")
	await(t, ch, 15*time.Second, "InterfacesRemoved of job 1, the oldest run", func(s *dbus.Signal) bool {
		return objectSignal(s, api.SignalInterfacesRemoved, api.JobPath(1))
	})
	r := testbed.Run(t, "busctl", "get-property", api.BusName, api.JobPath(1), api.JobInterface, "Phase")
	if r.Code == 0 {
		t.Errorf("job 1 still answers after it was trimmed: %q", r.Stdout)
	}
	paths := busctl(t, "get-property", api.BusName, api.ServicePath("crash"), api.ServiceInterface, "Jobs")
	if n := strings.Count(paths, api.JobsPath+"/"); n < 2 || n > 3 || strings.Contains(paths, `"`+api.JobPath(1)+`"`) {
		t.Errorf("crash's Jobs after trimming to 2 ended (and one running): %s", paths)
	}
	heroctl(t, "stop", "crash")
}
