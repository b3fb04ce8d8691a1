package bridge

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// reviver brings back the services systemd stopped because a requirement went down.
//
// A unit BindsTo= its requirements' units (unitgen), so systemd stops it, and through the
// cascade what requires it, as soon as a requirement leaves the active state: a crash, a kill,
// an automatic restart, the start limit, a liveness check that failed. systemd never starts it
// again by itself (Upholds= would, but also against a 'heroctl stop'), so herod does, by a rule
// kept in the ledger, not in memory, so that a restart of herod (or its crash) forgets nothing:
//
//   - A service waits for its requirements when its run ended while no stop of hero's was
//     ending it (heroctl stop, restart, apply and their cascades), and a requirement of its
//     requires closure was down, or had just ended, by itself (not by a stop someone asked
//     for: a 'systemctl stop db' stops its dependents as 'heroctl stop db' does).
//   - The wait ends when the service runs again (a run of it became active) or is stopped on
//     purpose; and when a start of it fails for a reason of its own while its requirements run
//     (its own restart policy governs it then). An attempt that fails because a requirement is
//     down again ends nothing.
//   - Whenever a unit becomes active (its health check passed), at herod's start and every
//     reviveTick while a service waits (a lost signal cannot leave a stack down), every waiting
//     service whose requires closure runs (each member active, or waiting itself and started
//     with it) is started, in one start, dependencies first. This start keeps the ledger's
//     record of the outage (it prunes no job).
type reviver struct {
	svc     *services
	sd      *systemd.Client
	ledger  jobdb.Ledger
	waits   *waitBook
	locks   *locks
	start   *starter
	emit    func(Event)
	log     *slog.Logger
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{} // closed when run returns
	started atomic.Bool   // run was started

	mu    sync.Mutex
	queue []observed
	due   bool // a reconcile is due
	wake  chan struct{}
}

// observed is an event as the reviver saw it come.
type observed struct {
	Event
	onPurpose bool // hero was stopping the service on purpose as its run ended
}

// reviveTick is how often herod looks at the waiting services while any waits: the safety net
// behind the signal of a requirement that became active.
const reviveTick = 5 * time.Second

// bind readies r, with its work bound to ctx (stop ends it), not begun yet (begin).
func (r *reviver) bind(ctx context.Context) *reviver {
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.done, r.wake = make(chan struct{}), make(chan struct{}, 1)
	return r
}

// stop ends the reviver's work and waits for it (before the ledger closes).
func (r *reviver) stop() {
	r.cancel()
	if r.started.Load() {
		<-r.done
	}
}

// begin begins the reviver's work, with a first look at the waits the ledger kept (herod's
// start-up). The bridge's recorder must run.
func (r *reviver) begin() {
	waits, _ := r.ledger.Waits(r.ctx)
	waiting := map[string]bool{}
	for _, w := range waits {
		waiting[w.Service] = true
	}
	r.waits.known(waiting)
	r.mu.Lock()
	r.due = true
	r.mu.Unlock()
	r.poke()
	r.started.Store(true)
	go r.run()
}

func (r *reviver) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// observe queues an event; it never blocks (the recorder calls it, in the order of the runs'
// changes).
func (r *reviver) observe(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e.Kind {
	case EventJobStarted:
		r.waits.runs(e.Service) // it runs again: its next end is not hero's doing
		r.queue = append(r.queue, observed{Event: e})
	case EventJobFinished:
		r.queue = append(r.queue, observed{Event: e, onPurpose: r.waits.onPurpose(e.Service)})
	case EventRunActive:
		r.queue = append(r.queue, observed{Event: e})
		r.due = true
	case EventStateChanged:
		if !r.waits.any() {
			return
		}
		r.queue = append(r.queue, observed{Event: e})
	default:
		return
	}
	r.poke()
}

func (r *reviver) run() {
	defer close(r.done)
	tick := time.NewTicker(reviveTick)
	defer tick.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.wake:
		case <-tick.C:
			r.mu.Lock()
			r.due = true
			r.mu.Unlock()
		}
		r.mu.Lock()
		events, due := r.queue, r.due
		r.queue, r.due = nil, false
		r.mu.Unlock()
		for _, e := range events {
			r.handle(e)
		}
		r.mu.Lock()
		due = due || r.due // a new wait may be met at once: its requirement is back already
		r.due = false
		r.mu.Unlock()
		if due {
			r.reconcile()
		}
	}
}

