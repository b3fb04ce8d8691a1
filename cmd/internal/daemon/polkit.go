package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// polkit's authority (polkit(8), org.freedesktop.PolicyKit1.Authority(5)).
const (
	polkitName  = "org.freedesktop.PolicyKit1"
	polkitPath  = "/org/freedesktop/PolicyKit1/Authority"
	polkitCheck = "org.freedesktop.PolicyKit1.Authority.CheckAuthorization"
	// polkitAllowUserInteraction is CheckAuthorizationFlags' AllowUserInteraction: polkit may
	// ask the caller to authenticate, through an authentication agent.
	polkitAllowUserInteraction uint32 = 1
	// polkitTimeout bounds a check that may not ask anyone anything.
	polkitTimeout = 25 * time.Second
)

// polkitSubject is CheckAuthorization's (sa{sv}) subject.
type polkitSubject struct {
	Kind    string
	Details map[string]dbus.Variant
}

// polkitResult is CheckAuthorization's (bba{ss}) answer.
type polkitResult struct {
	Authorized bool              // the subject may do it
	Challenge  bool              // it may, once it authenticates
	Details    map[string]string // e.g. polkit.dismissed
}

// errNoPolkit says polkit is not on herod's bus (not installed, or a bus of herod's own).
var errNoPolkit = errors.New("polkit is not available")

// checkPolkit asks polkit whether the sender of a call (its bus name, as systemd does) may manage
// hero's services. Interactive lets polkit ask the person behind it for a password (through
// their authentication agent), as the ALLOW_INTERACTIVE_AUTHORIZATION flag of their call allows.
func (d *herod) checkPolkit(ctx context.Context, sender string, interactive bool) (polkitResult, error) {
	var flags uint32
	timeout := polkitTimeout
	if interactive {
		flags, timeout = polkitAllowUserInteraction, api.InteractiveAuthTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	subject := polkitSubject{Kind: "system-bus-name", Details: map[string]dbus.Variant{"name": dbus.MakeVariant(sender)}}
	var r polkitResult
	err := d.bus.Object(polkitName, polkitPath).CallWithContext(ctx, polkitCheck, 0,
		subject, api.PolkitAction, map[string]string{}, flags, "").Store(&r)
	var de dbus.Error
	if errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
		return r, errNoPolkit
	}
	return r, err
}

// authorize decides a mutating call of a caller who is not root (nor herod's own user): polkit
// says, for the action api.PolkitAction; without polkit, or when it says no, the call is denied.
func (d *herod) authorize(msg dbus.Message, method string, c caller) *dbus.Error {
	interactive := msg.Flags&dbus.FlagAllowInteractiveAuthorization != 0
	r, err := d.checkPolkit(d.ctx, senderOf(msg), interactive)
	switch {
	case err == nil && r.Authorized:
		d.log.Info("polkit authorized", "method", method, "uid", c.uid, "action", api.PolkitAction)
		return nil
	case err == nil && r.Challenge && !interactive:
		d.log.Warn("access denied: authentication required", "method", method, "uid", c.uid)
		return dbusErr(api.ErrInteractiveAuthorizationRequired, "%s changes services: polkit allows it after authentication (action %s), which this call did not allow: run heroctl on a terminal (without --no-ask-password), or run 'sudo heroctl ...'",
			method, api.PolkitAction)
	case err != nil && !errors.Is(err, errNoPolkit):
		d.log.Warn("asking polkit failed", "method", method, "uid", c.uid, "err", err)
	default:
		d.log.Warn("access denied", "method", method, "uid", c.uid)
	}
	return dbusErr(api.ErrAccessDenied, "%s changes services: only root may call it, or a user polkit authorizes for %s (run 'sudo heroctl ...')", method, api.PolkitAction)
}
