package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/cmd/internal/version"
)

// noHerod points heroctl at a bus address where nothing listens.
const noHerod = "unix:path=/nonexistent/hero-test-bus"

func TestUsageOnArgumentErrors(t *testing.T) {
	tests := []struct {
		args []string
		want []string // lines of stderr, in order
	}{
		{[]string{"stop"}, []string{"heroctl: stop: missing NAME", "Usage: heroctl stop [--dry-run] [--remove-jobs] NAME... [flags]"}},
		{[]string{"list-dependencies", "db", "web"}, []string{"heroctl: list-dependencies: unexpected argument(s): web", "Usage: heroctl list-dependencies "}},
		{[]string{"logs"}, []string{"heroctl: logs: missing NAME", "Usage: heroctl logs NAME [--job ID]"}},
		{[]string{"restart"}, []string{"heroctl: restart: missing NAME", "Usage: heroctl restart NAME..."}},
		{[]string{"reload"}, []string{"heroctl: reload: missing NAME", "Usage: heroctl reload NAME..."}},
		{[]string{"list-units", "x", "y"}, []string{"heroctl: list-units: unexpected argument(s): x y", "Usage: heroctl list-units"}},
		{[]string{"validate", "a", "b"}, []string{"heroctl: validate: unexpected argument(s): b", "Usage: heroctl validate [DIR]"}},
		{[]string{"kill", "--frob", "db"}, []string{"heroctl: kill: unknown flag: --frob", "Usage: heroctl kill [-s SIGNAL] NAME..."}},
		{[]string{"logs", "--job"}, []string{"heroctl: logs: flag needs an argument: --job", "Usage: heroctl logs NAME [--job ID]"}},
		{[]string{"frob"}, []string{`heroctl: unknown command "frob" for "heroctl"`, "Run 'heroctl --help' for the list of commands."}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errs, code := heroctl(t, tt.args...)
			if code != ExitFailure || out != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			for i, want := range tt.want {
				if i >= len(lines) || !strings.HasPrefix(lines[i], want) {
					t.Errorf("stderr:\n%s\nline %d should start with %q", errs, i+1, want)
				}
			}
		})
	}
}

func TestValidateDirArgument(t *testing.T) {
	other := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"DIR", []string{"validate", examples}, 0, examples + ": 6 service(s), no problems"},
		{"DIR and the same --config-dir", []string{"validate", examples, "--config-dir", examples}, 0, "6 service(s), no problems"},
		{"DIR and another --config-dir", []string{"validate", examples, "--config-dir", other}, 1, "validate: DIR " + examples + " and --config-dir " + other + " name two directories"},
		{"missing DIR", []string{"validate", "/nonexistent"}, 1, "config directory /nonexistent does not exist"},
		// DIR is read directly: herod (not reachable here) is never asked.
		{"DIR without herod", []string{"validate", other, "--bus-address", noHerod}, 0, other + ": 0 service(s), no problems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := heroctl(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Errorf("exit %d (want %d), output %q lacks %q", code, tt.code, out+errs, tt.want)
			}
			if strings.Contains(errs, "not reachable") {
				t.Errorf("validate DIR asked herod: %q", errs)
			}
		})
	}
}

func TestJSONOnlyWhereSupported(t *testing.T) {
	refused := [][]string{
		{"cat", "api"}, {"kill", "api"}, {"reload", "api"}, {"show", "api"}, {"is-active", "api"},
		{"is-failed", "api"}, {"reset-failed", "api"}, {"daemon-reload"}, {"completion", "bash"},
	}
	for _, args := range refused {
		t.Run(args[0], func(t *testing.T) {
			out, errs, code := heroctl(t, append(args, "-o", "json", "--config-dir", examples, "--bus-address", noHerod)...)
			if code != ExitFailure || out != "" || !strings.HasPrefix(errs, "heroctl: "+args[0]) ||
				!strings.Contains(errs, " has no JSON output; -o json works with apply, graph, jobs,") {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
			}
		})
	}
	t.Run("graph --dot", func(t *testing.T) {
		out, errs, code := heroctl(t, "graph", "--dot", "-o", "json", "--config-dir", examples)
		if code != ExitFailure || out != "" || !strings.Contains(errs, "--dot and -o json are two output formats") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
		}
	})
	for _, args := range [][]string{
		{"graph"}, {"validate"}, {"list-dependencies", "web"}, {"start", "--dry-run", "web"}, {"stop", "--dry-run", "db"},
	} {
		t.Run(args[0]+" supported", func(t *testing.T) {
			out, _, code := heroctl(t, append(args, "-o", "json", "--config-dir", examples)...)
			if code != 0 || !json.Valid([]byte(out)) {
				t.Errorf("exit %d, not JSON: %q", code, out)
			}
		})
	}
}

func TestJSONIsNotHTMLEscaped(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.toml"), []byte("exec = \"/bin/true\"\n[dependencies]\nrequires = [\"b\"]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.toml"), []byte("exec = \"/bin/true\"\n[dependencies]\nrequires = [\"a\"]\n"), 0o644)
	out, _, code := heroctl(t, "validate", dir, "-o", "json")
	if code != ExitFailure || !strings.Contains(out, "a -> b -> a") || strings.Contains(out, `\u003e`) {
		t.Errorf("exit %d, JSON %s", code, out)
	}
}