func (r *reviver) handle(e observed) {
	switch e.Kind {
	case EventJobFinished:
		if !e.onPurpose {
			r.finished(e.Service, e.JobID)
		}
		if e.State == string(jobdb.PhaseCancelled) {
			r.requirementStopped(e.Service)
		}
	case EventRunActive:
		r.waits.clear(r.ctx, "runs again: it no longer waits for its requirements", e.Service)
	}
	r.touchWaiters(e.Service)
}

// touchWaiters tells the daemon that the status of the services waiting on name changed (what
// they wait for is on its way up, down, or gave up).
func (r *reviver) touchWaiters(name string) {
	for _, s := range r.waits.waitersOn(r.svc.get(), name) {
		r.emit(Event{Kind: EventWaitChanged, Service: s})
	}
}

// finished decides whether name's run (job) was ended by a requirement going down, and if so
// records that name waits for its requirements.
func (r *reviver) finished(name string, job int64) {
	set := r.svc.get()
	if set.Service(name) == nil {
		return
	}
	closure := set.Graph.RequiresClosure(name)
	if len(closure) == 0 {
		return
	}
	end := time.Now()
	if j, err := r.ledger.Get(r.ctx, job); err == nil && j.EndedAt != nil {
		end = *j.EndedAt
	}
	down := downServices(r.ctx, r.sd, set, closure)
	runs := map[string][]jobdb.Job{}
	for _, q := range closure {
		runs[q] = r.recentRuns(q)
	}
	cause := causeOf(closure, down, runs, end)
	if cause == "" {
		return
	}
	if err := r.waits.set(r.ctx, jobdb.Wait{Service: name, Requirement: cause, Since: end}); err != nil {
		r.log.Error("recording that a service waits for its requirements failed", "service", name, "err", err)
		return
	}
	r.log.Info("stopped because a requirement went down; herod starts it when its requirements run again", "service", name, "requirement", cause)
	r.mu.Lock()
	r.due = true // the requirement may be back already (a quick restart)
	r.mu.Unlock()
}

// requirementStopped ends the waits that name's going down began, now that its run ended by a
// stop job (phase cancelled) while it did not wait itself: a stop on purpose behind hero's back
// (systemctl stop, which takes no lock of hero's) is final for what it stopped, as heroctl stop
// is. A run the binding ended is cancelled too, but its service waits (finished judged it
// first). Its dependents end before it does (systemd stops them first), so their ends were
// judged while it was still on its way down, its stop not recorded yet, each naming as its cause
// the nearest requirement down: the waits end along those causes, down from name.
func (r *reviver) requirementStopped(name string) {
	waits := r.waits.all(r.ctx)
	if _, waits := waits[name]; waits {
		return
	}
	var stopped []string
	ended := map[string]bool{name: true}
	for grew := true; grew; {
		grew = false
		for s, w := range waits {
			if ended[w.Requirement] && !ended[s] {
				ended[s], grew = true, true
				stopped = append(stopped, s)
			}
		}
	}
	sort.Strings(stopped)
	r.waits.clear(r.ctx, "their requirement was stopped on purpose: they stay stopped", stopped...)
}

// recentRuns returns service's last few runs (jobs whose run began), newest first.
func (r *reviver) recentRuns(service string) []jobdb.Job {
	jobs, err := r.ledger.Jobs(r.ctx, service)
	if err != nil {
		return nil
	}
	var out []jobdb.Job
	for _, j := range jobs {
		if j.Phase == jobdb.PhasePending || j.InvocationID == "" {
			continue // no run began
		}
		if out = append(out, j); len(out) == 3 {
			break
		}
	}
	return out
}

// reconcile ends the waits that are over and starts the waiting services whose requirements
// run (see revival).
func (r *reviver) reconcile() {
	waits, err := r.ledger.Waits(r.ctx)
	if err != nil {
		r.log.Warn("reading the waiting services failed", "err", err)
		return
	}
	if len(waits) == 0 {
		return
	}
	set := r.svc.get()
	var gone []string
	waiting := map[string]bool{}
	for _, w := range waits {
		if set.Service(w.Service) == nil {
			gone = append(gone, w.Service) // no file defines it any more
		} else {
			waiting[w.Service] = true
		}
	}
	r.waits.known(waiting)
	state, err := r.unitStates(set, waiting)
	if err != nil {
		r.log.Warn("reading the waiting services' units failed", "err", err)
		return
	}
	over, start := revival(set, waiting, state)
	r.waits.clear(r.ctx, "", gone...)
	r.waits.clear(r.ctx, "runs again: it no longer waits for its requirements", over...)
	if len(start) > 0 {
		r.revive(start)
	}
}

