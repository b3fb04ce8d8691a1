//go:build daemons

package daemons

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// nginxConf is an nginx configuration serving body on 127.0.0.1:port.
func nginxConf(port, body string) string {
	return `pid /run/hero-nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:` + port + `;
        location / { default_type text/plain; return 200 "` + body + `\n"; }
    }
}
`
}

// curl fetches a URL inside the container ("" when it fails).
func curl(t *testing.T, url string) string {
	t.Helper()
	r := testbed.Run(t, "curl", "-fsS", "--max-time", "5", url)
	if r.Code != 0 {
		return ""
	}
	return strings.TrimSpace(r.Stdout)
}

// nginx as Debian's nginx.service runs it (master process in the foreground), reloaded by its
// own command (nginx -s reload, reading the pid file): a changed configuration is served by
// the same master process, in the same run.
func TestNginxReload(t *testing.T) {
	const port = "8081"
	dir := "/etc/hero-nginx"
	conf := dir + "/nginx.conf"
	os.MkdirAll(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(conf, []byte(nginxConf(port, "version-1")), 0o644); err != nil {
		t.Fatal(err)
	}
	StartStack(t, map[string]string{"nginx.toml": `description = "nginx"
exec = ["/usr/sbin/nginx", "-c", "` + conf + `", "-g", "daemon off; master_process on;"]
reload = ["/usr/sbin/nginx", "-c", "` + conf + `", "-s", "reload"]
stop_signal = "SIGQUIT"
stop_timeout = "10s"
`})
	MustHeroctl(t, "start", "nginx")
	url := "http://127.0.0.1:" + port + "/"
	WaitFor(t, 20*time.Second, "nginx serves version-1", func() bool { return curl(t, url) == "version-1" })
	pid := MainPID(t, "nginx")
	if err := os.WriteFile(conf, []byte(nginxConf(port, "version-2")), 0o644); err != nil {
		t.Fatal(err)
	}
	took := Timed(t, "reload", "nginx")
	WaitFor(t, 20*time.Second, "nginx serves the changed configuration", func() bool { return curl(t, url) == "version-2" })
	if now := MainPID(t, "nginx"); now != pid {
		t.Errorf("nginx's master changed across the reload: %s, then %s", pid, now)
	}
	if st := Show(t, Unit("nginx"), "ActiveState"); st != "active" {
		t.Errorf("nginx is %s after its reload", st)
	}
	Figure(t, "nginx: heroctl reload (nginx -s reload)", "%s; version-2 served by master PID %s (unchanged)", took.Round(time.Millisecond), pid)
}
