package bridge

import (
	"strconv"
	"strings"
	"time"
)

// journalRun is one run of a unit as systemd's journal records it.
type journalRun struct {
	unit       string
	invocation string
	boot       string    // the boot it ran in (_BOOT_ID)
	started    time.Time // its first record
	end        runEnd    // what is known of its end
	ended      bool      // a record closed the run
}

// runsFromRecords turns the manager's records (oldest first) into runs, in the order they
// started. systemd logs, per invocation: Starting/Started, "Main process exited" (only for
// failures: a clean exit is logged at debug level), "Failed with result" or "Deactivated
// successfully", "Stopping" when a stop job ends the run, "Scheduled restart job" when it will
// start again as a new invocation, "Stopped" when a stop or restart job finished.
func runsFromRecords(entries []Entry, f journalFields) []*journalRun {
	var runs []*journalRun
	byInvocation := map[string]*journalRun{}
	newest := map[string]*journalRun{}
	for _, e := range entries {
		unit, inv := e.Fields[f.unit], e.Fields[f.invocation]
		if unit == "" || inv == "" {
			continue
		}
		r := byInvocation[inv]
		if r == nil {
			if prev := newest[unit]; prev != nil && !prev.ended {
				// A new run began with no record of the last one's end: in a new boot, the last
				// one ended with its boot (power loss, a crash of the host).
				prev.ended = true
				prev.end.at = e.Time
				if prev.boot != "" && prev.boot != e.Fields["_BOOT_ID"] {
					prev.end.result = resultBootEnded
				}
			}
			r = &journalRun{unit: unit, invocation: inv, boot: e.Fields["_BOOT_ID"], started: e.Time}
			byInvocation[inv] = r
			newest[unit] = r
			runs = append(runs, r)
		}
		r.apply(e)
	}
	return runs
}

func (r *journalRun) apply(e Entry) {
	switch e.Fields["MESSAGE_ID"] {
	case msgProcessExited:
		// The same message ID is used for a control process (ExecStartPre=, the health check):
		// only the main process's exit describes the run.
		if strings.Contains(e.Fields["MESSAGE"], "Main process exited") {
			r.end.code = e.Fields["EXIT_CODE"]
			r.end.status, _ = strconv.Atoi(e.Fields["EXIT_STATUS"])
		}
	case msgUnitStopping:
		r.end.stopRequested = true
	case msgUnitFailed:
		r.close(e.Fields["UNIT_RESULT"], e.Time)
	case msgUnitSucceeded:
		r.close("success", e.Time)
	case msgRestartPlanned, msgUnitStopped, msgUnitFailedJob:
		// These follow the result's own record when there is one; a clean end that systemd
		// did not log otherwise (a restart after exit 0) is a success.
		result := "success"
		if e.Fields["MESSAGE_ID"] == msgUnitFailedJob {
			result = "failed"
		}
		r.close(result, e.Time)
	}
}

// close records the run's end, once: the first closing record carries the result.
func (r *journalRun) close(result string, at time.Time) {
	if r.ended && r.end.result != "" {
		return
	}
	r.ended = true
	if r.end.result == "" {
		r.end.result = result
	}
	if r.end.at.IsZero() {
		r.end.at = at
	}
}
