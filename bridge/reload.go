package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNotReloadable is returned for a reload of a service that cannot be reloaded: its config
// sets neither reload nor reload_signal, or the unit systemd runs was created without one.
var ErrNotReloadable = errors.New("service cannot be reloaded")

// ReloadError says a reload job of systemd's did not succeed: the reload command failed (or the
// signal could not be sent), or systemd gave up on it.
type ReloadError struct {
	Service   string
	JobResult string // systemd's job result: failed, timeout, canceled, ...
}

func (e *ReloadError) Error() string {
	return fmt.Sprintf("reload %s: systemd job %s (the reload command failed or could not signal the service; it keeps running as it was); see 'heroctl logs %s'",
		e.Service, e.JobResult, e.Service)
}

// PrecheckReload tells, without locking anything, whether name can be reloaded now: it is
// defined, its config has a reload command or signal, and its unit runs with one (systemd's
// CanReload). Reload checks again under its lock.
func (b *Bridge) PrecheckReload(ctx context.Context, name string) error {
	svc, err := b.service(name)
	if err != nil {
		return err
	}
	if main := svc.Main(); main.Reload == nil && main.ReloadSignal == "" {
		return fmt.Errorf("reload %s: %w: its config sets neither reload (a command) nor reload_signal; restart it instead ('heroctl restart %s')",
			name, ErrNotReloadable, name)
	}
	unit := unitOf(svc)
	props, err := b.unitProps(ctx, unit)
	if err != nil {
		return fmt.Errorf("reload %s: %w", name, err)
	}
	active, _ := props["ActiveState"].(string)
	if !up(active) || active == "activating" {
		return fmt.Errorf("reload %s: %w (its unit is %s): start it instead", name, ErrNotRunning, orNotLoaded(active))
	}
	if can, _ := props["CanReload"].(bool); !can {
		return fmt.Errorf("reload %s: %w: the unit systemd runs was created before its config set reload or reload_signal; restart it ('heroctl restart %s') or 'heroctl apply'",
			name, ErrNotReloadable, name)
	}
	return nil
}

func orNotLoaded(active string) string {
	if active == "" {
		return "not loaded"
	}
	return active
}

// unitProps reads the Unit interface's properties of unit, with a deadline.
func (b *Bridge) unitProps(ctx context.Context, unit string) (map[string]any, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return b.conn.GetUnitPropertiesContext(cctx, unit)
}

// Reload asks systemd to reload name's unit (ReloadUnit, job mode replace): systemd runs its
// ExecReload= (the reload command, or hero-exec sending the reload signal to the main process)
// and the job is done once that command ended well; the service keeps its run, main process and
// job. Reload holds name's lock, so no start, stop or restart of it runs meanwhile; it reports
// "reloaded" to obs (a failure is its error).
func (b *Bridge) Reload(ctx context.Context, name string, obs Observer) error {
	release, err := b.locks.acquire(ctx, []string{name})
	if err != nil {
		return fmt.Errorf("reload %s: waiting for other operations on it: %w", name, err)
	}
	defer release()
	if err := b.PrecheckReload(ctx, name); err != nil {
		return err
	}
	svc, _ := b.service(name)
	unit := unitOf(svc)
	ch := make(chan string, 1) // buffered: go-systemd sends while holding a lock
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	id, err := b.conn.ReloadUnitContext(cctx, unit, "replace", ch)
	cancel()
	if err != nil {
		if dbusErrorName(err) == errNoSuchUnit {
			err = fmt.Errorf("%w (it ended meanwhile)", ErrNotRunning)
		}
		return fmt.Errorf("reload %s: %w", name, err)
	}
	result, err := b.awaitReload(ctx, unit, id, ch)
	if err != nil {
		return fmt.Errorf("reload %s: %w", name, err)
	}
	var jobID int64
	if j, jerr := b.ledger.Latest(ctx, name); jerr == nil && j != nil {
		jobID = j.ID
	}
	if result != "done" {
		return &ReloadError{Service: name, JobResult: result}
	}
	obs.report(Progress{Service: name, Event: "reloaded", JobID: jobID})
	return nil
}

// awaitReload waits for the reload job's result (awaitJobs: a job whose signal is lost is
// settled from its unit's state, done while the unit is still up).
func (b *Bridge) awaitReload(ctx context.Context, unit string, id int, ch <-chan string) (string, error) {
	ends := make(chan jobEnd, 1)
	stop := make(chan struct{})
	defer close(stop)
	go forward(0, ch, ends, stop)
	result := ""
	waits := []jobWait{{unit: unit, job: jobPath(id), succeeded: up}}
	err := b.awaitJobs(ctx, waits, ends, func(e jobEnd) { result = e.result })
	if err != nil {
		return "", fmt.Errorf("waiting for systemd's reload job of %s: %w", strings.TrimSuffix(unit, ".service"), err)
	}
	return result, nil
}
