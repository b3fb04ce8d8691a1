package bridge

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// rebinder brings back the services systemd stopped because a requirement went down.
//
// A unit BindsTo= its requirements' units (unitgen), so systemd stops it, and through the
// cascade what requires it, as soon as a requirement leaves the active state: a crash, a kill,
// an automatic restart, the start limit. systemd never starts it again by itself (Upholds=
// would, but also against a 'heroctl stop'), so herod does: a run that ended while no hero
// operation held its service, within boundWindow of a requirement's end (or while one is down),
// was ended by the binding; its service waits for that requirement, and is started again as
// soon as a new run of the requirement begins (systemd's own restart, or any start).
type rebinder struct {
	b   *Bridge
	ctx context.Context

	mu       sync.Mutex
	queue    []Event
	wake     chan struct{}
	ended    map[string]time.Time       // when each service's last run ended by itself (no stop of hero's)
	waiting  map[string]map[string]bool // requirement -> the services waiting for it to be back
	intended map[string]bool            // services hero is stopping (or stopped) on purpose
}

// boundWindow is how soon after a requirement's end a dependent's end counts as caused by it:
// systemd stops bound units in the same transaction, so their ends follow within milliseconds;
// the window only absorbs a loaded machine.
const boundWindow = 5 * time.Second

func newRebinder(ctx context.Context, b *Bridge) *rebinder {
	r := &rebinder{b: b, ctx: ctx, wake: make(chan struct{}, 1), ended: map[string]time.Time{}, waiting: map[string]map[string]bool{}, intended: map[string]bool{}}
	go r.run()
	return r
}

// observe queues an event; it never blocks (the recorder calls it).
func (r *rebinder) observe(e Event) {
	if e.Kind != "job-started" && e.Kind != "job-finished" {
		return
	}
	r.mu.Lock()
	r.queue = append(r.queue, e)
	if e.Kind == "job-finished" {
		if r.b.locks.busy(e.Service) {
			r.intended[e.Service] = true // an operation of hero's ended it
		} else if !r.intended[e.Service] {
			r.ended[e.Service] = time.Now() // it went down by itself: a cause for its dependents
		}
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *rebinder) run() {
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.wake:
		}
		r.mu.Lock()
		events := r.queue
		r.queue = nil
		r.mu.Unlock()
		for _, e := range events {
			if e.Kind == "job-finished" {
				r.finished(e.Service)
			} else {
				r.started(e.Service)
			}
		}
	}
}

// finished decides whether name's run was ended by a requirement going down.
func (r *rebinder) finished(name string) {
	set := r.b.Config()
	r.mu.Lock()
	onPurpose := r.intended[name]
	r.mu.Unlock()
	if set.Service(name) == nil || onPurpose {
		return // hero's own operation stopped it (a stop, restart or cascade)
	}
	reqs := set.Graph.Requires(name)
	if len(reqs) == 0 {
		return
	}
	// The binding stops a chain from the top: when the dependent's end is seen, its direct
	// requirement may still be active, waiting for its own stop job; what went down is further
	// down the chain. Any requirement of the closure down, or just ended, is the cause.
	closure := requiresClosure(set, name)
	down := r.b.downServices(r.ctx, closure)
	r.mu.Lock()
	defer r.mu.Unlock()
	cause, anyDown := "", false
	for _, q := range closure {
		anyDown = anyDown || down[q]
		if cause == "" && (down[q] || time.Since(r.ended[q]) < boundWindow) {
			cause = q
		}
	}
	if cause == "" {
		return
	}
	if !anyDown {
		// Its requirement went down and is back already (a quick restart): start it now.
		r.b.log.Info("stopped by a requirement that is back already: starting it", "service", name, "requirement", cause)
		go r.restart(cause, []string{name})
		return
	}
	for _, q := range reqs {
		if r.waiting[q] == nil {
			r.waiting[q] = map[string]bool{}
		}
		r.waiting[q][name] = true
	}
	r.b.log.Info("stopped because a requirement went down; it comes back with it", "service", name, "requirement", cause)
}

// requiresClosure lists every service name requires, directly or through others.
func requiresClosure(set *config.Set, name string) []string {
	seen := map[string]bool{name: true}
	var out []string
	queue := []string{name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, q := range set.Graph.Requires(n) {
			if !seen[q] {
				seen[q] = true
				out = append(out, q)
				queue = append(queue, q)
			}
		}
	}
	return out
}

// started starts again what waited for name, now that a run of it began, and forgets name's own
// waits (it runs again).
func (r *rebinder) started(name string) {
	r.mu.Lock()
	delete(r.intended, name)
	for _, w := range r.waiting {
		delete(w, name)
	}
	var again []string
	for s := range r.waiting[name] {
		again = append(again, s)
	}
	delete(r.waiting, name)
	r.mu.Unlock()
	if len(again) == 0 {
		return
	}
	sort.Strings(again)
	r.b.log.Info("a requirement is back: starting what it stopped", "requirement", name, "services", again)
	go r.restart(name, again)
}

// restart starts services that requirement's going down stopped.
func (r *rebinder) restart(requirement string, services []string) {
	if _, err := r.b.Start(r.ctx, services, true, nil); err != nil {
		r.b.log.Warn("starting again what a requirement stopped failed", "requirement", requirement, "services", services, "err", err)
	}
}

// waits reports whether name waits for a requirement to be back.
func (r *rebinder) waits(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.waiting {
		if w[name] {
			return true
		}
	}
	return false
}

// intend says hero stops names on purpose: their ends bring nothing back, and they no longer
// wait for a requirement.
func (r *rebinder) intend(names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		r.intended[n] = true
		for _, w := range r.waiting {
			delete(w, n)
		}
	}
}

// downServices returns the services of reqs whose units are not active (failed, stopped, or
// on their way back), as a set.
func (b *Bridge) downServices(ctx context.Context, reqs []string) map[string]bool {
	set := b.Config()
	units := make([]string, 0, len(reqs))
	for _, q := range reqs {
		if s := set.Service(q); s != nil {
			units = append(units, unitOf(s))
		}
	}
	st, err := b.states(ctx, units)
	out := map[string]bool{}
	if err != nil {
		return out
	}
	for _, q := range reqs {
		if s := set.Service(q); s != nil {
			if u := st[unitOf(s)]; u.ActiveState != "active" || u.SubState == "auto-restart" {
				out[q] = true
			}
		}
	}
	return out
}
