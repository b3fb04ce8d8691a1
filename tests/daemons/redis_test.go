//go:build daemons

package daemons

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// redisService is Redis as Debian's redis-server.service runs it, in hero's strict sandbox:
// readiness by sd_notify from its main process, as user redis, its data in its own state
// directory (the only place it may write), files private to its group.
func redisService(port, notify string) string {
	return `description = "Redis"
user = "redis"
group = "redis"
umask = "0007"
exec = ["/usr/bin/redis-server", "--port", "` + port + `", "--bind", "127.0.0.1", "--dir", "/var/lib/hero-redis", "--supervised", "systemd", "--daemonize", "no"]
notify = ` + notify + `
state_dir = "hero-redis"
sandbox = "strict"
`
}

// redisCLI runs one Redis command.
func redisCLI(t *testing.T, port string, args ...string) string {
	t.Helper()
	r := testbed.Run(t, "redis-cli", append([]string{"-p", port}, args...)...)
	return strings.TrimSpace(r.Stdout + r.Stderr)
}

// Redis in hero's strict sandbox answers and saves, and systemd-analyze security rates its unit
// as exposed as Debian's own redis-server.service or less, measured in the same container.
func TestRedisSandbox(t *testing.T) {
	const port = "6390"
	StartStack(t, map[string]string{
		"redis.toml":       redisService(port, `"main"`),
		"redisnotify.toml": redisService("6391", "true"),
		"plain.toml":       "description = \"a plain hero service\"\nexec = [\"/bin/sleep\", \"1000\"]\n",
	})
	MustHeroctl(t, "start", "redis")
	if got := redisCLI(t, port, "PING"); got != "PONG" {
		t.Fatalf("redis-cli PING right after the start returned: %q", got)
	}
	if got := redisCLI(t, port, "SET", "hero", "sandboxed"); got != "OK" {
		t.Errorf("SET: %q", got)
	}
	if got := redisCLI(t, port, "SAVE"); got != "OK" {
		t.Errorf("SAVE in the sandbox: %q\n%s", got, Journal(t, Unit("redis")))
	}
	owner := strings.TrimSpace(testbed.MustRun(t, "stat", "-c", "%U:%G %a", "/var/lib/hero-redis/dump.rdb"))
	if !strings.HasPrefix(owner, "redis:redis") {
		t.Errorf("dump.rdb is %s, want the service's own", owner)
	}
	// Nothing outside its directories is writable, even for what redis could be made to do.
	if got := redisCLI(t, port, "CONFIG", "SET", "dir", "/etc"); got == "OK" {
		if saved := redisCLI(t, port, "SAVE"); saved == "OK" {
			t.Errorf("redis saved into /etc from the sandbox")
		}
	}

	hero, debian := Exposure(t, Unit("redis")), Exposure(t, "redis-server.service")
	Figure(t, "exposure: Debian's redis-server.service", "%.1f", debian)
	Figure(t, "exposure: hero's Redis (sandbox strict, notify \"main\")", "%.1f", hero)
	if hero > debian {
		t.Errorf("hero's Redis is rated %.1f, Debian's redis-server.service %.1f: hero's sandbox is looser", hero, debian)
	}
	// The other figures of docs/security.md: notify = true lets any process of the service
	// notify (NotifyAccess=all), a plain hero service has no sandbox, and Debian's other units.
	MustHeroctl(t, "start", "redisnotify", "plain")
	Figure(t, "exposure: hero's Redis (sandbox strict, notify true)", "%.1f", Exposure(t, Unit("redisnotify")))
	Figure(t, "exposure: a hero service without sandbox", "%.1f", Exposure(t, Unit("plain")))
	for _, u := range append(pgClusterUnits(), "nginx.service") {
		Figure(t, "exposure: Debian's "+u, "%.1f", Exposure(t, u))
	}
}

// pgClusterUnits are Debian's units of a PostgreSQL cluster "main" of each version installed
// (postgresql@15-main on Debian 12, @17-main on 13): instances of its template, whose settings
// systemd-analyze rates whether or not such a cluster exists.
func pgClusterUnits() []string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	var out []string
	for _, d := range dirs {
		out = append(out, "postgresql@"+filepath.Base(filepath.Dir(d))+"-main.service")
	}
	return out
}
