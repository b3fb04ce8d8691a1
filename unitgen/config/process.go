package config

import (
	"fmt"
	"strings"
	"time"
)

// An action's process keys (its command, environment, restart policy, signals, health and
// liveness checks, and the main process's daemon keys), read from its own table or the service's
// top level.

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
		if n, ok := k.r.integer(tt, pre, keyMaxRestarts, 1, maxRestartsLimit); ok {
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
			p.RestartWindow = defaultRestartWindow
		}
		return
	}
	w, line, ok := k.r.str(tt, pre, keyRestartWindow)
	if !ok {
		return
	}
	if w == "infinity" {
		p.RestartWindow = RestartForever
	} else if d, err := parseDuration(w); err != nil {
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
			p.HealthInterval = defaultHealthInterval
		}
		if p.HealthTimeout == 0 {
			p.HealthTimeout = defaultHealthTimeout
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
	p.LivenessEvery, p.LivenessFails = defaultLivenessInterval, defaultLivenessFailures
	if t2, pre2 := k.lookup(keyLivenessEvery); t2 != nil {
		if d, ok := k.r.duration(t2, pre2, keyLivenessEvery); ok {
			if d < minLivenessInterval || d > maxLivenessInterval {
				k.r.add(t2.val(keyLivenessEvery).line, join(pre2, keyLivenessEvery), "%s is out of range %s..%s", d, minLivenessInterval, maxLivenessInterval)
			}
			p.LivenessEvery = d
		}
	}
	if t2, pre2 := k.lookup(keyLivenessFails); t2 != nil {
		if n, ok := k.r.integer(t2, pre2, keyLivenessFails, 1, maxLivenessFailures); ok {
			p.LivenessFails = int(n)
		}
	}
}

// notify reads notify and watchdog (after oneshot, which excludes them).
func (k procKeys) notify(p *Process) {
	if tt, pre := k.lookup(keyNotify); tt != nil {
		v := tt.val(keyNotify)
		switch x := v.v.(type) {
		case bool:
			p.Notify = x
		case string:
			if x != notifyMain {
				k.r.add(v.line, join(pre, keyNotify), "must be true, false or \"main\", not %q", truncate(x))
			} else {
				p.Notify, p.NotifyMainOnly = true, true
			}
		default:
			k.r.add(v.line, join(pre, keyNotify), "must be true, false or \"main\", not %s", typeName(v.v))
		}
		if p.Notify && p.Oneshot {
			k.r.add(tt.val(keyNotify).line, join(pre, keyNotify), "a oneshot service is up when it exited 0; it cannot also tell its readiness (Type=notify and Type=oneshot exclude each other)")
		}
	}
	if tt, pre := k.lookup(keyWatchdog); tt != nil {
		p.Watchdog, _ = k.r.duration(tt, pre, keyWatchdog)
		if !p.Notify {
			k.r.add(tt.val(keyWatchdog).line, join(pre, keyWatchdog), "needs notify = true: the watchdog is kept alive by the service's WATCHDOG=1 messages over sd_notify")
		}
	}
}

// reload reads reload and reload_signal.
func (k procKeys) reload(p *Process) {
	if tt, pre := k.lookup(keyReload); tt != nil {
		p.Reload, _ = k.r.argv(tt, pre, keyReload)
	}
	tt, pre := k.lookup(keyReloadSignal)
	if tt == nil {
		return
	}
	sig, line, ok := k.r.str(tt, pre, keyReloadSignal)
	if !ok {
		return
	}
	name, _, err := ParseSignal(sig)
	switch {
	case err != nil:
		k.r.add(line, join(pre, keyReloadSignal), "%v", err)
	case p.Reload != nil:
		k.r.add(line, join(pre, keyReloadSignal), "use either reload (a command) or reload_signal, not both")
	case p.Oneshot:
		k.r.add(line, join(pre, keyReloadSignal), "a oneshot service has no main process left to signal")
	default:
		p.ReloadSignal = name
	}
}

// killMode reads kill_mode.
func (k procKeys) killMode(p *Process) {
	if tt, pre := k.lookup(keyKillMode); tt != nil {
		if m, line, ok := k.r.str(tt, pre, keyKillMode); ok {
			if !contains(killModes, m) {
				k.r.add(line, join(pre, keyKillMode), "must be %s, not %q", quoteList(killModes), truncate(m))
			} else {
				p.KillMode = m
			}
		}
	}
}

// successExit reads success_exit_status: exit statuses 0..255 and signal names.
func (k procKeys) successExit(p *Process) {
	tt, pre := k.lookup(keySuccessExitStatus)
	if tt == nil {
		return
	}
	v := tt.val(keySuccessExitStatus)
	key := join(pre, keySuccessExitStatus)
	arr, isArr := v.v.([]value)
	if !isArr {
		k.r.add(v.line, key, "must be an array of exit statuses and signal names, like [143, \"SIGUSR1\"], not %s", typeName(v.v))
		return
	}
	for i, e := range arr {
		switch x := e.v.(type) {
		case int64:
			if x < 0 || x > 255 {
				k.r.add(e.line, key, "exit status %d is out of range 0..255", x)
			} else if !containsInt(p.SuccessExit.Statuses, int(x)) {
				p.SuccessExit.Statuses = append(p.SuccessExit.Statuses, int(x))
			}
		case string:
			name, _, err := ParseSignal(x)
			if err != nil {
				k.r.add(e.line, key, "%v", err)
			} else if !contains(p.SuccessExit.Signals, name) {
				p.SuccessExit.Signals = append(p.SuccessExit.Signals, name)
			}
		default:
			k.r.add(e.line, fmt.Sprintf("%s[%d]", key, i), "must be an exit status or a signal name, not %s", typeName(e.v))
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
	if err := checkText(script, true, maxArgLen); err != nil {
		r.add(line, join(prefix, keyScript), "%v", err)
		return nil
	}
	return append(interp, script)
}