// unitStates reads the units of waiting services and of their requires closures.
func (r *reviver) unitStates(set *config.Set, waiting map[string]bool) (func(string) unitState, error) {
	var units []string
	for s := range waiting {
		units = append(units, unitOf(set.Service(s)))
		for _, q := range set.Graph.RequiresClosure(s) {
			units = append(units, unitOf(set.Service(q)))
		}
	}
	st, err := r.sd.States(r.ctx, units)
	if err != nil {
		return nil, err
	}
	return func(s string) unitState {
		svc := set.Service(s)
		if svc == nil {
			return unitState{}
		}
		u := st[unitOf(svc)]
		return unitState{active: u.ActiveState == "active", up: state.Up(u.ActiveState)}
	}, nil
}

// revive starts again the waiting services names (those whose config can start), under the
// locks of their start; the decision is taken again under the locks, so that a stop on purpose
// or a requirement that went down meanwhile wins.
func (r *reviver) revive(names []string) {
	set := r.svc.get()
	var ok []string
	for _, n := range names {
		if checkUsable(set, n) == nil {
			ok = append(ok, n)
		}
	}
	plan, err := set.Graph.StartAll(ok)
	if err != nil || len(ok) == 0 {
		return
	}
	release, err := r.locks.acquire(r.ctx, lockSet(set, plan.Order))
	if err != nil {
		return
	}
	defer release()
	still := r.stillReady(set, ok)
	if len(still) == 0 {
		return
	}
	if plan, err = set.Graph.StartAll(still); err != nil {
		return
	}
	r.log.Info("their requirements run again: starting what their going down stopped", "services", still)
	only := map[string]bool{}
	for _, s := range still {
		only[s] = true
	}
	reply, err := r.start.start(r.ctx, set, still, plan, startMode{replace: true, keepJobs: true, only: only}, nil, newStartReply(still[0]))
	switch {
	case errors.Is(err, errRequirementDown):
		r.log.Info("a requirement went down again as they started: they wait for it", "services", still, "err", err)
	case err != nil:
		r.log.Warn("starting again what a requirement's going down stopped failed", "services", still, "started", reply.Started, "failed", reply.Failed, "err", err)
	}
	if err != nil {
		r.settleFailed(set, reply.Failed)
	}
}

// stillReady returns those of names that still wait and may be started now, read again.
func (r *reviver) stillReady(set *config.Set, names []string) []string {
	waits, err := r.ledger.Waits(r.ctx)
	if err != nil {
		return nil
	}
	waiting := map[string]bool{}
	for _, w := range waits {
		if set.Service(w.Service) != nil {
			waiting[w.Service] = true
		}
	}
	state, err := r.unitStates(set, waiting)
	if err != nil {
		return nil
	}
	_, start := revival(set, waiting, state)
	var out []string
	for _, n := range names {
		if slices.Contains(start, n) {
			out = append(out, n)
		}
	}
	return out
}

// settleFailed ends the waits of the services whose start failed for a reason of their own: a
// run of theirs began and failed while every requirement ran. Its own restart policy governs
// such a service now (herod does not start it again and again). A service whose start failed
// because a requirement went down again keeps waiting.
func (r *reviver) settleFailed(set *config.Set, failed []string) {
	for _, s := range failed {
		last, err := r.ledger.Latest(r.ctx, s)
		if err != nil {
			continue
		}
		ownRun := last.InvocationID != "" && last.Phase == jobdb.PhaseFailed
		if !ownRun || len(downServices(r.ctx, r.sd, set, set.Graph.RequiresClosure(s))) > 0 {
			continue
		}
		r.log.Warn("its own start failed while its requirements run: herod no longer starts it again (its restart policy applies)",
			"service", s, "job", last.ID, "result", last.Result)
		r.waits.clear(r.ctx, "", s)
	}
}
