package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Bounds on the shape of a file, checked while it is read, so that no file of at most
// MaxFileSize bytes can make reading it slow or large, whatever its bytes.
const (
	maxNesting    = 8    // nested tables and arrays below the top level
	maxCollection = 1024 // entries of one array, keys of one table
)

// parseTOML decodes hero TOML into the shared tree, each value with the line it is on, from
// go-toml's parser (which gives every key and value its place in the source). The rules TOML
// sets on defining tables are enforced here: a table is defined once, dotted keys and inline
// tables cannot be extended by a later header, and a key holds one value.
func parseTOML(file string, data []byte, probs *Problems) *table {
	b := tomlBuilder{lines: newLineIndex(data), p: parsers.Get().(*unstable.Parser)}
	defer parsers.Put(b.p)
	b.root = newTable(1)
	b.p.Reset(data)
	current := b.root
	for b.p.NextExpression() {
		e := b.p.Expression()
		var err *tomlError
		switch e.Kind {
		case unstable.KeyValue:
			err = b.keyValue(current, e, 0)
		case unstable.Table, unstable.ArrayTable:
			current, err = b.header(e, e.Kind == unstable.ArrayTable)
		}
		if err != nil {
			*probs = append(*probs, Problem{File: file, Line: err.line, Key: err.key, Message: err.msg})
			return nil
		}
	}
	if err := b.p.Error(); err != nil {
		line := 0
		var pe *unstable.ParserError
		if errors.As(err, &pe) && pe.Highlight != nil {
			line = b.lines.line(int(b.p.Range(pe.Highlight).Offset))
		}
		*probs = append(*probs, Problem{File: file, Line: line, Message: "syntax error: " + err.Error()})
		return nil
	}
	return b.root
}

type tomlBuilder struct {
	p     *unstable.Parser
	lines lineIndex
	root  *table
}

// parsers are reused: a parser keeps its node arena from one file to the next.
var parsers = sync.Pool{New: func() any { return new(unstable.Parser) }}

// path is the dotted key path of table t, for messages.
func (t *table) path() string {
	if t.parent == nil {
		return ""
	}
	return join(t.parent.path(), t.name)
}

type tomlError struct {
	line     int
	key, msg string
}

func (b *tomlBuilder) errorf(line int, key, format string, args ...any) *tomlError {
	return &tomlError{line: line, key: key, msg: fmt.Sprintf(format, args...)}
}

// keyPart is one part of a dotted key with its line.
type keyPart struct {
	name string
	line int
}

// keyParts appends the parts of a key to parts (a caller's buffer: keys have few parts).
func (b *tomlBuilder) keyParts(it unstable.Iterator, parts []keyPart) []keyPart {
	for it.Next() {
		n := it.Node()
		parts = append(parts, keyPart{name: string(n.Data), line: b.lines.line(int(n.Raw.Offset))})
	}
	return parts
}

func (b *tomlBuilder) newTable(parent *table, name string, line int, st tableState) *table {
	t := newTable(line)
	t.parent, t.name, t.defined = parent, name, st
	return t
}

// header opens the table of a [header] or appends a table to the array of a [[header]].
func (b *tomlBuilder) header(n *unstable.Node, array bool) (*table, *tomlError) {
	var buf [4]keyPart
	parts := b.keyParts(n.Key(), buf[:0])
	if len(parts) > maxNesting+1 {
		return nil, b.errorf(parts[0].line, "", "table name has %d parts; at most %d are allowed", len(parts), maxNesting+1)
	}
	t := b.root
	for _, k := range parts[:len(parts)-1] {
		next, err := b.descendHeader(t, k)
		if err != nil {
			return nil, err
		}
		t = next
	}
	last := parts[len(parts)-1]
	path := join(t.path(), last.name)
	v, exists := t.get(last.name)
	switch {
	case array && !exists:
		nt := b.newTable(t, last.name, last.line, headerTable)
		nt.name = last.name + "[0]"
		return nt, b.set(t, last, value{line: last.line, v: []value{{line: last.line, v: nt}}, tables: true})
	case array && v.tables:
		elems := v.v.([]value)
		if len(elems) >= maxCollection {
			return nil, b.errorf(last.line, path, "has more than %d entries", maxCollection)
		}
		nt := b.newTable(t, fmt.Sprintf("%s[%d]", last.name, len(elems)), last.line, headerTable)
		t.replace(last.name, value{line: v.line, v: append(elems, value{line: last.line, v: nt}), tables: true})
		return nt, nil
	case array:
		return nil, b.errorf(last.line, path, "[[%s]] adds to an array of tables, but %s is already defined on line %d", path, path, v.line)
	case !exists:
		nt := b.newTable(t, last.name, last.line, headerTable)
		return nt, b.set(t, last, value{line: last.line, v: nt})
	}
	et, isTable := v.v.(*table)
	if !isTable || et.defined != implicitTable {
		return nil, b.errorf(last.line, path, "defined more than once (first on line %d)", v.line)
	}
	et.defined = headerTable
	et.line = last.line
	return et, nil
}

