package daemon

import (
	"context"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// manager is the exported object. godbus runs every call in its own goroutine; the bridge
// serializes what must be serialized. Every input is untrusted: names and numbers are checked
// before anything else happens.
type manager struct {
	d *herod
}

// callTimeout bounds one API call (a stop waits for its services' stop timeouts).
const callTimeout = 10 * time.Minute

func (m *manager) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(m.d.ctx, callTimeout)
}

// check refuses malformed names first (cheap, and nobody is asked for a password for a call that
// cannot work), then callers who may not call method.
func (m *manager) check(msg dbus.Message, method string, names ...string) *dbus.Error {
	for _, n := range names {
		if e := checkName(n); e != nil {
			return e
		}
	}
	return m.allow(msg, method)
}

// shown is probs as the caller of msg may see them (anyone's view when the caller is unknown).
func (m *manager) shown(msg dbus.Message, probs config.Problems) config.Problems {
	c, err := m.d.callerOf(senderOf(msg))
	cp := &c
	if err != nil {
		cp = nil
	}
	out := make(config.Problems, len(probs))
	for i, p := range probs {
		out[i] = shownTo(p, m.d.access.of(p.File), cp)
	}
	return out
}

// callerOrAnyone is the caller of msg, or nil (anyone) when the bus cannot tell.
func (m *manager) callerOrAnyone(msg dbus.Message) *caller {
	c, err := m.d.callerOf(senderOf(msg))
	if err != nil {
		return nil
	}
	return &c
}

// allow refuses mutating calls from anyone but root, the daemon's own user and callers polkit
// authorizes (polkit.go), and calls that read services' output from anyone who may not read the
// system journal.
func (m *manager) allow(msg dbus.Message, method string) *dbus.Error {
	if !api.Mutating[method] && !api.ReadsOutput[method] {
		return nil
	}
	sender := senderOf(msg)
	c, err := m.d.callerOf(sender)
	if err != nil {
		return dbusErr(api.ErrAccessDenied, "%s: cannot tell who is calling: %v", method, err)
	}
	switch {
	case api.Mutating[method] && !c.privileged():
		return m.d.authorize(msg, method, c)
	case api.ReadsOutput[method] && !c.readsJournal():
		m.d.log.Warn("access denied", "method", method, "uid", c.uid)
		return dbusErr(api.ErrAccessDenied, "%s returns what services wrote, which only root and members of the groups %s may read, as the journal (add the user to one: 'sudo usermod -aG adm USER', or run 'sudo heroctl ...')",
			method, strings.Join(api.JournalGroups, " and "))
	}
	return nil
}
