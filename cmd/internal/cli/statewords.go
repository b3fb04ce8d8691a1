package cli

import (
	"strings"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

// How heroctl words a service's state (status, its overview, list-units): the dot, the word,
// the gloss of systemd's result.

func dot(st client.Status) string {
	switch {
	case st.State == "failed":
		return "×"
	case st.Up():
		return "●"
	}
	return "○"
}

// exitedOneshot reports a oneshot whose process ended while systemd keeps its unit active
// (RemainAfterExit=yes, SubState exited): its run is over though its job is not.
func exitedOneshot(st client.Status) bool {
	return st.SubState == "exited" && st.LastJob != nil && st.LastJob.Phase == "running"
}

// unhealthy reports a service whose liveness checks fail while it runs.
func unhealthy(st client.Status) bool {
	return st.Up() && strings.HasPrefix(st.Health, "unhealthy")
}

// stateWord is hero's state, with "unhealthy" while liveness checks fail.
func stateWord(st client.Status) string {
	if unhealthy(st) {
		return st.State + " (unhealthy)"
	}
	return st.State
}

// resultGloss explains a job's result where systemd's word alone does not.
func resultGloss(result string) string {
	if result == "watchdog" {
		return " (systemd's watchdog killed it: its liveness check kept failing, or it stopped its own watchdog pings)"
	}
	return ""
}
