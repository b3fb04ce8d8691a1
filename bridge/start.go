package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// StartReply says what a start did.
type StartReply struct {
	Service        string           `json:"service"`         // the first service asked for
	AlreadyRunning bool             `json:"already_running"` // all asked for and what they require were running: nothing was started
	Started        []string         `json:"started"`         // what this call started, dependencies first
	Failed         []string         `json:"failed"`          // what it could not start (and dependents it skipped)
	Jobs           map[string]int64 `json:"jobs"`            // the new job of each service it tried to start
	// Warnings name the soft dependencies (wants) it started without: undefined, unusable, or
	// failed to start. They fail nothing (systemd's Wants=, compose's required: false).
	Warnings []string `json:"warnings,omitempty"`
	vanished []string // services whose dependency stopped while they were started
}

// errDependencyGone says systemd refused a unit because a unit it requires is no longer
// loaded: it stopped (and was unloaded) after the start looked at it.
var errDependencyGone = errors.New("a dependency stopped meanwhile")

// Start starts services after the not-yet-running services of their requires closures, as
// `systemctl start A B C` does. It is blocked, with nothing started, when any service it would
// start conflicts with a running one (or with another it would start). Each started service's
// inactive jobs are pruned before its new job is created; running jobs and other services' jobs
// are never touched. All start jobs are queued at once, dependencies first; systemd's After=
// ordering makes each unit wait for its dependencies, and a failure fails only its dependents
// (Requires=). replace is systemd's job mode: true "replace" (a queued conflicting job is
// replaced), false "fail" (the start fails instead). obs hears of each service as systemd
// finishes its start job.
func (b *Bridge) Start(ctx context.Context, names []string, replace bool, obs Observer) (StartReply, error) {
	reply := StartReply{Started: []string{}, Failed: []string{}, Jobs: map[string]int64{}}
	if len(names) == 0 {
		return reply, nil
	}
	reply.Service = names[0]
	set := b.Config()
	plan, err := b.startPlan(set, names)
	if err != nil {
		return reply, err
	}
	release, err := b.locks.acquire(ctx, lockSet(set, plan.Order))
	if err != nil {
		return reply, fmt.Errorf("start %s: waiting for other operations on these services: %w", strings.Join(names, " "), err)
	}
	reply, err = b.start(ctx, set, names, plan, startMode{replace: replace}, obs, reply)
	release()
	reply.Warnings = append(softWarnings(set, plan.Order), reply.Warnings...)
	if stale := heldByRunning(err); stale != nil {
		// Running services hold an older unit of one to start: restart them with it.
		return b.restartHolders(ctx, names, stale, obs, reply)
	}
	return reply, err
}

func (b *Bridge) startPlan(set *config.Set, names []string) (graphs.StartPlan, error) {
	for _, name := range names {
		if _, err := b.service(name); err != nil {
			return graphs.StartPlan{}, err
		}
		if err := checkUsable(set, name); err != nil {
			return graphs.StartPlan{}, err
		}
	}
	plan, err := set.Graph.StartAll(names)
	if err != nil {
		return plan, err
	}
	hard := hardClosure(set, names)
	var skip []string
	for _, m := range plan.Order {
		if err := checkUsable(set, m); err != nil {
			if hard[m] {
				return plan, err
			}
			skip = append(skip, m) // only wanted: started without it
		}
	}
	return withoutServices(plan, skip), nil
}

// hardClosure is names and everything they require, directly or not: what their start cannot
// go without. The rest of a start plan is only wanted.
func hardClosure(set *config.Set, names []string) map[string]bool {
	hard := map[string]bool{}
	for _, n := range names {
		hard[n] = true
		for _, q := range set.Graph.RequiresClosure(n) {
			hard[q] = true
		}
	}
	return hard
}

// withoutServices is plan without the services of skip.
func withoutServices(plan graphs.StartPlan, skip []string) graphs.StartPlan {
	if len(skip) == 0 {
		return plan
	}
	keep := func(list []string) []string {
		var out []string
		for _, s := range list {
			if !slices.Contains(skip, s) {
				out = append(out, s)
			}
		}
		return out
	}
	out := graphs.StartPlan{Service: plan.Service, Order: keep(plan.Order), Dependencies: keep(plan.Dependencies)}
	for _, w := range plan.Waves {
		if k := keep(w); len(k) > 0 {
			out.Waves = append(out.Waves, k)
		}
	}
	return out
}

// softWarnings says which soft dependencies of a start's services it goes without: those no
// file defines, and those that cannot start as their config stands.
func softWarnings(set *config.Set, members []string) []string {
	var out []string
	for _, m := range members {
		svc := set.Service(m)
		if svc == nil {
			continue
		}
		for _, w := range svc.Wants {
			switch {
			case set.Service(w) == nil:
				out = append(out, fmt.Sprintf("%s wants %s, which no service file defines: started without it", m, w))
			case checkUsable(set, w) != nil:
				out = append(out, fmt.Sprintf("%s wants %s, which cannot start as its config stands (%s): started without it", m, w, stateWord(set, w)))
			}
		}
	}
	return out
}

