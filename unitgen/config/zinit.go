package config

import "time"

// zinit restarts a crashed non-oneshot service after about this long.
const zinitRestartDelay = 2 * time.Second

// decodeZinit maps a zinit service file onto s, keeping zinit's start semantics.
func decodeZinit(r reader, t *table, s *Service) {
	r.unknown(t, "", zinitKeys)
	a := Action{Name: "main"}
	p := &a.Process
	ok := true
	if _, has := t.get(zKeyExec); has {
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
	if _, has := t.get(zKeyTest); has {
		p.Health, _ = r.argv(t, "", zKeyTest)
		p.HealthInterval, p.HealthTimeout = DefaultHealthInterval, DefaultHealthTimeout
	}
	var lines []int
	s.Requires, lines = r.strList(t, "", zKeyAfter, MaxDependencies)
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
