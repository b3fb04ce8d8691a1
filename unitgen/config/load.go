package config

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hero-systemd/hero-systemd/graphs"
)

// File is one service file's name (within the config directory) and contents.
type File struct {
	Name string
	Data []byte
}

// Set is every service of a config directory, with their dependency graph.
type Set struct {
	Services []*Service          // sorted by name
	ByName   map[string]*Service // the same services by name
	Graph    *graphs.Graph       // requires/after/conflicts of all services
}

// Service returns the named service, or nil.
func (s *Set) Service(name string) *Service { return s.ByName[name] }

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
// dependencies, cycles, and conflicts with a requires closure. It reports every problem,
// sorted. (Parsing is per file, so callers may run Parse in parallel and assemble the results.)
func Assemble(parsed []Parsed) (*Set, Problems) {
	var probs Problems
	set := &Set{ByName: map[string]*Service{}}
	if len(parsed) > MaxServices {
		probs = append(probs, Problem{File: ".", Message: fmt.Sprintf("%d service files; at most %d are allowed", len(parsed), MaxServices)})
		return set, probs
	}
	sorted := append([]Parsed(nil), parsed...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].File < sorted[j].File })
	for _, p := range sorted {
		probs = append(probs, p.Problems...)
		s := p.Service
		if s == nil {
			continue
		}
		if prev, dup := set.ByName[s.Name]; dup {
			probs = append(probs, Problem{File: p.File, Message: fmt.Sprintf("duplicate service name %q (also defined by %s)", s.Name, prev.File)})
			continue
		}
		set.ByName[s.Name] = s
		set.Services = append(set.Services, s)
	}
	sort.Slice(set.Services, func(i, j int) bool { return set.Services[i].Name < set.Services[j].Name })
	nodes := make([]graphs.Node, len(set.Services))
	for i, s := range set.Services {
		nodes[i] = graphs.Node{Name: s.Name, Requires: s.Requires, After: s.After, Conflicts: s.Conflicts}
	}
	g, gprobs := graphs.Build(nodes)
	set.Graph = g
	for _, gp := range gprobs {
		s := set.ByName[gp.Service]
		probs = append(probs, Problem{File: s.File, Line: s.depLine(gp.Key, gp.Target), Key: dependencyKey(s.Format, gp.Key), Message: gp.Message})
	}
	probs.Sort()
	return set, probs
}

// dependencyKey names the config key a graph problem comes from, in the file's own format.
func dependencyKey(f Format, kind string) string {
	if kind == "" {
		return ""
	}
	if f == FormatZinit {
		return zKeyAfter // zinit's after is the only dependency key, read as requires
	}
	return keyDependencies + "." + kind
}
