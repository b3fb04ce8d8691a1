package daemon

import (
	"errors"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// The Manager's methods about the config directory and the wanted states: reload, validate,
// enable and disable.

func (m *manager) Reload(msg dbus.Message) (uint32, *dbus.Error) {
	if e := m.allow(msg, api.MethodReload); e != nil {
		return 0, e
	}
	n, err := m.d.reload()
	if err != nil {
		var probs config.Problems
		if errors.As(err, &probs) {
			probs = m.shown(msg, probs)
			return uint32(n), dbusErr(api.ErrInvalidConfig, "%s has %d problem(s); the rest is loaded (%d services), and a service whose file has a problem keeps its last good definition, or is left out as bad-config if it never had one:\n%s",
				m.d.opts.ConfigDir, len(probs), n, probs.Error())
		}
		return 0, dbusErr(api.ErrFailed, "reload: %v", err)
	}
	m.d.objs.markAll()
	return uint32(n), nil
}

func (m *manager) Enable(msg dbus.Message, names []string) *dbus.Error {
	return m.setEnabled(msg, api.MethodEnable, names, enabledState)
}

func (m *manager) Disable(msg dbus.Message, names []string) *dbus.Error {
	return m.setEnabled(msg, api.MethodDisable, names, disabledState)
}

func (m *manager) setEnabled(msg dbus.Message, method string, names []string, state string) *dbus.Error {
	if len(names) == 0 || len(names) > config.MaxServices {
		return dbusErr(api.ErrInvalidArgument, "give between 1 and %d services", config.MaxServices)
	}
	if e := m.check(msg, method, names...); e != nil {
		return e
	}
	set := m.d.bridge.Config()
	for _, n := range names {
		if set.Service(n) == nil {
			return dbusErr(api.ErrNoSuchService, "no such service %q", n)
		}
	}
	ctx, cancel := m.ctx()
	defer cancel()
	if err := setEnabled(ctx, m.d.ledger, names, state); err != nil {
		return dbusErr(api.ErrFailed, "%s: %v", method, err)
	}
	m.d.objs.mark(enablementChanged, names...)
	m.d.log.Info("wanted state at start-up set", "services", names, "state", state)
	return nil
}

// Validate reads the directory on disk; each problem quotes its file only to a caller who
// could read that file (see disclosure.go).
func (m *manager) Validate(msg dbus.Message) ([]problem, *dbus.Error) {
	r, err := m.d.read()
	if err != nil {
		return nil, dbusErr(api.ErrFailed, "validate: %v", err)
	}
	c, err := m.d.callerOf(senderOf(msg))
	if err != nil {
		return nil, dbusErr(api.ErrAccessDenied, "validate: cannot tell who is calling: %v", err)
	}
	out := []problem{}
	for _, p := range problemsFor(r, &c) {
		out = append(out, problem{p.File, int32(p.Line), p.Key, p.Message})
	}
	return out, nil
}

// problem is the (siss) struct of Validate.
type problem struct {
	File    string
	Line    int32
	Key     string
	Message string
}
