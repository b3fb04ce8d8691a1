package bridge

import (
	"context"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
)

// Statuses returns the status of each named service as Status does, but not their main
// process (MainPID is 0): for readers that read often, such as herod's object tree.
func (b *Bridge) Statuses(ctx context.Context, names []string) ([]Status, error) {
	for _, n := range names {
		if _, err := b.service(n); err != nil {
			return nil, err
		}
	}
	return b.statusesFrom(ctx, names, b.states, false) // loaded units only, many in one pattern
}

// loadedStates is states for loaded units only. systemd matches the patterns with fnmatch
// without escapes (FNM_NOESCAPE), and hero's unit names hold none of *?[, so each name matches
// only itself.
func (b *Bridge) loadedStates(ctx context.Context, units []string) (map[string]sddbus.UnitStatus, error) {
	return unitStates(ctx, units, "list loaded units", func(ctx context.Context, patterns []string) ([]sddbus.UnitStatus, error) {
		return b.conn.ListUnitsByPatternsContext(ctx, nil, patterns)
	})
}

// notLoaded is the state of a unit systemd has not loaded.
func notLoaded(unit string) sddbus.UnitStatus {
	return sddbus.UnitStatus{Name: unit, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"}
}
