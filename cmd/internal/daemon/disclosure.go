package daemon

import (
	"errors"
	"sync"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// What herod answers never holds bytes of a file the caller could not read: a problem quotes
// its file (an unknown key is the file's text, a bad value is quoted), so it is told in full
// only to callers who could read that file by its modes and owners (root always); everyone
// else gets its file, line, the key as far as it is hero's own vocabulary, and the kind of
// problem (config.Problem.Withheld). Properties that every user reads (the service objects)
// quote only files every user may read.

// fileAccess is what it takes to read each file of the last directory read, and which files
// were refused as untrusted. Its zero value is ready.
type fileAccess struct {
	mu        sync.Mutex
	access    map[string]configdir.Access // by file name
	untrusted []string
}

// set remembers a directory read.
func (a *fileAccess) set(r *configdir.Result) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.access, a.untrusted = r.Access, r.Untrusted
}

// refused are the files of the last read refused as untrusted.
func (a *fileAccess) refused() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.untrusted
}

// of is what it takes to read file (the zero Access, which nobody but root reads, if unknown).
func (a *fileAccess) of(file string) configdir.Access {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.access[file]
}

// readsServiceFile reports whether the caller (nil: anyone) may read name's file by its modes
// and owners (root, and herod's own user, always).
func readsServiceFile(set *config.Set, access *fileAccess, name string, c *caller) bool {
	if c != nil && c.privileged() {
		return true
	}
	svc := set.Service(name)
	if svc == nil {
		return false
	}
	acc := access.of(svc.File)
	if c == nil {
		return acc.WorldReadable()
	}
	return acc.Readable(c.uid, c.groupIDs())
}

// shownTo is p as the caller may see it; a nil caller is anyone.
func shownTo(p config.Problem, acc configdir.Access, c *caller) config.Problem {
	if p.File == "." {
		return p // about the directory as a whole: counts, never a file's text
	}
	if c == nil {
		if acc.WorldReadable() {
			return p
		}
		return p.Withheld()
	}
	if acc.Readable(c.uid, c.groupIDs()) {
		return p
	}
	return p.Withheld()
}

// problemsFor is every problem of a directory read, as the caller may see them.
func problemsFor(r *configdir.Result, c *caller) config.Problems {
	all := r.Problems
	if r.Set != nil {
		all = append(append(config.Problems(nil), all...), r.Set.Warnings()...) // each says "warning: "
	}
	out := make(config.Problems, len(all))
	for i, p := range all {
		out[i] = shownTo(p, r.Access[p.File], c)
	}
	return out
}

// serviceProblems is a service's problems (why it is bad-config, or its new file's problems
// while its last good definition runs) as the caller may see them.
func serviceProblems(set *config.Set, access *fileAccess, name string, c *caller) []string {
	out := []string{}
	for _, ps := range []config.Problems{set.Problems(name), set.Pending(name)} {
		for _, p := range ps {
			out = append(out, shownTo(p, access.of(p.File), c).String())
		}
	}
	return out
}

// forEveryone is err as every user may read it: OperationFinished and OperationProgress are
// broadcast signals, which any client on the bus receives (dbus-monitor as any user), so a
// bad-config service's problems quote only world-readable files, and a failed start says how its
// run ended without the service's output (StartError.Public).
func forEveryone(err error, access *fileAccess) error { return errorShownTo(err, access, nil) }

// errorShownTo is err as the caller may see it (nil: anyone): a ConfigError's problems quote only the
// files the caller could read; a StartError carries the service's last lines, the health
// check's words and systemd's reason only to callers who may read services' output (as
// JobOutput). A StartError inside another error is replaced by its public form whole.
func errorShownTo(err error, access *fileAccess, c *caller) error {
	var cfg *bridge.ConfigError
	var se *bridge.StartError
	switch {
	case errors.As(err, &se):
		if c != nil && c.readsJournal() {
			return err
		}
		return se.Public()
	case errors.As(err, &cfg) && len(cfg.Problems) > 0:
		shown := *cfg
		shown.Problems = make(config.Problems, len(cfg.Problems))
		for i, p := range cfg.Problems {
			shown.Problems[i] = shownTo(p, access.of(p.File), c)
		}
		return &shown
	}
	return err
}
