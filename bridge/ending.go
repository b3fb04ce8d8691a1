package bridge

import (
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Results hero records besides systemd's own (Result= of a service: success, exit-code, signal,
// core-dump, timeout, watchdog, start-limit-hit, resources, ...).
const (
	resultBootEnded  = "boot-ended"  // the run was still up when its boot ended (reboot, power loss)
	resultNotStarted = "not-started" // hero created the job, but systemd never started the run
	resultUnknown    = "unknown"     // systemd's records of the run are gone (journal rotated away)
)

// runEnd is what systemd says about how one run ended, from its signals or its journal.
type runEnd struct {
	result        string // systemd's Result ("" unknown)
	code          string // how the main process ended: exited, killed, dumped ("" unknown)
	status        int    // its exit status, or the signal's number
	stopRequested bool   // a stop job ended the run (hero's, a cascade's, or anyone's)
	at            time.Time
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

// phase decides a job's final phase: a failure Result is a failure, even during a stop; a run
// that ended well because it was stopped (or was killed by a signal systemd counts as clean,
// such as SIGTERM) was cancelled; one that ended well by itself succeeded.
func (e runEnd) phase() jobdb.Phase {
	switch {
	case e.result == resultBootEnded:
		return jobdb.PhaseCancelled
	case e.result == "" || e.result == resultUnknown:
		if e.stopRequested {
			return jobdb.PhaseCancelled
		}
		return jobdb.PhaseFailed
	case e.result != "success":
		return jobdb.PhaseFailed
	case e.stopRequested || e.code == "killed" || e.code == "dumped":
		return jobdb.PhaseCancelled
	}
	return jobdb.PhaseSucceeded
}

// apply records the end in j, unless j has ended already (a run is recorded once).
func (e runEnd) apply(j *jobdb.Job) bool {
	if j.Phase.Ended() {
		return false
	}
	j.Phase = e.phase()
	j.Result = e.result
	if j.Result == "" {
		j.Result = resultUnknown
	}
	j.ExitCode, j.Signal = nil, ""
	switch e.code {
	case "exited":
		n := e.status
		j.ExitCode = &n
	case "killed", "dumped":
		j.Signal = signalName(e.status)
	}
	at := e.at
	if at.IsZero() {
		at = time.Now()
	}
	at = at.UTC()
	j.EndedAt = &at
	return true
}

func signalName(n int) string {
	name := config.SignalName(n)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	return name
}

// usecTime turns systemd's µs timestamps into a time (zero for 0).
func usecTime(usec uint64) time.Time {
	if usec == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(usec)).UTC()
}
