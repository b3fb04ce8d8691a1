package systemd

import (
	"context"
	"fmt"
)

// ResetFailed resets unit's failed state and its start limit (ResetFailedUnit), as 'systemctl
// reset-failed' does. A unit systemd has not loaded has nothing to reset.
func (c *Client) ResetFailed(ctx context.Context, unit string) {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	if err := c.mgr.ResetFailedUnitContext(ctx, unit); err != nil && Named(err) != NoSuchUnit {
		c.log.Debug("reset-failed refused", "unit", unit, "err", err)
	}
}

// maxSignal is the highest signal systemd sends (its SIGNAL_VALID: below _NSIG, 65).
const maxSignal = 64

// Kill sends signal to every process of unit (KillUnit, who "all"): its control process, its
// main process, then the rest of its cgroup. systemd's EINVAL from signalling the rest
// (invalidArgs) means the processes it signalled first were signalled: the kill happened. A unit
// systemd has not loaded is a NoSuchUnit error.
func (c *Client) Kill(ctx context.Context, unit string, signal int) error {
	if signal < 1 || signal > maxSignal {
		return fmt.Errorf("signal %d is out of range 1..%d", signal, maxSignal)
	}
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	err := c.mgr.KillUnitWithTarget(ctx, unit, "all", int32(signal))
	if Named(err) == invalidArgs {
		c.log.Debug("kill: signalling the unit's other processes failed", "unit", unit, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("KillUnit %s: %w", unit, err)
	}
	return nil
}
