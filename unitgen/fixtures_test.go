package unitgen_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// Each folder under testdata/cases is a config directory. Its service files carry their own
// assertions as comment lines, run here by one table runner (verbs lists them; a line of
// another verb fails the test):
//
//	## assert-valid                         the directory has no problems
//	## assert-problem TEXT                  some problem line equals TEXT (a directory that
//	                                        asserts a problem must assert every one)
//	## assert-problem-count N               exactly N problems
//	## assert-warning TEXT                  some warning line (validate's, exit 0) equals TEXT
//	## assert-usable                        this file's service is usable (not bad-config nor
//	                                        blocked)
//	## assert-state NAME STATE [WAITING...] NAME is usable, bad-config or blocked (waiting for
//	                                        the named undefined services)
//	## assert-key-is SECTION KEY VALUE...   the rendered unit has KEY=VALUE in SECTION (each
//	                                        VALUE one line of a repeated key)
//	## assert-key-contains SECTION KEY TEXT some KEY= line in SECTION contains TEXT
//	## assert-key-missing SECTION KEY       the rendered unit has no KEY in SECTION
//	## assert-exec-spec SECTION KEY JSON     some KEY= command of SECTION runs through hero-exec
//	                                        with this spec (its argument decoded, as JSON)
//	## assert-env NAME "VALUE"              the service's commands get NAME=VALUE (a Go-quoted
//	                                        string) from Environment= and the environment file,
//	                                        read as systemd reads them
//	## assert-unit-name NAME                the generated unit is called NAME
//	## assert-stop-plan W1 | W2 | ...       cascade stop waves of this service (space-separated names)
//	## assert-start-plan W1 | W2 | ...      start waves of this service
//
// A file NAME.service next to NAME.toml is the exact expected unit text (a golden file). The
// directory is read as herod reads one (bridge/configdir) without its trust rules: its service
// files, hidden ones skipped, parsed and validated together by unitgen/config.
func TestFixtures(t *testing.T) {
	dirs, err := filepath.Glob("testdata/cases/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { runFixture(t, dir) })
	}
}

type assertion struct {
	file string
	line int
	verb string
	args []string // the leading words the verb takes, then the rest of the line verbatim
}

// verbs are the assertions the runner knows, each with how many space-separated words it takes
// before its verbatim remainder.
var verbs = map[string]int{
	"assert-valid": 0, "assert-problem": 0, "assert-problem-count": 0, "assert-warning": 0,
	"assert-usable": 0, "assert-state": 0, "assert-key-is": 2, "assert-key-contains": 2,
	"assert-key-missing": 2, "assert-exec-spec": 2, "assert-env": 1, "assert-unit-name": 0,
	"assert-stop-plan": 0, "assert-start-plan": 0,
}

// TestRunnerHeaderListsEveryVerb keeps the comment above TestFixtures true: it names every verb
// the runner knows.
func TestRunnerHeaderListsEveryVerb(t *testing.T) {
	src, err := os.ReadFile("fixtures_test.go")
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(src), "func TestFixtures")
	for verb := range verbs {
		if !strings.Contains(header, "//\t## "+verb+" ") {
			t.Errorf("the fixture runner's header does not describe %s", verb)
		}
	}
}

// loadFixture reads dir as herod reads a config directory, without its trust rules (those are
// bridge/configdir's, tested there): every service file at its top, hidden ones skipped.
func loadFixture(t *testing.T, dir string) (*config.Set, config.Problems) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []config.File
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !config.IsServiceFile(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, config.File{Name: e.Name(), Data: data})
	}
	set, probs := config.Build(files)
	probs.Sort()
	return set, probs
}

