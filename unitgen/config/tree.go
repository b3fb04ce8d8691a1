package config

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// value is a decoded config value with the line it was found on: both formats are turned into
// this one tree, so that one set of readers checks keys and types for both.
type value struct {
	line   int
	v      any    // string, int64, float64, bool, tomlDate, []value, *table, nil
	raw    string // a number's or boolean's text as written, for values read as strings (env)
	tables bool   // an array of tables made by TOML [[headers]]
}

// table is a mapping with its keys in source order. Tables are small (a service file has a few
// dozen keys, and maxCollection bounds any table), so a lookup is a scan, cheaper than a map.
type table struct {
	line int
	keys []string
	vals []value

	// Where the table is, and how TOML defined it (which decides what may add to it).
	parent  *table
	name    string // its key in parent ("actions[1]" for an array's element)
	defined tableState
}

func newTable(line int) *table {
	return &table{line: line, keys: make([]string, 0, 8), vals: make([]value, 0, 8)}
}

// get returns the value of key k.
func (t *table) get(k string) (value, bool) {
	for i, key := range t.keys {
		if key == k {
			return t.vals[i], true
		}
	}
	return value{}, false
}

// val returns the value of key k, which must be there.
func (t *table) val(k string) value {
	v, _ := t.get(k)
	return v
}

// set adds key k, or replaces its value.
func (t *table) set(k string, v value) {
	if !t.replace(k, v) {
		t.keys = append(t.keys, k)
		t.vals = append(t.vals, v)
	}
}

// replace sets the value of key k if it is there, and reports whether it was.
func (t *table) replace(k string, v value) bool {
	for i, key := range t.keys {
		if key == k {
			t.vals[i] = v
			return true
		}
	}
	return false
}

// word is a word of hero's own, never a byte of a service file: it stays in a Problem's Kind.
type word string

// typeName describes a value's type as a user reads it in an error.
func typeName(v any) word {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case tomlDate:
		return "a date"
	case []value:
		return "an array"
	case *table:
		return "a table"
	case nil:
		return "null"
	}
	return word(fmt.Sprintf("%T", v))
}

// reader walks a table, recording problems against the file and reporting unknown keys.
type reader struct {
	file  string
	probs *Problems
	// scalarText reads any scalar where a string is wanted, as its text: zinit's fields are
	// Rust Strings, which serde_yaml fills from any scalar as written (14, true, 1.50, ~, and an
	// empty value as "").
	scalarText bool
}

// text returns v as a string when it is one (or, with scalarText, any scalar as written).
func (r reader) text(v value) (string, bool) {
	if s, ok := v.v.(string); ok {
		return s, true
	}
	if r.scalarText && v.v == nil {
		return v.raw, true
	}
	if r.scalarText {
		return writtenScalar(v)
	}
	return "", false
}

// writtenScalar returns a number or a boolean as written.
func writtenScalar(v value) (string, bool) {
	switch v.v.(type) {
	case int64, float64, bool:
		return v.raw, true
	}
	return "", false
}

func (r reader) add(line int, key, format string, args ...any) {
	*r.probs = append(*r.probs, Problem{File: r.file, Line: line, Key: key, Message: fmt.Sprintf(format, args...),
		Kind: fmt.Sprintf(format, withheldArgs(args)...)})
}

// withheldArgs replaces every argument that may hold bytes of the file by "…": numbers and
// hero's own words stay.
func withheldArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch a.(type) {
		case word, int, int64, uint64, int32, uint32:
			out[i] = a
		default:
			out[i] = word("…")
		}
	}
	return out
}

