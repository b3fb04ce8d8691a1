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
	// Kind is Message with every byte taken from the file left out ("…"): what a caller who
	// may not read the file is told (see Withheld). Empty when no such form is known.
	Kind string
}

// warningPrefix starts the Message (and Kind) of a warning: something odd that keeps nothing
// from running (see Set.Warnings).
const warningPrefix = "warning: "

// IsWarning reports whether p is a warning rather than a problem.
func (p Problem) IsWarning() bool { return strings.HasPrefix(p.Message, warningPrefix) }

// Withheld is the problem as told to someone who may not read its file: file, line, the key
// as far as it is hero's own vocabulary, and the kind of problem, never a byte of the file.
func (p Problem) Withheld() Problem {
	msg := p.Kind
	if msg == "" {
		msg = withheldMessage
	}
	return Problem{File: p.File, Line: p.Line, Key: withheldKey(p.Key), Message: msg, Kind: msg}
}

// withheldMessage stands for a problem whose every form would quote the file.
const withheldMessage = "a problem whose details quote the file, which you may not read (ask root, or read it as its owner)"

// withheldKey keeps the parts of a dotted key that are hero's own key names (with their
// [index]); any other part (an unknown key, an env variable's name) came from the file.
func withheldKey(key string) string {
	if key == "" {
		return ""
	}
	parts := strings.Split(key, ".")
	for i, part := range parts {
		name, index, _ := strings.Cut(part, "[")
		if !knownKeyName(name) || (index != "" && strings.Trim(index, "0123456789]") != "") {
			parts[i] = "…"
		}
	}
	return strings.Join(parts, ".")
}

var knownNames = func() map[string]bool {
	m := map[string]bool{}
	for _, keys := range [][]Key{heroKeys, zinitKeyTable} {
		for _, k := range keys {
			m[k.Name] = true
			if k.Section != "" {
				m[k.Section] = true
			}
		}
	}
	return m
}()

func knownKeyName(name string) bool { return knownNames[name] }

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