func runFixture(t *testing.T, dir string) {
	set, probs := loadFixture(t, dir)
	problemLines := map[string]bool{}
	for _, p := range probs {
		problemLines[p.String()] = true
	}
	asserts := readAssertions(t, dir)
	if len(asserts) == 0 {
		t.Fatalf("%s carries no assertions", dir)
	}
	checkEveryProblemAsserted(t, probs, asserts)
	for _, a := range asserts {
		where := a.file + ":" + itoa(a.line)
		stem := strings.TrimSuffix(a.file, filepath.Ext(a.file))
		switch a.verb {
		case "assert-valid":
			if len(probs) != 0 {
				t.Errorf("%s: want no problems, got:\n%s", where, probs.Error())
			}
		case "assert-problem":
			want := strings.Join(a.args, " ")
			if !problemLines[want] {
				t.Errorf("%s: want problem %q, got:\n%s", where, want, probs.Error())
			}
		case "assert-warning":
			want := strings.Join(a.args, " ")
			found := false
			for _, w := range set.Warnings() {
				found = found || w.String() == want
			}
			if !found {
				t.Errorf("%s: want warning %q, got:\n%s", where, want, set.Warnings().Error())
			}
		case "assert-usable":
			if !set.Usable(stem) {
				t.Errorf("%s: want %s usable (not bad-config nor blocked): problems %v, waiting for %v", where, stem, set.Problems(stem), set.Blocked(stem))
			}
		case "assert-problem-count":
			if itoa(len(probs)) != a.args[0] {
				t.Errorf("%s: want %s problems, got %d:\n%s", where, a.args[0], len(probs), probs.Error())
			}
		case "assert-env":
			u := generate(t, set, stem, dir)
			if u == nil {
				continue
			}
			want, err := strconv.Unquote(strings.Join(a.args[1:], " "))
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if got, ok := unitEnv(t, u)[a.args[0]]; !ok || got != want {
				t.Errorf("%s: want %s=%q, got %q (set: %v)\nenvironment file:\n%s", where, a.args[0], want, got, ok, u.EnvContent)
			}
		case "assert-exec-spec":
			u := generate(t, set, stem, dir)
			if u == nil {
				continue
			}
			if got := execSpecs(t, u, a.args[1]); !containsString(got, strings.Join(a.args[2:], " ")) {
				t.Errorf("%s: want %s= running %s through hero-exec, got %q", where, a.args[1], strings.Join(a.args[2:], " "), got)
			}
		case "assert-key-is", "assert-key-contains", "assert-key-missing", "assert-unit-name":
			u := generate(t, set, stem, dir)
			if u == nil {
				continue
			}
			if a.verb == "assert-unit-name" {
				if u.Name != a.args[0] {
					t.Errorf("%s: unit name %q, want %q", where, u.Name, a.args[0])
				}
				continue
			}
			got := unitValues(t, u.Text(), a.args[0], a.args[1])
			if a.verb == "assert-key-missing" {
				if len(got) != 0 {
					t.Errorf("%s: want no %s in [%s], got %q", where, a.args[1], a.args[0], got)
				}
				continue
			}
			want := strings.Join(a.args[2:], " ")
			if a.verb == "assert-key-contains" {
				if !containsSubstring(got, want) {
					t.Errorf("%s: want %s= containing %s in [%s], got %q", where, a.args[1], want, a.args[0], got)
				}
				continue
			}
			if !containsString(got, want) {
				t.Errorf("%s: want %s=%s in [%s], got %q", where, a.args[1], want, a.args[0], got)
			}
		case "assert-stop-plan", "assert-start-plan":
			var waves [][]string
			if a.verb == "assert-stop-plan" {
				p, err := set.Graph.Stop(stem)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				waves = p.Waves
			} else {
				p, err := set.Graph.Start(stem)
				if err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				waves = p.Waves
			}
			if got, want := formatWaves(waves), strings.Join(a.args, " "); got != want {
				t.Errorf("%s: %s = %q, want %q", where, a.verb, got, want)
			}
		case "assert-state":
			words := strings.Fields(strings.Join(a.args, " "))
			if got := stateOf(set, words[0]); got != strings.Join(words[1:], " ") {
				t.Errorf("%s: %s is %q, want %q (problems: %v)", where, words[0], got, strings.Join(words[1:], " "), set.Problems(words[0]))
			}
		default:
			t.Errorf("%s: unknown assertion %q", where, a.verb)
		}
	}
	// Golden files.
	goldens, _ := filepath.Glob(filepath.Join(dir, "*.service"))
	for _, gf := range goldens {
		want, _ := os.ReadFile(gf)
		u := generate(t, set, strings.TrimSuffix(filepath.Base(gf), ".service"), dir)
		if u != nil && u.Text() != string(want) {
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				_ = os.WriteFile(gf, []byte(u.Text()), 0o644)
				continue
			}
			t.Errorf("%s: unit text differs from golden file (UPDATE_GOLDEN=1 rewrites it)\ngot:\n%s\nwant:\n%s", gf, u.Text(), want)
		}
	}
	// Every unit that can be generated must say the same in text and in D-Bus properties.
	if len(probs) == 0 {
		for _, s := range set.Services {
			u := generate(t, set, s.Name, dir)
			checkPropertiesMatchText(t, u)
			checkNoPrivilegedCommand(t, u)
		}
	}
}

// checkEveryProblemAsserted holds a directory that asserts problems to asserting each one, so
// that every message's text and line is checked.
func checkEveryProblemAsserted(t *testing.T, probs config.Problems, asserts []assertion) {
	t.Helper()
	asserted := map[string]bool{}
	for _, a := range asserts {
		if a.verb == "assert-problem" {
			asserted[strings.Join(a.args, " ")] = true
		}
	}
	if len(asserted) == 0 {
		return
	}
	for _, p := range probs {
		if !asserted[p.String()] {
			t.Errorf("problem not asserted by the fixture: %s", p)
		}
	}
}