// unknown reports every key of t not in allowed, naming the closest allowed key as a hint.
func (r reader) unknown(t *table, prefix string, allowed []string) {
	for _, k := range t.keys {
		if contains(allowed, k) {
			continue
		}
		msg := "unknown key"
		if prefix == "" {
			msg = "unknown key or section"
		}
		if hint := closest(k, allowed); hint != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", hint)
		}
		r.add(t.val(k).line, join(prefix, k), "%s", word(msg)) // only hero's words
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func (r reader) str(t *table, prefix, k string) (string, int, bool) {
	v, ok := t.get(k)
	if !ok {
		return "", 0, false
	}
	s, isStr := r.text(v)
	if !isStr {
		r.add(v.line, join(prefix, k), "must be a string, not %s", typeName(v.v))
		return "", v.line, false
	}
	return s, v.line, true
}

func (r reader) boolean(t *table, prefix, k string) (bool, bool) {
	v, ok := t.get(k)
	if !ok {
		return false, false
	}
	b, isBool := v.v.(bool)
	if !isBool {
		r.add(v.line, join(prefix, k), "must be true or false, not %s", typeName(v.v))
		return false, false
	}
	return b, true
}

func (r reader) integer(t *table, prefix, k string, min, max int64) (int64, bool) {
	v, ok := t.get(k)
	if !ok {
		return 0, false
	}
	n, isInt := v.v.(int64)
	if !isInt {
		r.add(v.line, join(prefix, k), "must be an integer, not %s", typeName(v.v))
		return 0, false
	}
	if n < min || n > max {
		r.add(v.line, join(prefix, k), "%d is out of range %d..%d", n, min, max)
		return 0, false
	}
	return n, true
}

func (r reader) duration(t *table, prefix, k string) (time.Duration, bool) {
	s, line, ok := r.str(t, prefix, k)
	if !ok {
		return 0, false
	}
	d, err := parseDuration(s)
	if err != nil {
		r.add(line, join(prefix, k), "%v", err)
		return 0, false
	}
	return d, true
}

// strList reads an array of strings (at most max entries, no duplicates), with each entry's line.
func (r reader) strList(t *table, prefix, k string, max int) ([]string, []int) {
	v, ok := t.get(k)
	if !ok {
		return nil, nil
	}
	key := join(prefix, k)
	arr, isArr := v.v.([]value)
	if !isArr {
		r.add(v.line, key, "must be an array of strings, not %s", typeName(v.v))
		return nil, nil
	}
	if len(arr) > max {
		r.add(v.line, key, "has %d entries; at most %d are allowed", len(arr), max)
		return nil, nil
	}
	out := make([]string, 0, len(arr))
	lines := make([]int, 0, len(arr))
	seen := map[string]bool{}
	for i, e := range arr {
		s, isStr := r.text(e)
		if !isStr {
			r.add(e.line, fmt.Sprintf("%s[%d]", key, i), "must be a string, not %s", typeName(e.v))
			continue
		}
		if seen[s] {
			r.add(e.line, key, "duplicate entry %q", truncate(s))
			continue
		}
		seen[s] = true
		out = append(out, s)
		lines = append(lines, e.line)
	}
	return out, lines
}

// argv reads a command: an array of strings, or one string split like a shell splits words.
func (r reader) argv(t *table, prefix, k string) ([]string, bool) {
	args, lines, ok := r.words(t, prefix, k)
	if !ok {
		return nil, false
	}
	return args, r.checkArgv(join(prefix, k), args, lines)
}

// words reads a command's words, each with its line, without checking them.
func (r reader) words(t *table, prefix, k string) ([]string, []int, bool) {
	v, ok := t.get(k)
	if !ok {
		return nil, nil, false
	}
	key := join(prefix, k)
	var args []string
	var lines []int // each argument's line
	if x, isStr := r.text(v); isStr {
		if err := checkText(x, true, maxArgLen); err != nil {
			r.add(v.line, key, "%v", err)
			return nil, nil, false
		}
		words, err := SplitWords(x)
		if err != nil {
			r.add(v.line, key, "%v", err)
			return nil, nil, false
		}
		for _, w := range words {
			args = append(args, w)
			lines = append(lines, v.line)
		}
	} else if x, isArr := v.v.([]value); isArr {
		for i, e := range x {
			s, isStr := r.text(e)
			if !isStr {
				r.add(e.line, fmt.Sprintf("%s[%d]", key, i), "must be a string, not %s", typeName(e.v))
				return nil, nil, false
			}
			args = append(args, s)
			lines = append(lines, e.line)
		}
	} else {
		r.add(v.line, key, "must be a string or an array of strings, not %s", typeName(v.v))
		return nil, nil, false
	}
	if len(args) == 0 {
		r.add(v.line, key, "is empty")
		return nil, nil, false
	}
	if len(args) > maxArgs {
		r.add(v.line, key, "has %d arguments; at most %d are allowed", len(args), maxArgs)
		return nil, nil, false
	}
	return args, lines, true
}

// checkArgv checks a command's program and arguments, reporting each on its own line.
func (r reader) checkArgv(key string, args []string, lines []int) bool {
	if err := checkExecutable(args[0]); err != nil {
		r.add(lines[0], key, "%v", err)
		return false
	}
	for i, a := range args[1:] {
		if err := checkText(a, true, maxArgLen); err != nil {
			r.add(lines[i+1], key, "argument %q: %v", truncate(a), err)
			return false
		}
	}
	return true
}

// env reads a table of environment variables with string (or scalar) values.
func (r reader) env(t *table, prefix, k string) map[string]string {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	key := join(prefix, k)
	et, isTable := v.v.(*table)
	if !isTable {
		r.add(v.line, key, "must be a table of NAME = \"value\", not %s", typeName(v.v))
		return nil
	}
	if len(et.keys) > maxEnv {
		r.add(v.line, key, "has %d variables; at most %d are allowed", len(et.keys), maxEnv)
		return nil
	}
	out := map[string]string{}
	for _, name := range et.keys {
		ev := et.val(name)
		if err := checkEnvName(name); err != nil {
			r.add(ev.line, join(key, name), "%v", err)
			continue
		}
		// Numbers and booleans are taken as written (1.50 stays "1.50"), in both formats.
		s, isText := r.text(ev)
		if !isText {
			s, isText = writtenScalar(ev)
		}
		if !isText {
			r.add(ev.line, join(key, name), "must be a string, not %s", typeName(ev.v))
			continue
		}
		if err := checkText(s, true, maxArgLen); err != nil {
			r.add(ev.line, join(key, name), "%v", err)
			continue
		}
		out[name] = s
	}
	return out
}

// Closest is closest for other "did you mean" hints (heroctl's, for service names).
func Closest(word string, candidates []string) string { return closest(word, candidates) }

// closest returns the allowed key nearest to k, for "did you mean" hints: the nearest within
// edit distance 2 ("restart_dealy" -> "restart_delay"), else, for a key of 5 or more letters,
// one it is a truncation or an extension of ("environ" -> "environment").
func closest(k string, allowed []string) string {
	best, bestD := "", 3
	sorted := append([]string(nil), allowed...)
	sort.Strings(sorted)
	lk := strings.ToLower(k)
	for _, a := range sorted {
		if d := editDistance(lk, a); d < bestD {
			best, bestD = a, d
		}
	}
	if best != "" {
		return best
	}
	for _, a := range sorted {
		if len(lk) >= 5 && (strings.HasPrefix(a, lk[:len(lk)-1]) || strings.HasPrefix(lk, a)) {
			return a
		}
	}
	return ""
}

// editDistance is the optimal string alignment distance of a and b: insertions, deletions,
// substitutions and transpositions of neighbours cost 1 each ("wbe" is 1 from "web", 2 from
// "db"), as typing mistakes go.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// tomlDate stands for a TOML date or time: no hero key takes one, but the type must be named.
type tomlDate string

// tableState is how a table came to be, which decides what may still add to it.
type tableState uint8

const (
	implicitTable tableState = iota // a parent of a [header]: may be defined by its own header once
	headerTable                     // defined by a [header] or as an element of [[header]]
	dottedTable                     // defined by dotted keys (a.b = 1): only more dotted keys add to it
	inlineTable                     // { ... }: complete as written
)
