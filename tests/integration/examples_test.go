//go:build integration

package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// TestExampleStack runs the shipped example stack (packaging/examples) on real systemd: every
// service started in its plan order, the crashing one's output and exit status kept, then a
// cascade stop of the database taking down exactly its dependents. The demo prints its log.
func TestExampleStack(t *testing.T) {
	conn := testbed.Systemd(t)
	dir := filepath.Join(testbed.SrcDir, "packaging", "examples")
	set, probs, err := configdir.Load((dir))
	if err != nil || len(probs) > 0 {
		t.Fatalf("examples: %v\n%s", err, probs.Error())
	}
	unitOf := map[string]string{}
	invocationOf := map[string]string{}
	opts := func(string) unitgen.Options { return unitgen.Options{ConfigDir: dir, ExecHelper: testbed.ExecHelper} }
	start := func(name string) {
		plan, err := set.Graph.Start(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, member := range plan.Order {
			if _, ok := unitOf[member]; ok {
				continue // already started by an earlier plan
			}
			u, result := startUnit(t, conn, set, member, opts(member))
			unitOf[member] = u.Name
			invocationOf[member] = invocationID(t, conn, u.Name)
			t.Logf("start %-8s -> %-32s job %s", member, u.Name, result)
		}
	}
	for _, name := range []string{"web", "worker", "mailer", "cleanup"} {
		start(name)
	}
	for _, name := range []string{"db", "api", "worker", "web", "cleanup"} {
		if s := activeState(t, conn, unitOf[name]); s != "active" {
			t.Errorf("%s is %s, want active", name, s)
		}
	}
	testbed.Eventually(t, 30*time.Second, "mailer failed", func() bool { return activeState(t, conn, unitOf["mailer"]) == "failed" })
	if got := unitProp(t, conn, unitOf["mailer"], "Service", "ExecMainStatus"); got != int32(3) {
		t.Errorf("mailer ExecMainStatus %v, want 3", got)
	}
	out := strings.Join(journalOutput(t, unitOf["mailer"]), "\n")
	if !strings.Contains(out, "fatal: no route to SMTP relay") {
		t.Errorf("mailer output not in the journal: %q", out)
	}
	t.Logf("mailer crashed: journal record %+v, output:\n%s", journalExit(t, invocationOf["mailer"]), out)

	plan, _ := set.Graph.Stop("db")
	t.Logf("cascade stop of db: waves %v", plan.Waves)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch := make(chan string, 1)
	began := time.Now()
	if _, err := conn.StopUnitContext(ctx, unitOf["db"], "replace", ch); err != nil {
		t.Fatal(err)
	}
	<-ch
	t.Logf("systemd stopped db and its dependents in %s", time.Since(began).Round(time.Millisecond))
	for _, name := range plan.Order {
		if name == "mailer" {
			continue // already failed
		}
		if s := stateOrGone(t, conn, unitOf[name]); s == "active" {
			t.Errorf("%s still active after the cascade", name)
		}
		t.Logf("  %-8s journal record: %+v", name, journalExit(t, invocationOf[name]))
	}
	if s := activeState(t, conn, unitOf["cleanup"]); s != "active" {
		t.Errorf("independent cleanup is %s after stopping db, want active", s)
	}
}

func stateOrGone(t *testing.T, conn *sddbus.Conn, unit string) string {
	if unitProp(t, conn, unit, "", "LoadState") == "not-found" {
		return "gone"
	}
	return activeState(t, conn, unit)
}
