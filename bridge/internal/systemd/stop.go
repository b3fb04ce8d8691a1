package systemd

import (
	"context"
	"fmt"
	"strings"

	"github.com/hero-systemd/hero-systemd/bridge/state"
)

// StopUnits stops units (StopUnit, job mode replace) and waits for systemd's jobs (Await: a job
// whose signal does not come is settled from its unit's state). A unit systemd no longer has is
// already stopped. A job that did not do its work is a *JobError.
func (c *Client) StopUnits(ctx context.Context, units []string) error {
	ends := make(chan End, len(units))
	var waits []Wait
	for _, u := range units {
		i := len(waits)
		job, err := c.stopUnit(ctx, u, "replace", func(r string) { ends <- End{Index: i, Result: r} })
		if Named(err) == NoSuchUnit {
			continue
		}
		if err != nil {
			c.Release(waits)
			return err
		}
		waits = append(waits, Wait{Unit: u, Job: job, Succeeded: func(active string) bool { return !state.HasProcesses(active) }})
	}
	defer c.Release(waits)
	var failed error
	err := c.Await(ctx, waits, ends, func(e End) {
		if e.Result != "done" && failed == nil {
			failed = &JobError{Job: "stop", Unit: waits[e.Index].Unit, Result: e.Result}
		}
	})
	if err != nil {
		return fmt.Errorf("waiting for systemd's stop jobs of %s: %w", strings.Join(units, " "), err)
	}
	return failed
}

// Reload reloads unit (ReloadUnit, job mode replace) and waits for its job's result (Await: a
// job whose signal is lost is settled from its unit's state, done while the unit is still up).
func (c *Client) Reload(ctx context.Context, unit string) (result string, err error) {
	ends := make(chan End, 1)
	job, err := c.reloadUnit(ctx, unit, "replace", func(r string) { ends <- End{Result: r} })
	if err != nil {
		return "", err
	}
	waits := []Wait{{Unit: unit, Job: job, Succeeded: state.Up}}
	defer c.Release(waits)
	if err := c.Await(ctx, waits, ends, func(e End) { result = e.Result }); err != nil {
		return "", fmt.Errorf("waiting for systemd's reload job of %s: %w", unit, err)
	}
	return result, nil
}
