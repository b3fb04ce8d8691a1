// Package heroexec is hero-exec: it runs a hero service's command from its encoded spec.
package heroexec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"

	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// Run runs mode with the encoded spec and returns the exit status (exec mode returns only when
// the command could not be executed).
func Run(mode, spec string, stdout, stderr io.Writer) int {
	carried := takeCarriedEnv()
	switch mode {
	case "exec":
		var s execspec.Spec
		if err := execspec.Decode(spec, &s); err != nil {
			fmt.Fprintf(stderr, "hero-exec: %v\n", err)
			return exitBadSpec
		}
		if err := s.Validate(); err != nil {
			fmt.Fprintf(stderr, "hero-exec: %v\n", err)
			return exitBadSpec
		}
		if s.EnvFrom != "" {
			own := map[string]string{}
			if err := execspec.Decode(carried[s.EnvFrom], &own); err != nil {
				fmt.Fprintf(stderr, "hero-exec: the environment in %s: %v\n", s.EnvFrom, err)
				return exitBadSpec
			}
			if s.Env == nil {
				s.Env = map[string]string{}
			}
			for k, v := range own {
				s.Env[k] = v
			}
		}
		return execSpec(s, stderr)
	case "signal":
		return runSignal(spec, os.Getenv("MAINPID"), stderr)
	case "health":
		var h execspec.Health
		if err := execspec.Decode(spec, &h); err != nil || len(h.Argv) == 0 && h.Liveness == nil {
			fmt.Fprintf(stderr, "hero-exec: health check: %v\n", errOrEmpty(err))
			return exitBadSpec
		}
		if l := h.Liveness; l != nil && (len(l.Argv) == 0 || l.Interval <= 0 || l.Failures < 1) {
			fmt.Fprintf(stderr, "hero-exec: liveness check: no program, interval or failures\n")
			return exitBadSpec
		}
		return runPost(h, stdout)
	case "liveness":
		var l execspec.Liveness
		if err := execspec.Decode(spec, &l); err != nil || len(l.Argv) == 0 || l.Interval <= 0 || l.Failures < 1 {
			fmt.Fprintf(stderr, "hero-exec: liveness check: %v\n", errOrEmpty(err))
			return exitBadSpec
		}
		return runLiveness(l, stdout)
	}
	fmt.Fprintf(stderr, "hero-exec: unknown mode %q\n", mode)
	return ExitUsage
}

// errOrEmpty is err, or the word for a spec that decoded to nothing to run.
func errOrEmpty(err error) error {
	if err == nil {
		return errors.New("no program to run")
	}
	return err
}

// takeCarriedEnv removes every variable that carries a pre-action's environment
// (execspec.PreEnvPrefix) from this process's environment, and returns them: no command sees
// them, whichever hero-exec runs it.
func takeCarriedEnv() map[string]string {
	out := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, execspec.PreEnvPrefix) {
			out[k] = v
			os.Unsetenv(k)
		}
	}
	return out
}

// execSpec replaces hero-exec with the command (same PID: systemd's MainPID stays right).
func execSpec(s execspec.Spec, stderr io.Writer) int {
	if s.Dir != "" {
		if err := os.Chdir(s.Dir); err != nil {
			fmt.Fprintf(stderr, "hero-exec: changing to the working directory %s: %v\n", s.Dir, err)
			return exitChdir
		}
	}
	env := environ(os.Environ(), s.Env, s.Unset)
	path, err := lookPath(s.Argv[0], env)
	if err != nil {
		fmt.Fprintf(stderr, "hero-exec: executing %s: %v\n", s.Argv[0], err)
		return exitExec
	}
	err = syscall.Exec(path, s.Argv, env)
	fmt.Fprintf(stderr, "hero-exec: executing %s: %v\n", path, err)
	return exitExec
}

// environ is base with set applied and unset removed, sorted for a stable order.
func environ(base []string, set map[string]string, unset []string) []string {
	m := map[string]string{}
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	for _, k := range unset {
		delete(m, k)
	}
	for k, v := range set {
		m[k] = v
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// lookPath finds a program the way systemd does: an absolute path as it is, a bare name in the
// service's PATH.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			os.Setenv("PATH", p)
		}
	}
	return exec.LookPath(name)
}
