//go:build integration

// Package integration drives hero against a real systemd booted in a container (see
// tests/testbed). Run with: go test -tags integration ./tests/... (as root).
package integration

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

func TestMain(m *testing.M) { testbed.Main(m) }

// loadSet builds a config set from inline files and fails the test on any problem.
func loadSet(t *testing.T, files map[string]string) *config.Set {
	t.Helper()
	var fs []config.File
	for name, data := range files {
		fs = append(fs, config.File{Name: name, Data: []byte(data)})
	}
	set, probs := config.Build(fs)
	if len(probs) > 0 {
		t.Fatalf("config problems:\n%s", probs.Error())
	}
	return set
}

// startUnit starts the generated unit of name and returns the job result.
func startUnit(t *testing.T, conn *sddbus.Conn, set *config.Set, name string, opts unitgen.Options) (*unitgen.Unit, string) {
	t.Helper()
	u, err := unitgen.Generate(set, set.Service(name), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := bridge.WriteEnvFile(u, cmp.Or(opts.EnvDir, unitgen.DefaultEnvDir)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch := make(chan string, 1) // buffered: go-systemd sends while holding a lock
	if _, err := conn.StartTransientUnitContext(ctx, u.Name, "fail", u.Properties, ch); err != nil {
		t.Fatalf("StartTransientUnit %s: %v", u.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stop := make(chan string, 1)
		if _, err := conn.StopUnitContext(ctx, u.Name, "replace", stop); err == nil {
			<-stop
		}
		_ = conn.ResetFailedUnitContext(ctx, u.Name)
	})
	select {
	case r := <-ch:
		return u, r
	case <-ctx.Done():
		t.Fatalf("start job of %s did not finish", u.Name)
	}
	return u, ""
}

func unitProp(t *testing.T, conn *sddbus.Conn, unit, iface, name string) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var p *sddbus.Property
	var err error
	if iface == "" {
		p, err = conn.GetUnitPropertyContext(ctx, unit, name)
	} else {
		p, err = conn.GetUnitTypePropertyContext(ctx, unit, iface, name)
	}
	if err != nil {
		t.Fatalf("property %s of %s: %v", name, unit, err)
	}
	return p.Value.Value()
}

func activeState(t *testing.T, conn *sddbus.Conn, unit string) string {
	return unitProp(t, conn, unit, "", "ActiveState").(string)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func TestTransientUnitLifecycle(t *testing.T) {
	conn := testbed.Systemd(t)
	set := loadSet(t, map[string]string{"lifecycle.toml": `
description = "lifecycle test"
exec = ["/bin/sh", "-c", "echo started; exec sleep 1000"]
stop_timeout = "5s"
`})
	u, result := startUnit(t, conn, set, "lifecycle", unitgen.Options{ExecHelper: testbed.ExecHelper})
	if result != "done" {
		t.Fatalf("start job result %q, want done", result)
	}
	if got := activeState(t, conn, u.Name); got != "active" {
		t.Fatalf("ActiveState %q, want active", got)
	}
	if got := unitProp(t, conn, u.Name, "", "Description"); got != "lifecycle test" {
		t.Errorf("Description %q", got)
	}
	invocation := invocationID(t, conn, u.Name)
	testbed.Eventually(t, 30*time.Second, "output in the journal", func() bool {
		return strings.Join(journalOutput(t, u.Name), "\n") == "started"
	})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := make(chan string, 1)
	if _, err := conn.StopUnitContext(ctx, u.Name, "replace", ch); err != nil {
		t.Fatal(err)
	}
	if r := <-ch; r != "done" {
		t.Fatalf("stop job result %q", r)
	}
	// A transient unit that ended cleanly is unloaded: it is gone.
	testbed.Eventually(t, 30*time.Second, "unit unloaded", func() bool {
		return unitProp(t, conn, u.Name, "", "LoadState") == "not-found"
	})
	// systemd itself recorded the stop and how the process ended, by invocation.
	rec := journalExit(t, invocation)
	if !rec.stopping || rec.result != "success" {
		t.Errorf("journal record of the run %+v, want a requested stop that ended cleanly", rec)
	}
}

func TestExitStatusIsReadBack(t *testing.T) {
	conn := testbed.Systemd(t)
	set := loadSet(t, map[string]string{"crash.toml": `exec = ["/bin/sh", "-c", "echo dying >&2; exit 3"]`})
	u, _ := startUnit(t, conn, set, "crash", unitgen.Options{ExecHelper: testbed.ExecHelper})
	testbed.Eventually(t, 30*time.Second, "unit failed", func() bool { return activeState(t, conn, u.Name) == "failed" })
	// A failed transient unit stays loaded until reset-failed, so its end can be read.
	if got := unitProp(t, conn, u.Name, "Service", "ExecMainStatus"); got != int32(3) {
		t.Errorf("ExecMainStatus %v, want 3", got)
	}
	if got := unitProp(t, conn, u.Name, "Service", "Result"); got != "exit-code" {
		t.Errorf("Result %v, want exit-code", got)
	}
	invocation := invocationID(t, conn, u.Name)
	rec := journalExit(t, invocation)
	if rec.stopping || rec.exitCode != "exited" || rec.exitStatus != "3" || rec.result != "exit-code" {
		t.Errorf("journal record of the run %+v, want exited 3, exit-code, no stop requested", rec)
	}
	testbed.Eventually(t, 30*time.Second, "stderr in the journal", func() bool {
		return strings.Join(journalOutput(t, u.Name), "\n") == "dying"
	})
}

// A requires chain started in plan order, then stopped natively: systemd's own cascade, the
// baseline hero's cascade stop is measured against.
func TestRequiresChainNativeCascade(t *testing.T) {
	conn := testbed.Systemd(t)
	set := loadSet(t, map[string]string{
		"a.toml": `exec = ["/bin/sleep", "1000"]`,
		"b.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"a\"]\n",
		"c.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"b\"]\n",
	})
	plan, err := set.Graph.Start("c")
	if err != nil {
		t.Fatal(err)
	}
	var units []string
	for _, name := range plan.Order {
		u, result := startUnit(t, conn, set, name, unitgen.Options{ExecHelper: testbed.ExecHelper})
		if result != "done" {
			t.Fatalf("start %s: %s", name, result)
		}
		units = append(units, u.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := make(chan string, 1)
	began := time.Now()
	if _, err := conn.StopUnitContext(ctx, units[0], "replace", ch); err != nil {
		t.Fatal(err)
	}
	<-ch
	took := time.Since(began)
	for _, u := range units {
		if s := activeState(t, conn, u); s == "active" {
			t.Errorf("%s still active after stopping the root", u)
		}
	}
	t.Logf("native cascade stop of a 3-unit chain: %s", took)
}

// The health check keeps the unit activating (and its start job waiting) until it succeeds;
// this also proves the loop's "$@" reaches the shell as written (hero escapes it for systemd).
func TestHealthCheckGatesStart(t *testing.T) {
	conn := testbed.Systemd(t)
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	set := loadSet(t, map[string]string{"slow.toml": `
exec = ["/bin/sh", "-c", "sleep 0.5; touch ` + ready + `; exec sleep 1000"]
health = ["/usr/bin/test", "-e", "` + ready + `"]
health_interval = "100ms"
health_timeout = "20s"
`})
	began := time.Now()
	u, result := startUnit(t, conn, set, "slow", unitgen.Options{ExecHelper: testbed.ExecHelper})
	if result != "done" {
		t.Fatalf("start job %q", result)
	}
	if took := time.Since(began); took < 400*time.Millisecond {
		t.Errorf("start finished after %s, before the service could be healthy", took)
	}
	if _, err := os.Stat(ready); err != nil {
		t.Errorf("start job done but the service never became healthy: %v", err)
	}
	if s := activeState(t, conn, u.Name); s != "active" {
		t.Errorf("ActiveState %q", s)
	}
}

// systemd must accept every property hero generates, with its D-Bus type, for every valid
// fixture (Requires= and BindsTo= are left out: the dependencies are not loaded here).
func TestSystemdAcceptsGeneratedProperties(t *testing.T) {
	conn := testbed.Systemd(t)
	dirs, _ := filepath.Glob(filepath.Join(testbed.SrcDir, "unitgen/testdata/cases/*"))
	if len(dirs) == 0 {
		t.Fatal("no fixtures found")
	}
	checked := 0
	for _, d := range dirs {
		set, probs, err := configdir.Load((d))
		if err != nil || len(probs) > 0 {
			continue
		}
		for _, svc := range set.Services {
			u, err := unitgen.Generate(set, svc, unitgen.Options{ExecHelper: testbed.ExecHelper})
			if err != nil {
				t.Fatal(err)
			}
			if err := bridge.WriteEnvFile(u, unitgen.DefaultEnvDir); err != nil {
				t.Fatal(err)
			}
			var props []sddbus.Property
			for _, p := range u.Properties {
				if p.Name != "Requires" && p.Name != "BindsTo" {
					props = append(props, p)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			ch := make(chan string, 1)
			_, err = conn.StartTransientUnitContext(ctx, u.Name, "fail", props, ch)
			if err != nil {
				t.Errorf("%s (%s): systemd refused the unit: %v", filepath.Base(d), svc.Name, err)
			} else {
				<-ch
				stop := make(chan string, 1)
				if _, err := conn.StopUnitContext(ctx, u.Name, "replace", stop); err == nil {
					<-stop
				}
				_ = conn.ResetFailedUnitContext(ctx, u.Name)
				checked++
			}
			cancel()
		}
	}
	t.Logf("systemd accepted the units of %d services", checked)
}

// A health check that never passes gives up at its timeout, and only the last failed attempt's
// output reaches the journal, under an identifier of its own, so retries never bury the
// service's own lines.
func TestFailedHealthCheckKeepsOnlyItsLastAttempt(t *testing.T) {
	conn := testbed.Systemd(t)
	set := loadSet(t, map[string]string{"sick.toml": `
exec = ["/bin/sh", "-c", "echo service-own-line; exec sleep 1000"]
health = ["/bin/sh", "-c", "echo attempt-$(date +%s%N); exit 1"]
health_interval = "100ms"
health_timeout = "2s"
`})
	u, result := startUnit(t, conn, set, "sick", unitgen.Options{ExecHelper: testbed.ExecHelper})
	if result == "done" {
		t.Fatalf("start job %q: the health check never passes", result)
	}
	invocation := invocationID(t, conn, u.Name)
	if r := unitProp(t, conn, u.Name, "Service", "Result"); r != "exit-code" {
		t.Errorf("Result %v, want exit-code (the health loop gave up)", r)
	}
	var health, own []string
	testbed.Eventually(t, 30*time.Second, "the health check's last words", func() bool {
		health, own = nil, nil
		for _, e := range journalEntries(t, "_SYSTEMD_INVOCATION_ID="+invocation) {
			m, _ := e["MESSAGE"].(string)
			switch e["SYSLOG_IDENTIFIER"] {
			case unitgen.HealthIdentifier("sick"):
				health = append(health, m)
			case "sick":
				own = append(own, m)
			}
		}
		return len(health) >= 3
	})
	var attempts []string
	gaveUp := false
	for _, l := range health {
		attempts = appendIf(attempts, l, strings.HasPrefix(l, "attempt-"))
		gaveUp = gaveUp || strings.HasPrefix(l, unitgen.HealthGaveUp)
	}
	if len(attempts) != 1 || !gaveUp {
		t.Errorf("health lines %q, want the give-up line and exactly the last attempt's output", health)
	}
	if len(own) != 1 || own[0] != "service-own-line" {
		t.Errorf("service lines %q, want [service-own-line]", own)
	}
}

func appendIf(list []string, s string, ok bool) []string {
	if ok {
		return append(list, s)
	}
	return list
}
