package recording

import (
	"strconv"
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
)

// journalRun is one run of a unit as systemd's journal records it.
type journalRun struct {
	Unit       string
	Invocation string
	Boot       string    // the boot it ran in (_BOOT_ID)
	Started    time.Time // its first record
	End        facts     // what is known of its end
	Ended      bool      // a record closed the run
}

// runsFromRecords turns the manager's records (oldest first) into runs, in the order they
// started. systemd logs, per invocation: Starting/Started, "Main process exited" (only for
// failures: a clean exit is logged at debug level), "Failed with result" or "Deactivated
// successfully", "Stopping" when a stop job ends the run, "Scheduled restart job" when it will
// start again as a new invocation, "Stopped" when a stop or restart job finished.
func runsFromRecords(entries []journal.Entry, f journal.Fields) []*journalRun {
	var runs []*journalRun
	byInvocation := map[string]*journalRun{}
	newest := map[string]*journalRun{}
	for _, e := range entries {
		unit, inv := e.Fields[f.Unit], e.Fields[f.Invocation]
		if unit == "" || inv == "" {
			continue
		}
		r := byInvocation[inv]
		if r == nil {
			if prev := newest[unit]; prev != nil && !prev.Ended {
				// A new run began with no record of the last one's end: in a new boot, the last
				// one ended with its boot (power loss, a crash of the host).
				prev.Ended = true
				prev.End.At = e.Time
				if prev.Boot != "" && prev.Boot != e.Fields["_BOOT_ID"] {
					prev.End.Result = resultBootEnded
				}
			}
			r = &journalRun{Unit: unit, Invocation: inv, Boot: e.Fields["_BOOT_ID"], Started: e.Time}
			byInvocation[inv] = r
			newest[unit] = r
			runs = append(runs, r)
		}
		r.apply(e)
	}
	return runs
}

func (r *journalRun) apply(e journal.Entry) {
	switch e.Fields["MESSAGE_ID"] {
	case journal.MsgProcessExited:
		// The same message ID is used for a control process (ExecStartPre=, the health check):
		// only the main process's exit describes the run.
		if strings.Contains(e.Fields["MESSAGE"], "Main process exited") {
			r.End.Code = e.Fields["EXIT_CODE"]
			r.End.Status, _ = strconv.Atoi(e.Fields["EXIT_STATUS"])
		}
	case journal.MsgUnitStopping:
		r.End.StopRequested = true
	case journal.MsgUnitFailed:
		r.close(e.Fields["UNIT_RESULT"], e.Time)
	case journal.MsgUnitSucceeded:
		r.close("success", e.Time)
	case journal.MsgRestartPlanned, journal.MsgUnitStopped, journal.MsgUnitFailedJob:
		// These follow the result's own record when there is one; a clean end that systemd
		// did not log otherwise (a restart after exit 0) is a success.
		result := "success"
		if e.Fields["MESSAGE_ID"] == journal.MsgUnitFailedJob {
			result = "failed"
		}
		r.close(result, e.Time)
	}
}

// close records the run's end, once: the first closing record carries the result.
func (r *journalRun) close(result string, at time.Time) {
	if r.Ended && r.End.Result != "" {
		return
	}
	r.Ended = true
	if r.End.Result == "" {
		r.End.Result = result
	}
	if r.End.At.IsZero() {
		r.End.At = at
	}
}

// recordedEnd returns what the records of one invocation say of its end (Result unknown when they
// do not close it).
func recordedEnd(entries []journal.Entry, f journal.Fields, invocation string) facts {
	var mine []journal.Entry
	for _, e := range entries {
		if e.Fields[f.Invocation] == invocation {
			mine = append(mine, e)
		}
	}
	end := facts{Result: resultUnknown}
	for _, r := range runsFromRecords(mine, f) {
		if r.Invocation == invocation {
			end = r.End
		}
	}
	return end
}
