package bridge

import (
	"log/slog"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// operations are what a caller asks of hero's services that changes them: start, stop, restart,
// reload, kill, reset-failed, apply, and the checks that go before them. Each works out its
// plan from the services' graph, takes the locks of every service the plan involves (all at
// once, or it waits), does its steps (starter, stopper) and names its error once (failed).
type operations struct {
	svc     *services
	sd      *systemd.Client
	ledger  jobdb.Ledger
	rec     *recording.Recorder
	locks   *locks
	env     *envFiles
	starter *starter
	stopper *stopper
	planner *planner
	waits   *waitBook
	pending *applyPending
	events  *events
	log     *slog.Logger
}
