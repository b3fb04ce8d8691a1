package systemd

import (
	"context"
	"fmt"
	"strings"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// States returns the load/active/sub states of units in one call. Units systemd has not loaded
// are reported with LoadState "not-found" and ActiveState "inactive". It reads loaded units
// only (ListUnitsByPatterns): ListUnitsByNames would load a not-found stub of each unit it is
// asked about, which stays until systemd's next garbage collection and makes a start that
// Requires= that name meanwhile fail. systemd matches the patterns with fnmatch without escapes
// (FNM_NOESCAPE), and hero's unit names hold none of *?[, so each name matches only itself.
//
// Many names are read with one pattern, hero's prefix: systemd matches every loaded unit against
// every pattern it is given, so N names among N units would cost N² matches (1.5 s at 5,000).
func (c *Client) States(ctx context.Context, units []string) (map[string]UnitStatus, error) {
	if len(units) == 0 {
		return map[string]UnitStatus{}, nil
	}
	patterns := units
	if len(units) > fewPatterns && allHero(units) {
		patterns = []string{unitgen.Prefix + "-*"}
	}
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	list, err := c.mgr.ListUnitsByPatternsContext(ctx, nil, patterns)
	if err != nil {
		return nil, fmt.Errorf("list loaded units: %w", err)
	}
	return pick(list, units), nil
}

// fewPatterns is how many unit names States passes to systemd as patterns of their own.
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

// pick returns the states of units from list; a unit list does not hold is not loaded.
func pick(list []UnitStatus, units []string) map[string]UnitStatus {
	want := make(map[string]bool, len(units))
	for _, u := range units {
		want[u] = true
	}
	out := make(map[string]UnitStatus, len(units))
	for _, st := range list {
		if want[st.Name] {
			out[st.Name] = st
		}
	}
	for _, u := range units {
		if _, ok := out[u]; !ok {
			out[u] = NotLoaded(u)
		}
	}
	return out
}

// NotLoaded is the state of a unit systemd has not loaded.
func NotLoaded(unit string) UnitStatus {
	return UnitStatus{Name: unit, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"}
}

// HeroUnits lists the service units systemd has loaded whose names hero owns.
func (c *Client) HeroUnits(ctx context.Context) ([]UnitStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, CallTimeout)
	defer cancel()
	list, err := c.mgr.ListUnitsByPatternsContext(ctx, nil, []string{unitgen.Prefix + "-*.service"})
	if err != nil {
		return nil, fmt.Errorf("list hero's units: %w", err)
	}
	var out []UnitStatus
	for _, u := range list {
		if _, _, ok := unitgen.ParseUnitName(u.Name); ok {
			out = append(out, u)
		}
	}
	return out, nil
}