// stateWord is why a defined service cannot start: bad-config or blocked.
func stateWord(set *config.Set, name string) string {
	if set.BadConfig(name) {
		return StateBadConfig
	}
	return StateBlocked
}

// lockSet is what an operation on members must hold: the members, and the services they
// conflict with (whose state decides whether a start may go on).
func lockSet(set *config.Set, members []string) []string {
	out := append([]string(nil), members...)
	for _, m := range members {
		out = append(out, set.Graph.Conflicts(m)...)
	}
	return out
}

// startMode is how a start goes: systemd's job mode, and what it does to the ledger.
type startMode struct {
	replace bool // job mode "replace" (a queued conflicting job is replaced), else "fail"
	// keepJobs keeps each started service's ended jobs: herod's own start of services a
	// requirement's outage stopped keeps the outage's record. A start a caller asks for prunes
	// them (a fresh start has a clean slate).
	keepJobs bool
	// only, when set, are the services the start may start (herod's revival of waiting
	// services): every other member of its plan must be active, else it starts nothing
	// (errRequirementDown), and a requirement that goes down meanwhile is not started again. A
	// requirement comes back by its own restart policy or a caller's start, never by herod's:
	// starting it would skip its restart delay and count against its start limit.
	only map[string]bool
}

// errRequirementDown says a revival found a requirement of what it would start down again.
var errRequirementDown = errors.New("a requirement is down")

// newStartReply is an empty reply to a start of names.
func newStartReply(first string) StartReply {
	return StartReply{Service: first, Started: []string{}, Failed: []string{}, Jobs: map[string]int64{}}
}

// start starts names (under the locks of their plan). A service whose dependency stopped
// between the look at the units and the start (a kill, a crash: those take no lock) is started
// once more, with that dependency.
func (b *Bridge) start(ctx context.Context, set *config.Set, names []string, plan graphs.StartPlan, mode startMode, obs Observer, reply StartReply) (StartReply, error) {
	reply, err := b.startOnce(ctx, set, names, plan, mode, obs, reply)
	if len(reply.vanished) == 0 {
		return reply, err
	}
	if mode.only != nil {
		// herod's revival starts no requirement: what vanished waits for it again.
		reply.Failed, reply.vanished = append(reply.Failed, reply.vanished...), nil
		if err == nil {
			err = fmt.Errorf("start %s: %w", strings.Join(names, " "), errRequirementDown)
		}
		return reply, err
	}
	again := reply.vanished
	reply.vanished = nil
	b.log.Info("starting again: a dependency stopped while they started", "services", again)
	plan2, perr := set.Graph.StartAll(again)
	if perr != nil {
		return reply, perr
	}
	r2, err2 := b.startOnce(ctx, set, again, plan2, mode, obs, newStartReply(reply.Service))
	for _, s := range r2.Started { // a requirement that died and was started again is named once
		if !slices.Contains(reply.Started, s) {
			reply.Started = append(reply.Started, s)
		}
	}
	reply.Failed = append(reply.Failed, r2.Failed...)
	reply.Failed = append(reply.Failed, r2.vanished...)
	for k, v := range r2.Jobs {
		reply.Jobs[k] = v
	}
	if err == nil {
		err = err2
	}
	return reply, err
}

