package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a config directory, located as precisely as known.
type Problem struct {
	File    string // the service file, as named in the directory
	Line    int    // 1-based; 0 when unknown
	Key     string // dotted key, e.g. "dependencies.requires"; empty for the whole file
	Message string // what is wrong
}

// String renders "web.toml:7: dependencies.requires: unknown service \"dbx\"".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found; it is an error when not empty.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders problems by file, line and message, so reports are stable.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Message < b.Message
	})
}

// unique drops repeated problems, keeping the first of each: a top-level key that every action
// inherits is checked once per action.
func (ps Problems) unique() Problems {
	seen := make(map[Problem]bool, len(ps))
	out := ps[:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
