// Package recording keeps the job ledger in step with systemd: one job per run of a hero unit.
//
// The Recorder learns of runs from systemd's PropertiesChanged signals of units while it runs,
// and from the journal (systemd's records by INVOCATION_ID, from a saved cursor) for what
// happened while it did not; it copies each ended run's output tail into its job. It knows the
// world only through World: the ledger, the Journal, a UnitReader of systemd's units and an
// Emit function; the bridge, which starts and stops units, gives it those.
//
// Its decisions are pure and table-tested: the one decision of how a run ended (decide, from
// facts that both ways of learning of an end describe the same way, so a run has one record
// whichever way it was learnt), systemd's journal records read as runs, and a run's kept
// output (its tail).
package recording

import (
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Results hero records besides systemd's own (Result= of a service: success, exit-code, signal,
// core-dump, timeout, watchdog, start-limit-hit, oom-kill, resources, ...).
const (
	resultBootEnded  = "boot-ended"  // the run was still up when its boot ended (reboot, power loss)
	resultNotStarted = "not-started" // hero created the job, but systemd never started the run
	resultUnknown    = "unknown"     // systemd's records of the run are gone (journal rotated away)
)

// facts is what is known of how one run ended, from systemd's signals or from its journal.
type facts struct {
	Result        string    // systemd's Result, UNIT_RESULT in the journal ("" unknown)
	Code          string    // how the main process ended: exited, killed, dumped ("" unknown)
	Status        int       // its exit status, or the signal's number
	StopRequested bool      // a stop job ended the run (hero's, a cascade's, or anyone's)
	At            time.Time // when it ended (zero: now)
}

// runRecord is a run's end as its job keeps it.
type runRecord struct {
	Phase    jobdb.Phase
	Result   string
	ExitCode *int   // the main process's exit status, when it failed by exiting
	Signal   string // the signal that killed it (SIGKILL), when that was a failure
	At       time.Time
}

// decide is the one decision of how a run ended.
//
// The phase: a failure Result is a failure, even during a stop; a run that ended well because it
// was stopped was cancelled; one that ended well by itself succeeded; a run whose boot ended
// was cancelled with it; with no Result known, a requested stop cancelled it, else it failed.
//
// The exit status and signal: only an end systemd counts as a failure is kept (a missed
// watchdog is failed/watchdog with the signal systemd killed the service with, SIGABRT). systemd counts
// exit 0 and a daemon's death by SIGHUP, SIGINT, SIGTERM or SIGPIPE as clean and writes which one
// it was at debug level only, so the journal never has it: a record that kept it would depend on
// whether herod was up when the run ended (`systemctl kill -s TERM` was cancelled/SIGTERM live,
// succeeded/no signal replayed). A oneshot's SIGTERM is a failure (Result signal) and is kept.
func decide(f facts) runRecord {
	r := runRecord{Phase: phase(f), Result: f.Result, At: f.At}
	if r.Result == "" {
		r.Result = resultUnknown
	}
	// A run systemd counted as a success (Result success) keeps no exit status: an end its
	// SuccessExitStatus= made clean (success_exit_status) is written at debug level only.
	if f.Result != "success" && (!cleanExit(f.Code, f.Status) || f.Result == "signal" && f.Code == "killed") {
		switch f.Code {
		case "exited":
			n := f.Status
			r.ExitCode = &n
		case "killed", "dumped":
			r.Signal = signalName(f.Status)
		}
	}
	return r
}

func phase(f facts) jobdb.Phase {
	switch {
	case f.Result == resultBootEnded:
		return jobdb.PhaseCancelled
	case f.Result == "" || f.Result == resultUnknown:
		if f.StopRequested {
			return jobdb.PhaseCancelled
		}
		return jobdb.PhaseFailed
	case f.Result != "success":
		return jobdb.PhaseFailed
	case f.StopRequested:
		return jobdb.PhaseCancelled
	}
	return jobdb.PhaseSucceeded
}

// cleanExit reports whether systemd counts a daemon's main process ending so as clean
// (is_clean_exit with EXIT_CLEAN_DAEMON and hero's units' default SuccessExitStatus=).
func cleanExit(code string, status int) bool {
	switch code {
	case "exited":
		return status == 0
	case "killed":
		return status == 1 || status == 2 || status == 13 || status == 15 // HUP INT PIPE TERM
	}
	return code == ""
}

// Apply records the end in j, unless j has ended already (a run is recorded once).
func (r runRecord) Apply(j *jobdb.Job) bool {
	if j.Phase.Ended() {
		return false
	}
	j.Phase, j.Result, j.ExitCode, j.Signal = r.Phase, r.Result, r.ExitCode, r.Signal
	at := r.At
	if at.IsZero() {
		at = time.Now()
	}
	at = at.UTC()
	j.EndedAt = &at
	return true
}

// Apply decides f and records it in j (see runRecord.Apply).
func (f facts) Apply(j *jobdb.Job) bool { return decide(f).Apply(j) }

// Phase is the phase decide gives f.
func (f facts) Phase() jobdb.Phase { return phase(f) }

// signalName is a signal's name as jobs keep it: SIGKILL.
func signalName(n int) string {
	name := config.SignalName(n)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	return name
}

// codeName is systemd's ExecMainCode (a CLD_* code of waitid(2)) as the journal writes it.
func codeName(code int32) string {
	switch code {
	case 1:
		return "exited"
	case 2:
		return "killed"
	case 3:
		return "dumped"
	}
	return ""
}

// unitEnd is what a unit's properties (from its signals, or read) say of a run that is over.
type unitEnd struct {
	Loaded        bool      // the unit is loaded (systemd unloads a transient unit that ended well at once)
	Result        string    // Result
	ExecCode      int32     // ExecMainCode
	ExecStatus    int32     // ExecMainStatus
	ExecFresh     bool      // the ExecMain* fields are this run's (systemd keeps the last run's until a new main process)
	ExitAt        time.Time // ExecMainExitTimestamp (zero: unknown)
	StopRequested bool      // hero asked for the stop, or the unit was deactivating while its main process ran
	Now           time.Time // when the end was seen
}

// fromUnit describes a unit's ended run as facts.
func fromUnit(u unitEnd) facts {
	f := facts{Result: u.Result, StopRequested: u.StopRequested, At: u.Now}
	if u.ExecFresh {
		f.Code, f.Status = codeName(u.ExecCode), int(u.ExecStatus)
		if !u.ExitAt.IsZero() {
			f.At = u.ExitAt
		}
	}
	if !u.Loaded && f.Result == "" {
		// Unloaded at once: systemd unloads a transient unit that ended well.
		f.Result = "success"
	}
	return f
}
