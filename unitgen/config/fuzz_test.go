package config

import (
	"reflect"
	"strings"
	"testing"
)

// The parsers must never panic, and whatever they accept must hold only values systemd takes.
func FuzzParseTOML(f *testing.F) {
	f.Add([]byte("exec = \"/bin/true\"\n[dependencies]\nrequires = [\"a\"]\n"))
	f.Add([]byte("[[actions]]\nname = \"a\"\ninterpreter = \"/bin/sh\"\nscript = '''x = 1'''\n[limits]\nmemory = \"1G\"\n"))
	f.Add([]byte("exec = ['/bin/echo', \"a b\"]\nenv = { A = 1 }\nhealth = \"true\"\nstop_signal = \"TERM\"\n"))
	f.Add([]byte("a = [[[[[[1]]]]]]\n[x.y.z]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, probs := Parse("fuzz.toml", data)
		checkAccepted(t, s, probs)
	})
}

func FuzzParseYAML(f *testing.F) {
	f.Add([]byte("exec: /bin/true\nafter: [a]\nsignal: {stop: SIGINT}\n"))
	f.Add([]byte("exec: &a x\ntest: *a\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("exec: \"/bin/sh -c 'echo'\"\nenv: {A: 1, B: true}\nshutdown_timeout: 99999999999999999999\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, probs := Parse("fuzz.yaml", data)
		checkAccepted(t, s, probs)
	})
}

// FuzzSplitWords: SplitWords never panics, and words quoted back for a shell split into the
// same words.
func FuzzSplitWords(f *testing.F) {
	f.Add(`a "b c" 'd' e\ f`)
	f.Add(`"\$x" '\' "\\" x\
y`)
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitWords(s)
		if err != nil {
			return
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		again, err := SplitWords(strings.Join(quoted, " "))
		if err != nil || !reflect.DeepEqual(again, words) && !(len(again) == 0 && len(words) == 0) {
			t.Fatalf("SplitWords(%q) = %q; quoted back %q, split again %q (%v)", s, words, quoted, again, err)
		}
	})
}

func checkAccepted(t *testing.T, s *Service, probs Problems) {
	for _, p := range probs {
		if p.File == "" || p.Message == "" {
			t.Fatalf("problem without file or message: %+v", p)
		}
	}
	if len(probs) > 0 || s == nil {
		return
	}
	if len(s.Actions) == 0 {
		t.Fatalf("accepted a service without actions")
	}
	for _, a := range s.Actions {
		if len(a.Exec) == 0 || checkExecutable(a.Exec[0]) != nil {
			t.Fatalf("accepted bad exec %q", a.Exec)
		}
		for k, v := range a.Env {
			if checkEnvName(k) != nil || strings.ContainsRune(v, 0) {
				t.Fatalf("accepted bad env %q=%q", k, v)
			}
		}
	}
	if CheckContext(s.Context) != nil {
		t.Fatalf("accepted bad context %q", s.Context)
	}
}

// FuzzParseSignal covers the signal a service file or a D-Bus caller names: never a panic, and
// what is accepted is a signal 1..64 whose canonical name maps back to its number.
func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"SIGTERM", "term", "9", "64", "65", "0", "-1", "SIGRTMIN", "SIG"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, n, err := ParseSignal(s)
		if err != nil {
			return
		}
		if n < 1 || n > 64 || SignalNumber(name) != n {
			t.Fatalf("ParseSignal(%q) = %q, %d", s, name, n)
		}
	})
}
