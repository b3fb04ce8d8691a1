package bridge

import (
	"context"
	"fmt"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// jobWait is one systemd job an operation queued and waits for.
type jobWait struct {
	unit string
	job  dbus.ObjectPath
	// succeeded says whether the unit's ActiveState, once systemd no longer has the job, means
	// the job did its work (a start: the unit is up; a stop: it has no processes left).
	succeeded func(active string) bool
}

// jobEnd is the result of the job at index of an await's list.
type jobEnd struct {
	index  int
	result string // systemd's job result: done, failed, dependency, canceled, ...
}

// When no job result came for a while, the jobs still awaited are looked up in systemd: the
// first time after awaitQuiet, then after twice as long each time without a result, at most
// awaitQuietMax. A result resets the wait to awaitQuiet.
const (
	awaitQuiet    = 2 * time.Second
	awaitQuietMax = 30 * time.Second
)

// awaitJobs reports each job's result once, as it comes on ends (fed from systemd's JobRemoved
// signals), and returns once every job has one. Signals can be late or lost (the bus drops what
// a slow reader leaves; godbus hands a full channel's overflow on in goroutines, out of order):
// when none came for a while, every job still awaited is settled from systemd's state in one
// read (ListUnitsByPatterns) of its units: a unit whose current job is no longer that job
// settles it as its ActiveState says. So an await ends as soon as systemd has no job left for
// it, at most awaitQuietMax later, whatever signals came; it returns ctx's error if ctx ends
// first, with the jobs not settled left unreported.
func (b *Bridge) awaitJobs(ctx context.Context, waits []jobWait, ends <-chan jobEnd, report func(jobEnd)) error {
	done := make([]bool, len(waits))
	left := len(waits)
	quiet := awaitQuiet
	timer := time.NewTimer(quiet)
	defer timer.Stop()
	settle := func(e jobEnd) {
		if e.index >= 0 && e.index < len(done) && !done[e.index] {
			done[e.index] = true
			left--
			report(e)
		}
	}
	for left > 0 {
		select {
		case e := <-ends:
			settle(e)
			quiet = awaitQuiet
			resetTimer(timer, quiet)
		case <-timer.C:
			gone, err := b.jobsGone(ctx, waits, done)
			if err != nil {
				b.log.Warn("reading the state of units whose jobs are awaited failed", "err", err)
			}
			if len(gone) > 0 {
				b.log.Info("jobs ended without their signal; their units' state decides", "jobs", len(gone), "awaited", left)
			}
			for _, e := range gone {
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

func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

// jobsGone reads, in one call, the units of the jobs not done yet and returns the end of each
// job systemd no longer has, as its unit's state implies.
func (b *Bridge) jobsGone(ctx context.Context, waits []jobWait, done []bool) ([]jobEnd, error) {
	var units []string
	for i, w := range waits {
		if !done[i] {
			units = append(units, w.unit)
		}
	}
	states, err := b.states(ctx, units)
	if err != nil {
		return nil, fmt.Errorf("settle awaited jobs: %w", err)
	}
	var out []jobEnd
	for i, w := range waits {
		if done[i] {
			continue
		}
		if r, gone := settledBy(w, states[w.unit]); gone {
			out = append(out, jobEnd{index: i, result: r})
		}
	}
	return out, nil
}

// settledBy says whether the unit's state shows that systemd no longer has the awaited job and,
// if so, the job result that state implies: done when it did its work, failed otherwise.
func settledBy(w jobWait, st sddbus.UnitStatus) (string, bool) {
	switch {
	case w.job != "" && st.JobPath == w.job:
		return "", false
	case w.job == "" && st.JobPath != "" && st.JobPath != "/":
		return "", false // a job whose path the waiter does not know: it may be this one
	}
	if w.succeeded(st.ActiveState) {
		return "done", true
	}
	return "failed", true
}

// jobPath is the object path of systemd's job with this id.
func jobPath(id int) dbus.ObjectPath {
	return dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/systemd1/job/%d", id))
}

// forward sends the result that go-systemd hands to ch (one per job) on ends as the end of the
// job at index, until stop closes.
func forward(index int, ch <-chan string, ends chan<- jobEnd, stop <-chan struct{}) {
	select {
	case r := <-ch:
		select {
		case ends <- jobEnd{index: index, result: r}:
		case <-stop:
		}
	case <-stop:
	}
}
