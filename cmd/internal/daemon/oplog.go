package daemon

import (
	"sync"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
)

// Operations herod ran: the ones under way, how the last keptOutcomes ended, and an apply's
// plan (OperationStatus, OperationPlan).

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
	subject string // its services, for an error that carries no text of its own
	err     error
	summary map[string]dbus.Variant
}

// shown is the outcome's D-Bus error name and message as the caller may see them (nil: anyone,
// as OperationFinished tells it); both empty on success.
func (o opOutcome) shown(access *fileAccess, c *caller) (name, msg string) {
	if o.err == nil {
		return "", ""
	}
	e := toDBus(o.subject, errorShownTo(o.err, access, c))
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
