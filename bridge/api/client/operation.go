package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// Watcher hears herod's operation signals. Make it before the call that queues an operation:
// herod may report the operation's steps before the call's reply arrives.
type Watcher struct {
	c  *Client
	ch chan *dbus.Signal
}

// Progress is one step of an operation (OperationProgress).
type Progress struct {
	Service string
	Event   string // started, stopped, failed, skipped
	JobID   int64
	Detail  string
}

// Outcome is how an operation ended (OperationFinished).
type Outcome struct {
	Err     *Error                  // nil on success
	Summary map[string]dbus.Variant // see api.Summary*
}

// Strings returns a summary entry that is a list of names.
func (o Outcome) Strings(key string) []string {
	v, _ := o.Summary[key].Value().([]string)
	if v == nil {
		v = []string{}
	}
	return v
}

// Uint returns a summary entry that is a count.
func (o Outcome) Uint(key string) uint32 {
	v, _ := o.Summary[key].Value().(uint32)
	return v
}

// Jobs returns the summary's job of each service.
func (o Outcome) Jobs() map[string]int64 {
	v, _ := o.Summary[api.SummaryJobs].Value().(map[string]int64)
	if v == nil {
		v = map[string]int64{}
	}
	return v
}

// ErrHerodGone names herod leaving the bus while an operation ran.
const ErrHerodGone = "org.hero.Proc1.Client.HerodGone"

// WatchOperations starts hearing herod's operation signals and its leaving the bus.
func (c *Client) WatchOperations() (*Watcher, error) {
	for _, m := range []string{api.SignalOperationProgress, api.SignalOperationFinished} {
		if err := c.conn.AddMatchSignal(dbus.WithMatchInterface(api.Interface), dbus.WithMatchMember(m), dbus.WithMatchObjectPath(api.Path)); err != nil {
			return nil, wrap("watch", err)
		}
	}
	if err := c.conn.AddMatchSignal(dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, api.BusName)); err != nil {
		return nil, wrap("watch", err)
	}
	w := &Watcher{c: c, ch: make(chan *dbus.Signal, 4096)}
	c.conn.Signal(w.ch)
	return w, nil
}

// Close stops hearing signals.
func (w *Watcher) Close() { w.c.conn.RemoveSignal(w.ch) }

// Wait reports op's steps to progress as they come and returns how it ended; it returns ctx's
// error when ctx ends first (the operation goes on in herod), and ErrHerodGone if herod leaves
// the bus meanwhile. Signals can be lost (the bus drops what a slow reader leaves): whenever none
// of op's came for livenessCheck, herod is asked how op stands (OperationStatus), so a missed
// OperationFinished ends the wait, and an operation herod no longer knows is an error
// (ErrOperationLost) rather than a wait without end.
func (w *Watcher) Wait(ctx context.Context, op uint64, progress func(Progress)) (Outcome, error) {
	check := time.NewTimer(livenessCheck)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		case <-check.C:
			if o, over, err := w.c.operationOver(ctx, op); over || err != nil {
				return o, err
			}
			check.Reset(livenessCheck)
		case s, ok := <-w.ch:
			if !ok || s == nil {
				return Outcome{}, &Error{Name: ErrHerodGone, Message: "the connection to the bus closed"}
			}
			o, over, err := w.take(s, op, progress)
			if over && err == nil && o.Err != nil {
				return w.c.wholeOutcome(ctx, op, o), nil
			}
			if over || err != nil {
				return o, err
			}
			if !check.Stop() {
				select {
				case <-check.C:
				default:
				}
			}
			check.Reset(livenessCheck)
		}
	}
}

// take handles one signal: a step of op (reported), op's end, or herod leaving the bus.
func (w *Watcher) take(s *dbus.Signal, op uint64, progress func(Progress)) (Outcome, bool, error) {
	switch s.Name {
	case "org.freedesktop.DBus.NameOwnerChanged":
		if len(s.Body) == 3 && s.Body[0] == api.BusName && s.Body[2] == "" {
			return Outcome{}, true, &Error{Name: ErrHerodGone, Message: fmt.Sprintf("herod left the bus while operation %d ran", op)}
		}
	case api.Interface + "." + api.SignalOperationProgress:
		var p Progress
		var id uint64
		if dbus.Store(s.Body, &id, &p.Service, &p.Event, &p.JobID, &p.Detail) == nil && id == op && progress != nil {
			progress(p)
		}
	case api.Interface + "." + api.SignalOperationFinished:
		var id uint64
		var name, msg string
		var o Outcome
		if dbus.Store(s.Body, &id, &name, &msg, &o.Summary) != nil || id != op {
			return Outcome{}, false, nil
		}
		if name != "" {
			o.Err = &Error{Name: name, Message: msg}
		}
		return o, true, nil
	}
	return Outcome{}, false, nil
}

// wholeOutcome is a failed operation's outcome as herod tells it to this caller: the
// OperationFinished signal carries what every user may read (a failed start's error without
// the service's last lines), and OperationStatus tells the caller what it may see (root and
// readers of the journal: the whole). A herod that does not answer leaves the signal's.
func (c *Client) wholeOutcome(ctx context.Context, op uint64, signalled Outcome) Outcome {
	if o, over, err := c.operationOver(ctx, op); over && err == nil && o.Err != nil && o.Err.Name == signalled.Err.Name {
		return o
	}
	return signalled
}

// livenessCheck is how long Wait waits for a signal of its operation before it asks herod how
// the operation stands.
var livenessCheck = 10 * time.Second

// ErrOperationLost names an operation herod does not know (it restarted, or the operation ended
// so long ago that its outcome is forgotten) while a client waited for it.
const ErrOperationLost = "org.hero.Proc1.Client.OperationLost"

// operationOver asks herod how op stands: over (with its outcome) once it finished, an error when
// herod does not know it, neither while it runs. A herod that does not answer in time, or knows
// no OperationStatus (an older one), leaves the wait to signals.
func (c *Client) operationOver(ctx context.Context, op uint64) (Outcome, bool, error) {
	var state, name, msg string
	var o Outcome
	err := c.call(ctx, api.MethodOperationStatus, []any{&state, &name, &msg, &o.Summary}, op)
	var e *Error
	switch {
	case errors.As(err, &e) && (e.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || e.Name == "org.freedesktop.DBus.Error.NameHasNoOwner"):
		return Outcome{}, true, &Error{Name: ErrHerodGone, Message: fmt.Sprintf("herod left the bus while operation %d ran", op)}
	case err != nil:
		return Outcome{}, false, nil
	}
	switch state {
	case "finished":
		if name != "" {
			o.Err = &Error{Name: name, Message: msg}
		}
		return o, true, nil
	case "running":
		return Outcome{}, false, nil
	}
	return Outcome{}, true, &Error{Name: ErrOperationLost, Message: fmt.Sprintf(
		"herod no longer knows operation %d (it restarted, or the operation ended long ago): see 'heroctl status' for what it did", op)}
}
