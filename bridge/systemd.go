package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// callTimeout bounds each D-Bus call into systemd (waiting for a job's result is bounded by the
// caller's ctx instead).
const callTimeout = 15 * time.Second

// systemd's D-Bus error names the bridge acts on.
const (
	errUnitExists = "org.freedesktop.systemd1.UnitExists"
	errNoSuchUnit = "org.freedesktop.systemd1.NoSuchUnit"
	// errInvalidArgs is the name sd-bus gives EINVAL. KillUnit of a valid signal says it only when
	// signalling the unit's other processes failed (unit_kill_common: systemd signals the control
	// and main processes first, and reports cg_kill_recursive's error, "Failed to send signal
	// SIG... to auxiliary processes: Invalid argument", only when those went well; kill(2) of a
	// process fails with EINVAL for an invalid signal alone, which systemd refuses before).
	errInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs"
	// The bus's own errors for a call its recipient never answered: it left the bus without
	// replying (dbus-daemon's NoReply, "Message recipient disconnected from message bus without
	// replying"), is not on it (ServiceUnknown), or the bus connection broke (Disconnected).
	errNoReply        = "org.freedesktop.DBus.Error.NoReply"
	errServiceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
	errDisconnected   = "org.freedesktop.DBus.Error.Disconnected"
)

func dbusErrorName(err error) string {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	var dep *dbus.Error
	if errors.As(err, &dep) {
		return dep.Name
	}
	return ""
}

// up reports whether a unit in this ActiveState counts as running.
func up(active string) bool { return state.Up(active) }

// hasProcesses reports whether a unit in this ActiveState may still have processes to stop or
// signal: up, or on its way down.
func hasProcesses(active string) bool { return up(active) || active == "deactivating" }

// states returns the load/active/sub states of units in one call. Units systemd has not loaded
// are reported with LoadState "not-found" and ActiveState "inactive". It reads loaded units
// only (see loadedStates): ListUnitsByNames would load a not-found stub of each unit it is
// asked about, which stays until systemd's next garbage collection and makes a start that
// Requires= that name meanwhile fail.
//
// Many names are read with one pattern, hero's prefix: systemd matches every loaded unit against
// every pattern it is given, so N names among N units would cost N² matches (1.5 s at 5,000).
func (b *Bridge) states(ctx context.Context, units []string) (map[string]sddbus.UnitStatus, error) {
	if len(units) <= fewPatterns || !allHero(units) {
		return b.loadedStates(ctx, units)
	}
	lctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	list, err := b.conn.ListUnitsByPatternsContext(lctx, nil, []string{unitgen.Prefix + "-*"})
	if err != nil {
		return nil, fmt.Errorf("list hero's loaded units: %w", err)
	}
	return pick(list, units), nil
}

// pick returns the states of units from list; a unit list does not hold is not loaded.
func pick(list []sddbus.UnitStatus, units []string) map[string]sddbus.UnitStatus {
	want := make(map[string]bool, len(units))
	for _, u := range units {
		want[u] = true
	}
	out := make(map[string]sddbus.UnitStatus, len(units))
	for _, st := range list {
		if want[st.Name] {
			out[st.Name] = st
		}
	}
	for _, u := range units {
		if _, ok := out[u]; !ok {
			out[u] = notLoaded(u)
		}
	}
	return out
}

// fewPatterns is how many unit names states passes to systemd as patterns of their own.
const fewPatterns = 16

// allHero reports whether every unit's name has hero's prefix.
func allHero(units []string) bool {
	for _, u := range units {
		if !strings.HasPrefix(u, unitgen.Prefix+"-") {
			return false
		}
	}
	return true
}

// unitStates reads units' states with list, one call for all; a unit list does not return is
// not loaded.
func unitStates(ctx context.Context, units []string, what string, list func(context.Context, []string) ([]sddbus.UnitStatus, error)) (map[string]sddbus.UnitStatus, error) {
	out := make(map[string]sddbus.UnitStatus, len(units))
	if len(units) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	got, err := list(ctx, units)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	for _, u := range got {
		out[u.Name] = u
	}
	for _, u := range units {
		if _, ok := out[u]; !ok {
			out[u] = notLoaded(u)
		}
	}
	return out, nil
}

// heroUnits lists the service units systemd has loaded whose names hero owns.
func (b *Bridge) heroUnits(ctx context.Context) ([]sddbus.UnitStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	list, err := b.conn.ListUnitsByPatternsContext(ctx, nil, []string{unitgen.Prefix + "-*.service"})
	if err != nil {
		return nil, fmt.Errorf("list hero units: %w", err)
	}
	var out []sddbus.UnitStatus
	for _, u := range list {
		if _, _, ok := unitgen.ParseUnitName(u.Name); ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// snapshot reads a unit's current run from its properties: what the recorder otherwise learns
// from signals.
func (b *Bridge) snapshot(ctx context.Context, unit string) (recording.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var s recording.Snapshot
	props, err := b.conn.GetUnitPropertiesContext(ctx, unit)
	if err != nil {
		return s, fmt.Errorf("properties of %s: %w", unit, err)
	}
	s.SetLoaded(props["LoadState"] == "loaded")
	s.SetUnit(props)
	if !s.Loaded() {
		return s, nil
	}
	sp, err := b.conn.GetUnitTypePropertiesContext(ctx, unit, "Service")
	if err != nil {
		return s, fmt.Errorf("service properties of %s: %w", unit, err)
	}
	s.SetService(sp)
	return s, nil
}

func (b *Bridge) resetFailed(ctx context.Context, unit string) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_ = b.conn.ResetFailedUnitContext(ctx, unit) // NoSuchUnit: nothing to reset
}

// unitsOf is what the recorder reads of systemd, through the bridge's calls.
type unitsOf struct{ b *Bridge }

func (u unitsOf) Snapshot(ctx context.Context, unit string) (recording.Snapshot, error) {
	return u.b.snapshot(ctx, unit)
}

func (u unitsOf) States(ctx context.Context, units []string) (map[string]sddbus.UnitStatus, error) {
	return u.b.states(ctx, units)
}

func (u unitsOf) HeroUnits(ctx context.Context) ([]sddbus.UnitStatus, error) {
	return u.b.heroUnits(ctx)
}