func (b *Bridge) startOnce(ctx context.Context, set *config.Set, names []string, plan graphs.StartPlan, mode startMode, obs Observer, reply StartReply) (StartReply, error) {
	t := newStopwatch(b.log, "start")
	defer t.done()
	states, running, err := b.startStates(ctx, set, names, plan)
	if err != nil {
		return reply, err
	}
	// Up only when the whole closure is: a service whose requirement died is not "running"
	// for a start, which brings the requirement back.
	allUp := true
	for _, m := range plan.Order {
		allUp = allUp && running(m)
	}
	if allUp {
		reply.AlreadyRunning = true
		return reply, nil
	}
	if err := checkConflicts(set, plan.Order, running); err != nil {
		return reply, err
	}
	if mode.only != nil {
		for _, m := range plan.Order {
			if u := states[unitOf(set.Service(m))]; !mode.only[m] && (u.ActiveState != "active" || u.SubState == "auto-restart") {
				return reply, fmt.Errorf("start %s: %w: %s", strings.Join(names, " "), errRequirementDown, m)
			}
		}
	}
	t.lap("states")
	var todo []*unitgen.Unit
	for _, m := range plan.Order {
		if running(m) {
			continue
		}
		if err := b.checkEnvFile(set.Service(m)); err != nil {
			return reply, err
		}
		u, err := unitgen.Generate(set, set.Service(m), b.unitOptions())
		if err != nil {
			return reply, fmt.Errorf("start %s: %w", m, err)
		}
		if err := b.writeEnvFile(u); err != nil {
			return reply, fmt.Errorf("start %s: %w", m, err)
		}
		todo = append(todo, u)
	}
	jobs := make([]*jobdb.Job, len(todo))
	for i, u := range todo {
		svc := set.Service(u.Service)
		jobs[i] = &jobdb.Job{ServiceID: svc.Name, Context: svc.Context, Unit: u.Name, Phase: jobdb.PhasePending}
	}
	t.lap("units generated")
	if err := b.createJobs(ctx, jobs, mode.keepJobs); err != nil {
		return reply, fmt.Errorf("start %s: %w", strings.Join(names, " "), err)
	}
	t.lap("jobs created")
	for i, u := range todo {
		reply.Jobs[u.Service] = jobs[i].ID
		b.texts.remember(u)
		b.rec.Expect(u.Name, jobs[i].ID)
		if states[u.Name].LoadState == "loaded" {
			// systemd keeps an earlier run's unit (failed, or referenced by a loaded dependent).
			// Resetting it clears its failed state and systemd's start limit, which also counts
			// clean stops, as 'systemctl reset-failed' before 'systemctl start' would.
			b.resetFailed(ctx, u.Name)
		}
	}
	t.lap("expected")
	loaded := map[string]bool{}
	for _, u := range todo {
		loaded[u.Name] = states[u.Name].LoadState != "not-found"
	}
	q := b.queueStarts(ctx, set, todo, jobModeOf(mode.replace), loaded)
	t.lap("queued")
	r, err := b.collectStarts(ctx, todo, jobs, q, obs, reply, hardClosure(set, names))
	t.lap("collected")
	return r, err
}

// startStates reads systemd's state of every unit a start of names locks (its plan and what
// the plan's members conflict with) and returns them, by unit, with the test of whether a
// service runs.
func (b *Bridge) startStates(ctx context.Context, set *config.Set, names []string, plan graphs.StartPlan) (map[string]sddbus.UnitStatus, func(string) bool, error) {
	var units []string
	for _, m := range lockSet(set, plan.Order) {
		units = append(units, unitOf(set.Service(m)))
	}
	states, err := b.states(ctx, units)
	if err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", strings.Join(names, " "), err)
	}
	return states, func(s string) bool { return up(states[unitOf(set.Service(s))].ActiveState) }, nil
}

// createJobs creates a start's jobs: after pruning each service's ended jobs, in one
// transaction, or, with keep, keeping them (only the oldest beyond the ledger's cap go).
func (b *Bridge) createJobs(ctx context.Context, jobs []*jobdb.Job, keep bool) error {
	if !keep {
		_, err := b.ledger.PruneAndCreate(ctx, jobs...)
		return err
	}
	batch := &jobdb.Batch{Create: jobs, Trim: map[string]bool{}}
	for _, j := range jobs {
		batch.Trim[j.ServiceID] = true
	}
	return b.ledger.Apply(ctx, batch)
}

func jobModeOf(replace bool) string {
	if replace {
		return "replace"
	}
	return "fail"
}

// checkConflicts blocks a start when a service it would start conflicts with one that runs or
// that it would start too.
func checkConflicts(set *config.Set, order []string, running func(string) bool) error {
	starting := map[string]bool{}
	for _, m := range order {
		if !running(m) {
			starting[m] = true
		}
	}
	for _, m := range order {
		if !starting[m] {
			continue
		}
		for _, c := range set.Graph.Conflicts(m) {
			if running(c) || starting[c] {
				return &ConflictError{Service: m, Conflicting: c}
			}
		}
	}
	return nil
}

// startResult is one unit's start job's outcome.
type startResult struct {
	index  int
	result string // systemd's job result: done, failed, dependency, timeout, canceled, ...
	err    error  // the start could not be queued
}

// queueStarts queues every unit's start job, in order (dependencies first: a unit's Requires=
// must name loaded units), without waiting for any: the returned queue holds the starts it
// could not queue (out) and the jobs to await (waits, whose results come on ends). Units systemd has not loaded (loaded[name] false: every unit of a
// fresh start) are created by pipelined StartTransientUnit calls: all are sent before any reply
// is read, as systemd's own clients do, and systemd, which handles one connection's calls in
// order, sees each unit's dependencies first. A unit systemd still holds is started on its own
// (startUnit: its definition is checked first), after the replies of the calls before it. A
// unit whose start could not be queued makes its dependents fail as "dependency".
func (b *Bridge) queueStarts(ctx context.Context, set *config.Set, todo []*unitgen.Unit, mode string, loaded map[string]bool) *startQueue {
	q := &startQueue{b: b, ctx: ctx, set: set, mode: mode, out: make(chan startResult, len(todo)), refused: map[string]bool{},
		ends: make(chan jobEnd, len(todo)), stopForward: make(chan struct{}), slots: make(chan struct{}, queuedJobsMax)}
	closeWindow := b.jobs.open()
	defer closeWindow()
	for i, u := range todo {
		q.acquire()
		if !loaded[u.Name] {
			q.send(i, u)
			continue
		}
		q.readReplies()
		q.startOne(i, u)
	}
	q.readReplies()
	close(q.out)
	return q
}

