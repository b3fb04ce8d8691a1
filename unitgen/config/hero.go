package config

import (
	"fmt"
	"strings"
)

// decodeHero maps a hero TOML tree onto s.
func decodeHero(r reader, t *table, s *Service) {
	r.unknown(t, "", topLevelKeys)
	decodeCommon(r, t, s)
	decodeDaemon(r, t, s)
	if d, ok := t.get(keyDependencies); ok {
		if dt, isTable := d.v.(*table); isTable {
			r.unknown(dt, keyDependencies, dependencyKeys)
			var lines []int
			s.Requires, lines = r.strList(dt, keyDependencies, keyRequires, maxDependencies)
			s.setDepLines(keyRequires, s.Requires, lines)
			s.Wants, lines = r.strList(dt, keyDependencies, keyWants, maxDependencies)
			s.setDepLines(keyWants, s.Wants, lines)
			s.After, lines = r.strList(dt, keyDependencies, keyAfter, maxDependencies)
			s.setDepLines(keyAfter, s.After, lines)
			s.Conflicts, lines = r.strList(dt, keyDependencies, keyConflicts, maxDependencies)
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
		if err := checkText(d, false, maxDescriptionLen); err != nil {
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
			if err := checkUserOrGroup(u); err != nil {
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
			n, err := parseSize(x)
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
	if len(arr) > maxActions {
		r.add(av.line, keyActions, "has %d actions; at most %d are allowed", len(arr), maxActions)
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
