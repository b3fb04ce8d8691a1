package systemd

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// Wait is one systemd job an operation queued and waits for.
type Wait struct {
	Unit string
	Job  dbus.ObjectPath
	// Succeeded says whether the unit's ActiveState, once systemd no longer has the job, means
	// the job did its work (a start: the unit is up; a stop: it has no processes left).
	Succeeded func(active string) bool
}

// End is the result of the job at Index of an await's list.
type End struct {
	Index  int
	Result string // systemd's job result: done, failed, dependency, canceled, ...
}

// When no job result came for a while, the jobs still awaited are looked up in systemd: the
// first time after awaitQuiet, then after twice as long each time without a result, at most
// awaitQuietMax. A result resets the wait to awaitQuiet.
const (
	awaitQuiet    = 2 * time.Second
	awaitQuietMax = 30 * time.Second
)

// Await reports each job's result once, as it comes on ends (fed from systemd's JobRemoved
// signals), and returns once every job has one. Signals can be late or lost (the bus drops what
// a slow reader leaves): when none came for a while, every job still awaited is settled from
// systemd's state in one read (States) of its units: a unit whose current job is no longer that
// job settles it as its ActiveState says. So an await ends as soon as systemd has no job left
// for it, at most awaitQuietMax later, whatever signals came; it returns ctx's error if ctx ends
// first, with the jobs not settled left unreported.
func (c *Client) Await(ctx context.Context, waits []Wait, ends <-chan End, report func(End)) error {
	done := make([]bool, len(waits))
	left := len(waits)
	quiet := awaitQuiet
	timer := time.NewTimer(quiet)
	defer timer.Stop()
	settle := func(e End) {
		if e.Index >= 0 && e.Index < len(done) && !done[e.Index] {
			done[e.Index] = true
			left--
			report(e)
		}
	}
	for left > 0 {
		select {
		case e := <-ends:
			settle(e)
			quiet = awaitQuiet
			timer.Reset(quiet)
		case <-timer.C:
			for _, e := range c.jobsGone(ctx, waits, done) {
				settle(e)
			}
			quiet = min(2*quiet, awaitQuietMax)
			timer.Reset(quiet)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// jobsGone reads, in one call, the units of the jobs not done yet and returns the end of each
// job systemd no longer has, as its unit's state implies.
func (c *Client) jobsGone(ctx context.Context, waits []Wait, done []bool) []End {
	var units []string
	for i, w := range waits {
		if !done[i] {
			units = append(units, w.Unit)
		}
	}
	states, err := c.States(ctx, units)
	if err != nil {
		c.log.Warn("reading the state of units whose jobs are awaited failed", "err", err)
		return nil
	}
	var out []End
	for i, w := range waits {
		if done[i] {
			continue
		}
		if r, gone := settledBy(w, states[w.Unit]); gone {
			out = append(out, End{Index: i, Result: r})
		}
	}
	if len(out) > 0 {
		c.log.Info("jobs ended without their signal; their units' state decides", "jobs", len(out), "awaited", len(units))
	}
	return out
}

// settledBy says whether the unit's state shows that systemd no longer has the awaited job and,
// if so, the job result that state implies: done when it did its work, failed otherwise.
func settledBy(w Wait, st UnitStatus) (string, bool) {
	switch {
	case w.Job != "" && st.JobPath == w.Job:
		return "", false
	case w.Job == "" && st.JobPath != "" && st.JobPath != "/":
		return "", false // a job whose path the waiter does not know: it may be this one
	}
	if w.Succeeded(st.ActiveState) {
		return "done", true
	}
	return "failed", true
}

// JobPath is the object path of systemd's job with this id.
func JobPath(id int) dbus.ObjectPath {
	return dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/systemd1/job/%d", id))
}

// Release drops the claims of the jobs of waits whose await is over (settled without their
// signal, or given up): their signal, should it still come, is no longer handed on.
func (c *Client) Release(waits []Wait) {
	jobs := make([]dbus.ObjectPath, len(waits))
	for i, w := range waits {
		jobs[i] = w.Job
	}
	c.jobs.release(jobs)
}
