package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The test binary doubles as heroctl for the shells' completion functions, which run
// "heroctl __complete ...": see TestMain.
const asHeroctl = "HERO_CLI_TEST_AS_HEROCTL"

func TestMain(m *testing.M) {
	if os.Getenv(asHeroctl) == "1" {
		os.Exit(Run(context.Background(), os.Args[1:]))
	}
	os.Exit(m.Run())
}

// shellEnv writes heroctl's completion script for shell into a temporary directory, next to a
// "heroctl" that is this test binary, and returns the script's path and an environment whose
// PATH finds that heroctl.
func shellEnv(t *testing.T, shell, file string) (string, []string) {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		t.Skipf("%s is not installed (apt-get install %s); its completion is not tested", shell, shell)
	}
	dir := t.TempDir()
	out, _, code := heroctl(t, "completion", shell)
	if code != 0 || out == "" {
		t.Fatalf("heroctl completion %s: exit %d", shell, code)
	}
	script := filepath.Join(dir, "completions", file)
	os.Mkdir(filepath.Dir(script), 0o755)
	os.WriteFile(script, []byte(out), 0o644)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(dir, "heroctl")); err != nil {
		t.Fatal(err)
	}
	return script, append(os.Environ(), asHeroctl+"=1", "PATH="+dir+":"+os.Getenv("PATH"))
}

func runShell(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// bashCompletion is bash-completion's library, which cobra's bash scripts call into.
const bashCompletion = "/usr/share/bash-completion/bash_completion"

// bash loads the script (as bash-completion does from /usr/share/bash-completion/completions)
// and, with bash-completion's library, completes "heroctl kill -s SIGK" and "heroctl sta".
func TestBashCompletion(t *testing.T) {
	script, env := shellEnv(t, "bash", "heroctl")
	out := runShell(t, env, "bash", "-c", `source "$1"; complete -p heroctl`, "bash", script)
	if out != "complete -o default -F __start_heroctl heroctl\n" {
		t.Errorf("complete -p heroctl after loading: %q", out)
	}
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Skipf("%s is missing (apt-get install bash-completion): completing through the script is not tested", bashCompletion)
	}
	out = runShell(t, env, "bash", "-c", `source "$1"; source "$2"
complete_line() {
  COMP_LINE=$1; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<<"$COMP_LINE"
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
  __start_heroctl heroctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  echo "$COMP_LINE => ${COMPREPLY[*]}"
}
complete_line "heroctl kill -s SIGK"
complete_line "heroctl sta"`, "bash", bashCompletion, script)
	for _, want := range []string{"heroctl kill -s SIGK => SIGKILL\n", "heroctl sta => start status\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("bash completion output lacks %q:\n%s", want, out)
		}
	}
}

// zsh finds _heroctl in its fpath (as in /usr/share/zsh/vendor-completions) and registers it
// for heroctl.
func TestZshCompletion(t *testing.T) {
	script, env := shellEnv(t, "zsh", "_heroctl")
	out := runShell(t, env, "zsh", "-f", "-c", `fpath=("$1" $fpath); autoload -Uz compinit && compinit -u -D
print -r -- "heroctl: ${_comps[heroctl]}"; autoload +X _heroctl && print loaded`, "zsh", filepath.Dir(script))
	if !strings.Contains(out, "heroctl: _heroctl\nloaded\n") {
		t.Errorf("zsh: %q", out)
	}
}

// fish loads the script (as from /usr/share/fish/vendor_completions.d) and completes through it.
func TestFishCompletion(t *testing.T) {
	script, env := shellEnv(t, "fish", "heroctl.fish")
	out := runShell(t, env, "fish", "--no-config", "-c", `source $argv[1]; complete -C "heroctl kill -s SIGK"; complete -C "heroctl sta"`, script)
	for _, want := range []string{"SIGKILL", "start\t", "status\t"} {
		if !strings.Contains(out, want) {
			t.Errorf("fish completion output lacks %q:\n%s", want, out)
		}
	}
}
