package bridge

import (
	"context"
	"fmt"
	"sort"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// Reconcile brings the ledger in line with systemd, for runs that changed while nobody watched
// (the bridge was stopped or killed, a service crashed or exited): every running job whose unit is
// no longer up is recorded as ended, from its exit record and output file; restarts are counted;
// and a hero unit that runs without a job (started by hand, or before the ledger existed) gets one.
func (b *Bridge) Reconcile(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reconcileFull(ctx, nil, true, nil)
}

// reconcile records the ends of runs of the services in only (all when nil). b.mu must be held.
func (b *Bridge) reconcile(ctx context.Context, only map[string]bool) error {
	return b.reconcileFull(ctx, only, false, nil)
}

// reconcileFull also refreshes running jobs (restarts, invocation, phase) when refresh is set;
// start and stop skip that to keep their D-Bus calls few.
// known holds unit states the caller already fetched; units it lacks are queried.
func (b *Bridge) reconcileFull(ctx context.Context, only map[string]bool, refresh bool, known map[string]sddbus.UnitStatus) error {
	active, err := b.ledger.Active(ctx)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	sort.Slice(active, func(i, j int) bool { return active[i].ID > active[j].ID }) // newest first
	set := b.Config()
	var units []string
	unitSeen := map[string]bool{}
	addUnit := func(u string) {
		if !unitSeen[u] {
			unitSeen[u] = true
			units = append(units, u)
		}
	}
	for _, j := range active {
		if only == nil || only[j.ServiceID] {
			addUnit(j.Unit)
		}
	}
	for _, s := range set.Services {
		if only == nil || only[s.Name] {
			addUnit(unitgen.UnitName(s.Context, s.Name))
		}
	}
	if len(units) == 0 {
		return nil
	}
	states := known
	var missing []string
	for _, u := range units {
		if _, ok := known[u]; !ok {
			missing = append(missing, u)
		}
	}
	if len(missing) > 0 {
		fetched, err := b.states(ctx, missing)
		if err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		if states == nil {
			states = fetched
		} else {
			for k, v := range fetched {
				states[k] = v
			}
		}
	}
	now := time.Now().UTC()
	changes := map[int64]func(*jobdb.Job) error{}
	var finished []jobdb.Job
	tracked := map[string]bool{}
	for _, j := range active {
		if only != nil && !only[j.ServiceID] {
			continue
		}
		st := states[j.Unit]
		if up(st.ActiveState) && !tracked[j.ServiceID] {
			tracked[j.ServiceID] = true
			// Read the unit's properties only when there is something to record: a job started
			// without them, or one systemd is restarting. An idle daemon stays cheap.
			restarting := st.SubState == "auto-restart" || j.Phase == jobdb.PhaseRetrying
			if !refresh || (j.InvocationID != "" && !restarting) {
				continue
			}
			if ri, err := b.runInfo(ctx, j.Unit); err == nil {
				phase := jobdb.PhaseRunning
				if st.SubState == "auto-restart" {
					phase = jobdb.PhaseRetrying
				}
				if phase != j.Phase || ri.restarts != j.Restarts || (ri.invocationID != "" && ri.invocationID != j.InvocationID) {
					changes[j.ID] = func(jj *jobdb.Job) error {
						jj.Phase, jj.Restarts = phase, max(jj.Restarts, ri.restarts)
						if ri.invocationID != "" {
							jj.InvocationID, jj.MainPID = ri.invocationID, ri.mainPID
						}
						return nil
					}
				}
			}
			continue
		}
		var ri runInfo
		if st.LoadState == "loaded" {
			ri, _ = b.runInfo(ctx, j.Unit)
		}
		changes[j.ID] = b.finish(j.ServiceID, ri, false, now)
		finished = append(finished, j)
	}
	// Adopt running hero units the ledger does not know.
	for _, s := range set.Services {
		if only != nil && !only[s.Name] || tracked[s.Name] {
			continue
		}
		unit := unitgen.UnitName(s.Context, s.Name)
		if !up(states[unit].ActiveState) {
			continue
		}
		ri, _ := b.runInfo(ctx, unit)
		j := &jobdb.Job{ServiceID: s.Name, Context: s.Context, Unit: unit, Phase: jobdb.PhaseRunning,
			InvocationID: ri.invocationID, MainPID: ri.mainPID, Restarts: ri.restarts}
		if err := b.ledger.Create(ctx, j); err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		b.log.Info("adopted running unit", "service", s.Name, "unit", unit, "job", j.ID)
	}
	if err := b.ledger.UpdateAll(ctx, changes); err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	for _, j := range finished {
		b.log.Info("recorded the end of a run", "service", j.ServiceID, "job", j.ID)
		b.emit(Event{Kind: "job-finished", Service: j.ServiceID, JobID: j.ID})
	}
	return nil
}