func TestAdviceRepeatsFlags(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "my configs")
	os.Mkdir(broken, 0o755)
	os.WriteFile(filepath.Join(broken, "web.toml"), []byte("exce = 1\n"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"--config-dir, quoted", []string{"cat", "web", "--config-dir", broken}, ExitFailure, "run 'heroctl validate --config-dir '" + broken + "''"},
		// graph works on the rest of a directory with problems, and says what it left out.
		{"--user too", []string{"--user", "graph", "--config-dir", broken}, ExitOK, "run 'heroctl --user validate --config-dir '" + broken + "''"},
		{"no herod, system", []string{"stop", "db", "--bus-address", noHerod}, ExitFailure, "Start it with 'systemctl start herod'"},
		{"no herod, --user", []string{"stop", "db", "--user", "--bus-address", noHerod}, ExitFailure, "Start yours with 'systemd-run --user herod --user'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs, code := heroctl(t, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q lacks %q", code, errs, tt.want)
			}
		})
	}
}

func TestStartDryRunSeveral(t *testing.T) {
	out, _, code := heroctl(t, "start", "--dry-run", "web", "worker", "-o", "json", "--config-dir", examples)
	var got struct {
		Service      string     `json:"service"`
		Order        []string   `json:"order"`
		Waves        [][]string `json:"waves"`
		Dependencies []string   `json:"dependencies"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	// web requires api and is ordered after worker; both require api, which requires db.
	want := [][]string{{"db"}, {"api"}, {"worker"}, {"web"}}
	if got.Service != "web worker" || !reflect.DeepEqual(got.Waves, want) || !reflect.DeepEqual(got.Dependencies, []string{"db", "api"}) {
		t.Errorf("plan %+v", got)
	}
	out, _, _ = heroctl(t, "start", "--dry-run", "mailer", "cleanup", "--config-dir", examples)
	if !strings.HasPrefix(out, "Starting mailer cleanup starts 4 service(s) in 3 wave(s):\n  wave 1: cleanup db\n") {
		t.Errorf("text plan:\n%s", out)
	}
	_, errs, code := heroctl(t, "start", "--dry-run", "web", "nope", "--config-dir", examples)
	if code != ExitNoSuchService || !strings.Contains(errs, `no such service "nope"`) {
		t.Errorf("unknown service: exit %d, %q", code, errs)
	}
}

func TestCompletesSignals(t *testing.T) {
	tests := []struct{ word, want string }{
		{"SIGU", "SIGUSR1\nSIGUSR2\nSIGURG\n"},
		{"TE", "TERM\n"},
		{"sigk", "sigkill\n"},
		{"hu", "hup\n"},
		{"X", "XCPU\nXFSZ\n"},
	}
	for _, tt := range tests {
		out, _, code := heroctl(t, "__complete", "kill", "-s", tt.word)
		if got, _, _ := strings.Cut(out, ":"); code != 0 || got != tt.want {
			t.Errorf("kill -s %s<TAB>: %q, want %q", tt.word, got, tt.want)
		}
	}
	out, _, _ := heroctl(t, "__complete", "kill", "-s", "")
	if !strings.HasPrefix(out, "SIGHUP\nSIGINT\nSIGQUIT\n") || strings.Count(out, "\n") != 32 {
		t.Errorf("all signals: %q", out)
	}
}

func TestVersion(t *testing.T) {
	old := version.Version
	version.Version = "0.3.0+5.gabc1234"
	t.Cleanup(func() { version.Version = old })
	out, _, code := heroctl(t, "--version")
	if code != 0 || out != "heroctl 0.3.0+5.gabc1234\n" {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

func TestUserConfigDirIsXDG(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("HERO_CONFIG_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", xdg)
	dir := filepath.Join(xdg, "hero", "services")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "db.toml"), []byte("exec = \"/bin/true\"\n"), 0o644)
	_, errs, code := heroctl(t, "--user", "validate", "--bus-address", noHerod)
	if code != 0 || !strings.Contains(errs, "reading "+dir+" instead") || !strings.Contains(errs, dir+": 1 service(s), no problems") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	_, errs, _ = heroctl(t, "validate", "--bus-address", noHerod)
	if !strings.Contains(errs, "reading /etc/hero/services instead") {
		t.Errorf("without --user: %q", errs)
	}
}

// TestHelpShowsSwitchesAsSystemctl: a boolean flag is listed as systemctl lists it (--no-block),
// not as --no-block[=true|false] (what pflag 1.1 prints).
func TestHelpShowsSwitchesAsSystemctl(t *testing.T) {
	out, _, code := heroctl(t, "stop", "--help")
	if code != 0 || !strings.Contains(out, "  --no-block ") || strings.Contains(out, "[=") {
		t.Errorf("stop --help: exit %d:\n%s", code, out)
	}
}

// heroctl alone lists the units, as systemctl alone does (what list-units says, to the byte);
// help stays on --help, and a word that is no verb is still refused.
func TestHeroctlAloneListsTheUnits(t *testing.T) {
	out, errs, code := heroctl(t, "--bus-address", noHerod, "--config-dir", examples)
	lout, lerrs, lcode := heroctl(t, "list-units", "--bus-address", noHerod, "--config-dir", examples)
	if out != lout || errs != lerrs || code != lcode || !strings.Contains(errs, "herod is not running") {
		t.Errorf("heroctl alone: %d %q %q; list-units: %d %q %q", code, out, errs, lcode, lout, lerrs)
	}
	if help, _, code := heroctl(t, "--help"); code != ExitOK || !strings.Contains(help, "Available Commands:") {
		t.Errorf("heroctl --help: exit %d\n%s", code, help)
	}
}
