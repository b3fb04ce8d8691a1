package daemon

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// caller is who is calling, as the bus daemon knows it (not as the caller claims).
type caller struct {
	uid    uint32
	groups []uint32 // the process's groups, when the bus tells them
}

// busCallTimeout bounds each question herod asks the bus daemon about a caller: the bus
// answers these itself, at once, unless it is overloaded or gone.
const busCallTimeout = 10 * time.Second

// callerOf asks the bus for the sender's credentials: org.freedesktop.DBus's
// GetConnectionCredentials gives its uid and (dbus-daemon 1.12 and later) its groups.
func (d *Daemon) callerOf(sender string) (caller, error) {
	ctx, cancel := context.WithTimeout(d.ctx, busCallTimeout)
	defer cancel()
	var creds map[string]dbus.Variant
	err := d.bus.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionCredentials", 0, sender).Store(&creds)
	if err != nil {
		var uid uint32
		if err := d.bus.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixUser", 0, sender).Store(&uid); err != nil {
			return caller{}, fmt.Errorf("asking the bus who %s is: %w", sender, err)
		}
		return caller{uid: uid}, nil
	}
	c := caller{}
	c.uid, _ = creds["UnixUserID"].Value().(uint32)
	c.groups, _ = creds["UnixGroupIDs"].Value().([]uint32)
	return c, nil
}

// privileged: root, or herod's own user (herod --user).
func (c caller) privileged() bool { return c.uid == 0 || c.uid == uint32(os.Getuid()) }

// readsJournal: privileged, or in one of the groups that may read the system journal. The
// process's groups count when the bus tells them; else the user's groups in the group database.
func (c caller) readsJournal() bool {
	if c.privileged() {
		return true
	}
	allowed := map[uint32]bool{}
	for _, name := range api.JournalGroups {
		if g, err := user.LookupGroup(name); err == nil {
			if gid, err := strconv.ParseUint(g.Gid, 10, 32); err == nil {
				allowed[uint32(gid)] = true
			}
		}
	}
	groups := c.groups
	if groups == nil {
		if u, err := user.LookupId(strconv.FormatUint(uint64(c.uid), 10)); err == nil {
			ids, _ := u.GroupIds()
			for _, id := range ids {
				if gid, err := strconv.ParseUint(id, 10, 32); err == nil {
					groups = append(groups, uint32(gid))
				}
			}
		}
	}
	for _, g := range groups {
		if allowed[g] {
			return true
		}
	}
	return false
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

// senderOf is the unique bus name of a call's sender.
func senderOf(msg dbus.Message) string {
	s, _ := msg.Headers[dbus.FieldSender].Value().(string)
	return s
}

// redactEnvironment is a unit's text as callers who may not read services' output see it (see
// unitgen.MaskEnvironment).
func redactEnvironment(text string) string { return unitgen.MaskEnvironment(text) }
