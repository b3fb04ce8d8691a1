package config

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	gotoml "github.com/pelletier/go-toml/v2"
)

// TestTOMLTables checks TOML's rules on defining tables, as the TOML spec states them.
func TestTOMLTables(t *testing.T) {
	tests := []struct {
		name, doc, problem string // problem "" = valid
	}{
		{"sub-table after its parent", "[a]\nx = 1\n[a.b]\ny = 2\n", ""},
		{"parent after a sub-table", "[a.b]\ny = 2\n[a]\nx = 1\n", ""},
		{"table twice", "[a]\nx = 1\n[a]\ny = 2\n", "t.toml:3: a: defined more than once (first on line 1)"},
		{"key twice", "x = 1\nx = 2\n", "t.toml:2: x: defined more than once (first on line 1)"},
		{"dotted keys define tables", "a.b.c = 1\na.b.d = 2\n", ""},
		{"header over a dotted table", "a.b = 1\n[a]\n", "t.toml:2: a: defined more than once (first on line 1)"},
		{"sub-table of a dotted table", "[f]\napple.color = 1\n[f.apple.texture]\nsmooth = true\n", ""},
		{"dotted keys into a header table", "[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", "t.toml:4: a.b: is already defined on line 1; dotted keys cannot add to it"},
		{"inline table closed to headers", "a = {x = 1}\n[a.b]\n", "t.toml:2: a: is already defined on line 1 as a table, not a table that can be extended"},
		{"inline table closed to dotted keys", "a = {x = 1}\na.y = 2\n", "t.toml:2: a: is already defined on line 1; dotted keys cannot add to it"},
		{"array of tables", "[[a]]\nx = 1\n[[a]]\nx = 2\n[a.b]\ny = 3\n", ""},
		{"array of tables over a static array", "a = [1]\n[[a]]\n", "t.toml:2: a: [[a]] adds to an array of tables, but a is already defined on line 1"},
		{"table over an array of tables", "[[a]]\n[a]\n", "t.toml:2: a: defined more than once (first on line 1)"},
		{"integer too large", "x = 9223372036854775808\n", "t.toml:1: x: integer 9223372036854775808 does not fit in 64 bits"},
		{"leading zero", "x = 0755\n", "syntax"},
		{"too deep", "a = [[[[[[[[[[1]]]]]]]]]]\n", "t.toml:1: a[0][0][0][0][0][0][0][0][0]: nested more than 8 levels deep"},
		{"too many entries", "a = [" + strings.Repeat("1,", maxCollection+1) + "]\n", "t.toml:1: a: has more than 1024 entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var probs Problems
			tree := parseTOML("t.toml", []byte(tt.doc), &probs)
			switch {
			case tt.problem == "" && (tree == nil || len(probs) > 0):
				t.Errorf("refused a valid document: %v", probs)
			case tt.problem == "syntax" && (len(probs) != 1 || !strings.Contains(probs[0].Message, "syntax error")):
				t.Errorf("problems %v, want a syntax error", probs)
			case tt.problem != "" && tt.problem != "syntax" && (len(probs) != 1 || probs[0].String() != tt.problem):
				t.Errorf("problems %v, want %q", probs, tt.problem)
			}
		})
	}
}

// FuzzTOMLMatchesDecoder holds the position-keeping reader to go-toml's own decoder: the same
// documents accepted (except those over hero's bounds), with the same values.
func FuzzTOMLMatchesDecoder(f *testing.F) {
	for _, s := range []string{
		"a = 1\n[b]\nc = [1, 'x', {d = true}]\n[[e]]\nf.g = 1.5\n[[e]]\n",
		"a.b = 1\n[a]\n", "[a]\n[a]\n", "x = 0x1F\ny = -inf\nz = 1979-05-27T07:32:00Z\n",
		"s = \"\"\"\nline\\\n  more\"\"\"\nt = '''raw'''\n",
		"a = {b = {c = [1, [2, [3]]]}}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var probs Problems
		tree := parseTOML("f.toml", data, &probs)
		var want map[string]any
		werr := gotoml.Unmarshal(data, &want)
		if tree == nil {
			if werr == nil && !overBounds(probs) {
				t.Fatalf("refused what go-toml accepts: %v\n%q", probs, data)
			}
			return
		}
		if werr != nil {
			t.Fatalf("accepted what go-toml refuses (%v):\n%q", werr, data)
		}
		if got := plain(tree); !sameTOML(got, want) {
			t.Fatalf("values differ:\n got %#v\nwant %#v\n%q", got, want, data)
		}
	})
}

func overBounds(probs Problems) bool {
	for _, p := range probs {
		if strings.Contains(p.Message, "levels deep") || strings.Contains(p.Message, "more than 1024") ||
			strings.Contains(p.Message, "parts; at most") {
			return true
		}
	}
	return false
}

// plain turns the tree into the map go-toml decodes to.
func plain(v any) any {
	switch x := v.(type) {
	case *table:
		m := map[string]any{}
		for _, k := range x.keys {
			m[k] = plain(x.val(k).v)
		}
		return m
	case []value:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e.v)
		}
		return out
	case tomlDate:
		return "date"
	}
	return v
}

func sameTOML(got, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			if !sameTOML(g[k], wv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameTOML(g[i], w[i]) {
				return false
			}
		}
		return true
	case float64:
		g, ok := got.(float64)
		return ok && (g == w || math.IsNaN(g) && math.IsNaN(w))
	case string, int64, bool:
		return reflect.DeepEqual(got, want)
	}
	return got == "date" || fmt.Sprint(got) == fmt.Sprint(want)
}
