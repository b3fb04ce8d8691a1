//go:build daemons

package daemons

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// Outages of a real stack, staged as they happen in production (issue 29): PostgreSQL and Redis,
// a Python app that requires both, nginx that requires the app, as hero configs. After each
// fault the stack must serve again without a human (but for the capped outage, which takes a
// 'heroctl start' of the database, as it would take an operator); each recovery's time is a
// figure of the tier.

const (
	outPgPort    = "5440"
	outRedisPort = "6391"
	outAppPort   = "8095"
	outWebPort   = "8096"
	outAppUser   = "heroapp"
	outAppDir    = "/srv/hero-outage"
	outNginxConf = "/etc/hero-outage/nginx.conf"
)

// outPg is PostgreSQL as migrating.md runs it (notify, SIGINT to the postmaster only), its
// cluster made by a first action, restarted on failure after 3 s, at most 5 times an hour. Local
// connections are trusted (the app connects through the socket in its runtime directory).
func outPg(bin string) string {
	return `description = "PostgreSQL (the outage stack)"
user = "postgres"
state_dir = "hero-outage-pg"
notify = true
kill_mode = "mixed"
stop_signal = "SIGINT"
restart = "on-failure"
restart_delay = "3s"
max_restarts = 5

[[actions]]
name = "initdb"
exec = ["/bin/sh", "-c", "test -e /var/lib/hero-outage-pg/data/PG_VERSION || exec ` + bin + `/initdb --auth-local=trust --auth-host=reject -D /var/lib/hero-outage-pg/data"]

[[actions]]
name = "postgres"
exec = ["` + bin + `/postgres", "-D", "/var/lib/hero-outage-pg/data", "-k", "/run/hero/oupg", "-p", "` + outPgPort + `", "-c", "listen_addresses="]
`
}

// outAppPy is the app: /live says it runs; / asks PostgreSQL (psql over the socket) and Redis
// (PING over TCP) and answers what they said, or 503.
const outAppPy = `import http.server, socket, subprocess

def redis_ping():
    with socket.create_connection(("127.0.0.1", ` + outRedisPort + `), timeout=2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).decode().strip().lstrip("+")

def pg():
    out = subprocess.run(["psql", "-h", "/run/hero/oupg", "-p", "` + outPgPort + `", "-U", "postgres", "-Atc", "select 'pg ok'"],
                         capture_output=True, text=True, timeout=3, check=True)
    return out.stdout.strip()

class App(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = 200, "alive"
        if self.path != "/live":
            try:
                body = pg() + ", redis " + redis_ping()
            except Exception as e:
                code, body = 503, "error: %s" % e
        data = (body + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("127.0.0.1", ` + outAppPort + `), App).serve_forever()
`

// outStack is the stack's four files.
func outStack(bin string) map[string]string {
	return map[string]string{
		"oupg.toml":    outPg(bin),
		"ouredis.toml": redisService(outRedisPort, "true"),
		"ouapp.toml": `description = "the app"
user = "` + outAppUser + `"
exec = ["/usr/bin/python3", "` + outAppDir + `/app.py"]
restart = "on-failure"
restart_delay = "500ms"
liveness = ["/usr/bin/curl", "-fsS", "-m", "2", "http://127.0.0.1:` + outAppPort + `/live"]
liveness_interval = "2s"
liveness_failures = 3

[dependencies]
requires = ["oupg", "ouredis"]
`,
		"ounginx.toml": `description = "nginx in front of the app"
exec = ["/usr/sbin/nginx", "-c", "` + outNginxConf + `", "-g", "daemon off;"]
kill_mode = "mixed"
stop_signal = "SIGQUIT"
stop_timeout = "5s"
health = ["/usr/bin/curl", "-fsS", "-m", "2", "http://127.0.0.1:` + outWebPort + `/live"]
health_interval = "200ms"
health_timeout = "30s"

[dependencies]
requires = ["ouapp"]
`,
	}
}

const outNginx = `pid /run/hero-outage-nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:` + outWebPort + `;
        location / { proxy_pass http://127.0.0.1:` + outAppPort + `; proxy_read_timeout 5s; }
    }
}
`

// serving is what the stack answers through nginx when all of it runs.
const serving = "pg ok, redis PONG"

// waitServing waits until the stack answers through nginx, and returns how long it took since
// from.
func waitServing(t *testing.T, from time.Time, what string) time.Duration {
	t.Helper()
	WaitFor(t, 3*time.Minute, what+": the stack serves again", func() bool { return curl(t, "http://127.0.0.1:"+outWebPort+"/") == serving })
	return time.Since(from)
}

// breakPg puts a setting PostgreSQL refuses into its cluster's configuration (it will not start:
// "invalid value for parameter"), or takes it out again.
func breakPg(t *testing.T, broken bool) {
	t.Helper()
	auto := "/var/lib/hero-outage-pg/data/postgresql.auto.conf"
	data, err := os.ReadFile(auto)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "port = 'not-a-port'\n", "")
	if broken {
		text += "port = 'not-a-port'\n"
	}
	if err := os.WriteFile(auto, []byte(text), 0o600); err != nil { // keeps postgres's ownership
		t.Fatal(err)
	}
}

