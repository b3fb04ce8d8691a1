package unitgen_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// hostileValues are what a service file may hold that systemd would otherwise rewrite: its
// variables, its escape for them, its specifiers, and what its unit-file syntax treats
// specially. The integration tier checks the same values on a real systemd (literal_test.go).
var hostileValues = []string{
	"$", "$X", "${X}", "$$", "$$X", "a$X", "$X$X", "${X", "$1", "%n", "%%", "%", "100%n%%",
	`back\slash`, `trailing\`, `\\`, `"double"`, "'single'", "line1\nline2", ";", "\\;", " lead",
	"trail ", "tab\there", "#hash", "",
}

// tomlQuote writes s as a TOML basic string: JSON's string escapes are TOML's (for UTF-8).
func tomlQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func tomlArray(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = tomlQuote(w)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// expandLikeSystemd is systemd's (252) replace_env_argv(), which runs on the argv of every
// command it starts: a word that is only $NAME becomes NAME's value split at blanks (no word
// when unset), ${NAME} anywhere becomes its value, "$$" becomes "$"; other '$' stay.
func expandLikeSystemd(argv []string, env map[string]string) []string {
	var out []string
	for _, a := range argv {
		if len(a) > 1 && a[0] == '$' && a[1] != '{' && a[1] != '$' {
			if v, ok := env[a[1:]]; ok {
				out = append(out, strings.Fields(v)...)
			}
			continue
		}
		var b strings.Builder
		for i := 0; i < len(a); i++ {
			if a[i] != '$' || i+1 == len(a) {
				b.WriteByte(a[i])
				continue
			}
			switch a[i+1] {
			case '$':
				b.WriteByte('$')
				i++
			case '{':
				if end := strings.IndexByte(a[i+2:], '}'); end >= 0 {
					b.WriteString(env[a[i+2:i+2+end]])
					i += 2 + end
				} else {
					b.WriteString(a[i:])
					i = len(a)
				}
			default:
				b.WriteByte('$')
			}
		}
		out = append(out, b.String())
	}
	return out
}

// whatRuns is the program (argv and environment) a command of unit u finally runs: a plain
// command as systemd expands it, a hero-exec command as hero-exec decodes it (which expands
// nothing). A plain command must hold no "$" or ";": those do not survive systemd 252's
// transient unit files (see unitgen/execspec).
func whatRuns(t *testing.T, argv []string, env map[string]string) (prog []string, out map[string]string) {
	t.Helper()
	out = map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	if argv[0] != unitgen.DefaultExecHelper {
		for _, a := range argv {
			if strings.ContainsAny(a, "$;") {
				t.Errorf("a plain command holds %q, which systemd's transient unit file rewrites", a)
			}
		}
		return expandLikeSystemd(argv, env), out
	}
	carried := map[string]string{}
	for k, v := range out {
		if strings.HasPrefix(k, execspec.PreEnvPrefix) {
			carried[k] = v
			delete(out, k) // as hero-exec does, whatever it runs
		}
	}
	switch argv[1] {
	case "exec":
		var s execspec.Spec
		if err := execspec.Decode(argv[2], &s); err != nil {
			t.Fatal(err)
		}
		for _, k := range s.Unset {
			delete(out, k)
		}
		for k, v := range s.Env {
			out[k] = v
		}
		if s.EnvFrom != "" {
			own := map[string]string{}
			if err := execspec.Decode(carried[s.EnvFrom], &own); err != nil {
				t.Fatal(err)
			}
			for k, v := range own {
				out[k] = v
			}
		}
		return s.Argv, out
	case "health":
		var h execspec.Health
		if err := execspec.Decode(argv[2], &h); err != nil {
			t.Fatal(err)
		}
		return h.Argv, out
	}
	t.Fatalf("hero-exec mode %q", argv[1])
	return nil, nil
}

// unitEnv is the environment systemd gives the unit's commands: Environment=, then the
// environment file (which wins), read as systemd reads it.
func unitEnv(t *testing.T, u *unitgen.Unit) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, p := range u.Properties {
		if p.Name == "Environment" {
			for _, kv := range p.Value.Value().([]string) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
	}
	for k, v := range readEnvFileLikeSystemd(t, string(u.EnvContent)) {
		env[k] = v
	}
	return env
}

// readEnvFileLikeSystemd is systemd's parse_env_file_internal() (src/basic/env-file.c) for
// the lines hero writes, NAME="VALUE": inside double quotes a backslash escapes '"', '\',
// '`' and '$' (and a backslash-newline is dropped; any other backslash is kept), and every
// other byte, line breaks included, is the value's.
func readEnvFileLikeSystemd(t *testing.T, content string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for len(content) > 0 {
		k, rest, ok := strings.Cut(content, "=")
		if !ok || strings.ContainsAny(k, "\n\r \t") || !strings.HasPrefix(rest, `"`) {
			t.Fatalf("environment file line does not start NAME=\"...: %q", content)
		}
		var v strings.Builder
		i := 1
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				switch {
				case strings.IndexByte("\"\\`$", rest[i]) >= 0:
					v.WriteByte(rest[i])
				case rest[i] == '\n':
				default:
					v.WriteByte('\\')
					v.WriteByte(rest[i])
				}
				continue
			}
			v.WriteByte(rest[i])
		}
		if i >= len(rest) || !strings.HasPrefix(rest[i+1:], "\n") {
			t.Fatalf("unterminated value in the environment file: %q", rest)
		}
		out[k] = v.String()
		content = rest[i+2:]
	}
	return out
}

