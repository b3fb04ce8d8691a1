package daemon

import (
	"context"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// engine is what herod asks of the layer that runs services: the bridge to systemd in herod
// (*bridge.Bridge), a stand-in in this package's tests of the D-Bus API. Every method's
// semantics are the bridge's (see its doc comments).
type engine interface {
	Config() *config.Set
	SetConfig(set *config.Set)
	OnEvent(fn func(bridge.Event))
	Close()

	PrecheckStart(ctx context.Context, names []string) (bridge.StartCheck, error)
	Start(ctx context.Context, names []string, replace bool, obs bridge.Observer) (bridge.StartReply, error)
	PrecheckStop(ctx context.Context, name string) ([]string, error)
	Stop(ctx context.Context, name string, removeJobs bool, obs bridge.Observer) (bridge.StopReply, error)
	Restart(ctx context.Context, name string, obs bridge.Observer) (bridge.RestartReply, error)
	PrecheckReload(ctx context.Context, name string) error
	Reload(ctx context.Context, name string, obs bridge.Observer) error
	Kill(ctx context.Context, name string, signal int) error
	ResetFailed(ctx context.Context, name string) error
	PlanApply(ctx context.Context, next *config.Set) (plan.Apply, error)
	Apply(ctx context.Context, next *config.Set, planned func(plan.Apply), obs bridge.Observer) (plan.Apply, error)
	SweepEnvFiles(ctx context.Context) error

	Status(ctx context.Context, name string) (bridge.Status, error)
	Statuses(ctx context.Context, names []string) ([]bridge.Status, error)
	StatusesWithJobs(ctx context.Context, names []string, jobs map[string][]jobdb.Job) ([]bridge.Status, error)
	List(ctx context.Context) ([]bridge.Status, error)
	Stale(ctx context.Context, st bridge.Status) bool
	Jobs(ctx context.Context, name string) ([]jobdb.Job, error)
	Output(ctx context.Context, name string, id int64, limit int) (*jobdb.Job, []bridge.LogLine, error)
	UnitText(ctx context.Context, name string) (bridge.UnitText, error)
}

var _ engine = (*bridge.Bridge)(nil)
