package graphs

import "sort"

// StopPlan is what stopping a service takes down, and in which order.
type StopPlan struct {
	Service string `json:"service"`
	// Order is every service to stop, most-dependent first; Service is last.
	Order []string `json:"order"`
	// Waves group Order: the services of one wave can be stopped in parallel, and every wave
	// comes after the waves of all its members' dependents.
	Waves [][]string `json:"waves"`
	// StoppedDependents is Order without Service: what the cascade takes down with it.
	StoppedDependents []string `json:"stopped_dependents"`
}

// StartPlan is what starting a service brings up, and in which order.
type StartPlan struct {
	Service string `json:"service"`
	// Order is the service's requires closure, dependencies first; Service is last.
	Order []string `json:"order"`
	// Waves group Order: one wave's services can be started in parallel once the earlier waves
	// are up.
	Waves [][]string `json:"waves"`
	// Dependencies is Order without Service.
	Dependencies []string `json:"dependencies"`
}

// Stop computes the cascade stop of name: name plus every service with a transitive requires
// chain into it, most-dependent first. `after` edges among them are honoured in reverse, as
// systemd orders stop jobs. Services that only order themselves after name are not in it.
func (g *Graph) Stop(name string) (StopPlan, error) {
	x, err := g.lookup(name)
	if err != nil {
		return StopPlan{}, err
	}
	members := g.closure(x, g.rreq)
	// Stopping n must wait for every member that requires n or is ordered after it.
	waves := g.layer(members, g.rreq, g.rafter, g.req, g.after)
	p := StopPlan{Service: name, Waves: waves, StoppedDependents: []string{}}
	for _, w := range waves {
		p.Order = append(p.Order, w...)
	}
	p.StoppedDependents = append(p.StoppedDependents, p.Order[:len(p.Order)-1]...)
	return p, nil
}

// Start computes the start order of name's requires closure, dependencies first.
func (g *Graph) Start(name string) (StartPlan, error) {
	p, err := g.StartAll([]string{name})
	if err != nil {
		return StartPlan{}, err
	}
	p.Service = name
	p.Dependencies = []string{}
	for _, m := range p.Order {
		if m != name {
			p.Dependencies = append(p.Dependencies, m)
		}
	}
	return p, nil
}

// StartAll computes the start order of the union of several services' requires closures, in
// waves: what starting them together (systemctl start A B C) takes. Service is left empty and
// Dependencies holds every member not named.
func (g *Graph) StartAll(names []string) (StartPlan, error) {
	members := map[int32]struct{}{}
	named := map[string]bool{}
	for _, name := range names {
		x, err := g.lookup(name)
		if err != nil {
			return StartPlan{}, err
		}
		named[name] = true
		for m := range g.closure(x, g.req) {
			members[m] = struct{}{}
		}
	}
	// Starting n must wait for everything n requires or is ordered after.
	waves := g.layer(members, g.req, g.after, g.rreq, g.rafter)
	p := StartPlan{Waves: waves, Dependencies: []string{}}
	for _, w := range waves {
		p.Order = append(p.Order, w...)
	}
	for _, m := range p.Order {
		if !named[m] {
			p.Dependencies = append(p.Dependencies, m)
		}
	}
	return p, nil
}

// closure returns x and everything reachable from it through adj, as a membership map.
func (g *Graph) closure(x int32, adj [][]int32) map[int32]struct{} {
	members := map[int32]struct{}{x: {}}
	queue := []int32{x}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range adj[n] {
			if _, seen := members[d]; !seen {
				members[d] = struct{}{}
				queue = append(queue, d)
			}
		}
	}
	return members
}

// layer is Kahn's algorithm in waves over members: a member is ready when none of its
// predecessors (through predA, predB) that are members is still waiting; finishing one releases
// its successors (through succA, succB). Each wave is sorted by name. The graph is acyclic once
// validated; members left on a cycle are appended as a last wave so a plan is always complete.
func (g *Graph) layer(members map[int32]struct{}, predA, predB, succA, succB [][]int32) [][]string {
	waiting := make(map[int32]int32, len(members))
	var ready []int32
	for n := range members {
		var c int32
		for _, adj := range [2][][]int32{predA, predB} {
			for _, p := range adj[n] {
				if _, in := members[p]; in {
					c++
				}
			}
		}
		waiting[n] = c
		if c == 0 {
			ready = append(ready, n)
		}
	}
	var waves [][]string
	done := 0
	for len(ready) > 0 {
		// Names are indexed in sorted order, so sorting ids sorts names.
		sort.Slice(ready, func(i, j int) bool { return ready[i] < ready[j] })
		wave := make([]string, len(ready))
		var next []int32
		for i, n := range ready {
			wave[i] = g.names[n]
			for _, adj := range [2][][]int32{succA, succB} {
				for _, s := range adj[n] {
					if _, in := members[s]; !in {
						continue
					}
					waiting[s]--
					if waiting[s] == 0 {
						next = append(next, s)
					}
				}
			}
		}
		done += len(ready)
		waves = append(waves, wave)
		ready = next
	}
	if done < len(members) {
		var rest []int32
		for n, c := range waiting {
			if c > 0 {
				rest = append(rest, n)
			}
		}
		sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
		wave := make([]string, len(rest))
		for i, n := range rest {
			wave[i] = g.names[n]
		}
		waves = append(waves, wave)
	}
	return waves
}
