package config

import (
	"fmt"
	"strings"
	"time"
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// decodeHero maps a hero TOML tree onto s.
func decodeHero(r reader, t *table, s *Service) {
	r.unknown(t, "", topLevelKeys)
	decodeCommon(r, t, s)
	decodeDaemon(r, t, s)
	if d, ok := t.get(keyDependencies); ok {
		if dt, isTable := d.v.(*table); isTable {
			r.unknown(dt, keyDependencies, dependencyKeys)
			var lines []int
			s.Requires, lines = r.strList(dt, keyDependencies, keyRequires, MaxDependencies)
			s.setDepLines(keyRequires, s.Requires, lines)
			s.Wants, lines = r.strList(dt, keyDependencies, keyWants, MaxDependencies)
			s.setDepLines(keyWants, s.Wants, lines)
			s.After, lines = r.strList(dt, keyDependencies, keyAfter, MaxDependencies)
			s.setDepLines(keyAfter, s.After, lines)
			s.Conflicts, lines = r.strList(dt, keyDependencies, keyConflicts, MaxDependencies)
			s.setDepLines(keyConflicts, s.Conflicts, lines)
		} else {
			r.add(d.line, keyDependencies, "must be a table ([dependencies]), not %s", typeName(d.v))
		}
	}
	if l, ok := t.get(keyLimits); ok {
		if lt, isTable := l.v.(*table); isTable {
			decodeLimits(r, lt, &s.Limits)
		} else {
			r.add(l.line, keyLimits, "must be a table ([limits]), not %s", typeName(l.v))
		}
	}
	decodeActions(r, t, s)
}

// decodeCommon reads the service-wide scalar keys.
func decodeCommon(r reader, t *table, s *Service) {
	if d, line, ok := r.str(t, "", keyDescription); ok {
		d = strings.TrimSpace(d)
		if err := checkText(d, false, MaxDescriptionLen); err != nil {
			r.add(line, keyDescription, "%v", err)
		} else if err := CheckUnitLine(d); err != nil {
			r.add(line, keyDescription, "%v", err)
		} else {
			s.Description = d
		}
	}
	if c, line, ok := r.str(t, "", keyContext); ok {
		if err := CheckContext(c); err != nil {
			r.add(line, keyContext, "%v", err)
		} else {
			s.Context = c
		}
	}
	if st, line, ok := r.str(t, "", keyStatus); ok {
		switch WantedState(st) {
		case WantStart, WantStop, WantIgnore:
			s.Status = WantedState(st)
		default:
			r.add(line, keyStatus, "must be \"start\", \"stop\" or \"ignore\", not %q", truncate(st))
		}
	}
	for _, k := range []string{keyUser, keyGroup} {
		if u, line, ok := r.str(t, "", k); ok {
			if err := CheckUserOrGroup(u); err != nil {
				r.add(line, k, "%v", err)
			} else if k == keyUser {
				s.User = u
			} else {
				s.Group = u
			}
		}
	}
}

func decodeLimits(r reader, t *table, l *Limits) {
	r.unknown(t, keyLimits, limitKeys)
	if v, ok := t.get(keyMemory); ok {
		switch x := v.v.(type) {
		case string:
			n, err := ParseSize(x)
			if err != nil {
				r.add(v.line, "limits.memory", "%v", err)
			}
			l.MemoryMax = n
		case int64:
			if x <= 0 {
				r.add(v.line, "limits.memory", "must be positive")
			} else {
				l.MemoryMax = uint64(x)
			}
		default:
			r.add(v.line, "limits.memory", "must be a size like \"512M\", not %s", typeName(v.v))
		}
	}
	if v, ok := t.get(keyCPU); ok {
		switch x := v.v.(type) {
		case string:
			var pct uint64
			if _, err := fmt.Sscanf(x, "%d%%", &pct); err != nil || fmt.Sprintf("%d%%", pct) != x || pct == 0 || pct > 100_000 {
				r.add(v.line, "limits.cpu", "must be a percentage of one CPU like \"50%%\" or \"200%%\" (1%%..100000%%), not %q", truncate(x))
			} else {
				l.CPUQuotaPct = pct
			}
		default:
			r.add(v.line, "limits.cpu", "must be a percentage string like \"50%%\", not %s", typeName(v.v))
		}
	}
	if n, ok := r.integer(t, keyLimits, keyTasks, 1, 4_194_304); ok {
		l.TasksMax = uint64(n)
	}
	if n, ok := r.integer(t, keyLimits, keyNoFile, 1, 1<<20); ok {
		l.NoFile = uint64(n)
	}
}

// decodeActions builds s.Actions from [[actions]] or from the top-level shorthand.
func decodeActions(r reader, t *table, s *Service) {
	av, hasActions := t.get(keyActions)
	topCommand := hasAny(t, commandKeys)
	if !hasActions {
		if !topCommand {
			r.add(0, keyExec, "missing: set exec (or interpreter and script), or [[actions]]")
			return
		}
		a := Action{Name: "main"}
		if decodeProcess(r, t, "", t, true, &a.Process) {
			s.Actions = []Action{a}
		}
		return
	}
	if topCommand {
		r.add(av.line, keyActions, "top-level exec/interpreter/script is shorthand for a single action; with [[actions]] put it in an action")
		return
	}
	arr, isArr := av.v.([]value)
	if !isArr {
		r.add(av.line, keyActions, "must be an array of tables ([[actions]]), not %s", typeName(av.v))
		return
	}
	if len(arr) == 0 {
		r.add(av.line, keyActions, "is empty")
		return
	}
	if len(arr) > MaxActions {
		r.add(av.line, keyActions, "has %d actions; at most %d are allowed", len(arr), MaxActions)
		return
	}
	names := map[string]bool{}
	ok := true
	for i, e := range arr {
		a, good := decodeAction(r, t, e, i, i == len(arr)-1, names)
		ok = ok && good
		if a != nil {
			s.Actions = append(s.Actions, *a)
		}
	}
	if !ok {
		s.Actions = nil
	}
}

// decodeAction reads the i-th [[actions]] entry e (the main process when last); names holds
// the action names seen so far. It returns nil for an entry that is no table.
func decodeAction(r reader, top *table, e value, i int, last bool, names map[string]bool) (*Action, bool) {
	prefix := fmt.Sprintf("actions[%d]", i)
	at, isTable := e.v.(*table)
	if !isTable {
		r.add(e.line, prefix, "must be a table, not %s", typeName(e.v))
		return nil, false
	}
	ok := true
	allowed := concat([]string{keyName}, commandKeys, everyActionKeys)
	if last {
		allowed = concat(allowed, mainOnlyKeys)
	}
	for _, k := range at.keys {
		if contains(mainOnlyKeys, k) && !last {
			r.add(at.val(k).line, join(prefix, k), "only the last action (the main process) can set %s", k)
			ok = false
		} else if contains(serviceOnlyKeys, k) {
			r.add(at.val(k).line, join(prefix, k), "%s applies to the whole service: set it at the top level", k)
			ok = false
		}
	}
	r.unknown(at, prefix, concat(allowed, mainOnlyKeys, serviceOnlyKeys))
	a := &Action{}
	if name, line, has := r.str(at, prefix, keyName); has {
		if err := checkName("action name", name); err != nil {
			r.add(line, join(prefix, keyName), "%v", err)
			ok = false
		} else if names[name] {
			r.add(line, join(prefix, keyName), "duplicate action name %q", name)
			ok = false
		}
		a.Name = name
		names[name] = true
	} else {
		r.add(e.line, join(prefix, keyName), "missing: every action needs a name")
		ok = false
	}
	if !decodeProcess(r, at, prefix, top, last, &a.Process) {
		ok = false
	}
	return a, ok
}

func hasAny(t *table, keys []string) bool {
	for _, k := range keys {
		if _, ok := t.get(k); ok {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// decodeProcess reads an action's process keys from t; top holds service-wide defaults (env,
// dir, and for the main action the main-only keys), which t's own keys override.
func decodeProcess(r reader, t *table, prefix string, top *table, isMain bool, p *Process) bool {
	before := len(*r.probs)
	k := procKeys{r: r, t: t, prefix: prefix, top: top, isMain: isMain}
	k.command(p)
	k.envAndDir(p)
	if isMain {
		if tt, pre := k.lookup(keyOneshot); tt != nil {
			p.Oneshot, _ = r.boolean(tt, pre, keyOneshot)
		}
		k.notify(p)
		k.restart(p)
		k.durations(p)
		k.stopSignal(p)
		k.killMode(p)
		k.successExit(p)
		k.reload(p)
		k.health(p)
		k.liveness(p)
	}
	return len(*r.probs) == before
}

// procKeys reads one action's process keys: its own table t (at prefix), else, for the keys
// that may be set there, the top level.
type procKeys struct {
	r      reader
	t, top *table
	prefix string
	isMain bool
}

// lookup says where key k is set for this action (the action's own table first), and the
// prefix its problems are reported under; nil when it is not set.
func (k procKeys) lookup(key string) (*table, string) {
	if _, ok := k.t.get(key); ok {
		return k.t, k.prefix
	}
	if k.isMain || contains(everyActionKeys, key) {
		if _, ok := k.top.get(key); ok {
			return k.top, ""
		}
	}
	return nil, ""
}

// command reads exec, or interpreter and script.
func (k procKeys) command(p *Process) {
	r, t, prefix := k.r, k.t, k.prefix
	_, hasExec := t.get(keyExec)
	_, hasInterp := t.get(keyInterpreter)
	_, hasScript := t.get(keyScript)
	switch {
	case hasExec && (hasInterp || hasScript):
		r.add(t.val(keyExec).line, join(prefix, keyExec), "use either exec or interpreter and script, not both")
	case hasExec:
		p.Exec, _ = r.argv(t, prefix, keyExec)
	case hasInterp != hasScript:
		missing, present := keyScript, keyInterpreter
		if hasScript {
			missing, present = keyInterpreter, keyScript
		}
		r.add(t.val(present).line, join(prefix, missing), "missing: %s needs %s", present, missing)
	case hasInterp:
		p.Exec = decodeScript(r, t, prefix)
	default:
		r.add(0, join(prefix, keyExec), "missing: set exec, or interpreter and script")
	}
}

// envAndDir reads env (the top-level table merged with the action's own) and dir.
func (k procKeys) envAndDir(p *Process) {
	if k.prefix != "" {
		p.Env = k.r.env(k.top, "", keyEnv)
	}
	for name, v := range k.r.env(k.t, k.prefix, keyEnv) {
		if p.Env == nil {
			p.Env = map[string]string{}
		}
		p.Env[name] = v
	}
	if tt, pre := k.lookup(keyDir); tt != nil {
		if d, line, ok := k.r.str(tt, pre, keyDir); ok {
			if err := checkAbsPath(d); err != nil {
				k.r.add(line, join(pre, keyDir), "%v", err)
			}
			p.Dir = d
		}
	}
}

// restart reads restart and max_restarts (after oneshot, which restrains restart).
func (k procKeys) restart(p *Process) {
	p.Restart = RestartNo
	if tt, pre := k.lookup(keyRestart); tt != nil {
		if rs, line, ok := k.r.str(tt, pre, keyRestart); ok {
			switch RestartPolicy(rs) {
			case RestartNo, RestartOnFailure, RestartOnAbnormal, RestartAlways:
				p.Restart = RestartPolicy(rs)
			default:
				k.r.add(line, join(pre, keyRestart), "must be \"no\", \"on-failure\", \"on-abnormal\" or \"always\", not %q", truncate(rs))
			}
			if p.Oneshot && p.Restart == RestartAlways {
				k.r.add(line, join(pre, keyRestart), "a oneshot service cannot restart always (systemd refuses it); use \"on-failure\"")
			}
		}
	}
	if tt, pre := k.lookup(keyMaxRestarts); tt != nil {
		if n, ok := k.r.integer(tt, pre, keyMaxRestarts, 1, MaxRestartsLimit); ok {
			p.MaxRestarts = int(n)
			if p.Restart == RestartNo {
				k.r.add(tt.val(keyMaxRestarts).line, join(pre, keyMaxRestarts), "caps automatic restarts, but restart is \"no\": set restart = \"on-failure\", \"on-abnormal\" or \"always\"")
			}
		}
	}
	k.restartWindow(p)
}

// restartWindow reads restart_window (after max_restarts, which it needs).
func (k procKeys) restartWindow(p *Process) {
	tt, pre := k.lookup(keyRestartWindow)
	if tt == nil {
		if p.MaxRestarts > 0 {
			p.RestartWindow = DefaultRestartWindow
		}
		return
	}
	w, line, ok := k.r.str(tt, pre, keyRestartWindow)
	if !ok {
		return
	}
	if w == "infinity" {
		p.RestartWindow = RestartForever
	} else if d, err := ParseDuration(w); err != nil {
		k.r.add(line, join(pre, keyRestartWindow), "%v", err)
		return
	} else {
		p.RestartWindow = d
	}
	if p.MaxRestarts == 0 {
		k.r.add(line, join(pre, keyRestartWindow), "is the window max_restarts counts restarts in, but max_restarts is not set: set it too")
	}
}

// durations reads the main process's duration keys.
func (k procKeys) durations(p *Process) {
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{
		{keyRestartDelay, &p.RestartDelay}, {keyStopTimeout, &p.StopTimeout}, {keyTimeout, &p.Timeout},
		{keyHealthInterval, &p.HealthInterval}, {keyHealthTimeout, &p.HealthTimeout},
	} {
		if tt, pre := k.lookup(d.key); tt != nil {
			*d.dst, _ = k.r.duration(tt, pre, d.key)
		}
	}
}

// stopSignal reads stop_signal.
func (k procKeys) stopSignal(p *Process) {
	if tt, pre := k.lookup(keyStopSignal); tt != nil {
		if sig, line, ok := k.r.str(tt, pre, keyStopSignal); ok {
			name, _, err := ParseSignal(sig)
			if err != nil {
				k.r.add(line, join(pre, keyStopSignal), "%v", err)
			}
			p.StopSignal = name
		}
	}
}

// health reads health (after oneshot and the durations, whose defaults it fills in).
func (k procKeys) health(p *Process) {
	if tt, pre := k.lookup(keyHealth); tt != nil {
		p.Health, _ = k.r.argv(tt, pre, keyHealth)
		if p.Oneshot {
			k.r.add(tt.val(keyHealth).line, join(pre, keyHealth), "a oneshot service is up when it exited 0; a health check does not apply")
		}
	} else {
		for _, key := range []string{keyHealthInterval, keyHealthTimeout} {
			if tt, pre := k.lookup(key); tt != nil {
				k.r.add(tt.val(key).line, join(pre, key), "has no effect without health")
			}
		}
	}
	if len(p.Health) > 0 {
		if p.HealthInterval == 0 {
			p.HealthInterval = DefaultHealthInterval
		}
		if p.HealthTimeout == 0 {
			p.HealthTimeout = DefaultHealthTimeout
		}
	}
}

// liveness reads liveness and its interval and failures (after oneshot).
func (k procKeys) liveness(p *Process) {
	tt, pre := k.lookup(keyLiveness)
	if tt == nil {
		for _, key := range []string{keyLivenessEvery, keyLivenessFails} {
			if t2, pre2 := k.lookup(key); t2 != nil {
				k.r.add(t2.val(key).line, join(pre2, key), "has no effect without liveness: set liveness to the command that checks the service")
			}
		}
		return
	}
	p.Liveness, _ = k.r.argv(tt, pre, keyLiveness)
	line := tt.val(keyLiveness).line
	switch {
	case p.Oneshot:
		k.r.add(line, join(pre, keyLiveness), "a oneshot service runs to completion; a liveness check does not apply")
	case p.Watchdog > 0:
		k.r.add(line, join(pre, keyLiveness), "and watchdog both keep systemd's watchdog (WatchdogSec=): use one, liveness when hero-exec checks the service, watchdog when the service pings itself")
	case p.NotifyMainOnly:
		k.r.add(line, join(pre, keyLiveness), "is fed to systemd by hero-exec, a process that is not the main one: it needs notify = true, not \"main\" (NotifyAccess=all)")
	}
	p.LivenessEvery, p.LivenessFails = DefaultLivenessInterval, DefaultLivenessFailures
	if t2, pre2 := k.lookup(keyLivenessEvery); t2 != nil {
		if d, ok := k.r.duration(t2, pre2, keyLivenessEvery); ok {
			if d < MinLivenessInterval || d > MaxLivenessInterval {
				k.r.add(t2.val(keyLivenessEvery).line, join(pre2, keyLivenessEvery), "%s is out of range %s..%s", d, MinLivenessInterval, MaxLivenessInterval)
			}
			p.LivenessEvery = d
		}
	}
	if t2, pre2 := k.lookup(keyLivenessFails); t2 != nil {
		if n, ok := k.r.integer(t2, pre2, keyLivenessFails, 1, MaxLivenessFailures); ok {
			p.LivenessFails = int(n)
		}
	}
}

// decodeScript turns interpreter + script into an argv: a string interpreter runs
// `INTERPRETER -c SCRIPT`; an array gives the flags itself, e.g. ["/usr/bin/node", "-e"].
func decodeScript(r reader, t *table, prefix string) []string {
	var interp []string
	iv := t.val(keyInterpreter)
	key := join(prefix, keyInterpreter)
	switch x := iv.v.(type) {
	case string:
		interp = []string{x, "-c"}
	case []value:
		for _, e := range x {
			s, ok := e.v.(string)
			if !ok {
				r.add(e.line, key, "must be a string or an array of strings, not an array with %s", typeName(e.v))
				return nil
			}
			interp = append(interp, s)
		}
		if len(interp) == 0 {
			r.add(iv.line, key, "is empty")
			return nil
		}
	default:
		r.add(iv.line, key, "must be an absolute path or an array, not %s", typeName(iv.v))
		return nil
	}
	if !strings.HasPrefix(interp[0], "/") {
		r.add(iv.line, key, "interpreter %q must be an absolute path", truncate(interp[0]))
		return nil
	}
	if err := checkAbsPath(interp[0]); err != nil {
		r.add(iv.line, key, "%v", err)
		return nil
	}
	script, line, ok := r.str(t, prefix, keyScript)
	if !ok {
		return nil
	}
	if strings.TrimSpace(script) == "" {
		r.add(line, join(prefix, keyScript), "is empty")
		return nil
	}
	if err := checkText(script, true, MaxArgLen); err != nil {
		r.add(line, join(prefix, keyScript), "%v", err)
		return nil
	}
	return append(interp, script)
}
