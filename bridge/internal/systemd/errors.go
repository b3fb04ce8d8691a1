package systemd

import (
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// The D-Bus error names the bridge decides by: systemd's, sd-bus's for an errno, and the bus's
// own for a call nobody answered.
const (
	// UnitExists: StartTransientUnit of a name systemd has a unit object of (loaded, or kept
	// for a loaded unit that refers to it).
	UnitExists = "org.freedesktop.systemd1.UnitExists"
	// NoSuchUnit: a call about a unit systemd has not loaded (or a Requires= naming one).
	NoSuchUnit = "org.freedesktop.systemd1.NoSuchUnit"
	// invalidArgs is the name sd-bus gives EINVAL. KillUnit of a valid signal says it only when
	// signalling the unit's other processes failed (unit_kill_common: systemd signals the
	// control and main processes first, and reports cg_kill_recursive's error, "Failed to send
	// signal SIG... to auxiliary processes: Invalid argument", only when those went well;
	// kill(2) fails with EINVAL for an invalid signal alone, which systemd refuses before).
	invalidArgs = "org.freedesktop.DBus.Error.InvalidArgs"
	// noReply: the call's recipient left the bus without replying (dbus-daemon: "Message
	// recipient disconnected from message bus without replying"), as systemd does while it
	// re-executes itself.
	noReply = "org.freedesktop.DBus.Error.NoReply"
	// serviceUnknown: no one owns systemd's name on the bus (yet again).
	serviceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
	// disconnected: the bus connection broke.
	disconnected = "org.freedesktop.DBus.Error.Disconnected"
)

// Named returns the D-Bus error name of err ("" when err is not a D-Bus error).
func Named(err error) string {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	var dep *dbus.Error
	if errors.As(err, &dep) {
		return dep.Name
	}
	return ""
}

// Gone reports an error of a call systemd never answered because it went away for a moment
// (daemon-reexec): the bus tells the caller so by the error's name.
func Gone(err error) bool {
	switch Named(err) {
	case noReply, serviceUnknown, disconnected:
		return true
	}
	return false
}

// JobError says a job systemd ran for a unit did not do its work.
type JobError struct {
	Job    string // the job's type: start, stop, reload
	Unit   string
	Result string // systemd's job result: failed, timeout, canceled, dependency, ...
}

func (e *JobError) Error() string {
	return fmt.Sprintf("systemd's %s job of %s: %s", e.Job, e.Unit, e.Result)
}
