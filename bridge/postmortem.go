package bridge

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// postmortem says why a start job did not succeed, from what systemd recorded of it: the job and
// the run in the ledger (the recorder's), the run's last lines and systemd's own words in the
// journal.
type postmortem struct {
	rec    *recording.Recorder
	ledger jobdb.Ledger
	jrnl   journal.Journal
	log    *slog.Logger
}

// attachWait bounds how long a start waits for the recorder to see a run systemd reported
// started (or ended), before reading the unit itself.
const attachWait = 3 * time.Second

// explain records and explains a start job that did not succeed: if systemd began the run,
// how it ended (with the health check's last words and the service's last lines); if not, why.
func (p *postmortem) explain(ctx context.Context, u *unitgen.Unit, job *jobdb.Job, result string) error {
	se := &StartError{Service: u.Service, JobResult: result}
	// A job that failed for its dependency never began a run: no need to wait for one.
	began := result != "dependency" && p.rec.WaitUntil(ctx, time.Second, []string{u.Name}, func(v *recording.View) bool { return v.Pending() != job.ID })
	if !began {
		if v := p.rec.Info(u.Name); v.LimitHit || result == "failed" && limitHit(ctx, p.jrnl, u.Name, job.StartedAt) {
			result = "start-limit-hit"
		}
		p.rec.NotStarted(u.Name, job.ID, result)
		p.rec.WaitUntil(ctx, time.Second, []string{u.Name}, func(v *recording.View) bool { return true })
	} else {
		p.rec.AwaitRecorded(ctx, attachWait, []string{u.Name}, func(v *recording.View) bool { return v.Ended() })
	}
	if j, err := p.ledger.Get(ctx, job.ID); err == nil {
		j.Output = nil
		se.Job = j
		if j.InvocationID != "" {
			// The run's last words may still be in journald's stream of the unit: wait (a
			// little: the unit may be running again) until journald wrote them.
			sctx, cancel := context.WithTimeout(ctx, lastWordsWait)
			if err := p.jrnl.Sync(sctx, []string{u.Name}); err != nil {
				p.log.Debug("the failed run's last words may be incomplete", "unit", u.Name, "err", err)
			}
			cancel()
			se.Health, se.Lines, se.HealthTimeout = p.lastWords(ctx, j)
		}
		if j.ExitCode != nil && *j.ExitCode == exitExec {
			se.Reason = p.execFailure(ctx, u.Name, job.StartedAt)
		}
	}
	return se
}

// limitHit asks the journal whether systemd refused a start of the unit since then for its start
// limit (systemd 252 says so only in its log; the unit's Result keeps the last run's).
func limitHit(ctx context.Context, jrnl journal.Journal, unit string, since time.Time) bool {
	entries, err := jrnl.Lines(ctx, []string{unit}, since, time.Time{}, 20)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.Contains(e.Fields["MESSAGE"], "Start request repeated too quickly") {
			return true
		}
	}
	return false
}

// lastWordsWait bounds the wait for journald to write a failed run's last output before a
// start's error quotes it (short: the unit may be running again, its stream open).
const lastWordsWait = 3 * time.Second

// execReasonWait bounds the wait for systemd's reason of a 203/EXEC to be in the journal: it is
// always written, and the wait ends as soon as it is; on a loaded 2-core machine journald wrote
// it more than 3 s after the failure was known.
const execReasonWait = 10 * time.Second

// lastWords returns a failed run's health check lines (when it gave up) and the service's own
// last lines, from the journal.
func (p *postmortem) lastWords(ctx context.Context, j *jobdb.Job) (health, own []string, timedOut bool) {
	entries, err := p.jrnl.Lines(ctx, []string{j.Unit}, j.StartedAt.Add(-time.Second), time.Time{}, recording.TailLines)
	if err != nil {
		return nil, nil, false
	}
	healthID := unitgen.HealthIdentifier(j.ServiceID)
	gaveUp := false
	for _, e := range recording.RunLines(entries, j, p.rec.Fields()) {
		switch msg := e.Fields["MESSAGE"]; e.Fields["SYSLOG_IDENTIFIER"] {
		case healthID:
			timedOut = timedOut || strings.HasPrefix(msg, unitgen.HealthGaveUp)
			gaveUp = gaveUp || timedOut || strings.HasPrefix(msg, execspec.HealthMainExited)
			if gaveUp {
				health = append(health, msg)
			}
		case j.ServiceID:
			own = append(own, e.Fields["MESSAGE"])
		}
	}
	if len(own) > 10 {
		own = own[len(own)-10:]
	}
	return health, own, timedOut
}

// execFailure returns systemd's own words on why it could not execute the unit's program
// (Failed to locate executable ..., Failed at step EXEC ...), read from its log since then.
// systemd's forked child logs it just before it exits, and journald may write it after the
// unit's failure is known: it is looked for until execReasonWait has passed.
func (p *postmortem) execFailure(ctx context.Context, unit string, since time.Time) string {
	reason := ""
	_ = poll.Until(ctx, execReasonWait, 100*time.Millisecond, func() (bool, error) {
		entries, err := p.jrnl.Lines(ctx, []string{unit}, since.Add(-time.Second), time.Time{}, 50)
		if err != nil {
			return false, err
		}
		for i := len(entries) - 1; i >= 0; i-- {
			msg := entries[i].Fields["MESSAGE"]
			if strings.Contains(msg, "executable") || strings.Contains(msg, "step EXEC") {
				reason = strings.TrimPrefix(msg, unit+": ")
				return true, nil
			}
		}
		return false, nil
	})
	return reason
}
