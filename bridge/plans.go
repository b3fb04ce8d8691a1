package bridge

import (
	"fmt"
	"slices"
	"sort"

	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// What each operation acts on, worked out from the services' graph alone (no systemd).

// checkUsable refuses a service that is bad-config or blocked.
func checkUsable(set *config.Set, name string) error {
	if set.BadConfig(name) {
		return &ConfigError{Service: name, Problems: set.Problems(name)}
	}
	if w := set.Blocked(name); len(w) > 0 {
		return &ConfigError{Service: name, WaitingFor: w}
	}
	return nil
}

// usable reports whether set defines name so that it can start.
func usable(set *config.Set, name string) bool {
	return set.Service(name) != nil && !set.BadConfig(name)
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

// startPlan is what a start of names starts: names and their requires closures, dependencies
// first, with the soft dependencies (wants) that can start. A name the set does not define,
// or one that (or whose requirement) cannot start as its config stands, refuses the start.
func startPlan(set *config.Set, names []string) (graphs.StartPlan, error) {
	for _, name := range names {
		if set.Service(name) == nil {
			return graphs.StartPlan{}, noSuchService(name)
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

// stopPlan is what stopping name takes down. A bad-config service is not in the graph (nothing
// usable requires it): its own unit is all there is to stop, if it runs from before its file
// broke.
func stopPlan(set *config.Set, name string) (graphs.StopPlan, error) {
	if set.BadConfig(name) {
		return graphs.StopPlan{Service: name, Order: []string{name}, Waves: [][]string{{name}}, StoppedDependents: []string{}}, nil
	}
	return set.Graph.Stop(name)
}

// restarted are the dependents (of a cascade stop) that were started again, in start order.
func restarted(started, dependents []string) []string {
	var out []string
	for _, s := range started {
		if slices.Contains(dependents, s) {
			out = append(out, s)
		}
	}
	return out
}

// startOrder returns names in the order a start of all of them takes (dependencies first).
func startOrder(set *config.Set, names map[string]bool) ([]string, error) {
	out := []string{}
	if len(names) == 0 {
		return out, nil
	}
	var list []string
	for n := range names {
		if usable(set, n) {
			list = append(list, n)
		}
	}
	sort.Strings(list)
	p, err := set.Graph.StartAll(list)
	if err != nil {
		return out, err
	}
	for _, m := range p.Order {
		if names[m] {
			out = append(out, m)
		}
	}
	return out, nil
}

// inOrderOf returns names in the order they have in order.
func inOrderOf(names, order []string) []string {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := []string{}
	for _, n := range order {
		if want[n] {
			out = append(out, n)
		}
	}
	return out
}

// applyLocks is every service an apply may touch: those loaded, those next defines, and the
// services they conflict with.
func applyLocks(loaded, next *config.Set) []string {
	var names []string
	for _, set := range []*config.Set{loaded, next} {
		for _, s := range set.Services {
			names = append(names, s.Name)
		}
		names = lockSet(set, names)
	}
	return names
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
