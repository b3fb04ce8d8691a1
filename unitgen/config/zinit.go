package config

import (
	"fmt"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// zinit restarts a crashed non-oneshot service after about this long.
const zinitRestartDelay = 2 * time.Second

// parseYAML decodes a YAML document into the shared tree, with lines. Aliases are refused: a
// service file has no use for them, and expanding them is how YAML bombs work.
func parseYAML(file string, data []byte, probs *Problems) *table {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		}
		*probs = append(*probs, Problem{File: file, Line: line, Message: "syntax error: " + msg})
		return nil
	}
	if len(doc.Content) == 0 {
		*probs = append(*probs, Problem{File: file, Message: "empty file"})
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		*probs = append(*probs, Problem{File: file, Line: root.Line, Message: "must be a mapping of keys to values"})
		return nil
	}
	v, err := yamlValue(root, 0)
	if err != nil {
		*probs = append(*probs, Problem{File: file, Line: err.line, Key: err.key, Message: err.msg})
		return nil
	}
	return v.v.(*table)
}

type yamlErr struct {
	line     int
	key, msg string
}

func yamlValue(n *yaml.Node, depth int) (value, *yamlErr) {
	if depth > 16 {
		return value{}, &yamlErr{line: n.Line, msg: "nested too deeply"}
	}
	switch n.Kind {
	case yaml.AliasNode:
		return value{}, &yamlErr{line: n.Line, msg: "YAML aliases are not supported"}
	case yaml.ScalarNode:
		var out any
		switch n.ShortTag() {
		case "!!str":
			out = n.Value
		case "!!int":
			var i int64
			if err := n.Decode(&i); err != nil {
				return value{}, &yamlErr{line: n.Line, msg: fmt.Sprintf("integer %q out of range", truncate(n.Value))}
			}
			out = i
		case "!!bool":
			var b bool
			_ = n.Decode(&b)
			out = b
		case "!!float":
			var f float64
			_ = n.Decode(&f)
			out = f
		case "!!null":
			out = nil
		default:
			out = n.Value
		}
		return value{line: n.Line, v: out}, nil
	case yaml.SequenceNode:
		arr := make([]value, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c, depth+1)
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
				return value{}, &yamlErr{line: k.Line, msg: "keys must be plain strings"}
			}
			if _, dup := t.m[k.Value]; dup {
				return value{}, &yamlErr{line: k.Line, key: k.Value, msg: "duplicate key"}
			}
			v, err := yamlValue(vn, depth+1)
			if err != nil {
				return value{}, err
			}
			v.line = k.Line
			t.set(k.Value, v)
		}
		return value{line: n.Line, v: t}, nil
	}
	return value{}, &yamlErr{line: n.Line, msg: "unsupported YAML node"}
}

// decodeZinit maps a zinit service file onto s, keeping zinit's start semantics.
func decodeZinit(r reader, t *table, s *Service) {
	r.unknown(t, "", zinitKeys)
	a := Action{Name: "main"}
	p := &a.Process
	ok := true
	if _, has := t.m[zKeyExec]; has {
		p.Exec, ok = r.argv(t, "", zKeyExec)
	} else {
		r.add(0, zKeyExec, "missing: zinit services need exec")
		ok = false
	}
	p.Oneshot, _ = r.boolean(t, "", zKeyOneshot)
	// zinit respawns every service that is not oneshot.
	if p.Oneshot {
		p.Restart = RestartNo
	} else {
		p.Restart = RestartAlways
		p.RestartDelay = zinitRestartDelay
	}
	if _, has := t.m[zKeyTest]; has {
		p.Health, _ = r.argv(t, "", zKeyTest)
		p.HealthInterval, p.HealthTimeout = DefaultHealthInterval, DefaultHealthTimeout
	}
	var lines []int
	s.Requires, lines = r.strList(t, "", zKeyAfter, MaxDependencies)
	s.setDepLines(keyRequires, s.Requires, lines)
	if sv, has := t.m[zKeySignal]; has {
		st, isTable := sv.v.(*table)
		if !isTable {
			r.add(sv.line, zKeySignal, "must be a mapping like {stop: SIGTERM}, not %s", typeName(sv.v))
		} else {
			r.unknown(st, zKeySignal, []string{zKeySignalStop})
			if sig, line, has := r.str(st, zKeySignal, zKeySignalStop); has {
				name, _, err := ParseSignal(sig)
				if err != nil {
					r.add(line, "signal.stop", "%v", err)
				}
				p.StopSignal = name
			}
		}
	}
	if lg, line, has := r.str(t, "", zKeyLog); has {
		switch lg {
		case "ring", "stdout":
			s.Output = OutputCapture
		case "none":
			s.Output = OutputDiscard
		default:
			r.add(line, zKeyLog, "must be \"ring\", \"stdout\" or \"none\", not %q", truncate(lg))
		}
	}
	p.Env = r.env(t, "", zKeyEnv)
	if d, line, has := r.str(t, "", zKeyDir); has {
		if err := checkAbsPath(d); err != nil {
			r.add(line, zKeyDir, "%v", err)
		}
		p.Dir = d
	}
	if n, has := r.integer(t, "", zKeyShutdownTimeout, 1, int64(MaxDuration/time.Second)); has {
		p.StopTimeout = time.Duration(n) * time.Second
	}
	if ok {
		s.Actions = []Action{a}
	}
}