// startQueue is one start's queue of start jobs (see queueStarts).
type startQueue struct {
	b         *Bridge
	ctx       context.Context
	set       *config.Set
	mode      string
	out       chan startResult // starts that could not be queued
	refused   map[string]bool  // services whose start could not be queued
	sent      []sentStart      // pipelined calls whose replies are not read yet
	lastReply time.Time        // when the last reply of a pipelined call came

	waits       []jobWait     // the queued start jobs
	waitOf      []int         // the index in todo of each of waits
	ends        chan jobEnd   // their results, by index in waits
	stopForward chan struct{} // closed when the await is over: forwarders of results give up
	slots       chan struct{} // one per unit whose start is queued and not over (see acquire)
}

// queuedJobsMax is how many of a start's jobs may be queued in systemd at once. systemd tracks
// the client of every job it queued from the system bus with a match rule on its own bus
// connection, and dbus-daemon allows a connection 512 (max_match_rules_per_connection). With
// 5,000 jobs queued by one start, dbus-daemon refused systemd those rules, systemd left the bus
// and came back, and every signal of that moment was lost.
const queuedJobsMax = 256

// slotWait bounds a wait for a queued job to end before the next is queued: should a job's
// end signal be lost, the start goes on over the limit rather than wait for it for ever.
const slotWait = 15 * time.Second

// acquire takes a slot for the next unit's start, once fewer than queuedJobsMax of the start's
// jobs are queued; the replies of the calls in flight are read first, so their jobs' ends free
// slots.
func (q *startQueue) acquire() {
	select {
	case q.slots <- struct{}{}:
		return
	default:
	}
	q.readReplies()
	t := time.NewTimer(slotWait)
	defer t.Stop()
	select {
	case q.slots <- struct{}{}:
	case <-t.C:
		q.b.log.Debug("start: a queued job did not end in time; queueing over the limit", "limit", queuedJobsMax)
	case <-q.ctx.Done():
	}
}

// release gives back a unit's slot: its job ended, or its start was not queued. It never blocks.
func (q *startQueue) release() {
	select {
	case <-q.slots:
	default:
	}
}

// deliverEnd hands a queued job's result to the await and frees its slot.
func (q *startQueue) deliverEnd(index int) func(string) {
	return func(result string) {
		q.ends <- jobEnd{index: index, result: result}
		q.release()
	}
}

// awaitJob adds the job of todo's unit i to the jobs to await.
func (q *startQueue) awaitJob(i int, unit string, job dbus.ObjectPath) int {
	q.waits = append(q.waits, jobWait{unit: unit, job: job, succeeded: up})
	q.waitOf = append(q.waitOf, i)
	return len(q.waits) - 1
}

type sentStart struct {
	index  int
	unit   *unitgen.Unit
	call   *dbus.Call
	cancel context.CancelFunc
	sent   time.Time
}

func (q *startQueue) blocked(u *unitgen.Unit) bool {
	for _, d := range q.set.Graph.Requires(u.Service) {
		if q.refused[d] {
			return true
		}
	}
	return false
}

// send makes a pipelined StartTransientUnit call.
func (q *startQueue) send(i int, u *unitgen.Unit) {
	if q.blocked(u) {
		q.refused[u.Service] = true
		q.out <- startResult{index: i, result: "dependency"}
		q.release()
		return
	}
	if len(q.sent) >= pipelineDepth {
		q.readReply(q.sent[0])
		q.sent = q.sent[1:]
	}
	// No deadline of its own: a reply waits behind those of the calls before it, so its deadline
	// runs from the last reply (readReply).
	cctx, cancel := context.WithCancel(q.ctx)
	call := q.b.sig.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1").GoWithContext(cctx,
		"org.freedesktop.systemd1.Manager.StartTransientUnit", 0, nil, u.Name, q.mode, u.Properties, []sddbus.PropertyCollection{})
	q.sent = append(q.sent, sentStart{index: i, unit: u, call: call, cancel: cancel, sent: time.Now()})
}

// readReplies reads the replies of the pipelined calls, in the order they were sent. A call
// that systemd refused because the unit exists (created meanwhile) or that systemd's re-exec
// cut off is made again on its own.
func (q *startQueue) readReplies() {
	for _, s := range q.sent {
		q.readReply(s)
	}
	q.sent = q.sent[:0]
}

// pipelineDepth is how many calls a start has in flight at most: the bus refuses more than
// max_replies_per_connection (128 on Debian's system bus) awaiting replies from one connection.
const pipelineDepth = 64

