// Package state is hero's state of a service, from systemd's states of its unit and how its
// last run ended: the one rule herod (bridge), heroctl when herod is down, and clients apply.
// It is pure: no I/O.
package state

// hero's states of a service.
const (
	Running    = "running"    // its unit is active
	Activating = "activating" // starting, waiting for its health check, or restarting
	Success    = "success"    // its last run ended well (a oneshot that finished is also up)
	Failed     = "failed"     // its last run failed
	Stopped    = "stopped"    // its last run was stopped
	Inactive   = "inactive"   // never run (or its jobs were removed)
	Blocked    = "blocked"    // not running, and a conflicting service runs, or it must start after a service no file defines
	BadConfig  = "bad-config" // its file, or that of a service it requires, has problems: it cannot be started
)

// LastRun is how a service's last run ended, as the ledger knows it.
type LastRun int

const (
	RunUnknown   LastRun = iota // no run, or one that has not ended, or not known (herod is down)
	RunSucceeded                // ended with success
	RunFailed                   // ended with a failure result
	RunCancelled                // stopped on request
)

// Up reports whether a unit in systemd's ActiveState active counts as up: active, or on its
// way up.
func Up(active string) bool {
	return active == "active" || active == "activating" || active == "reloading"
}

// Reloadable reports whether hero reloads a unit in ActiveState active: one that runs, or
// reloads already (systemd queues the new reload job after the running one). A unit still
// starting is not reloaded: it reads its configuration as it starts.
func Reloadable(active string) bool { return active == "active" || active == "reloading" }

// HasProcesses reports whether a unit in systemd's ActiveState active may still have processes
// to stop or signal: up, or on its way down.
func HasProcesses(active string) bool { return Up(active) || active == "deactivating" }

// Of is hero's state of a service whose unit is in systemd's ActiveState active and SubState
// sub, and whose last run ended as last. A unit that is up (or on its way down) says it
// itself; a unit that is not loaded or inactive has the state of its last run.
func Of(active, sub string, last LastRun) string {
	switch active {
	case "active", "reloading", "deactivating":
		if sub == "exited" {
			return Success
		}
		return Running
	case "activating":
		return Activating
	case "failed":
		return Failed
	}
	switch last {
	case RunSucceeded:
		return Success
	case RunFailed:
		return Failed
	case RunCancelled:
		return Stopped
	}
	return Inactive
}
