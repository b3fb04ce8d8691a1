package daemon

import (
	"os/user"
	"strconv"

	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// What herod answers never holds bytes of a file the caller could not read: a problem quotes
// its file (an unknown key is the file's text, a bad value is quoted), so it is told in full
// only to callers who could read that file by its modes and owners (root always); everyone
// else gets its file, line, the key as far as it is hero's own vocabulary, and the kind of
// problem (config.Problem.Withheld). Properties that every user reads (the service objects)
// quote only files every user may read.

// setAccess remembers what it takes to read each file of the last directory read, and which
// files were refused as untrusted.
func (d *Daemon) setAccess(r *configdir.Result) {
	d.accessMu.Lock()
	defer d.accessMu.Unlock()
	d.access, d.untrustedFiles = r.Access, r.Untrusted
}

func (d *Daemon) untrusted() []string {
	d.accessMu.Lock()
	defer d.accessMu.Unlock()
	return d.untrustedFiles
}

func (d *Daemon) accessOf(file string) configdir.Access {
	d.accessMu.Lock()
	defer d.accessMu.Unlock()
	return d.access[file]
}

// readsServiceFile reports whether the caller (nil: anyone) may read name's file by its modes
// and owners (root, and herod's own user, always).
func (d *Daemon) readsServiceFile(name string, c *caller) bool {
	if c != nil && c.privileged() {
		return true
	}
	svc := d.bridge.Config().Service(name)
	if svc == nil {
		return false
	}
	acc := d.accessOf(svc.File)
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
func (d *Daemon) serviceProblems(name string, c *caller) []string {
	set := d.bridge.Config()
	out := []string{}
	for _, ps := range []config.Problems{set.Problems(name), set.Pending(name)} {
		for _, p := range ps {
			out = append(out, shownTo(p, d.accessOf(p.File), c).String())
		}
	}
	return out
}

// groupIDs is the caller's groups: as the bus told them, else from the group database.
func (c *caller) groupIDs() []uint32 {
	if c.groups != nil {
		return c.groups
	}
	var out []uint32
	if u, err := user.LookupId(strconv.FormatUint(uint64(c.uid), 10)); err == nil {
		ids, _ := u.GroupIds()
		for _, id := range ids {
			if gid, err := strconv.ParseUint(id, 10, 32); err == nil {
				out = append(out, uint32(gid))
			}
		}
	}
	c.groups = out
	return out
}