// readReply reads one pipelined call's reply. systemd answers a connection's calls in order, and
// with thousands of units starting it may take long to answer the last of 64: the call fails
// only when no reply at all came for callTimeout (since the previous reply, or since it was sent
// if later), not when its own wait was long.
func (q *startQueue) readReply(s sentStart) {
	since := s.sent
	if q.lastReply.After(since) {
		since = q.lastReply
	}
	deadline := time.NewTimer(time.Until(since.Add(callTimeout)))
	select {
	case <-s.call.Done:
	case <-deadline.C:
		s.cancel()
		<-s.call.Done
	}
	deadline.Stop()
	s.cancel()
	q.lastReply = time.Now()
	var job dbus.ObjectPath
	err := s.call.Err
	if err == nil {
		err = s.call.Store(&job)
	}
	switch {
	case err == nil:
		// Claimed here, inside the window: the job may have ended already.
		q.b.jobs.claim(job, q.deliverEnd(q.awaitJob(s.index, s.unit.Name, job)))
	case q.blocked(s.unit):
		// Its dependency's start failed first: systemd refused this one for it.
		q.refused[s.unit.Service] = true
		q.out <- startResult{index: s.index, result: "dependency"}
		q.release()
	case dbusErrorName(err) == errUnitExists || systemdGone(err):
		q.startOne(s.index, s.unit)
	default:
		q.refuse(s.index, s.unit, err)
	}
}

// startOne queues one unit's start and waits for its reply (startUnit).
func (q *startQueue) startOne(i int, u *unitgen.Unit) {
	if q.blocked(u) {
		q.refused[u.Service] = true
		q.out <- startResult{index: i, result: "dependency"}
		q.release()
		return
	}
	ch := make(chan string, 1) // buffered: go-systemd sends while holding a lock
	id, err := q.b.startUnit(q.ctx, u, q.mode, ch)
	if err != nil {
		q.refuse(i, u, err)
		return
	}
	index := q.awaitJob(i, u.Name, jobPath(id))
	go func() {
		forward(index, ch, q.ends, q.stopForward)
		q.release()
	}()
}

func (q *startQueue) refuse(i int, u *unitgen.Unit, err error) {
	q.release()
	q.refused[u.Service] = true
	if dbusErrorName(err) == errNoSuchUnit {
		err = fmt.Errorf("%w: %v", errDependencyGone, err)
	}
	q.out <- startResult{index: i, err: fmt.Errorf("start %s: %w", u.Name, err)}
}

// startUnit queues the start of the transient unit, or, when systemd still holds a unit object
// of that name (referenced by a loaded dependent, or created by a call whose reply was lost) with
// the same definition, of that unit. An older definition systemd holds is let go of when no
// running unit refers to it (its stopped holders are reset, and the unit created once systemd
// unloaded it); else the start fails with a StaleError naming the running holders.
func (b *Bridge) startUnit(ctx context.Context, u *unitgen.Unit, mode string, ch chan<- string) (int, error) {
	for attempt := 0; ; attempt++ {
		id, held, err := b.createUnit(ctx, u, mode, ch)
		if err != nil || held.LoadState != "loaded" {
			return id, err
		}
		if def := b.loadedDefinition(ctx, u.Name); def != u.Definition {
			// systemd holds an older definition of the unit. Once it is unloaded (as soon as no
			// loaded unit refers to it) the new one can be created: stopped holders are reset;
			// running ones must be restarted (restartHolders).
			heldBy, heldUnits := b.releaseHolders(ctx, u.Name)
			if len(heldBy) == 0 && attempt < 3 && b.waitUnloaded(ctx, u.Name) {
				continue
			}
			return 0, &StaleError{Service: u.Service, Unit: u.Name, HeldBy: heldBy, heldUnits: heldUnits}
		}
		// StartUnit joins a start already queued, and is done at once for an active unit.
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		id, err = b.conn.StartUnitContext(cctx, u.Name, mode, ch)
		cancel()
		return id, err
	}
}

// unitExistsWait bounds how long a start waits for a unit of the same name that systemd is
// still stopping or collecting to settle.
const unitExistsWait = time.Second

