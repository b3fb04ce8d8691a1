//go:build integration

package integration

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// docs/dependencies.md's systemd columns, measured: plain native units (no hero), a requirement
// and two dependents, one with Requires=+After=, one with BindsTo=+After=, and what each event of
// the requirement does to them. The test prints the table it measured and fails when it differs
// from what the document says.
func TestNativeDependencySemantics(t *testing.T) {
	type outcome struct{ requires, bindsTo string }
	// What docs/dependencies.md says (systemd 252 and 257).
	want := map[string]outcome{
		"crash":        {"keeps running", "stopped"},
		"kill":         {"keeps running", "stopped"},
		"auto-restart": {"stopped and started again", "stopped"},
		"stop":         {"stopped", "stopped"},
	}
	events := []struct {
		name    string
		restart string // the requirement's Restart=
		do      func(t *testing.T)
		settled func(t *testing.T, inv string) bool // the requirement's end state is reached
	}{
		{"crash", "no", func(t *testing.T) { os.WriteFile("/run/ounat-crash", nil, 0o644) },
			func(t *testing.T, _ string) bool { return nativeState(t, "ounatreq") == "failed" }},
		{"kill", "no", func(t *testing.T) { testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "ounatreq.service") },
			func(t *testing.T, _ string) bool { return nativeState(t, "ounatreq") == "failed" }},
		{"auto-restart", "on-failure", func(t *testing.T) { testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "ounatreq.service") },
			func(t *testing.T, inv string) bool {
				return nativeState(t, "ounatreq") == "active" && nativeProp(t, "ounatreq", "InvocationID") != inv
			}},
		{"stop", "no", func(t *testing.T) { testbed.MustRun(t, "systemctl", "stop", "ounatreq.service") },
			func(t *testing.T, _ string) bool { return nativeState(t, "ounatreq") == "inactive" }},
	}
	version := strings.Fields(testbed.MustRun(t, "systemctl", "--version"))[1]
	table := []string{"| event of the requirement | `Requires=`+`After=` | `BindsTo=`+`After=` |", "| --- | --- | --- |"}
	for _, ev := range events {
		writeNativeUnits(t, ev.restart)
		testbed.MustRun(t, "systemctl", "start", "ounatr.service", "ounatb.service")
		before := map[string]string{"ounatr": nativeProp(t, "ounatr", "InvocationID"), "ounatb": nativeProp(t, "ounatb", "InvocationID")}
		reqInv := nativeProp(t, "ounatreq", "InvocationID")
		ev.do(t)
		testbed.Eventually(t, 30*time.Second, ev.name+": the requirement settled", func() bool { return ev.settled(t, reqInv) })
		testbed.Eventually(t, 30*time.Second, ev.name+": no job left", func() bool {
			return strings.TrimSpace(testbed.MustRun(t, "systemctl", "list-jobs", "--no-legend")) == ""
		})
		got := outcome{nativeOutcome(t, "ounatr", before["ounatr"]), nativeOutcome(t, "ounatb", before["ounatb"])}
		table = append(table, fmt.Sprintf("| %s | %s | %s |", ev.name, got.requires, got.bindsTo))
		if got != want[ev.name] {
			t.Errorf("systemd %s, %s of the requirement: Requires= dependent %s, BindsTo= dependent %s; docs/dependencies.md says %s, %s",
				version, ev.name, got.requires, got.bindsTo, want[ev.name].requires, want[ev.name].bindsTo)
		}
		testbed.Run(t, "systemctl", "stop", "ounatr.service", "ounatb.service", "ounatreq.service")
		testbed.Run(t, "systemctl", "reset-failed", "ounatr.service", "ounatb.service", "ounatreq.service")
		os.Remove("/run/ounat-crash")
	}
	t.Logf("measured on systemd %s:\n%s", version, strings.Join(table, "\n"))
}

// writeNativeUnits writes the requirement (crashing by itself, exit 3, once /run/ounat-crash
// exists) and its two dependents as plain unit files, and reloads systemd.
func writeNativeUnits(t *testing.T, restart string) {
	t.Helper()
	units := map[string]string{
		"ounatreq.service": "[Service]\nExecStart=/bin/sh -c 'while [ ! -e /run/ounat-crash ]; do sleep 0.1; done; exit 3'\nRestart=" + restart + "\nRestartSec=1\n",
		"ounatr.service":   "[Unit]\nRequires=ounatreq.service\nAfter=ounatreq.service\n[Service]\nExecStart=/bin/sleep 1000\n",
		"ounatb.service":   "[Unit]\nBindsTo=ounatreq.service\nAfter=ounatreq.service\n[Service]\nExecStart=/bin/sleep 1000\n",
	}
	for name, text := range units {
		if err := os.WriteFile("/run/systemd/system/"+name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testbed.MustRun(t, "systemctl", "daemon-reload")
	t.Cleanup(func() {
		for name := range units {
			os.Remove("/run/systemd/system/" + name)
		}
		testbed.Run(t, "systemctl", "daemon-reload")
	})
}

func nativeState(t *testing.T, unit string) string { return nativeProp(t, unit, "ActiveState") }

func nativeProp(t *testing.T, unit, prop string) string {
	t.Helper()
	return strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", prop, "--value", unit+".service"))
}

// nativeOutcome says what happened to a dependent whose run was inv before the event.
func nativeOutcome(t *testing.T, unit, inv string) string {
	switch st, now := nativeState(t, unit), nativeProp(t, unit, "InvocationID"); {
	case st == "active" && now == inv:
		return "keeps running"
	case st == "active":
		return "stopped and started again"
	default:
		return "stopped"
	}
}
