package config

import "github.com/hero-systemd/hero-systemd/graphs"

// File is one service file's name (within the config directory) and contents.
type File struct {
	Name string
	Data []byte
}

// Set is every service of a config directory, with the dependency graph of those that can run.
// A directory with problems still makes a Set: each service is usable, bad-config or blocked
// (see BadConfig, Blocked), and only the bad-config ones are left out of the Graph.
type Set struct {
	Services []*Service          // every service read, sorted by name, bad-config ones included
	ByName   map[string]*Service // the same services by name
	Graph    *graphs.Graph       // requires/after/conflicts among the services that are not bad-config

	bad          map[string]Problems // bad-config services and why
	waiting      map[string][]string // blocked services and the undefined services they wait for
	fileProblems map[string]Problems // what Parse found in each service's own file
	pending      map[string]Problems // new files' problems of services kept at their last good definition
	warnings     Problems            // what is odd but runs: a wants on a service no file defines
}

// Warnings are what is odd in the directory but keeps nothing from running (validate reports
// them; they never make a service bad-config or blocked): a wants entry naming a service no
// file defines, which its service starts without, as systemd starts a unit whose Wants= names
// a missing unit. Each Message starts with warningPrefix.
func (s *Set) Warnings() Problems { return s.warnings }

// Service returns the named service, or nil.
func (s *Set) Service(name string) *Service { return s.ByName[name] }
