package cli

import "testing"

func TestStateFromSystemd(t *testing.T) {
	for _, c := range []struct{ active, sub, want string }{
		{"active", "running", "running"}, {"reloading", "reload", "running"}, {"deactivating", "stop-sigterm", "running"},
		{"active", "exited", "success"}, {"activating", "start", "activating"}, {"failed", "failed", "failed"},
		{"inactive", "dead", "inactive"}, {"maintenance", "", "inactive"},
	} {
		if got := stateFromSystemd(c.active, c.sub); got != c.want {
			t.Errorf("stateFromSystemd(%q, %q) = %q, want %q", c.active, c.sub, got, c.want)
		}
	}
}