// createUnit creates the transient unit and queues its start. When systemd still holds a unit of
// that name (UnitExists), it returns that unit's state once it is loaded and not stopping; one
// on its way out (stopping, or being collected) is waited for and the unit created again.
func (b *Bridge) createUnit(ctx context.Context, u *unitgen.Unit, mode string, ch chan<- string) (id int, held sddbus.UnitStatus, err error) {
	var last sddbus.UnitStatus
	werr := poll.Until(ctx, unitExistsWait, settlePoll, func() (bool, error) {
		id, err = b.startTransient(ctx, u, mode, ch)
		if dbusErrorName(err) != errUnitExists {
			return true, nil
		}
		st, serr := b.states(ctx, []string{u.Name})
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
		return 0, held, fmt.Errorf("unit %s exists in state %s/%s: %w", u.Name, last.ActiveState, last.SubState, werr)
	}
	return id, held, err
}

// startTransient makes the StartTransientUnit call. A call cut off by systemd re-executing
// itself (daemon-reexec), or not answered in time by a systemd busy with thousands of jobs, is
// made again once systemd answers (a unit the first call created after all is then UnitExists).
func (b *Bridge) startTransient(ctx context.Context, u *unitgen.Unit, mode string, ch chan<- string) (int, error) {
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		id, err := b.conn.StartTransientUnitContext(cctx, u.Name, mode, u.Properties, ch)
		cancel()
		if err == nil || attempt == 3 || !systemdGone(err) && !(errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil) {
			return id, err
		}
		if werr := b.waitForSystemd(ctx); werr != nil {
			return 0, err
		}
	}
}

// loadedDefinition reads the definition digest of a loaded unit ("" if it has none).
func (b *Bridge) loadedDefinition(ctx context.Context, unit string) string {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	p, err := b.conn.GetUnitTypePropertyContext(ctx, unit, "Service", "Environment")
	if err != nil {
		return ""
	}
	env, _ := p.Value.Value().([]string)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, unitgen.DefinitionVar+"="); ok {
			return v
		}
	}
	return ""
}

// waitUnloaded resets a stopped unit and waits (at most unloadWait) for systemd to unload it,
// which it does once no loaded unit refers to it. It reports whether the unit is gone.
func (b *Bridge) waitUnloaded(ctx context.Context, unit string) bool {
	b.resetFailed(ctx, unit)
	var s sddbus.UnitStatus
	errUp := errors.New("the unit runs")
	err := poll.Until(ctx, unloadWait, settlePoll, func() (bool, error) {
		st, err := b.states(ctx, []string{unit})
		if err != nil {
			return false, err
		}
		if s = st[unit]; up(s.ActiveState) {
			return false, errUp
		}
		return s.LoadState == "not-found", nil
	})
	if err != nil {
		b.log.Info("systemd keeps a unit of an older definition loaded", "unit", unit, "load", s.LoadState, "active", s.ActiveState, "err", err)
	}
	return err == nil
}

// unloadWait bounds the wait for systemd to unload a unit no loaded unit refers to any more, and
// settlePoll is how often a unit's state is looked at meanwhile.
const (
	unloadWait = 2 * time.Second
	settlePoll = 20 * time.Millisecond
)

// systemdGone reports an error of a call systemd never answered because it went away for a
// moment (daemon-reexec): the bus tells the caller so by the error's name.
func systemdGone(err error) bool {
	switch dbusErrorName(err) {
	case errNoReply, errServiceUnknown, errDisconnected:
		return true
	}
	return false
}