// descendHeader goes one key part down for a header, creating the parent tables it names.
func (b *tomlBuilder) descendHeader(t *table, k keyPart) (*table, *tomlError) {
	v, exists := t.get(k.name)
	if !exists {
		nt := b.newTable(t, k.name, k.line, implicitTable)
		return nt, b.set(t, k, value{line: k.line, v: nt})
	}
	if v.tables {
		elems := v.v.([]value)
		return elems[len(elems)-1].v.(*table), nil
	}
	if nt, isTable := v.v.(*table); isTable && nt.defined != inlineTable {
		return nt, nil
	}
	return nil, b.errorf(k.line, join(t.path(), k.name), "is already defined on line %d as %s, not a table that can be extended", v.line, typeName(v.v))
}

// keyValue sets `a.b.c = value` in t: a and b are tables defined by these dotted keys.
func (b *tomlBuilder) keyValue(t *table, n *unstable.Node, depth int) *tomlError {
	var buf [4]keyPart
	parts := b.keyParts(n.Key(), buf[:0])
	if depth+len(parts) > maxNesting+1 {
		return b.errorf(parts[0].line, "", "nested more than %d levels deep", maxNesting)
	}
	for _, k := range parts[:len(parts)-1] {
		v, exists := t.get(k.name)
		if !exists {
			nt := b.newTable(t, k.name, k.line, dottedTable)
			if err := b.set(t, k, value{line: k.line, v: nt}); err != nil {
				return err
			}
			t = nt
			continue
		}
		nt, isTable := v.v.(*table)
		if !isTable || nt.defined != dottedTable {
			return b.errorf(k.line, join(t.path(), k.name), "is already defined on line %d; dotted keys cannot add to it", v.line)
		}
		t = nt
	}
	last := parts[len(parts)-1]
	depth += len(parts)
	val, err := b.value(t, last, n.Value(), depth)
	if err != nil {
		return err
	}
	return b.set(t, last, val)
}

// set adds a new key to t.
func (b *tomlBuilder) set(t *table, k keyPart, v value) *tomlError {
	if prev, exists := t.get(k.name); exists {
		return b.errorf(k.line, join(t.path(), k.name), "defined more than once (first on line %d)", prev.line)
	}
	if len(t.keys) >= maxCollection {
		return b.errorf(k.line, t.path(), "has more than %d keys", maxCollection)
	}
	t.set(k.name, v)
	return nil
}

// value converts the value node of key k (in table t) at the given depth.
func (b *tomlBuilder) value(t *table, k keyPart, n *unstable.Node, depth int) (value, *tomlError) {
	line := k.line
	if n.Raw.Length > 0 {
		line = b.lines.line(int(n.Raw.Offset))
	}
	path := func() string { return join(t.path(), k.name) } // for messages only
	if depth > maxNesting+1 {
		return value{}, b.errorf(line, path(), "nested more than %d levels deep", maxNesting)
	}
	switch n.Kind {
	case unstable.String:
		return value{line: line, v: string(n.Data)}, nil
	case unstable.Bool:
		return value{line: line, v: string(n.Data) == "true", raw: string(n.Data)}, nil
	case unstable.Integer:
		i, err := strconv.ParseInt(strings.ReplaceAll(string(n.Data), "_", ""), 0, 64)
		if err != nil {
			return value{}, b.errorf(line, path(), "integer %s does not fit in 64 bits", truncate(string(n.Data)))
		}
		return value{line: line, v: i, raw: string(n.Data)}, nil
	case unstable.Float:
		f, err := parseTOMLFloat(string(n.Data))
		if err != nil {
			return value{}, b.errorf(line, path(), "float %s is out of range", truncate(string(n.Data)))
		}
		return value{line: line, v: f, raw: string(n.Data)}, nil
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		// The parser checks a date's shape, not its fields; go-toml's decoder checks those. No
		// hero key takes a date, so this runs at most for a mistake.
		var m map[string]any
		if err := toml.Unmarshal(append([]byte("d = "), n.Data...), &m); err != nil {
			return value{}, b.errorf(line, path(), "syntax error: %v", err)
		}
		return value{line: line, v: tomlDate(n.Data)}, nil
	case unstable.Array:
		var arr []value
		for it := n.Children(); it.Next(); {
			if len(arr) >= maxCollection {
				return value{}, b.errorf(line, path(), "has more than %d entries", maxCollection)
			}
			e, err := b.value(t, keyPart{name: k.name + "[" + strconv.Itoa(len(arr)) + "]", line: line}, it.Node(), depth+1)
			if err != nil {
				return value{}, err
			}
			if len(arr) == 0 && n.Raw.Length == 0 {
				line = e.line // an array's own place is where its first entry is
			}
			arr = append(arr, e)
		}
		if arr == nil {
			arr = []value{}
		}
		return value{line: k.line, v: arr}, nil
	case unstable.InlineTable:
		it := b.newTable(t, k.name, line, inlineTable)
		for c := n.Children(); c.Next(); {
			if err := b.keyValue(it, c.Node(), depth); err != nil {
				return value{}, err
			}
		}
		return value{line: line, v: it}, nil
	}
	return value{}, b.errorf(line, path(), "unsupported TOML value")
}

// parseTOMLFloat reads a float the parser has checked: digits with '_', inf and nan signed.
func parseTOMLFloat(s string) (float64, error) {
	s = strings.ReplaceAll(s, "_", "")
	switch strings.TrimLeft(s, "+-") {
	case "inf":
		if strings.HasPrefix(s, "-") {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	case "nan":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}
