package config

import (
	"path"
	"strings"
	"time"
)

// What zinit does where a file says nothing (threefoldtech/zinit, src/zinit/config.rs and
// lifecycle.rs): it respawns a service that is not oneshot 2s after it ended, re-runs its test
// every 2s, gives a stop 10s before SIGKILL, and runs a process in "/" when it has no dir.
const (
	zinitRestartDelay    = 2 * time.Second
	zinitTestInterval    = 2 * time.Second
	zinitShutdownTimeout = 10 * time.Second
	zinitDefaultDir      = "/"
)

// decodeZinit maps a zinit service file onto s, as zinit runs it.
func decodeZinit(r reader, t *table, s *Service) {
	r.scalarText = true
	r.unknown(t, "", zinitKeys)
	a := Action{Name: "main"}
	p := &a.Process
	if d, line, has := r.str(t, "", zKeyDir); has {
		if err := checkAbsPath(d); err != nil {
			r.add(line, zKeyDir, "%v", err)
		}
		p.Dir = d
	}
	ok := true
	if _, has := t.get(zKeyExec); has {
		p.Exec, ok = zinitCommand(r, t, zKeyExec, p.Dir)
	} else {
		r.add(0, zKeyExec, "missing: zinit services need exec")
		ok = false
	}
	p.Oneshot, _ = r.boolean(t, "", zKeyOneshot)
	// zinit respawns every service that is not oneshot, whatever its exit status.
	if p.Oneshot {
		p.Restart = RestartNo
	} else {
		p.Restart = RestartAlways
		p.RestartDelay = zinitRestartDelay
	}
	// zinit runs the test of a service that is not oneshot only.
	if _, has := t.get(zKeyTest); has && !p.Oneshot {
		p.Health, _ = zinitCommand(r, t, zKeyTest, p.Dir)
		p.HealthInterval, p.HealthTimeout = zinitTestInterval, defaultHealthTimeout
	}
	var lines []int
	s.Requires, lines = r.strList(t, "", zKeyAfter, maxDependencies)
	s.setDepLines(keyRequires, s.Requires, lines)
	if sv, has := t.get(zKeySignal); has {
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
	p.StopTimeout = zinitShutdownTimeout
	if n, has := r.integer(t, "", zKeyShutdownTimeout, 1, int64(maxDuration/time.Second)); has {
		p.StopTimeout = time.Duration(n) * time.Second
	}
	if ok {
		s.Actions = []Action{a}
	}
}

// zinitCommand reads a command as zinit runs it: split like shell words (shlex), and a relative
// program (one with a '/', like root/scripts/run.sh) resolved against the service's dir, or "/"
// without one: zinit executes it after changing to that directory.
func zinitCommand(r reader, t *table, key, dir string) ([]string, bool) {
	args, lines, ok := r.words(t, "", key)
	if !ok {
		return nil, false
	}
	if prog := args[0]; strings.Contains(prog, "/") && !strings.HasPrefix(prog, "/") {
		if dir == "" {
			dir = zinitDefaultDir
		}
		args[0] = path.Join(dir, prog)
	}
	return args, r.checkArgv(key, args, lines)
}