// waitForSystemd waits (up to a minute) until systemd answers calls again.
func (b *Bridge) waitForSystemd(ctx context.Context) error {
	var last error
	err := poll.Until(ctx, time.Minute, 100*time.Millisecond, func() (bool, error) {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, last = b.conn.ListUnitsByNamesContext(cctx, []string{"init.scope"})
		cancel()
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("systemd does not answer (%v): %w", last, err)
	}
	return nil
}

// attachWait bounds how long a start waits for the recorder to see a run systemd reported
// started, before reading the unit itself.
const attachWait = 3 * time.Second

// collectStarts reports each start job's result as it comes (awaitJobs: a job whose signal
// does not come is settled from its unit's state), then waits until the ledger holds every
// started run.
func (b *Bridge) collectStarts(ctx context.Context, todo []*unitgen.Unit, jobs []*jobdb.Job, q *startQueue, obs Observer, reply StartReply, hard map[string]bool) (StartReply, error) {
	c := &startCollector{b: b, ctx: ctx, todo: todo, jobs: jobs, obs: obs, reply: reply, seen: make([]bool, len(todo)), hard: hard}
	for r := range q.out {
		c.take(r)
	}
	err := b.awaitJobs(ctx, q.waits, q.ends, func(e jobEnd) { c.take(startResult{index: q.waitOf[e.index], result: e.result}) })
	close(q.stopForward)
	b.jobs.release(q.waits)
	for i, seen := range c.seen {
		if !seen && err != nil {
			c.take(startResult{index: i, err: fmt.Errorf("start %s: %w", todo[i].Name, err)})
		}
	}
	c.settleDoubtful()
	b.log.Debug("start jobs done", "units", len(todo))
	// The reply says the runs are recorded: wait for their signals, or read the units.
	b.rec.AwaitRecorded(ctx, attachWait, c.startedUnits, recording.Attached)
	reply = c.reply
	orderBy(reply.Started, todo)
	if c.firstErr != nil {
		var se *StartError
		if errors.As(c.firstErr, &se) {
			se.Started = reply.Started
		}
		return reply, c.firstErr
	}
	return reply, nil
}

// requirementWentDown reports whether a start job systemd cancelled was cancelled because a
// requirement of the service is down; if so its job is settled (a run that never began is
// closed as not started; one that began is recorded by its own end).
func (b *Bridge) requirementWentDown(ctx context.Context, u *unitgen.Unit, job *jobdb.Job) bool {
	if len(b.downServices(ctx, b.Config().Graph.RequiresClosure(u.Service))) == 0 {
		return false
	}
	if !b.rec.WaitUntil(ctx, time.Second, []string{u.Name}, func(v *recording.View) bool { return v.Pending() != job.ID }) {
		b.rec.NotStarted(u.Name, job.ID, "dependency")
	}
	return true
}

// startCollector gathers a start's job results into its reply.
type startCollector struct {
	b            *Bridge
	ctx          context.Context
	todo         []*unitgen.Unit
	jobs         []*jobdb.Job
	obs          Observer
	reply        StartReply
	seen         []bool
	startedUnits []string
	doubtful     []startResult   // canceled, or failed for a dependency: see settleDoubtful
	hard         map[string]bool // what was asked for and what it requires: the rest is only wanted
	firstErr     error
}

// take reports one unit's start result, once.
func (c *startCollector) take(r startResult) {
	if c.seen[r.index] {
		return
	}
	c.seen[r.index] = true
	u, job := c.todo[r.index], c.jobs[r.index]
	if r.err == nil && r.result == "done" {
		c.reply.Started = append(c.reply.Started, u.Service)
		c.startedUnits = append(c.startedUnits, u.Name)
		c.obs.report(Progress{Service: u.Service, Event: "started", JobID: job.ID})
		return
	}
	err := r.err
	if errors.Is(err, errDependencyGone) {
		c.b.rec.NotStarted(u.Name, job.ID, "dependency")
		c.reply.vanished = append(c.reply.vanished, u.Service)
		return
	}
	if err == nil && (r.result == "canceled" || r.result == "dependency") {
		c.doubtful = append(c.doubtful, r) // decided once every result is in (settleDoubtful)
		return
	}
	c.fail(r)
}

// settleDoubtful decides the starts systemd cancelled or failed for a dependency, once every
// result of the start is in (they come in any order). When a requirement this start was starting
// failed to start, they failed with it. When a requirement went down meanwhile (a kill or a
// crash takes no lock: BindsTo= replaced the start with a stop, or systemd failed it as a
// dependency), the service is started once more, with that requirement.
func (c *startCollector) settleDoubtful() {
	failed := map[string]bool{}
	for _, s := range c.reply.Failed {
		failed[s] = true
	}
	for _, r := range c.doubtful {
		u, job := c.todo[r.index], c.jobs[r.index]
		ownFailure := slices.ContainsFunc(c.b.Config().Graph.RequiresClosure(u.Service), func(q string) bool { return failed[q] })
		if !ownFailure && c.b.requirementWentDown(c.ctx, u, job) {
			c.reply.vanished = append(c.reply.vanished, u.Service)
			continue
		}
		c.fail(r)
	}
}

// fail reports a unit whose start did not succeed.
func (c *startCollector) fail(r startResult) {
	u, job, err := c.todo[r.index], c.jobs[r.index], r.err
	c.reply.Failed = append(c.reply.Failed, u.Service)
	if err == nil {
		err = c.b.startFailure(c.ctx, u, job, r.result)
	} else {
		c.b.rec.NotStarted(u.Name, job.ID, "refused")
	}
	c.obs.report(Progress{Service: u.Service, Event: "failed", JobID: job.ID, Err: err})
	if !c.hard[u.Service] {
		// Only wanted: what wants it starts without it (systemd's Wants=). The warning goes to
		// every user (the operation's summary): how the run ended, never what it wrote.
		public := err
		var se *StartError
		if errors.As(err, &se) {
			public = se.Public()
		}
		first, _, _ := strings.Cut(public.Error(), "\n")
		c.reply.Warnings = append(c.reply.Warnings, fmt.Sprintf("%s, a soft dependency (wants), failed to start; started without it: %s", u.Service, first))
		return
	}
	if c.firstErr == nil || r.result != "dependency" && isDependency(c.firstErr) {
		c.firstErr = err
	}
}

func isDependency(err error) bool {
	var se *StartError
	return errors.As(err, &se) && se.JobResult == "dependency"
}

// orderBy sorts names into the order of todo (start order).
func orderBy(names []string, todo []*unitgen.Unit) {
	pos := map[string]int{}
	for i, u := range todo {
		pos[u.Service] = i
	}
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && pos[names[j]] < pos[names[j-1]]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
}

// startFailure records and explains a start job that did not succeed: if systemd began the run,
// how it ended (with the health check's last words and the service's last lines); if not, why.
func (b *Bridge) startFailure(ctx context.Context, u *unitgen.Unit, job *jobdb.Job, result string) error {
	se := &StartError{Service: u.Service, JobResult: result}
	// A job that failed for its dependency never began a run: no need to wait for one.
	began := result != "dependency" && b.rec.WaitUntil(ctx, time.Second, []string{u.Name}, func(v *recording.View) bool { return v.Pending() != job.ID })
	if !began {
		if v := b.rec.Info(u.Name); v.LimitHit || result == "failed" && b.limitHit(ctx, u.Name, job.StartedAt) {
			result = "start-limit-hit"
		}
		b.rec.NotStarted(u.Name, job.ID, result)
		b.rec.WaitUntil(ctx, time.Second, []string{u.Name}, func(v *recording.View) bool { return true })
	} else {
		b.rec.AwaitRecorded(ctx, attachWait, []string{u.Name}, func(v *recording.View) bool { return v.Ended() })
	}
	if j, err := b.ledger.Get(ctx, job.ID); err == nil {
		j.Output = nil
		se.Job = j
		if j.InvocationID != "" {
			// The run's last words may still be in journald's stream of the unit: wait (a
			// little: the unit may be running again) until journald wrote them.
			sctx, cancel := context.WithTimeout(ctx, lastWordsWait)
			if err := b.jrnl.Sync(sctx, []string{u.Name}); err != nil {
				b.log.Debug("the failed run's last words may be incomplete", "unit", u.Name, "err", err)
			}
			cancel()
			se.Health, se.Lines, se.HealthTimeout = b.lastWords(ctx, j)
		}
		if j.ExitCode != nil && *j.ExitCode == exitExec {
			se.Reason = b.execFailure(ctx, u.Name, job.StartedAt)
		}
	}
	return se
}

// limitHit asks the journal whether systemd refused a start of the unit since then for its start
// limit (systemd 252 says so only in its log; the unit's Result keeps the last run's).
func (b *Bridge) limitHit(ctx context.Context, unit string, since time.Time) bool {
	entries, err := b.jrnl.Lines(ctx, []string{unit}, since, time.Time{}, 20)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.Contains(e.Fields["MESSAGE"], "Start request repeated too quickly") {
			return true
		}
	}
	return false
}

