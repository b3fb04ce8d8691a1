package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// startUnit queues the start of the transient unit, or, when systemd still holds a unit object
// of that name (referenced by a loaded dependent, or created by a call whose reply was lost) with
// the same definition, of that unit (StartUnit joins a start already queued, and is done at once
// for an active unit). An older definition systemd holds is let go of when no running unit
// refers to it (its stopped holders are reset, and the unit created once systemd unloaded it);
// else the start fails with a StaleError naming the running holders. The job's result goes to
// deliver.
func (s *starter) startUnit(ctx context.Context, u *unitgen.Unit, mode string, deliver func(string)) (dbus.ObjectPath, error) {
	for attempt := 0; ; attempt++ {
		job, held, err := s.createUnit(ctx, u, mode, deliver)
		if err != nil || held.LoadState != "loaded" {
			return job, err
		}
		if s.sd.LoadedDefinition(ctx, u.Name) == u.Definition {
			return s.sd.StartUnit(ctx, u.Name, mode, deliver)
		}
		// systemd holds an older definition of the unit. Once it is unloaded (as soon as no
		// loaded unit refers to it) the new one can be created: stopped holders are reset;
		// running ones must be restarted (operations.restartHolders).
		heldBy, heldUnits := releaseHolders(ctx, s.sd, s.log, u.Name)
		if len(heldBy) > 0 || attempt == 3 || !s.waitUnloaded(ctx, u.Name) {
			return "", &StaleError{Service: u.Service, Unit: u.Name, HeldBy: heldBy, heldUnits: heldUnits}
		}
	}
}

// unitExistsWait bounds how long a start waits for a unit of the same name that systemd is
// still stopping or collecting to settle, and settlePoll is how often it looks meanwhile.
const (
	unitExistsWait = time.Second
	settlePoll     = 20 * time.Millisecond
)

// createUnit creates the transient unit and queues its start. When systemd still holds a unit of
// that name (UnitExists), it returns that unit's state once it is loaded and not stopping; one
// on its way out (stopping, or being collected) is waited for and the unit created again.
func (s *starter) createUnit(ctx context.Context, u *unitgen.Unit, mode string, deliver func(string)) (job dbus.ObjectPath, held systemd.UnitStatus, err error) {
	var last systemd.UnitStatus
	werr := poll.Until(ctx, unitExistsWait, settlePoll, func() (bool, error) {
		job, err = s.sd.StartTransient(ctx, u.Name, mode, u.Properties, deliver)
		if systemd.Named(err) != systemd.UnitExists {
			return true, nil
		}
		st, serr := s.sd.States(ctx, []string{u.Name})
		if serr != nil {
			return false, serr
		}
		if last = st[u.Name]; last.LoadState == "loaded" && last.ActiveState != "deactivating" {
			held, err = last, nil
			return true, nil
		}
		return false, nil // being garbage-collected or still stopping: try again shortly
	})
	if werr != nil {
		return "", held, fmt.Errorf("unit %s exists in state %s/%s: %w", u.Name, last.ActiveState, last.SubState, werr)
	}
	return job, held, err
}

// unloadWait bounds the wait for systemd to unload a unit no loaded unit refers to any more.
const unloadWait = 2 * time.Second

// waitUnloaded resets a stopped unit and waits (at most unloadWait) for systemd to unload it,
// which it does once no loaded unit refers to it. It reports whether the unit is gone.
func (s *starter) waitUnloaded(ctx context.Context, unit string) bool {
	s.sd.ResetFailed(ctx, unit)
	var st systemd.UnitStatus
	errUp := errors.New("the unit runs")
	err := poll.Until(ctx, unloadWait, settlePoll, func() (bool, error) {
		states, err := s.sd.States(ctx, []string{unit})
		if err != nil {
			return false, err
		}
		if st = states[unit]; state.Up(st.ActiveState) {
			return false, errUp
		}
		return st.LoadState == "not-found", nil
	})
	if err != nil {
		s.log.Info("systemd keeps a unit of an older definition loaded", "unit", unit, "load", st.LoadState, "active", st.ActiveState, "err", err)
	}
	return err == nil
}

// releaseHolders lets go of an old unit systemd keeps loaded for the hero units that refer to
// it, directly or through others: every such holder that is not running is reset (a failed
// unit stays loaded until reset-failed, and keeps what it refers to loaded), so systemd can
// unload the chain. It returns the services of the holders that run: only stopping them frees
// the unit.
func releaseHolders(ctx context.Context, sd *systemd.Client, log *slog.Logger, unit string) (services, units []string) {
	seen := map[string]bool{unit: true}
	queue := []string{unit}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, h := range sd.Holders(ctx, u) {
			if seen[h] {
				continue
			}
			seen[h] = true
			st, err := sd.States(ctx, []string{h})
			if err != nil {
				continue
			}
			if state.HasProcesses(st[h].ActiveState) {
				if _, name, ok := unitgen.ParseUnitName(h); ok {
					services, units = append(services, name), append(units, h)
				}
				continue
			}
			log.Info("resetting a stopped unit that holds an older definition loaded", "holder", h, "unit", unit)
			sd.ResetFailed(ctx, h)
			queue = append(queue, h)
		}
	}
	return services, units
}
