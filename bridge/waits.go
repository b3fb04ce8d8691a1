package bridge

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// waitBook keeps which services wait for their requirements (in the ledger, so that a restart of
// herod forgets none; see reviver) and which ones hero stops on purpose (those wait for nothing:
// their ends bring nothing back). Stops and applies write in it; the reviver and status read it.
type waitBook struct {
	ledger jobdb.Ledger
	log    *slog.Logger
	emit   func(Event)

	mu       sync.Mutex
	intended map[string]bool // services hero is stopping (or stopped) on purpose
	waiting  map[string]bool // the waits as last read or written (the ledger has them all)
}

func newWaitBook(ledger jobdb.Ledger, log *slog.Logger, emit func(Event)) *waitBook {
	return &waitBook{ledger: ledger, log: log, emit: emit, intended: map[string]bool{}, waiting: map[string]bool{}}
}

// intend says hero stops names on purpose: their ends bring nothing back, and they no longer
// wait for their requirements.
func (w *waitBook) intend(ctx context.Context, names ...string) {
	w.mu.Lock()
	for _, n := range names {
		w.intended[n] = true
	}
	w.mu.Unlock()
	w.clear(ctx, "stopped on purpose: no longer waits for its requirements", names...)
}

// runs says name runs again: its next end is not hero's doing.
func (w *waitBook) runs(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.intended, name)
}

// onPurpose reports whether hero is stopping name on purpose.
func (w *waitBook) onPurpose(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.intended[name]
}

// any reports whether a service waits (as last read or written).
func (w *waitBook) any() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.waiting) > 0
}

// known replaces the waits as last read from the ledger.
func (w *waitBook) known(waiting map[string]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waiting = maps.Clone(waiting)
}

// set records (in the ledger) that wait.Service waits for its requirements.
func (w *waitBook) set(ctx context.Context, wait jobdb.Wait) error {
	if err := w.ledger.SetWait(ctx, wait); err != nil {
		return err
	}
	w.mu.Lock()
	w.waiting[wait.Service] = true
	w.mu.Unlock()
	w.emit(Event{Kind: EventWaitChanged, Service: wait.Service})
	return nil
}

// clear forgets (in the ledger) that names wait, logging why for those that did.
func (w *waitBook) clear(ctx context.Context, why string, names ...string) {
	if len(names) == 0 {
		return
	}
	n, err := w.ledger.ClearWaits(ctx, names...)
	if err != nil {
		w.log.Warn("forgetting waits failed", "services", names, "err", err)
		return
	}
	w.mu.Lock()
	var were []string
	for _, s := range names {
		if w.waiting[s] {
			were = append(were, s)
			delete(w.waiting, s)
		}
	}
	w.mu.Unlock()
	if n > 0 && why != "" {
		w.log.Info(why, "services", names)
	}
	for _, s := range were {
		w.emit(Event{Kind: EventWaitChanged, Service: s})
	}
}

// waitersOn returns the services that wait on name (it is in their requires closure). A service
// that waits itself is not in their words (they name what must run again first): none then.
func (w *waitBook) waitersOn(set *config.Set, name string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	if len(w.waiting) == 0 || w.waiting[name] {
		return nil
	}
	for s := range w.waiting {
		if slices.Contains(set.Graph.RequiresClosure(s), name) {
			out = append(out, s)
		}
	}
	return out
}

// all reads the services that wait for their requirements from the ledger, by name.
func (w *waitBook) all(ctx context.Context) map[string]jobdb.Wait {
	out := map[string]jobdb.Wait{}
	waits, err := w.ledger.Waits(ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			w.log.Warn("reading the waiting services failed", "err", err)
		}
		return out
	}
	for _, wt := range waits {
		out[wt.Service] = wt
	}
	return out
}
