//go:build integration

package integration

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// systemd's journal message IDs for a unit's run (catalog: systemd's src/systemd/sd-messages.h).
const (
	msgProcessExited = "98e322203f7a4ed290d09fe03c09fe15"
	msgUnitFailed    = "d9b373ed55a64feb8242e02dbe79a49c"
	msgUnitStopping  = "de5b426a63be47a7b6ac3eaac82e2f6f"
	msgUnitSucceeded = "7ad2d189f7e94e70a38c781354912448"
)

func invocationID(t *testing.T, conn *sddbus.Conn, unit string) string {
	t.Helper()
	id, _ := unitProp(t, conn, unit, "", "InvocationID").([]byte)
	if len(id) == 0 {
		t.Fatalf("%s has no InvocationID", unit)
	}
	return hex.EncodeToString(id)
}

// journalEntries returns the journal entries matching the journalctl matches, as field maps.
func journalEntries(t *testing.T, matches ...string) []map[string]any {
	t.Helper()
	out := testbed.MustRun(t, "journalctl", append([]string{"-o", "json", "--no-pager"}, matches...)...)
	var entries []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journalctl -o json: %v: %s", err, sc.Text())
		}
		entries = append(entries, e)
	}
	return entries
}

// journalOutput is what a unit's processes wrote to stdout and stderr. (journald tags a line
// with the run's _SYSTEMD_INVOCATION_ID only when it can still read the writer's cgroup: the last
// lines of a process that exits at once may carry the unit but no invocation.)
func journalOutput(t *testing.T, unit string) []string {
	t.Helper()
	var lines []string
	for _, e := range journalEntries(t, "_SYSTEMD_UNIT="+unit) {
		if m, ok := e["MESSAGE"].(string); ok {
			lines = append(lines, m)
		}
	}
	return lines
}

// runRecord is what systemd (PID 1) wrote to the journal about one run of a unit.
type runRecord struct {
	stopping   bool   // a stop was requested
	exitCode   string // exited, killed, dumped
	exitStatus string // exit status, or signal number
	result     string // the unit's result: success (deactivated cleanly), or the failure
}

// journalExit waits for systemd's record of how the run with this invocation ID ended.
func journalExit(t *testing.T, invocation string) runRecord {
	t.Helper()
	var rec runRecord
	testbed.Eventually(t, 30*time.Second, "systemd's exit record in the journal", func() bool {
		rec = runRecord{}
		for _, e := range journalEntries(t, "_PID=1", "INVOCATION_ID="+invocation) {
			switch e["MESSAGE_ID"] {
			case msgUnitStopping:
				rec.stopping = true
			case msgProcessExited:
				rec.exitCode, _ = e["EXIT_CODE"].(string)
				rec.exitStatus, _ = e["EXIT_STATUS"].(string)
			case msgUnitFailed:
				rec.result, _ = e["UNIT_RESULT"].(string)
			case msgUnitSucceeded:
				rec.result = "success" // systemd logs a clean exit's status at debug level only
			}
		}
		return rec.result != ""
	})
	return rec
}
