package recording

import (
	"context"
	"log/slog"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// World is all a Recorder needs of the world: the ledger, systemd's journal and units, and
// where its events go. It does not know the bridge that uses it.
type World struct {
	Ledger   jobdb.Ledger
	Journal  journal.Journal
	Units    UnitReader
	Emit     func(Event) // called after the change is in the ledger
	Log      *slog.Logger
	BootID   string // this boot's ID
	User     bool   // the units run in a user's manager (journal fields differ)
	LimitHit func(ctx context.Context, unit string, since time.Time) bool
}

// UnitReader reads hero's units from systemd.
type UnitReader interface {
	// Snapshot reads a unit's current (or last) run from its properties.
	Snapshot(ctx context.Context, unit string) (Snapshot, error)
	// States reads the load, active and sub states of units (not loaded: LoadState "not-found").
	States(ctx context.Context, units []string) (map[string]sddbus.UnitStatus, error)
	// HeroUnits lists the loaded units whose names hero owns.
	HeroUnits(ctx context.Context) ([]sddbus.UnitStatus, error)
}
