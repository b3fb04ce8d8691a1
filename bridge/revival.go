package bridge

// The revival's pure decisions (see reviver): whose going down ended a run, and which waiting
// services run again or may start now.

import (
	"sort"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// boundWindow is how close to a requirement's end a dependent's end counts as caused by it:
// systemd stops bound units in the same transaction, so their ends follow within milliseconds;
// the window only absorbs a loaded machine.
const boundWindow = 5 * time.Second

// causeOf is the requirement (of closure, nearest first) whose going down ended a dependent's
// run at end, or "" when none did. A requirement is a cause when it went down by itself (its
// last run was not stopped on request): while it is down, or when one of its runs ended within
// boundWindow of end (it is back already: a quick restart). A requirement down whose last run
// is not recorded as ended yet counts as down by itself. runs are each requirement's recent
// runs, newest first.
func causeOf(closure []string, down map[string]bool, runs map[string][]jobdb.Job, end time.Time) string {
	for _, q := range closure {
		rs := runs[q]
		if down[q] && (len(rs) == 0 || rs[0].Phase != jobdb.PhaseCancelled) {
			return q
		}
		for _, j := range rs {
			if j.Phase.Ended() && j.EndedAt != nil && j.Phase != jobdb.PhaseCancelled && absDuration(j.EndedAt.Sub(end)) <= boundWindow {
				return q
			}
		}
	}
	return ""
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// unitState is what the revival decision needs of a service's unit.
type unitState struct {
	active bool // ActiveState active (and not waiting for an automatic restart)
	up     bool // active, activating or reloading: running, or on its way
}

// revival is the pure decision of a reconcile: of the waiting services, those that run again
// (over: their waits end) and those to start now (each member of its requires closure is
// active, or waits itself and is started with it), sorted by name. A waiting service that is on
// its way up (someone starts it) is left to that start.
func revival(set *config.Set, waiting map[string]bool, state func(string) unitState) (over, start []string) {
	for s := range waiting {
		st := state(s)
		switch {
		case st.active:
			over = append(over, s)
		case st.up:
		case closureReady(set, s, waiting, state):
			start = append(start, s)
		}
	}
	sort.Strings(over)
	sort.Strings(start)
	return over, start
}

// closureReady reports whether every service s requires, directly or not, is active or waits
// (and then comes back in the same start).
func closureReady(set *config.Set, s string, waiting map[string]bool, state func(string) unitState) bool {
	for _, q := range set.Graph.RequiresClosure(s) {
		if !state(q).active && !(waiting[q] && !state(q).up) {
			return false
		}
	}
	return true
}
