package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// D-Bus errors: the names of api.Err*, decided from the bridge's typed errors.

func dbusErr(name, format string, args ...any) *dbus.Error {
	return dbus.NewError(name, []any{fmt.Sprintf(format, args...)})
}

func checkName(name string) *dbus.Error {
	if err := config.CheckName(name); err != nil {
		return dbusErr(api.ErrInvalidArgument, "%v", err)
	}
	return nil
}

// toDBus maps bridge and ledger errors to named D-Bus errors. An error is wrapped once, where the
// operation and its service are known: the bridge's operations (start, stop, restart, reload,
// kill, reset-failed) name theirs, and herod passes op "" for them; what herod asks of the bridge
// that does not (its reads, an apply) it names with op and name here. name also words the errors
// that carry no text of their own (no such service, not running).
func toDBus(op, name string, err error) *dbus.Error {
	var ce *bridge.ConflictError
	var se *bridge.StartError
	var cfg *bridge.ConfigError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bridge.ErrNoSuchService):
		return dbusErr(api.ErrNoSuchService, "no such service %q", name)
	case errors.As(err, &ce):
		return dbusErr(api.ErrConflictBlocked, "%v", err)
	case errors.As(err, &se):
		return dbusErr(api.ErrStartFailed, "%v", err)
	case errors.As(err, &cfg):
		return dbusErr(api.ErrInvalidConfig, "%v", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return dbusErr(api.ErrFailed, "%sherod is shutting down or the operation took too long: %v", named(op, name), err)
	case errors.Is(err, bridge.ErrNotReloadable):
		return dbusErr(api.ErrNotReloadable, "%v", err)
	case errors.Is(err, bridge.ErrNotRunning):
		return dbusErr(api.ErrNotRunning, "%s is not running", name)
	case errors.Is(err, jobdb.ErrNotFound):
		return dbusErr(api.ErrNoSuchJob, "%v", err)
	}
	return dbusErr(api.ErrFailed, "%s%v", named(op, name), err)
}

// named is the "op name: " an error of op is wrapped with; "" when op is "" (the error names its
// operation itself).
func named(op, name string) string {
	if op == "" {
		return ""
	}
	return strings.TrimSpace(op+" "+name) + ": "
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
