package recording

import (
	"strconv"
	"strings"
	"time"
)

// Entry is one journal entry.
type Entry struct {
	Cursor string
	Time   time.Time
	Fields map[string]string
}

// systemd's journal message IDs for a unit's run (src/systemd/sd-messages.h).
const (
	MsgUnitStarting   = "7d4958e842da4a758f6c1cdc7b36dcc5"
	MsgUnitStarted    = "39f53479d3a045ac8e11786248231fbf"
	MsgUnitFailedJob  = "be02cf6855d2428ba40df7e9d022f03d" // "Failed to start": the start job failed
	MsgProcessExited  = "98e322203f7a4ed290d09fe03c09fe15" // main (or control) process exited
	MsgUnitFailed     = "d9b373ed55a64feb8242e02dbe79a49c" // "Failed with result ..."
	MsgUnitSucceeded  = "7ad2d189f7e94e70a38c781354912448" // "Deactivated successfully"
	MsgUnitStopping   = "de5b426a63be47a7b6ac3eaac82e2f6f" // a stop job began
	MsgUnitStopped    = "9d1aaa27d60140bd96365438aad20286"
	MsgRestartPlanned = "5eb03494b6584870a536b337290809b3" // "Scheduled restart job"
)

// RecordIDs are the message IDs of the manager's records of a run.
var RecordIDs = []string{MsgUnitStarting, MsgUnitStarted, MsgUnitFailedJob, MsgProcessExited,
	MsgUnitFailed, MsgUnitSucceeded, MsgUnitStopping, MsgUnitStopped, MsgRestartPlanned}

// Fields names the journal fields that carry a unit and its invocation: the system manager's,
// or a user manager's.
type Fields struct {
	Unit, Invocation       string // in the manager's own messages
	OwnUnit, OwnInvocation string // in lines the unit's processes wrote
}

// FieldsFor returns the fields of the system manager's journal, or (user) a user manager's.
func FieldsFor(user bool) Fields {
	if user {
		return Fields{"USER_UNIT", "USER_INVOCATION_ID", "_SYSTEMD_USER_UNIT", "_SYSTEMD_INVOCATION_ID"}
	}
	return Fields{"UNIT", "INVOCATION_ID", "_SYSTEMD_UNIT", "_SYSTEMD_INVOCATION_ID"}
}

// JournalRun is one run of a unit as systemd's journal records it.
type JournalRun struct {
	Unit       string
	Invocation string
	Boot       string    // the boot it ran in (_BOOT_ID)
	Started    time.Time // its first record
	End        Facts     // what is known of its end
	Ended      bool      // a record closed the run
}

// RunsFromRecords turns the manager's records (oldest first) into runs, in the order they
// started. systemd logs, per invocation: Starting/Started, "Main process exited" (only for
// failures: a clean exit is logged at debug level), "Failed with result" or "Deactivated
// successfully", "Stopping" when a stop job ends the run, "Scheduled restart job" when it will
// start again as a new invocation, "Stopped" when a stop or restart job finished.
func RunsFromRecords(entries []Entry, f Fields) []*JournalRun {
	var runs []*JournalRun
	byInvocation := map[string]*JournalRun{}
	newest := map[string]*JournalRun{}
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
					prev.End.Result = ResultBootEnded
				}
			}
			r = &JournalRun{Unit: unit, Invocation: inv, Boot: e.Fields["_BOOT_ID"], Started: e.Time}
			byInvocation[inv] = r
			newest[unit] = r
			runs = append(runs, r)
		}
		r.apply(e)
	}
	return runs
}

func (r *JournalRun) apply(e Entry) {
	switch e.Fields["MESSAGE_ID"] {
	case MsgProcessExited:
		// The same message ID is used for a control process (ExecStartPre=, the health check):
		// only the main process's exit describes the run.
		if strings.Contains(e.Fields["MESSAGE"], "Main process exited") {
			r.End.Code = e.Fields["EXIT_CODE"]
			r.End.Status, _ = strconv.Atoi(e.Fields["EXIT_STATUS"])
		}
	case MsgUnitStopping:
		r.End.StopRequested = true
	case MsgUnitFailed:
		r.close(e.Fields["UNIT_RESULT"], e.Time)
	case MsgUnitSucceeded:
		r.close("success", e.Time)
	case MsgRestartPlanned, MsgUnitStopped, MsgUnitFailedJob:
		// These follow the result's own record when there is one; a clean end that systemd
		// did not log otherwise (a restart after exit 0) is a success.
		result := "success"
		if e.Fields["MESSAGE_ID"] == MsgUnitFailedJob {
			result = "failed"
		}
		r.close(result, e.Time)
	}
}

// close records the run's end, once: the first closing record carries the result.
func (r *JournalRun) close(result string, at time.Time) {
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

// EndOf returns what the records of one invocation say of its end (Result unknown when they
// do not close it).
func EndOf(entries []Entry, f Fields, invocation string) Facts {
	var mine []Entry
	for _, e := range entries {
		if e.Fields[f.Invocation] == invocation {
			mine = append(mine, e)
		}
	}
	end := Facts{Result: ResultUnknown}
	for _, r := range RunsFromRecords(mine, f) {
		if r.Invocation == invocation {
			end = r.End
		}
	}
	return end
}
