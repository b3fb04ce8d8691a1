//go:build daemons

package daemons

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// webUser serves port 80 without being root.
const webUser = "heroweb"

// port80Service is Python's http.server on port 80 as webUser, in hero's strict sandbox, with
// the capability to bind it when withCap is set.
func port80Service(withCap bool) string {
	caps := ""
	if withCap {
		caps = "capabilities = [\"CAP_NET_BIND_SERVICE\"]\n"
	}
	return `description = "a static site on port 80, not as root"
user = "` + webUser + `"
exec = ["/usr/bin/python3", "-m", "http.server", "80", "--bind", "127.0.0.1", "--directory", "/srv/hero-www"]
sandbox = "strict"
` + caps
}

// An unprivileged server binds port 80 with capabilities = ["CAP_NET_BIND_SERVICE"] (ambient,
// and the whole bounding set) and serves; without the capability the same server cannot bind.
func TestUnprivilegedPort80(t *testing.T) {
	EnsureUser(t, webUser)
	os.MkdirAll("/srv/hero-www", 0o755)
	t.Cleanup(func() { os.RemoveAll("/srv/hero-www") })
	if err := os.WriteFile("/srv/hero-www/index.html", []byte("served on port 80\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	StartStack(t, map[string]string{"www.toml": port80Service(true), "wwwnocap.toml": port80Service(false)})
	MustHeroctl(t, "start", "www")
	WaitFor(t, 20*time.Second, "the site on port 80", func() bool { return curl(t, "http://127.0.0.1:80/") == "served on port 80" })
	pid := MainPID(t, "www")
	user := strings.TrimSpace(testbed.MustRun(t, "ps", "-o", "user=", "-p", pid))
	if user != webUser {
		t.Errorf("the server runs as %s, want %s", user, webUser)
	}
	status := testbed.MustRun(t, "grep", "-E", "^Cap(Eff|Bnd|Amb):", "/proc/"+pid+"/status")
	Figure(t, "port 80 as "+webUser+" with CAP_NET_BIND_SERVICE", "served; %s", strings.Join(strings.Fields(status), " "))
	Figure(t, "port 80 server's exposure (sandbox strict, one capability)", "%.1f", Exposure(t, Unit("www")))
	MustHeroctl(t, "stop", "www")

	// The same without the capability: the bind is refused, the run fails.
	Heroctl(t, "start", "wwwnocap")
	WaitFor(t, 20*time.Second, "the server without the capability failed", func() bool {
		return Show(t, Unit("wwwnocap"), "ActiveState") == "failed"
	})
	if j := Journal(t, Unit("wwwnocap")); !strings.Contains(j, "Permission denied") {
		t.Errorf("the server without the capability did not fail for its bind:\n%s", j)
	}
}
