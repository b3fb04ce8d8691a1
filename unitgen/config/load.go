package config

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hero-systemd/hero-systemd/graphs"
)

// formatOf tells a service file's format by its extension; ok is false for files that are not
// service files (they are skipped when reading a directory).
func formatOf(name string) (stem string, f Format, ok bool) {
	switch ext := path.Ext(name); ext {
	case ".toml":
		return strings.TrimSuffix(name, ext), FormatHero, true
	case ".yaml", ".yml":
		return strings.TrimSuffix(name, ext), FormatZinit, true
	}
	return "", "", false
}

// ServiceOfFile is the service a config directory's file defines (its name without the
// extension); ok is false for a name that is not a service file's.
func ServiceOfFile(file string) (name string, ok bool) {
	stem, _, ok := formatOf(file)
	return stem, ok
}

// IsServiceFile reports whether a file name is one a config directory's service files have.
func IsServiceFile(name string) bool {
	_, _, ok := formatOf(name)
	return ok
}

// Parse decodes and checks one service file on its own (dependencies are checked by Build).
// The service is returned even when there are problems, with whatever could be read.
func Parse(file string, data []byte) (*Service, Problems) {
	var probs Problems
	stem, format, ok := formatOf(file)
	if !ok {
		return nil, Problems{{File: file, Message: "not a service file: use NAME.toml (hero) or NAME.yaml (zinit)"}}
	}
	s := &Service{Name: stem, File: file, Format: format, Context: DefaultContext, Status: WantIgnore, Output: OutputCapture}
	if err := CheckName(stem); err != nil {
		probs = append(probs, Problem{File: file, Message: err.Error()})
	}
	if len(data) > MaxFileSize {
		probs = append(probs, Problem{File: file, Message: fmt.Sprintf("file is %d bytes; at most %d are allowed", len(data), MaxFileSize)})
		return s, probs
	}
	r := reader{file: file, probs: &probs}
	switch format {
	case FormatHero:
		if t := parseTOML(file, data, &probs); t != nil {
			decodeHero(r, t, s)
		}
	case FormatZinit:
		if t := parseYAML(file, data, &probs); t != nil {
			decodeZinit(r, t, s)
		}
	}
	if s.Description == "" {
		s.Description = "hero service " + s.Name
	}
	return s, probs.unique()
}

// Parsed is one service file as Parse read it.
type Parsed struct {
	File     string
	Service  *Service // nil when the file is not a service file
	Problems Problems
}

// Build parses files and validates them together (see Assemble).
func Build(files []File) (*Set, Problems) {
	parsed := make([]Parsed, len(files))
	for i, f := range files {
		s, probs := Parse(f.Name, f.Data)
		parsed[i] = Parsed{File: f.Name, Service: s, Problems: probs}
	}
	return Assemble(parsed)
}

// Assemble validates parsed files together: duplicate service names, unknown and self
// dependencies, cycles, and conflicts with a requires closure. It reports every problem, sorted,
// and serves the valid part: every service is given its state (see Set.BadConfig, Set.Blocked),
// and the Graph holds those that are not bad-config. (Parsing is per file, so callers may run
// Parse in parallel and assemble the results.)
func Assemble(parsed []Parsed) (*Set, Problems) {
	var probs Problems
	set := &Set{ByName: map[string]*Service{}, bad: map[string]Problems{}, waiting: map[string][]string{},
		fileProblems: map[string]Problems{}}
	if len(parsed) > MaxServices {
		probs = append(probs, Problem{File: ".", Message: fmt.Sprintf("%d service files; at most %d are allowed", len(parsed), MaxServices)})
		set.Graph, _ = graphs.Build(nil)
		return set, probs
	}
	sorted := append([]Parsed(nil), parsed...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].File < sorted[j].File })
	for _, p := range sorted {
		probs = append(probs, p.Problems...)
		s := p.Service
		if s == nil {
			s = placeholder(p.File) // a file that could not be read is still its service's
		}
		if s == nil {
			continue
		}
		if prev, dup := set.ByName[s.Name]; dup {
			dp := Problem{File: p.File, Message: fmt.Sprintf("duplicate service name %q (also defined by %s)", s.Name, prev.File)}
			probs = append(probs, dp)
			set.bad[s.Name] = append(set.bad[s.Name], dp)
			continue
		}
		if len(p.Problems) > 0 {
			set.bad[s.Name] = append(set.bad[s.Name], p.Problems...)
			set.fileProblems[s.Name] = p.Problems
		}
		set.ByName[s.Name] = s
		set.Services = append(set.Services, s)
	}
	sort.Slice(set.Services, func(i, j int) bool { return set.Services[i].Name < set.Services[j].Name })
	full, gprobs := graphs.Build(nodesOf(set.Services, nil))
	for _, gp := range gprobs {
		s := set.ByName[gp.Service]
		p := Problem{File: s.File, Line: s.depLine(gp.Key, gp.Target), Key: dependencyKey(s.Format, gp.Key), Message: gp.Message}
		if set.ByName[gp.Target] == nil && gp.Target != "" && gp.Key == graphs.KindWants && s.Format == FormatHero {
			// Soft: the service starts without it.
			p.Message = fmt.Sprintf("%sunknown service %q: %s starts without it (wants is a soft dependency)", warningPrefix, gp.Target, s.Name)
			p.Kind = warningPrefix + "unknown service: the service starts without it (wants is a soft dependency)"
			set.warnings = append(set.warnings, p)
			continue
		}
		probs = append(probs, p)
		if set.ByName[gp.Target] == nil && gp.Target != "" && waitsFor(s, gp.Key) {
			set.waiting[s.Name] = append(set.waiting[s.Name], gp.Target)
			continue
		}
		set.bad[s.Name] = append(set.bad[s.Name], p)
	}
	set.spreadStates()
	set.Graph = full
	if len(set.bad) > 0 || len(set.waiting) > 0 {
		set.Graph, _ = graphs.Build(nodesOf(set.Services, set.usableInGraph))
	}
	probs.Sort()
	set.warnings.Sort()
	return set, probs
}

// waitsFor reports whether an undefined dependency leaves s blocked, waiting for it, rather than
// bad-config: it is only ordered after it (hero's after), or it is zinit's after, with which
// zinit keeps the service waiting until such a service appears. (An undefined wants is only a
// warning: see Warnings.)
func waitsFor(s *Service, kind string) bool {
	return kind == graphs.KindAfter || s.Format == FormatZinit && kind == graphs.KindRequires
}

// placeholder is the service of a file that could not be read (too large, not a regular file):
// known by name, bad-config. nil for a name that is no service's.
func placeholder(file string) *Service {
	stem, format, ok := formatOf(file)
	if !ok || CheckName(stem) != nil {
		return nil
	}
	return &Service{Name: stem, File: file, Format: format, Context: DefaultContext, Status: WantIgnore,
		Output: OutputCapture, Description: "hero service " + stem}
}

// nodesOf makes the graph's nodes of services; with keep, only the services and the edges to
// services it accepts.
func nodesOf(services []*Service, keep func(string) bool) []graphs.Node {
	filter := func(names []string) []string {
		if keep == nil {
			return names
		}
		var out []string
		for _, n := range names {
			if keep(n) {
				out = append(out, n)
			}
		}
		return out
	}
	nodes := make([]graphs.Node, 0, len(services))
	for _, s := range services {
		if keep == nil || keep(s.Name) {
			nodes = append(nodes, graphs.Node{Name: s.Name, Requires: filter(s.Requires), Wants: filter(s.Wants), After: filter(s.After), Conflicts: filter(s.Conflicts)})
		}
	}
	return nodes
}
