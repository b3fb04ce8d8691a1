package daemon

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// forEveryone is err as every user may read it: OperationFinished and OperationProgress are
// broadcast signals, which any client on the bus receives (dbus-monitor as any user), so a
// bad-config service's problems quote only world-readable files, and a failed start says how its
// run ended without the service's output (StartError.Public).
func (d *Daemon) forEveryone(err error) error { return d.shownTo(err, nil) }

// shownTo is err as the caller may see it (nil: anyone): a ConfigError's problems quote only the
// files the caller could read; a StartError carries the service's last lines, the health
// check's words and systemd's reason only to callers who may read services' output (as
// JobOutput). A StartError inside another error is replaced by its public form whole.
func (d *Daemon) shownTo(err error, c *caller) error {
	var cfg *bridge.ConfigError
	var se *bridge.StartError
	switch {
	case errors.As(err, &se):
		if c != nil && c.readsJournal() {
			return err
		}
		return se.Public()
	case errors.As(err, &cfg) && len(cfg.Problems) > 0:
		shown := *cfg
		shown.Problems = make(config.Problems, len(cfg.Problems))
		for i, p := range cfg.Problems {
			shown.Problems[i] = shownTo(p, d.accessOf(p.File), c)
		}
		return &shown
	}
	return err
}

// detail is why a step failed, as every user may read it (OperationProgress is broadcast), or
// what the step says (a plan's summary).
func (d *Daemon) detail(p bridge.Progress) string {
	if p.Err == nil {
		return p.Detail
	}
	return d.forEveryone(p.Err).Error()
}

// launch runs a long operation (a start, stop or restart) in the background, the way systemd
// runs jobs: the method that asked for it returns its id at once, and the operation reports its
// steps (OperationProgress) and its end (OperationFinished) as signals carrying that id. No
// client waits inside a method call, so no D-Bus call timeout can cut an operation short.
// kind (start, stop, restart) and names name it in its error. The services it was asked for
// (names) get their objects refreshed once it is over (the bridge's events cover the runs it
// starts and ends), before its end is told.
func (d *Daemon) launch(kind string, names []string, run func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error)) uint64 {
	return d.launchOp(kind, names, func(ctx context.Context, _ uint64, obs bridge.Observer) (map[string]dbus.Variant, error) {
		return run(ctx, obs)
	})
}

// launchOp is launch for an operation that needs its own id (an apply keeps its plan by it).
func (d *Daemon) launchOp(kind string, names []string, run func(ctx context.Context, op uint64, obs bridge.Observer) (map[string]dbus.Variant, error)) uint64 {
	op := d.ops.Add(1)
	d.opLog.began(op)
	go func() {
		obs := func(p bridge.Progress) {
			if err := d.bus.Emit(api.Path, api.Interface+"."+api.SignalOperationProgress, op, p.Service, p.Event, p.JobID, d.detail(p)); err != nil {
				d.log.Warn("emitting a signal failed", "signal", api.SignalOperationProgress, "err", err)
			}
		}
		summary, err := run(d.ctx, op, obs)
		if summary == nil {
			summary = map[string]dbus.Variant{}
		}
		o := opOutcome{kind: kind, subject: strings.Join(names, " "), err: err, summary: summary}
		name, msg := o.shown(d, nil)
		// Marked before the end is told, so a read that follows it refreshes them first.
		d.objs.mark(runsChanged, names...)
		d.opLog.finished(op, o)
		if err := d.bus.Emit(api.Path, api.Interface+"."+api.SignalOperationFinished, op, name, msg, summary); err != nil {
			d.log.Warn("emitting a signal failed", "signal", api.SignalOperationFinished, "err", err)
		}
		d.memory.after()
	}()
	return op
}

// Operation states, as OperationStatus tells them.
const (
	opRunning  = "running"
	opFinished = "finished"
	opUnknown  = "unknown" // never launched by this herod, or finished too long ago
)

// keptOutcomes is how many finished operations' outcomes herod keeps for OperationStatus.
const keptOutcomes = 1024

// opOutcome is how an operation ended: its error whole, told to each reader as they may see
// it (shown).
type opOutcome struct {
	kind, subject string // the operation (start, stop, ...) and its services, for its error
	err           error
	summary       map[string]dbus.Variant
}

// shown is the outcome's D-Bus error name and message as the caller may see them (nil: anyone,
// as OperationFinished tells it); both empty on success.
func (o opOutcome) shown(d *Daemon, c *caller) (name, msg string) {
	if o.err == nil {
		return "", ""
	}
	e := toDBus(o.kind, o.subject, d.shownTo(o.err, c))
	if len(e.Body) > 0 {
		msg, _ = e.Body[0].(string)
	}
	return e.Name, msg
}

// operationLog knows the operations under way and the outcomes of the last keptOutcomes, so a
// client that missed OperationFinished (the bus drops signals a slow reader leaves) still learns
// how its operation ended. Its zero value is ready.
type operationLog struct {
	mu      sync.Mutex
	running map[uint64]bool
	done    map[uint64]opOutcome
	order   []uint64 // finished operations, oldest first
	plans   map[uint64]applied
}

// applied is an apply operation's plan, as computed under its locks (its diffs' texts in it),
// with what it takes to read each file of the directory it applied (whom a diff may show
// environment values to).
type applied struct {
	plan   plan.Apply
	access map[string]configdir.Access
}

// setPlan keeps op's plan (dropped with its outcome).
func (l *operationLog) setPlan(op uint64, a applied) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.plans == nil {
		l.plans = map[uint64]applied{}
	}
	l.plans[op] = a
}

// plan is op's plan, if it is an apply that planned and was not forgotten.
func (l *operationLog) plan(op uint64) (applied, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.plans[op]
	return a, ok
}

func (l *operationLog) began(op uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running == nil {
		l.running = map[uint64]bool{}
	}
	l.running[op] = true
}

func (l *operationLog) finished(op uint64, o opOutcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.running, op)
	if l.done == nil {
		l.done = map[uint64]opOutcome{}
	}
	l.done[op] = o
	l.order = append(l.order, op)
	if len(l.order) > keptOutcomes {
		delete(l.done, l.order[0])
		delete(l.plans, l.order[0])
		l.order = l.order[1:]
	}
}

// status returns op's state and, once it finished, its outcome.
func (l *operationLog) status(op uint64) (string, opOutcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[op] {
		return opRunning, opOutcome{}
	}
	if o, ok := l.done[op]; ok {
		return opFinished, o
	}
	return opUnknown, opOutcome{}
}

// OperationStatus tells whether an operation runs, and how it ended: what a client that missed
// OperationFinished asks, and what heroctl asks for the whole error of a failed operation. Its
// error is told as the caller may see it (shownTo): the service's last lines only to callers who
// may read services' output, a problem's quote only to callers who may read its file; anyone
// else is told what OperationFinished told everyone.
func (m *manager) OperationStatus(msg dbus.Message, op uint64) (string, string, string, map[string]dbus.Variant, *dbus.Error) {
	state, o := m.d.opLog.status(op)
	if o.summary == nil {
		o.summary = map[string]dbus.Variant{}
	}
	name, text := o.shown(m.d, m.callerOrAnyone(msg))
	return state, name, text, o.summary, nil
}
