package state

import "testing"

// The rule, case by case: a unit that is up or on its way down says the state itself (a
// oneshot that exited is a success); otherwise the last run's end decides.
func TestOf(t *testing.T) {
	for _, c := range []struct {
		active, sub string
		last        LastRun
		want        string
	}{
		{"active", "running", RunFailed, Running},
		{"reloading", "reload", RunUnknown, Running},
		{"deactivating", "stop-sigterm", RunUnknown, Running},
		{"active", "exited", RunUnknown, Success},
		{"activating", "auto-restart", RunFailed, Activating},
		{"failed", "failed", RunSucceeded, Failed},
		{"inactive", "dead", RunSucceeded, Success},
		{"inactive", "dead", RunFailed, Failed},
		{"inactive", "dead", RunCancelled, Stopped},
		{"inactive", "dead", RunUnknown, Inactive},
		{"", "", RunUnknown, Inactive}, // a unit systemd does not hold
	} {
		if got := Of(c.active, c.sub, c.last); got != c.want {
			t.Errorf("Of(%q, %q, %d) = %q, want %q", c.active, c.sub, c.last, got, c.want)
		}
	}
	for active, want := range map[string]bool{"active": true, "activating": true, "reloading": true,
		"deactivating": false, "failed": false, "inactive": false} {
		if Up(active) != want {
			t.Errorf("Up(%q) = %v", active, !want)
		}
	}
	for active, want := range map[string]bool{"active": true, "reloading": true, "activating": false,
		"deactivating": false, "failed": false, "inactive": false, "": false} {
		if Reloadable(active) != want {
			t.Errorf("Reloadable(%q) = %v", active, !want)
		}
	}
}