func execArgv(t *testing.T, u *unitgen.Unit, name string) [][]string {
	t.Helper()
	var out [][]string
	for _, p := range u.Properties {
		if p.Name == name {
			for _, c := range unitgen.ForTest(p.Value.Value()).([]unitgen.ExecCommandForTest) {
				out = append(out, c.Argv)
			}
		}
	}
	return out
}

// Every argument, script, health command and environment value reaches the program exactly as
// written, under systemd's expansion rules (modelled here; checked on systemd by the
// integration tier).
func TestValuesReachTheProgramLiterally(t *testing.T) {
	for _, v := range hostileValues {
		t.Run(fmt.Sprintf("%q", v), func(t *testing.T) {
			script := "echo " + v
			words := []string{"/bin/echo", v, "x" + v + "y"}
			file := fmt.Sprintf(`env = { X = "expanded", V = %s }
[[actions]]
name = "pre"
exec = %s
env = { PRE = %s }
[[actions]]
name = "script"
interpreter = "/bin/sh"
script = %s
[[actions]]
name = "main"
exec = %s
health = %s
`, tomlQuote(v), tomlArray(words), tomlQuote(v), tomlQuote(script), tomlArray(words), tomlArray(words))
			set, probs := config.Build([]config.File{{Name: "lit.toml", Data: []byte(file)}})
			if len(probs) > 0 {
				t.Fatalf("%v\n%s", probs, file)
			}
			u, err := unitgen.Generate(set, set.Service("lit"), unitgen.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkPropertiesMatchText(t, u)
			env := unitEnv(t, u)
			if env["V"] != v {
				t.Errorf("Environment V=%q, want %q", env["V"], v)
			}
			pre := execArgv(t, u, "ExecStartPre")
			prog, preEnv := whatRuns(t, pre[0], env)
			if !reflect.DeepEqual(prog, words) || preEnv["PRE"] != v {
				t.Errorf("pre-action runs %q with PRE=%q, want %q with %q", prog, preEnv["PRE"], words, v)
			}
			if got, _ := whatRuns(t, pre[1], env); !reflect.DeepEqual(got, []string{"/bin/sh", "-c", script}) {
				t.Errorf("script action runs %q, want the script %q", got, script)
			}
			if got, _ := whatRuns(t, execArgv(t, u, "ExecStart")[0], env); !reflect.DeepEqual(got, words) {
				t.Errorf("ExecStart runs %q, want %q", got, words)
			}
			if health, _ := whatRuns(t, execArgv(t, u, "ExecStartPost")[0], env); !reflect.DeepEqual(health, words) {
				t.Errorf("health check runs %q, want %q", health, words)
			}
		})
	}
}

// FuzzTextMatchesProperties: for any valid service file, the unit can be written, and its text
// (read back with go-systemd's parser) says what its D-Bus properties say.
func FuzzTextMatchesProperties(f *testing.F) {
	f.Add([]byte("exec = [\"/bin/echo\", \"$X\", \"%n\", \"a\\\\\"]\nenv = { A = \"$$\" }\ndescription = \"100%\"\n"))
	f.Add([]byte("[[actions]]\nname = \"a\"\nexec = \"/bin/true\"\nenv = { B = \"x y\" }\ndir = \"/tmp\"\n[[actions]]\nname = \"b\"\ninterpreter = \"/bin/sh\"\nscript = '''echo \"$1\" \\\\'''\nhealth = \"true ';'\"\n"))
	f.Add([]byte("exec: \"/bin/sh -c 'echo $HOME'\"\nenv: {A: \"\\\\\", B: 1}\ntest: \"x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		name := "f.toml"
		if bytes.HasPrefix(data, []byte("exec:")) {
			name = "f.yaml"
		}
		set, probs := config.Build([]config.File{{Name: name, Data: data}})
		if len(probs) > 0 {
			return
		}
		u, err := unitgen.Generate(set, set.Services[0], unitgen.Options{})
		if err != nil {
			t.Fatalf("a valid service has no unit: %v\n%q", err, data)
		}
		if longestLine(u.Text()) >= unit.SYSTEMD_LINE_MAX {
			t.Skip("go-systemd's parser reads lines of at most 2048 bytes (systemd: 1 MiB)")
		}
		checkPropertiesMatchText(t, u)
	})
}

func longestLine(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, len(l))
	}
	return n
}
