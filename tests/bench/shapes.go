package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// service is one hero service of a benchmark shape: a sleeper that requires others. Shapes list
// services in dependency order (a service only requires earlier ones), the order in which
// native units are created.
type service struct {
	name     string
	requires []string
	extra    string // more TOML keys, for the services that need them
}

func (s service) toml() string {
	quoted := make([]string, len(s.requires))
	for i, r := range s.requires {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	body := s.extra
	if body == "" {
		body = "exec = [\"/bin/sleep\", \"infinity\"]\n"
	}
	return body + "[dependencies]\nrequires = [" + strings.Join(quoted, ", ") + "]\n"
}

// unit is the service's systemd unit (benchmark services live in the default context).
func (s service) unit() string { return unitgen.UnitName("default", s.name) }

func names(svcs []service) []string {
	out := make([]string, len(svcs))
	for i, s := range svcs {
		out[i] = s.name
	}
	return out
}

func heroUnits(svcs []service) []string {
	out := make([]string, len(svcs))
	for i, s := range svcs {
		out[i] = s.unit()
	}
	return out
}

// shape is a dependency graph measured by the cascade stop: stopping root stops all of it.
type shape struct {
	label string
	tag   string // short, for native unit names
	root  string
	svcs  []service
	goal  Goal
}

// chain is n services, each requiring the previous one: c00 <- c01 <- ... (c00 is the root).
func chain(n int) []service {
	svcs := make([]service, n)
	for i := range svcs {
		svcs[i].name = fmt.Sprintf("c%02d", i)
		if i > 0 {
			svcs[i].requires = []string{svcs[i-1].name}
		}
	}
	return svcs
}

// fanoutDiamond is a root with n services requiring it, plus a diamond on it: fdl and fdr
// require root, fdt requires both.
func fanoutDiamond(n int) []service {
	svcs := []service{{name: "froot"}}
	for i := 0; i < n; i++ {
		svcs = append(svcs, service{name: fmt.Sprintf("f%03d", i), requires: []string{"froot"}})
	}
	return append(svcs,
		service{name: "fdl", requires: []string{"froot"}},
		service{name: "fdr", requires: []string{"froot"}},
		service{name: "fdt", requires: []string{"fdl", "fdr"}})
}

// richGraph is n services where each requires one of the ten before it and, six times in ten,
// a second one anywhere before it: many diamonds, everything reachable from g000. The seed is
// fixed, so every run measures the same graph.
func richGraph(n int) []service {
	rng := rand.New(rand.NewPCG(9, 9))
	svcs := make([]service, n)
	name := func(i int) string { return fmt.Sprintf("g%03d", i) }
	for i := range svcs {
		svcs[i].name = name(i)
		if i == 0 {
			continue
		}
		near := max(0, i-10) + rng.IntN(min(i, 10))
		svcs[i].requires = []string{name(near)}
		if far := rng.IntN(i); far != near && rng.IntN(10) < 6 {
			svcs[i].requires = append(svcs[i].requires, name(far))
		}
	}
	return svcs
}

// independent is n services that require nothing.
func independent(prefix string, n int) []service {
	svcs := make([]service, n)
	for i := range svcs {
		svcs[i].name = fmt.Sprintf("%s%03d", prefix, i)
	}
	return svcs
}

// star is n services, all but the first requiring the first: one cascade stops them all.
func star(prefix string, n int) []service {
	svcs := independent(prefix, n)
	for i := 1; i < n; i++ {
		svcs[i].requires = []string{svcs[0].name}
	}
	return svcs
}

// overlapping is the load test's ten services: two diamonds and a chain share members, so
// concurrent operations on different names touch the same units.
func overlapping() []service {
	return []service{
		{name: "l0"},
		{name: "l1", requires: []string{"l0"}},
		{name: "l2", requires: []string{"l0"}},
		{name: "l3", requires: []string{"l1", "l2"}},
		{name: "l4"},
		{name: "l5", requires: []string{"l4"}},
		{name: "l6", requires: []string{"l5", "l0"}},
		{name: "l7"},
		{name: "l8", requires: []string{"l7"}},
		{name: "l9"},
	}
}

// roots are the services of svcs that require nothing.
func roots(svcs []service) []string {
	var out []string
	for _, s := range svcs {
		if len(s.requires) == 0 {
			out = append(out, s.name)
		}
	}
	return out
}
