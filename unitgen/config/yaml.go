package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"
)

// parseYAML decodes a zinit YAML file into the shared tree, with lines. A file holds one
// document. Aliases are refused: a service file has no use for them, and expanding them is how
// YAML bombs work.
func parseYAML(file string, data []byte, probs *Problems) *table {
	add := func(line int, key, msg string) *table {
		*probs = append(*probs, Problem{File: file, Line: line, Key: key, Message: msg})
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return add(0, "", "empty file")
		}
		return add(yamlErrorLine(data, err), "", "syntax error: "+readYAMLError(err).message)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return add(next.Line, "", "a second YAML document starts here: a service file holds one document")
	case !errors.Is(err, io.EOF):
		return add(yamlErrorLine(data, err), "", "syntax error: "+readYAMLError(err).message)
	}
	if len(doc.Content) == 0 {
		return add(0, "", "empty file")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return add(root.Line, "", "must be a mapping of keys to values")
	}
	v, err := yamlValue(root, "", 0)
	if err != nil {
		return add(err.line, err.key, err.msg)
	}
	return v.v.(*table)
}

// maxBisectedYAML is the largest file whose syntax errors are located by bisection (below):
// at most a dozen parses of a file this size stay within a few milliseconds. Service files
// are far smaller; beyond it, yaml.v3's own (corrected) line is reported.
const maxBisectedYAML = 8 << 10

// yamlErrorLine finds the line of a YAML syntax error. yaml.v3 reports the line of the construct
// it was parsing (for parser errors, counted from 0), not the line it stopped on: a block
// mapping's first key for a mis-indented key further down. The parser reads the document in
// one pass, so the mistake is on the first line L such that the document cut after L fails in
// the same way; that L is found by bisection. (The document is read with a leading newline so
// that yaml.v3 always reports the construct's line, which makes "the same way" exact.)
func yamlErrorLine(data []byte, err error) int {
	if len(data) > maxBisectedYAML {
		return readYAMLError(err).line
	}
	failure := func(prefix []byte) yamlSyntax { // the first error of any document, or none
		dec := yaml.NewDecoder(bytes.NewReader(append([]byte{'\n'}, prefix...)))
		for {
			var n yaml.Node
			if err := dec.Decode(&n); err != nil {
				if errors.Is(err, io.EOF) {
					return yamlSyntax{}
				}
				return readYAMLError(err)
			}
		}
	}
	lines := newLineIndex(data)
	cut := func(l int) []byte { // the first l lines
		if l <= len(lines) {
			return data[:lines[l-1]+1]
		}
		return data
	}
	want := failure(data)
	lo, hi := 1, len(lines)+1
	for lo < hi {
		mid := (lo + hi) / 2
		if failure(cut(mid)) == want {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

type yamlErr struct {
	line     int
	key, msg string
}

// yamlValue converts a node at path; depth and collection sizes are bounded as TOML's are.
func yamlValue(n *yaml.Node, path string, depth int) (value, *yamlErr) {
	if depth > maxNesting {
		return value{}, &yamlErr{line: n.Line, key: path, msg: fmt.Sprintf("nested more than %d levels deep", maxNesting)}
	}
	if len(n.Content) > 2*maxCollection {
		return value{}, &yamlErr{line: n.Line, key: path, msg: fmt.Sprintf("has more than %d entries", maxCollection)}
	}
	switch n.Kind {
	case yaml.AliasNode:
		return value{}, &yamlErr{line: n.Line, key: path, msg: "YAML aliases are not supported"}
	case yaml.ScalarNode:
		return yamlScalar(n, path)
	case yaml.SequenceNode:
		arr := make([]value, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := yamlValue(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return value{}, err
			}
			arr = append(arr, v)
		}
		return value{line: n.Line, v: arr}, nil
	case yaml.MappingNode:
		t := newTable(n.Line)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vn := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return value{}, &yamlErr{line: k.Line, key: path, msg: "keys must be plain strings"}
			}
			key := join(path, k.Value)
			if prev, dup := t.get(k.Value); dup {
				return value{}, &yamlErr{line: k.Line, key: key, msg: fmt.Sprintf("defined more than once (first on line %d)", prev.line)}
			}
			v, err := yamlValue(vn, key, depth+1)
			if err != nil {
				return value{}, err
			}
			v.line = k.Line
			t.set(k.Value, v)
		}
		return value{line: n.Line, v: t}, nil
	}
	return value{}, &yamlErr{line: n.Line, key: path, msg: "unsupported YAML node"}
}

// yamlScalar types a scalar as YAML's core schema resolves it, keeping the text as written.
func yamlScalar(n *yaml.Node, path string) (value, *yamlErr) {
	v := value{line: n.Line, raw: n.Value}
	switch n.ShortTag() {
	case "!!str":
		v.v = n.Value
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			return value{}, &yamlErr{line: n.Line, key: path, msg: fmt.Sprintf("integer %q does not fit in 64 bits", truncate(n.Value))}
		}
		v.v = i
	case "!!bool":
		var b bool
		_ = n.Decode(&b)
		v.v = b
	case "!!float":
		var f float64
		_ = n.Decode(&f)
		v.v = f
	case "!!null":
		v.v = nil
	default:
		v.v = n.Value
	}
	return v, nil
}
