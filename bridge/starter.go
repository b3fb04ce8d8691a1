package bridge

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// starter starts services whose locks its caller holds: each a fresh transient unit (or the
// unit systemd still holds of it), all of a start's start jobs queued at once, dependencies
// first. systemd's After= ordering makes each unit wait for its dependencies, as for
// 'systemctl start' of a leaf; the starter then waits once for every job's result, and until
// the recorder has each started run in the ledger.
type starter struct {
	svc    *services
	sd     *systemd.Client
	ledger jobdb.Ledger
	rec    *recording.Recorder
	env    *envFiles
	texts  *unitTexts
	post   *postmortem
	log    *slog.Logger
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

// jobMode is systemd's job mode of the start.
func (m startMode) jobMode() string {
	if m.replace {
		return "replace"
	}
	return "fail"
}

// requirementsUp refuses herod's revival (mode.only) when a member of its plan it may not start
// is not active.
func requirementsUp(set *config.Set, plan graphs.StartPlan, mode startMode, states map[string]systemd.UnitStatus) error {
	if mode.only == nil {
		return nil
	}
	for _, m := range plan.Order {
		if u := states[unitOf(set.Service(m))]; !mode.only[m] && (u.ActiveState != "active" || u.SubState == "auto-restart") {
			return fmt.Errorf("%w: %s", errRequirementDown, m)
		}
	}
	return nil
}

// states reads systemd's state of every unit a start of plan locks (its members and what they
// conflict with) and returns them, by unit, with the test of whether a service runs.
func (s *starter) states(ctx context.Context, set *config.Set, plan graphs.StartPlan) (map[string]systemd.UnitStatus, func(string) bool, error) {
	states, err := s.sd.States(ctx, unitsOf(set, lockSet(set, plan.Order)))
	if err != nil {
		return nil, nil, err
	}
	return states, func(sv string) bool { return state.Up(states[unitOf(set.Service(sv))].ActiveState) }, nil
}

// units generates the units of the members of plan that do not run, and writes their
// environment files; a service whose env_file fails its check refuses the start.
func (s *starter) units(set *config.Set, plan graphs.StartPlan, running func(string) bool) ([]*unitgen.Unit, error) {
	var todo []*unitgen.Unit
	for _, m := range plan.Order {
		if running(m) {
			continue
		}
		if err := s.env.refuse(set.Service(m)); err != nil {
			return nil, err
		}
		u, err := s.svc.unit(set, set.Service(m))
		if err != nil {
			return nil, fmt.Errorf("the unit of %s: %w", m, err)
		}
		if err := s.env.write(u); err != nil {
			return nil, err
		}
		todo = append(todo, u)
	}
	return todo, nil
}

// register creates the jobs of the units to start in the ledger (reply names them), tells the
// recorder each unit's next run is its job's, and resets the units systemd still holds.
func (s *starter) register(ctx context.Context, set *config.Set, todo []*unitgen.Unit, states map[string]systemd.UnitStatus, mode startMode, reply *StartReply) ([]*jobdb.Job, error) {
	jobs := make([]*jobdb.Job, len(todo))
	for i, u := range todo {
		svc := set.Service(u.Service)
		jobs[i] = &jobdb.Job{ServiceID: svc.Name, Context: svc.Context, Unit: u.Name, Phase: jobdb.PhasePending}
	}
	if err := s.createJobs(ctx, jobs, mode.keepJobs); err != nil {
		return nil, err
	}
	for i, u := range todo {
		reply.Jobs[u.Service] = jobs[i].ID
		s.texts.remember(u)
		s.rec.Expect(u.Name, jobs[i].ID)
		if states[u.Name].LoadState == "loaded" {
			// systemd keeps an earlier run's unit (failed, or referenced by a loaded dependent).
			// Resetting it clears its failed state and systemd's start limit, which also counts
			// clean stops, as 'systemctl reset-failed' before 'systemctl start' would.
			s.sd.ResetFailed(ctx, u.Name)
		}
	}
	return jobs, nil
}

// createJobs creates a start's jobs: after pruning each service's ended jobs, in one
// transaction, or, with keep, keeping them (only the oldest beyond the ledger's cap go).
func (s *starter) createJobs(ctx context.Context, jobs []*jobdb.Job, keep bool) error {
	if !keep {
		_, err := s.ledger.PruneAndCreate(ctx, jobs...)
		return err
	}
	batch := &jobdb.Batch{Create: jobs, Trim: map[string]bool{}}
	for _, j := range jobs {
		batch.Trim[j.ServiceID] = true
	}
	return s.ledger.Apply(ctx, batch)
}

// downServices returns the services of reqs whose units are not active (failed, stopped, or
// on their way back), as a set.
func downServices(ctx context.Context, sd *systemd.Client, set *config.Set, reqs []string) map[string]bool {
	var defined []string
	for _, q := range reqs {
		if set.Service(q) != nil {
			defined = append(defined, q)
		}
	}
	out := map[string]bool{}
	st, err := sd.States(ctx, unitsOf(set, defined))
	if err != nil {
		return out
	}
	for _, q := range defined {
		if u := st[unitOf(set.Service(q))]; u.ActiveState != "active" || u.SubState == "auto-restart" {
			out[q] = true
		}
	}
	return out
}
