package daemon

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strconv"
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
func callerOf(ctx context.Context, bus *dbus.Conn, sender string) (caller, error) {
	ctx, cancel := context.WithTimeout(ctx, busCallTimeout)
	defer cancel()
	var creds map[string]dbus.Variant
	err := bus.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionCredentials", 0, sender).Store(&creds)
	if err != nil {
		var uid uint32
		if err := bus.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixUser", 0, sender).Store(&uid); err != nil {
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

// senderOf is the unique bus name of a call's sender.
func senderOf(msg dbus.Message) string {
	s, _ := msg.Headers[dbus.FieldSender].Value().(string)
	return s
}

// redactEnvironment is a unit's text as callers who may not read services' output see it (see
// unitgen.MaskEnvironment).
func redactEnvironment(text string) string { return unitgen.MaskEnvironment(text) }

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
