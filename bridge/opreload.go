package bridge

import (
	"context"
	"fmt"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/state"
)

// reload reloads name's unit under name's lock (see Bridge.Reload).
func (o *operations) reload(ctx context.Context, name string, obs Observer) error {
	release, err := o.locks.acquire(ctx, []string{name})
	if err != nil {
		return failed("reload", []string{name}, fmt.Errorf("waiting for other operations on it: %w", err))
	}
	defer release()
	if err := o.reloadable(ctx, name); err != nil {
		return failed("reload", []string{name}, err)
	}
	svc, _ := o.svc.lookup(name)
	result, err := o.sd.Reload(ctx, unitOf(svc))
	if systemd.Named(err) == systemd.NoSuchUnit {
		err = fmt.Errorf("%w (it ended meanwhile)", ErrNotRunning)
	}
	if err != nil {
		return failed("reload", []string{name}, err)
	}
	if result != "done" {
		return &ReloadError{Service: name, JobResult: result}
	}
	var jobID int64
	if j, jerr := o.ledger.Latest(ctx, name); jerr == nil && j != nil {
		jobID = j.ID
	}
	obs.report(Progress{Service: name, Event: "reloaded", JobID: jobID})
	return nil
}

// reloadable tells whether name can be reloaded now: it is defined, its config has a reload
// command or signal, and its unit runs with one (systemd's CanReload).
func (o *operations) reloadable(ctx context.Context, name string) error {
	svc, err := o.svc.lookup(name)
	if err != nil {
		return err
	}
	if main := svc.Main(); main.Reload == nil && main.ReloadSignal == "" {
		return fmt.Errorf("%w: its config sets neither reload (a command) nor reload_signal; restart it instead ('heroctl restart %s')",
			ErrNotReloadable, name)
	}
	props, err := o.sd.UnitProperties(ctx, unitOf(svc))
	if err != nil {
		return err
	}
	active, _ := props["ActiveState"].(string)
	if !state.Reloadable(active) {
		return fmt.Errorf("%w (its unit is %s): start it instead", ErrNotRunning, orNotLoaded(active))
	}
	if can, _ := props["CanReload"].(bool); !can {
		return fmt.Errorf("%w: the unit systemd runs was created before its config set reload or reload_signal; restart it ('heroctl restart %s') or 'heroctl apply'",
			ErrNotReloadable, name)
	}
	return nil
}

func orNotLoaded(active string) string {
	if active == "" {
		return "not loaded"
	}
	return active
}
