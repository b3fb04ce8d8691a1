package daemon

import (
	"context"
	"errors"
	"fmt"

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

// toDBus maps the bridge's and the ledger's errors to named D-Bus errors, by their types. It
// adds no words: every error of the bridge's already begins with its operation and service
// ("stop web: ..."), added once where the bridge is asked (herod wrapping it again made "stop
// web: stop web: ..."). name (the service or services asked for) words the errors that carry no
// text of their own (no such service, not running).
func toDBus(name string, err error) *dbus.Error {
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
		return dbusErr(api.ErrFailed, "herod is shutting down or the operation took too long: %v", err)
	case errors.Is(err, bridge.ErrNotReloadable):
		return dbusErr(api.ErrNotReloadable, "%v", err)
	case errors.Is(err, bridge.ErrNotRunning):
		return dbusErr(api.ErrNotRunning, "%s is not running", name)
	case errors.Is(err, jobdb.ErrNotFound):
		return dbusErr(api.ErrNoSuchJob, "%v", err)
	}
	return dbusErr(api.ErrFailed, "%v", err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
