package bridge

import (
	"sync/atomic"

	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// services holds the services the bridge runs (the config directory as last loaded) and what a
// unit of theirs needs of this host: every part of the bridge reads them here.
type services struct {
	set  atomic.Pointer[config.Set]
	opts unitgen.Options
}

func newServices(set *config.Set, opts unitgen.Options) *services {
	s := &services{opts: opts}
	s.set.Store(set)
	return s
}

// get returns the services as loaded now. An operation reads them once and keeps that set.
func (s *services) get() *config.Set { return s.set.Load() }

// replace loads set (daemon-reload): running units keep running; the new configs apply from
// their next start.
func (s *services) replace(set *config.Set) { s.set.Store(set) }

// lookup returns the service name of the current set.
func (s *services) lookup(name string) (*config.Service, error) {
	svc := s.get().Service(name)
	if svc == nil {
		return nil, noSuchService(name)
	}
	return svc, nil
}

// unit generates svc's transient unit as set defines it.
func (s *services) unit(set *config.Set, svc *config.Service) (*unitgen.Unit, error) {
	return unitgen.Generate(set, svc, s.opts)
}

// definitionOf is the digest of svc's unit in set ("" when it has none: bad-config).
func (s *services) definitionOf(set *config.Set, svc *config.Service) string {
	if set.BadConfig(svc.Name) {
		return ""
	}
	u, err := s.unit(set, svc)
	if err != nil {
		return ""
	}
	return u.Definition
}

// unitOf is the name of svc's unit.
func unitOf(s *config.Service) string { return unitgen.UnitName(s.Context, s.Name) }

// unitsOf is the names of the units of names in set.
func unitsOf(set *config.Set, names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, unitOf(set.Service(n)))
	}
	return out
}
