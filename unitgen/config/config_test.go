package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	many := make([]string, maxDependencies+1)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprintf("d%d", i))
	}
	tests := []struct {
		name, file, data, want string
	}{
		{"huge file", "big.toml", "exec = \"/bin/true\"\n" + strings.Repeat("# padding\n", MaxFileSize/10+1),
			"big.toml: file is 65559 bytes; at most 65536 are allowed"},
		{"too many dependencies", "web.toml", "exec = \"/bin/true\"\n[dependencies]\nrequires = [" + strings.Join(many, ",") + "]\n",
			"web.toml:3: dependencies.requires: has 257 entries; at most 256 are allowed"},
		{"long name", strings.Repeat("n", maxNameLen+1) + ".toml", "exec = \"/bin/true\"\n",
			"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.toml: service name \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\" is longer than 48 bytes"},
		{"NUL in argument", "web.toml", "exec = [\"/bin/echo\", \"a\\u0000b\"]\n",
			"web.toml:1: exec: argument \"a\\x00b\": contains a NUL byte"},
		{"control character in description", "web.toml", "exec = \"/bin/true\"\ndescription = \"a\\u0007b\"\n",
			"web.toml:2: description: contains control character U+0007"},
		{"duration too long", "web.toml", "exec = \"/bin/true\"\ntimeout = \"9999h\"\n",
			"web.toml:2: timeout: duration \"9999h\" is longer than 720h0m0s"},
		{"duration finer than microseconds", "web.toml", "exec = \"/bin/true\"\ntimeout = \"1ns\"\n",
			"web.toml:2: timeout: duration \"1ns\" is finer than systemd's microseconds"},
		{"health options without health", "web.toml", "exec = \"/bin/true\"\nhealth_interval = \"1s\"\n",
			"web.toml:2: health_interval: has no effect without health"},
		{"signal number out of range", "web.toml", "exec = \"/bin/true\"\nstop_signal = \"99\"\n",
			"web.toml:2: stop_signal: signal number 99 is out of range 1..64"},
		{"program with prefix character", "web.toml", "exec = \"-foo\"\n",
			"web.toml:1: exec: program \"-foo\" starts with \"-\", which systemd reads as a prefix"},
		{"dir not normalized", "web.toml", "exec = \"/bin/true\"\ndir = \"/srv/../etc\"\n",
			"web.toml:2: dir: path \"/srv/../etc\" is not normalized (want \"/etc\")"},
		{"yaml not a mapping", "web.yaml", "- a\n- b\n", "web.yaml:1: must be a mapping of keys to values"},
		{"empty yaml", "web.yaml", "", "web.yaml: empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := Parse(tt.file, []byte(tt.data))
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			if !contains(got, tt.want) {
				t.Errorf("problems %q\nwant one %q", got, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	s, probs := Parse("web.toml", []byte("exec = \"/bin/true\"\nhealth = \"/bin/true\"\n"))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if s.Context != "default" || s.Status != WantIgnore || s.Main().Restart != RestartNo || s.Output != OutputCapture {
		t.Errorf("defaults: %+v", s)
	}
	if s.Main().HealthInterval != time.Second || s.Main().HealthTimeout != 90*time.Second {
		t.Errorf("health defaults %v %v", s.Main().HealthInterval, s.Main().HealthTimeout)
	}
}

func TestSplitWords(t *testing.T) {
	tests := map[string][]string{
		`a b  c`:            {"a", "b", "c"},
		`"a b" 'c d'`:       {"a b", "c d"},
		`a\ b`:              {"a b"},
		`"say \"hi\""`:      {`say "hi"`},
		`'single \ stays'`:  {`single \ stays`},
		`x""y`:              {"xy"},
		`""`:                {""},
		"a # comment\nb":    {"a", "b"},
		"a#b #c":            {"a#b"},
		"\"a\\\nb\" c\\\nd": {"ab", "cd"},
		`"\x"`:              {`\x`},
	}
	for in, want := range tests {
		got, err := SplitWords(in)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"open`, `'open`, `trailing\`} {
		if _, err := SplitWords(bad); err == nil {
			t.Errorf("SplitWords(%q) accepted", bad)
		}
	}
}

// BenchmarkBuild100kFiles measures parsing and validating a directory of 100k small TOML files
// (the graph alone is measured in graphs).
func BenchmarkBuild100kFiles(b *testing.B) {
	files := make([]File, 100_000)
	files[0] = File{Name: "root.toml", Data: []byte("exec = \"/bin/true\"\n")}
	for i := 1; i < len(files); i++ {
		files[i] = File{Name: fmt.Sprintf("s%06d.toml", i), Data: []byte(fmt.Sprintf("exec = [\"/usr/bin/sleep\", \"infinity\"]\n[dependencies]\nrequires = [\"root\"]\nafter = [\"s%06d\"]\n", max(1, i-1)))}
	}
	files[1].Data = []byte("exec = \"/bin/true\"\n[dependencies]\nrequires = [\"root\"]\n")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, probs := Build(files); len(probs) > 0 {
			b.Fatal(probs[0])
		}
	}
}

// YAML syntax errors are reported on the line of the mistake, not where yaml.v3 says.
func TestYAMLErrorLines(t *testing.T) {
	tests := []struct {
		name, doc string
		line      int
	}{
		{"flow sequence missing ]", "exec: /bin/true\nafter: [a, b\nsignal:\n  stop: x\n", 2},
		{"flow sequence on line 1", "after: [a, b\nexec: /bin/true\n", 1},
		{"flow mapping missing }", "exec: /bin/true\n\nenv: {A: b\nlog: x\n", 3},
		{"key indented too little", "exec: /bin/true\nenv:\n  A: 1\n B: 2\n", 4},
		{"unclosed quote on line 1", "exec: \"abc\ndir: /x\n", 1},
		{"tab", "dir: /x\nexec: x\n\ttab: 1\n", 3},
		{"line without a colon", "exec: x\nfoo\nbar: 1\n", 2},
		{"mapping in a value", "exec: x\nlog: a: b\n", 2},
		{"valid flow before the mistake", "after: [a,\n  b]\nexec: x\nlog: a: b\n", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := Parse("z.yaml", []byte(tt.doc))
			if len(probs) != 1 || probs[0].Line != tt.line {
				t.Errorf("problems %v, want one on line %d", probs, tt.line)
			}
		})
	}
}

// A syntax error in a second document is reported on its line too.
func TestYAMLErrorInSecondDocument(t *testing.T) {
	_, probs := Parse("z.yaml", []byte("exec: /bin/true\n---\nlog: a: b\n"))
	if len(probs) != 1 || probs[0].Line != 3 {
		t.Errorf("problems %v, want one on line 3", probs)
	}
}

// An action's name follows the service names' rule, and its problem says "action name".
func TestActionNameProblems(t *testing.T) {
	tests := map[string]string{
		`""`:      `empty action name`,
		`"-x"`:    `invalid action name "-x": use letters, digits, '_', '.', '-', starting with a letter or digit`,
		`"a b"`:   `invalid action name "a b": use letters, digits, '_', '.', '-', starting with a letter or digit`,
		`"first"`: ``,
	}
	for name, want := range tests {
		doc := "[[actions]]\nname = " + name + "\nexec = \"/bin/true\"\n"
		_, probs := Parse("svc.toml", []byte(doc))
		got := ""
		for _, p := range probs {
			if p.Key == "actions[0].name" {
				got = p.Message
			}
		}
		if got != want {
			t.Errorf("name = %s: got %q, want %q (all: %v)", name, got, want, probs)
		}
	}
}