// lastWordsWait bounds the wait for journald to write a failed run's last output before a
// start's error quotes it (short: the unit may be running again, its stream open).
const lastWordsWait = 3 * time.Second

// execReasonWait bounds the wait for systemd's reason of a 203/EXEC to be in the journal: it is
// always written, and the wait ends as soon as it is; on a loaded 2-core machine journald wrote
// it more than 3 s after the failure was known.
const execReasonWait = 10 * time.Second

// lastWords returns a failed run's health check lines (when it gave up) and the service's own
// last lines, from the journal.
func (b *Bridge) lastWords(ctx context.Context, j *jobdb.Job) (health, own []string, timedOut bool) {
	entries, err := b.jrnl.Lines(ctx, []string{j.Unit}, j.StartedAt.Add(-time.Second), time.Time{}, recording.TailLines)
	if err != nil {
		return nil, nil, false
	}
	healthID := unitgen.HealthIdentifier(j.ServiceID)
	gaveUp := false
	for _, e := range recording.RunLines(entries, j, b.rec.Fields()) {
		switch msg := e.Fields["MESSAGE"]; e.Fields["SYSLOG_IDENTIFIER"] {
		case healthID:
			timedOut = timedOut || strings.HasPrefix(msg, unitgen.HealthGaveUp)
			gaveUp = gaveUp || timedOut || strings.HasPrefix(msg, execspec.HealthMainExited)
			if gaveUp {
				health = append(health, msg)
			}
		case j.ServiceID:
			own = append(own, e.Fields["MESSAGE"])
		}
	}
	if len(own) > 10 {
		own = own[len(own)-10:]
	}
	return health, own, timedOut
}

// execFailure returns systemd's own words on why it could not execute the unit's program
// (Failed to locate executable ..., Failed at step EXEC ...), read from its log since then.
// systemd's forked child logs it just before it exits, and journald may write it after the
// unit's failure is known: it is looked for until execReasonWait has passed.
func (b *Bridge) execFailure(ctx context.Context, unit string, since time.Time) string {
	reason := ""
	_ = poll.Until(ctx, execReasonWait, 100*time.Millisecond, func() (bool, error) {
		entries, err := b.jrnl.Lines(ctx, []string{unit}, since.Add(-time.Second), time.Time{}, 50)
		if err != nil {
			return false, err
		}
		for i := len(entries) - 1; i >= 0; i-- {
			msg := entries[i].Fields["MESSAGE"]
			if strings.Contains(msg, "executable") || strings.Contains(msg, "step EXEC") {
				reason = strings.TrimPrefix(msg, unit+": ")
				return true, nil
			}
		}
		return false, nil
	})
	return reason
}
