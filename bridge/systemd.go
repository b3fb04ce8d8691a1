package bridge

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

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

// internedMax bounds the distinct words intern shares; past it, words are copied.
const internedMax = 1024

var (
	internMu sync.Mutex
	interned = map[string]string{}
)

// intern returns a copy of s, one shared copy per distinct word: systemd's states and results
// (ActiveState, SubState, LoadState, Result) take a few dozen values. herod keeps them for every
// unit, and a string godbus decoded keeps the whole 4 KiB block it was decoded into alive:
// kept as decoded, they held 18 MB with 5,000 services.
func intern(s string) string {
	internMu.Lock()
	defer internMu.Unlock()
	if c, ok := interned[s]; ok {
		return c
	}
	c := strings.Clone(s)
	if len(interned) < internedMax && len(s) <= 64 {
		interned[c] = c
	}
	return c
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
func (b *Bridge) snapshot(ctx context.Context, unit string) (unitSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var s unitSnapshot
	props, err := b.conn.GetUnitPropertiesContext(ctx, unit)
	if err != nil {
		return s, fmt.Errorf("properties of %s: %w", unit, err)
	}
	s.loaded = props["LoadState"] == "loaded"
	s.setUnit(props)
	if !s.loaded {
		return s, nil
	}
	sp, err := b.conn.GetUnitTypePropertiesContext(ctx, unit, "Service")
	if err != nil {
		return s, fmt.Errorf("service properties of %s: %w", unit, err)
	}
	s.setService(sp)
	return s, nil
}

// unitSnapshot is what systemd says about a unit's current (or last) run.
type unitSnapshot struct {
	loaded      bool
	invocation  string // hex
	active, sub string
	execCode    int32 // CLD_EXITED 1, CLD_KILLED 2, CLD_DUMPED 3; 0 while the main process runs
	execStatus  int32
	mainPID     uint32
	result      string
	restarts    uint32
	execStart   uint64 // ExecMainStartTimestamp, µs since the epoch
	execExit    uint64 // ExecMainExitTimestamp; 0 while the main process runs
}

// setUnit takes the org.freedesktop.systemd1.Unit properties present in m.
func (s *unitSnapshot) setUnit(m map[string]any) {
	if v, ok := m["InvocationID"].([]byte); ok {
		s.invocation = hex.EncodeToString(v)
	}
	if v, ok := m["ActiveState"].(string); ok {
		s.active = intern(v)
	}
	if v, ok := m["SubState"].(string); ok {
		s.sub = intern(v)
	}
}

// setService takes the org.freedesktop.systemd1.Service properties present in m.
func (s *unitSnapshot) setService(m map[string]any) {
	if v, ok := m["ExecMainCode"].(int32); ok {
		s.execCode = v
	}
	if v, ok := m["ExecMainStatus"].(int32); ok {
		s.execStatus = v
	}
	if v, ok := m["ExecMainPID"].(uint32); ok {
		s.mainPID = v
	}
	if v, ok := m["MainPID"].(uint32); ok && v != 0 {
		s.mainPID = v
	}
	if v, ok := m["Result"].(string); ok {
		s.result = intern(v)
	}
	if v, ok := m["NRestarts"].(uint32); ok {
		s.restarts = v
	}
	if v, ok := m["ExecMainStartTimestamp"].(uint64); ok {
		s.execStart = v
	}
	if v, ok := m["ExecMainExitTimestamp"].(uint64); ok {
		s.execExit = v
	}
}

func (b *Bridge) resetFailed(ctx context.Context, unit string) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_ = b.conn.ResetFailedUnitContext(ctx, unit) // NoSuchUnit: nothing to reset
}
