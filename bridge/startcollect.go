package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// startCollector gathers a start's job results into its reply.
type startCollector struct {
	s            *starter
	ctx          context.Context
	set          *config.Set
	todo         []*unitgen.Unit
	jobs         []*jobdb.Job
	obs          Observer
	reply        StartReply
	seen         []bool
	startedUnits []string
	doubtful     []startResult   // canceled, or failed for a dependency: see settleDoubtful
	hard         map[string]bool // what was asked for and what it requires: the rest is only wanted
	firstErr     error
}

// collect reports each start job's result as it comes (systemd.Client.Await: a job whose signal
// does not come is settled from its unit's state), then waits until the ledger holds every
// started run.
func (c *startCollector) collect(q *startQueue) (StartReply, error) {
	for r := range q.out {
		c.take(r)
	}
	err := c.s.sd.Await(c.ctx, q.waits, q.ends, func(e systemd.End) { c.take(startResult{index: q.waitOf[e.Index], result: e.Result}) })
	c.s.sd.Release(q.waits)
	for i, seen := range c.seen {
		if !seen && err != nil {
			c.take(startResult{index: i, err: fmt.Errorf("waiting for the start job of %s: %w", c.todo[i].Name, err)})
		}
	}
	c.settleDoubtful()
	c.s.log.Debug("start jobs done", "units", len(c.todo))
	// The reply says the runs are recorded: wait for their signals, or read the units.
	c.s.rec.AwaitRecorded(c.ctx, attachWait, c.startedUnits, recording.Attached)
	reply := c.reply
	orderBy(reply.Started, c.todo)
	if c.firstErr != nil {
		var se *StartError
		if errors.As(c.firstErr, &se) {
			se.Started = reply.Started
		}
		return reply, c.firstErr
	}
	return reply, nil
}

// take reports one unit's start result, once.
func (c *startCollector) take(r startResult) {
	if c.seen[r.index] {
		return
	}
	c.seen[r.index] = true
	u, job := c.todo[r.index], c.jobs[r.index]
	if r.err == nil && r.result == "done" {
		c.reply.Started = append(c.reply.Started, u.Service)
		c.startedUnits = append(c.startedUnits, u.Name)
		c.obs.report(Progress{Service: u.Service, Event: "started", JobID: job.ID})
		return
	}
	if errors.Is(r.err, errDependencyGone) {
		c.s.rec.NotStarted(u.Name, job.ID, "dependency")
		c.reply.vanished = append(c.reply.vanished, u.Service)
		return
	}
	if r.err == nil && (r.result == "canceled" || r.result == "dependency") {
		c.doubtful = append(c.doubtful, r) // decided once every result is in (settleDoubtful)
		return
	}
	c.fail(r)
}

// settleDoubtful decides the starts systemd cancelled or failed for a dependency, once every
// result of the start is in (they come in any order). When a requirement this start was starting
// failed to start, they failed with it. When a requirement went down meanwhile (a kill or a
// crash takes no lock: BindsTo= replaced the start with a stop, or systemd failed it as a
// dependency), the service is started once more, with that requirement.
func (c *startCollector) settleDoubtful() {
	failed := map[string]bool{}
	for _, s := range c.reply.Failed {
		failed[s] = true
	}
	for _, r := range c.doubtful {
		u, job := c.todo[r.index], c.jobs[r.index]
		ownFailure := slices.ContainsFunc(c.set.Graph.RequiresClosure(u.Service), func(q string) bool { return failed[q] })
		if !ownFailure && c.requirementWentDown(u, job) {
			c.reply.vanished = append(c.reply.vanished, u.Service)
			continue
		}
		c.fail(r)
	}
}

// requirementWentDown reports whether a start job systemd cancelled was cancelled because a
// requirement of the service is down; if so its job is settled (a run that never began is
// closed as not started; one that began is recorded by its own end).
func (c *startCollector) requirementWentDown(u *unitgen.Unit, job *jobdb.Job) bool {
	if len(downServices(c.ctx, c.s.sd, c.set, c.set.Graph.RequiresClosure(u.Service))) == 0 {
		return false
	}
	if !c.s.rec.WaitUntil(c.ctx, time.Second, []string{u.Name}, func(v *recording.View) bool { return v.Pending() != job.ID }) {
		c.s.rec.NotStarted(u.Name, job.ID, "dependency")
	}
	return true
}

// fail reports a unit whose start did not succeed.
func (c *startCollector) fail(r startResult) {
	u, job, err := c.todo[r.index], c.jobs[r.index], r.err
	c.reply.Failed = append(c.reply.Failed, u.Service)
	if err == nil {
		err = c.s.post.explain(c.ctx, u, job, r.result)
	} else {
		c.s.rec.NotStarted(u.Name, job.ID, "refused")
	}
	c.obs.report(Progress{Service: u.Service, Event: "failed", JobID: job.ID, Err: err})
	if !c.hard[u.Service] {
		// Only wanted: what wants it starts without it (systemd's Wants=). The warning goes to
		// every user (the operation's summary): how the run ended, never what it wrote.
		public := err
		var se *StartError
		if errors.As(err, &se) {
			public = se.Public()
		}
		first, _, _ := strings.Cut(public.Error(), "\n")
		c.reply.Warnings = append(c.reply.Warnings, fmt.Sprintf("%s, a soft dependency (wants), failed to start; started without it: %s", u.Service, first))
		return
	}
	if c.firstErr == nil || r.result != "dependency" && isDependency(c.firstErr) {
		c.firstErr = err
	}
}

// orderBy sorts names into the order of todo (start order).
func orderBy(names []string, todo []*unitgen.Unit) {
	pos := map[string]int{}
	for i, u := range todo {
		pos[u.Service] = i
	}
	slices.SortStableFunc(names, func(a, b string) int { return pos[a] - pos[b] })
}