// failedSince counts the runs of service that failed after since (the ledger's jobs).
func failedSince(t *testing.T, service string, since time.Time) int {
	t.Helper()
	var jobs []struct {
		Phase     string    `json:"phase"`
		StartedAt time.Time `json:"started_at"`
	}
	if err := json.Unmarshal([]byte(MustHeroctl(t, "jobs", service, "-o", "json")), &jobs); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range jobs {
		if j.Phase == "failed" && j.StartedAt.After(since) {
			n++
		}
	}
	return n
}

// killPg kills PostgreSQL's postmaster as a crash would.
func killPg(t *testing.T) time.Time {
	t.Helper()
	testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "--kill-who=main", Unit("oupg"))
	return time.Now()
}

// The stack through four faults: PostgreSQL crashes; PostgreSQL crashes while its configuration
// is broken, fails three restarts, and runs once it is fixed; the same outage until its restart
// cap, then 'heroctl start'; the app hangs (SIGSTOP), and its liveness check has it killed and
// restarted. After each, the stack serves again; status said meanwhile what would happen.
func TestStackOutages(t *testing.T) {
	bin := pgBin(t)
	EnsureUser(t, outAppUser)
	for dir, file := range map[string]string{outAppDir: "app.py", filepath.Dir(outNginxConf): "nginx.conf"} {
		os.MkdirAll(dir, 0o755)
		t.Cleanup(func() { os.RemoveAll(dir) })
		content := outAppPy
		if file == "nginx.conf" {
			content = outNginx
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.RemoveAll("/var/lib/hero-outage-pg") })
	StartStack(t, outStack(bin))
	took := Timed(t, "start", "ounginx")
	waitServing(t, time.Now(), "start")
	Figure(t, "outage stack: heroctl start ounginx (pg, redis, app, nginx)", "%s", took.Round(time.Millisecond))

	// 1. A crash: systemd restarts PostgreSQL (after 3 s); the app and nginx come back with it.
	Figure(t, "outage stack: PostgreSQL killed, serving again after", "%s", waitServing(t, killPg(t), "a crash").Round(time.Millisecond))

	// 2. Three failed attempts: its configuration broken, PostgreSQL fails three restarts; fixed
	// before the fourth, it runs, and the stack serves without a human.
	breakPg(t, true)
	killed := killPg(t)
	WaitFor(t, 2*time.Minute, "three failed attempts", func() bool { return failedSince(t, "oupg", killed) >= 3 })
	if st := statusJSON(t, "ouapp"); !strings.HasPrefix(st.Waiting, "waiting for oupg (down: ") {
		t.Errorf("the app's status during the outage: %q", st.Waiting)
	}
	breakPg(t, false)
	Figure(t, "outage stack: three failed restarts, serving again after", "%s", waitServing(t, killed, "three failed attempts").Round(time.Millisecond))

	// 3. The cap: the same outage lasts until max_restarts is spent; the stack waits, and says
	// that 'heroctl start oupg' brings it back; then it does.
	MustHeroctl(t, "restart", "oupg") // a start resets the count of restarts
	waitServing(t, time.Now(), "restart")
	breakPg(t, true)
	killPg(t)
	WaitFor(t, 2*time.Minute, "PostgreSQL at its restart cap", func() bool { return statusJSON(t, "oupg").LimitHit })
	want := "waiting for oupg (down: failed, start limit hit: systemd does not restart it; 'heroctl start oupg' does): herod starts it when oupg runs again"
	WaitFor(t, 20*time.Second, "nginx's status says what brings it back", func() bool { return statusJSON(t, "ounginx").Waiting == want })
	breakPg(t, false)
	started := time.Now()
	MustHeroctl(t, "start", "oupg")
	Figure(t, "outage stack: capped outage, 'heroctl start oupg' to serving", "%s", waitServing(t, started, "the capped outage").Round(time.Millisecond))

	// 4. A hung app: SIGSTOP; its liveness check fails three times, systemd's watchdog kills it,
	// its restart policy starts it again, and nginx comes back with it.
	pid := MainPID(t, "ouapp")
	testbed.MustRun(t, "kill", "-STOP", pid)
	stopped := time.Now()
	WaitFor(t, time.Minute, "the app unhealthy, or already restarted", func() bool {
		return strings.HasPrefix(statusJSON(t, "ouapp").Health, "unhealthy") || MainPID(t, "ouapp") != pid
	})
	Figure(t, "outage stack: app SIGSTOPped, serving again after", "%s", waitServing(t, stopped, "a hung app").Round(time.Millisecond))
	var jobs []struct{ Result string }
	json.Unmarshal([]byte(MustHeroctl(t, "jobs", "ouapp", "-o", "json")), &jobs)
	if len(jobs) < 2 || jobs[1].Result != "watchdog" {
		t.Errorf("the hung app's run: %+v, want it ended by the watchdog", jobs)
	}
}

// outStatus is what the scenarios read of a service's status.
type outStatus struct {
	Waiting  string `json:"waiting"`
	Health   string `json:"health"`
	LimitHit bool   `json:"start_limit_hit"`
}

func statusJSON(t *testing.T, name string) outStatus {
	t.Helper()
	var st outStatus
	r := Heroctl(t, "status", name, "-o", "json", "-n", "0")
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status %s: %v (%s%s)", name, err, r.Stdout, r.Stderr)
	}
	return st
}
