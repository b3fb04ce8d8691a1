package cli

import (
	"strings"
	"testing"
)

// -H goes with nothing that names a local herod or directory; refused as a usage error.
func TestHostRefusesLocalFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-H", "web1", "--user", "status", "db"},
		{"-H", "web1", "--bus-address", noHerod, "status", "db"},
		{"-H", "web1", "--config-dir", examples, "graph"},
		{"-H", "web1", "validate", examples},
		{"-H", "-oProxyCommand=sh", "status", "db"},
		{"--host", "root@", "status", "db"},
	} {
		out, errs, code := heroctl(t, args...)
		if code != ExitFailure || out != "" || !strings.Contains(errs, "Usage: heroctl") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a usage error", args, code, out, errs)
		}
	}
}

// A host that cannot be reached is reported as such, naming it and how to check it; the offline
// verbs do not read a local directory instead (it says nothing about that host), even with
// $HERO_CONFIG_DIR set.
func TestUnreachableHostHasNoOfflineFallback(t *testing.T) {
	t.Setenv("SYSTEMD_SSH", "/bin/false")
	t.Setenv("HERO_CONFIG_DIR", examples)
	for _, args := range [][]string{{"graph"}, {"validate"}, {"cat", "db"}, {"stop", "--dry-run", "db"}, {"status", "db"}} {
		out, errs, code := heroctl(t, append([]string{"-H", "root@web1:2222"}, args...)...)
		if code != ExitFailure || out != "" {
			t.Errorf("%v: exit %d, stdout %q", args, code, out)
		}
		for _, want := range []string{"herod on root@web1:2222 is not running or not reachable", "ssh -p 2222 root@web1 systemctl status herod"} {
			if !strings.Contains(errs, want) {
				t.Errorf("%v: stderr %q lacks %q", args, errs, want)
			}
		}
		if strings.Contains(errs, "instead") {
			t.Errorf("%v fell back to a local directory: %q", args, errs)
		}
	}
}
