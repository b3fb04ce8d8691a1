package config

import (
	"fmt"
	"sort"
)

// A service of a Set is in one of three states, named as systemd names what its units can be:
//
//   - usable: it can be planned, generated and started.
//   - bad-config: it cannot run, because its own file has a problem (systemd: a unit whose
//     load state is bad-setting or error) or because it requires, through any chain, a service
//     that is bad-config or not defined at all (systemd: a Requires= on a not-found unit fails
//     the start job). Left out of the Graph.
//   - blocked: it is defined and valid, but must start after a service that is not defined: hero's
//     after, or zinit's after (zinit keeps such a service waiting until the other one appears).
//     It stays in the Graph; starting it is refused, waiting for those services.

// BadConfig reports whether the named service cannot run (see Problems for why).
func (s *Set) BadConfig(name string) bool {
	_, bad := s.bad[name]
	return bad
}

// Problems returns why the named service is bad-config: its own file's problems and, when a
// service it requires is missing or bad-config, a problem on its requires entry saying so.
// It is empty for a service that is not bad-config. (Set-wide problems, such as a cycle, are
// also in the Problems Assemble returns; those are for validate.)
func (s *Set) Problems(name string) Problems { return s.bad[name] }

// Blocked returns the undefined services the named service waits for (directly, or through a
// service it requires), sorted; nil when it is not blocked. A bad-config service is not
// blocked.
func (s *Set) Blocked(name string) []string {
	if s.BadConfig(name) {
		return nil
	}
	return s.waiting[name]
}

// Usable reports whether the named service is defined, not bad-config and not blocked.
func (s *Set) Usable(name string) bool {
	return s.ByName[name] != nil && !s.BadConfig(name) && len(s.waiting[name]) == 0
}

// BadConfigServices returns the names of the bad-config services, sorted: what the Graph
// leaves out.
func (s *Set) BadConfigServices() []string {
	names := make([]string, 0, len(s.bad))
	for n := range s.bad {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// usableInGraph reports whether the named service belongs in the Graph: defined and not
// bad-config.
func (s *Set) usableInGraph(name string) bool { return s.ByName[name] != nil && !s.BadConfig(name) }

// spreadStates carries bad-config and blocked to what requires such a service, through any
// chain: a service that requires a missing or bad-config one is bad-config, one that requires a
// blocked one waits for what that one waits for.
func (s *Set) spreadStates() {
	dependents := map[string][]*Service{}
	for _, svc := range s.Services {
		for _, r := range svc.Requires {
			dependents[r] = append(dependents[r], svc)
		}
	}
	spread(sortedKeys(s.bad), dependents, func(d *Service, from string) bool {
		if s.BadConfig(d.Name) {
			return false
		}
		s.markBad(d, from, "which is bad-config")
		return true
	})
	spread(sortedKeys(s.waiting), dependents, func(d *Service, from string) bool {
		return !s.BadConfig(d.Name) && !s.BadConfig(from) && addAll(s.waiting, d.Name, s.waiting[from])
	})
	for name, w := range s.waiting {
		sort.Strings(w)
		s.waiting[name] = w
	}
}

// spread walks from the start services to their dependents, breadth first; visit changes a
// dependent for the service it was reached from, and reports whether to go on from it.
func spread(start []string, dependents map[string][]*Service, visit func(d *Service, from string) bool) {
	queue := start
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, d := range dependents[name] {
			if visit(d, name) {
				queue = append(queue, d.Name)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Set) markBad(svc *Service, dep, why string) {
	s.bad[svc.Name] = append(s.bad[svc.Name], Problem{File: svc.File, Line: svc.depLine(keyRequires, dep),
		Key: dependencyKey(svc.Format, keyRequires), Message: fmt.Sprintf("requires %q, %s", dep, why)})
}

// addAll adds names to m[key] (a set kept as a list) and reports whether any was new.
func addAll(m map[string][]string, key string, names []string) bool {
	added := false
	for _, n := range names {
		if !contains(m[key], n) {
			m[key] = append(m[key], n)
			added = true
		}
	}
	return added
}

// ownProblems are the problems Parse found in a service's file (those of its dependencies and
// of the directory as a whole, Assemble finds again).
func (s *Set) ownProblems(name string) Problems { return s.fileProblems[name] }

// Pending returns the problems of a service's new file while it keeps running its last good
// definition (see KeepLastGood); empty when its file is fine.
func (s *Set) Pending(name string) Problems { return s.pending[name] }
