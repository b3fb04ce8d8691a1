package systemd

import (
	"context"
	"errors"
	"fmt"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
)

// send calls method of systemd's manager on the bus and returns the call, its reply to come on
// its Done channel (or ctx's error once ctx ends).
func (c *Client) send(ctx context.Context, method string, args ...any) *dbus.Call {
	return c.bus.Object(busName, managerPath).GoWithContext(ctx, managerInterface+"."+method, 0, nil, args...)
}

// sendStartTransient is the one StartTransientUnit call: it creates unit with props and queues
// its start in job mode mode (no auxiliary units).
func (c *Client) sendStartTransient(ctx context.Context, unit, mode string, props []sddbus.Property) *dbus.Call {
	return c.send(ctx, "StartTransientUnit", unit, mode, props, []sddbus.PropertyCollection{})
}

// jobOf returns the job path a finished job call replied, or its error.
func jobOf(call *dbus.Call) (dbus.ObjectPath, error) {
	var job dbus.ObjectPath
	err := call.Err
	if err == nil {
		err = call.Store(&job)
	}
	return job, err
}

// queue makes a job call on a unit (StartUnit, StopUnit, ReloadUnit), waits for its reply (at
// most CallTimeout) and hands the job's result to deliver once systemd removes the job
// (deliver must not block). It returns the job's path.
func (c *Client) queue(ctx context.Context, method, unit, mode string, deliver func(string)) (dbus.ObjectPath, error) {
	closeWindow := c.jobs.open() // the job may end before its reply is read
	defer closeWindow()
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	job, err := jobOf(<-c.send(ctx, method, unit, mode).Done)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", method, unit, err)
	}
	c.jobs.claim(job, deliver)
	return job, nil
}

// StartUnit queues the start of a loaded unit in job mode mode (StartUnit): it joins a start
// already queued, and is done at once for an active unit.
func (c *Client) StartUnit(ctx context.Context, unit, mode string, deliver func(string)) (dbus.ObjectPath, error) {
	return c.queue(ctx, "StartUnit", unit, mode, deliver)
}

// stopUnit queues the stop of unit (stopUnit): systemd stops, in the same transaction and in
// reverse After= order, every unit that Requires= (or BindsTo=) it.
func (c *Client) stopUnit(ctx context.Context, unit, mode string, deliver func(string)) (dbus.ObjectPath, error) {
	return c.queue(ctx, "StopUnit", unit, mode, deliver)
}

// reloadUnit queues the reload of unit (reloadUnit): systemd runs its ExecReload= commands; the
// unit keeps its run and main process.
func (c *Client) reloadUnit(ctx context.Context, unit, mode string, deliver func(string)) (dbus.ObjectPath, error) {
	return c.queue(ctx, "ReloadUnit", unit, mode, deliver)
}

// StartTransient creates the transient unit with props and queues its start (StartTransientUnit)
// in job mode mode, one call on its own: its job's result goes to deliver. A call cut off by
// systemd re-executing itself (daemon-reexec), or not answered in time by a systemd busy with
// thousands of jobs, is made again (up to three times) once systemd answers: a unit the first
// call created after all is then UnitExists.
func (c *Client) StartTransient(ctx context.Context, unit, mode string, props []sddbus.Property, deliver func(string)) (dbus.ObjectPath, error) {
	closeWindow := c.jobs.open()
	defer closeWindow()
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		job, err := jobOf(<-c.sendStartTransient(cctx, unit, mode, props).Done)
		cancel()
		if err == nil {
			c.jobs.claim(job, deliver)
			return job, nil
		}
		cutOff := Gone(err) || errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil
		if !cutOff || attempt == 3 || c.waitForSystemd(ctx) != nil {
			return "", fmt.Errorf("StartTransientUnit %s: %w", unit, err)
		}
	}
}

// systemdAnswerWait bounds the wait for systemd to answer again after a call it cut off.
const systemdAnswerWait = time.Minute

// waitForSystemd waits (up to systemdAnswerWait) until systemd answers calls again.
func (c *Client) waitForSystemd(ctx context.Context) error {
	var last error
	err := poll.Until(ctx, systemdAnswerWait, 100*time.Millisecond, func() (bool, error) {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, last = c.mgr.ListUnitsByNamesContext(cctx, []string{"init.scope"})
		cancel()
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("systemd does not answer (%v): %w", last, err)
	}
	return nil
}