// stateOf names a service's state as assert-state writes it.
func stateOf(set *config.Set, name string) string {
	switch {
	case set.Service(name) == nil:
		return "undefined"
	case set.BadConfig(name):
		return "bad-config"
	case len(set.Blocked(name)) > 0:
		return "blocked " + strings.Join(set.Blocked(name), " ")
	}
	return "usable"
}

func generate(t *testing.T, set *config.Set, name, dir string) *unitgen.Unit {
	t.Helper()
	svc := set.Service(name)
	if svc == nil {
		t.Errorf("no service %q in %s", name, dir)
		return nil
	}
	u, err := unitgen.Generate(set, svc, unitgen.Options{ConfigDir: "/etc/hero/services"})
	if err != nil {
		t.Errorf("generate %s: %v", name, err)
		return nil
	}
	return u
}

func readAssertions(t *testing.T, dir string) []assertion {
	var out []assertion
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "## assert-") {
				continue
			}
			rest := strings.TrimPrefix(line, "## ")
			verb, rest, _ := strings.Cut(rest, " ")
			var args []string
			words, known := verbs[verb]
			if !known {
				t.Errorf("%s:%d: unknown assertion %q", f.Name(), n, verb)
				continue
			}
			for i := 0; i < words; i++ {
				var w string
				w, rest, _ = strings.Cut(rest, " ")
				args = append(args, w)
			}
			if rest != "" {
				args = append(args, rest)
			}
			out = append(out, assertion{file: f.Name(), line: n, verb: verb, args: args})
		}
	}
	return out
}

// unitValues parses unit text with go-systemd's parser and returns the values of section.key.
func unitValues(t *testing.T, text, section, key string) []string {
	t.Helper()
	opts, err := unit.DeserializeOptions(strings.NewReader(text))
	if err != nil {
		t.Fatalf("generated unit does not parse: %v\n%s", err, text)
	}
	var out []string
	for _, o := range opts {
		if o.Section == section && o.Name == key {
			out = append(out, o.Value)
		}
	}
	return out
}

func formatWaves(waves [][]string) string {
	parts := make([]string, len(waves))
	for i, w := range waves {
		parts[i] = strings.Join(w, " ")
	}
	return strings.Join(parts, " | ")
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func containsSubstring(list []string, s string) bool {
	for _, e := range list {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// checkNoPrivilegedCommand holds every generated unit to hero's rule that nothing in a unit runs
// with more privilege than the service: no "+"/"!" command (or the ...Ex properties that carry
// such flags), and no stop hook of hero's own.
func checkNoPrivilegedCommand(t *testing.T, u *unitgen.Unit) {
	t.Helper()
	if u == nil {
		return
	}
	for _, p := range u.Properties {
		if strings.HasPrefix(p.Name, "Exec") && strings.HasSuffix(p.Name, "Ex") || p.Name == "ExecStopPost" || p.Name == "ExecStop" {
			t.Errorf("%s: property %s: hero adds no privileged command and no stop hook", u.Name, p.Name)
		}
	}
	for _, key := range []string{"ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop", "ExecStopPost"} {
		for _, v := range unitValues(t, u.Text(), "Service", key) {
			if strings.HasPrefix(v, "+") || strings.HasPrefix(v, "!") {
				t.Errorf("%s: %s=%s runs with more privilege than the service", u.Name, key, v)
			}
		}
		if key == "ExecStop" || key == "ExecStopPost" {
			if vs := unitValues(t, u.Text(), "Service", key); len(vs) > 0 {
				t.Errorf("%s: %s=%v: hero adds no stop hook", u.Name, key, vs)
			}
		}
	}
}

// execSpecs are the specs (as JSON) of the commands of key that run through hero-exec: what
// assert-exec-spec lines compare with.
func execSpecs(t *testing.T, u *unitgen.Unit, key string) []string {
	t.Helper()
	var out []string
	for _, p := range u.Properties {
		if p.Name != key {
			continue
		}
		for _, c := range unitgen.ForTest(p.Value.Value()).([]unitgen.ExecCommandForTest) {
			if c.Argv[0] != unitgen.DefaultExecHelper {
				continue
			}
			var v any = &execspec.Spec{}
			if c.Argv[1] == "health" {
				v = &execspec.Health{}
			}
			if err := execspec.Decode(c.Argv[2], v); err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(v)
			out = append(out, string(data))
		}
	}
	return out
}
