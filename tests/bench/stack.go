package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The recovery section's real stack, as the daemons tier stages its outages (tests/daemons):
// PostgreSQL and Redis, a Python app that requires both (it answers through psql and a Redis
// PING), nginx in front of the app with a health check. It runs twice in the same container:
// as hero services, and as native unit files made from hero's own unit text (heroctl cat) with
// the names changed and BindsTo= left out, so that both sides run the same commands with the
// same settings, and only who brings the dependents back differs: herod, or systemd's own
// Requires= (a restart of a requirement restarts what requires it).

const (
	stackPgPort    = "5440"
	stackRedisPort = "6391"
	stackAppPort   = "8095"
	stackWebPort   = "8096"
	stackAppUser   = "heroapp"
	stackDir       = workDir + "/stack"    // app.py and nginx.conf
	nativeUnitDir  = "/etc/systemd/system" // the native side's unit files
	nativeEnvFile  = "/run/hero-bench/nat-sapp.env"
	stackURL       = "http://127.0.0.1:" + stackWebPort + "/"
	// servingPrefix begins what the stack answers through nginx when all of it runs.
	servingPrefix = "pg ok, redis PONG"
)

// The stack's services, requirements first.
var stackNames = []string{"spg", "sredis", "sapp", "sweb"}

// debianStackUnits are the packaged units of the daemons; they start at boot in the container.
var debianStackUnits = []string{"postgresql.service", "postgresql@*.service", "redis-server.service", "nginx.service"}

func stackPg(bin string) string {
	return `description = "PostgreSQL (the bench's stack)"
user = "postgres"
state_dir = "hero-bench-pg"
notify = true
kill_mode = "mixed"
stop_signal = "SIGINT"
restart = "on-failure"
restart_delay = "3s"

[[actions]]
name = "initdb"
exec = ["/bin/sh", "-c", "test -e /var/lib/hero-bench-pg/data/PG_VERSION || exec ` + bin + `/initdb --auth-local=trust --auth-host=reject -D /var/lib/hero-bench-pg/data"]

[[actions]]
name = "postgres"
exec = ["` + bin + `/postgres", "-D", "/var/lib/hero-bench-pg/data", "-k", "/run/hero/spg", "-p", "` + stackPgPort + `", "-c", "listen_addresses="]
`
}

const stackRedis = `description = "Redis (the bench's stack)"
user = "redis"
group = "redis"
umask = "0007"
exec = ["/usr/bin/redis-server", "--port", "` + stackRedisPort + `", "--bind", "127.0.0.1", "--dir", "/var/lib/hero-bench-redis", "--supervised", "systemd", "--daemonize", "no"]
notify = true
state_dir = "hero-bench-redis"
sandbox = "strict"
`

// stackApp is the app's config; greeting is the env value an apply changes.
func stackApp(greeting string) string {
	return `description = "the app (the bench's stack)"
user = "` + stackAppUser + `"
exec = ["/usr/bin/python3", "` + stackDir + `/app.py"]
restart = "on-failure"
restart_delay = "500ms"
liveness = ["/usr/bin/curl", "-fsS", "-m", "2", "http://127.0.0.1:` + stackAppPort + `/live"]
liveness_interval = "2s"
liveness_failures = 3

[env]
GREETING = "` + greeting + `"

[dependencies]
requires = ["spg", "sredis"]
`
}

const stackWeb = `description = "nginx in front of the app (the bench's stack)"
exec = ["/usr/sbin/nginx", "-c", "` + stackDir + `/nginx.conf", "-g", "daemon off;"]
kill_mode = "mixed"
stop_signal = "SIGQUIT"
stop_timeout = "5s"
health = ["/usr/bin/curl", "-fsS", "-m", "2", "http://127.0.0.1:` + stackWebPort + `/live"]
health_interval = "200ms"
health_timeout = "30s"

[dependencies]
requires = ["sapp"]
`

// stackAppPy answers /live at once, and / with what PostgreSQL (psql over its socket) and
// Redis (PING) said and the GREETING of its environment, or 503.
const stackAppPy = `import http.server, os, socket, subprocess

def redis_ping():
    with socket.create_connection(("127.0.0.1", ` + stackRedisPort + `), timeout=2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).decode().strip().lstrip("+")

def pg():
    out = subprocess.run(["psql", "-h", "/run/hero/spg", "-p", "` + stackPgPort + `", "-U", "postgres", "-Atc", "select 'pg ok'"],
                         capture_output=True, text=True, timeout=3, check=True)
    return out.stdout.strip()

class App(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = 200, "alive"
        if self.path != "/live":
            try:
                body = pg() + ", redis " + redis_ping() + ", " + os.environ.get("GREETING", "")
            except Exception as e:
                code, body = 503, "error: %s" % e
        data = (body + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("127.0.0.1", ` + stackAppPort + `), App).serve_forever()
`

const stackNginx = `pid /run/hero-bench-nginx.pid;
error_log stderr;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:` + stackWebPort + `;
        location / { proxy_pass http://127.0.0.1:` + stackAppPort + `; proxy_read_timeout 5s; }
    }
}
`

// stackFiles are the hero side's config files; greeting is the app's env value.
func stackFiles(pgBin, greeting string) map[string]string {
	return map[string]string{"spg.toml": stackPg(pgBin), "sredis.toml": stackRedis,
		"sapp.toml": stackApp(greeting), "sweb.toml": stackWeb}
}

// pgBinDir finds PostgreSQL's programs; none means the container lacks the daemons flavour.
func pgBinDir() (string, error) {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(m) == 0 {
		return "", fmt.Errorf("no /usr/lib/postgresql/*/bin/postgres: the container lacks the daemons' packages (run.sh boots the testbed with HERO_TESTBED_EXTRA=%s)", daemonPackages)
	}
	return filepath.Dir(m[len(m)-1]), nil
}

// daemonPackages is the testbed flavour the recovery section needs (the daemons tier's).
const daemonPackages = "postgresql,redis-server,nginx-light,curl,python3"

// prepareStack stops Debian's own units of the daemons, makes the app's user and writes the
// app and nginx's configuration.
func (b *box) prepareStack(ctx context.Context) error {
	if _, err := must(ctx, "systemctl", append([]string{"stop"}, debianStackUnits...)...); err != nil {
		return fmt.Errorf("stop Debian's units of the daemons: %w", err)
	}
	if run(ctx, "id", stackAppUser).code != 0 {
		if _, err := must(ctx, "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", stackAppUser); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(stackDir, 0o755); err != nil {
		return fmt.Errorf("prepare the stack: %w", err)
	}
	for name, data := range map[string]string{"app.py": stackAppPy, "nginx.conf": stackNginx} {
		if err := os.WriteFile(filepath.Join(stackDir, name), []byte(data), 0o644); err != nil {
			return fmt.Errorf("prepare the stack: %w", err)
		}
	}
	return nil
}

// loadFiles replaces herod's config directory with files (name -> content) and reloads herod.
func (b *box) loadFiles(ctx context.Context, files map[string]string) error {
	old, _ := filepath.Glob(filepath.Join(b.configDir, "*.toml"))
	for _, f := range old {
		os.Remove(f)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(b.configDir, name), []byte(data), 0o644); err != nil {
			return fmt.Errorf("write config %s: %w", name, err)
		}
	}
	if _, err := mustHeroctl(ctx, "daemon-reload"); err != nil {
		return fmt.Errorf("load %d config files: %w", len(files), err)
	}
	return nil
}

func stackHeroUnit(name string) string   { return "hero-default-" + name + ".service" }
func stackNativeUnit(name string) string { return "nat-" + name + ".service" }

var (
	heroUnitRef = regexp.MustCompile(`hero-default-([a-z0-9]+)\.service`)
	envFileLine = regexp.MustCompile(`(?m)^EnvironmentFile=.*$`)
	dropLine    = regexp.MustCompile(`(?m)^(BindsTo|SourcePath)=.*\n`)
)

// nativeText makes a native unit file of hero's unit text (heroctl cat): the same settings
// under the native names, BindsTo= and SourcePath= left out (native units rely on Requires=),
// hero's own section dropped, the environment read from a file of the bench's.
func nativeText(heroText string) string {
	if i := strings.Index(heroText, "\n[X-Hero]"); i >= 0 {
		heroText = heroText[:i+1]
	}
	t := dropLine.ReplaceAllString(heroText, "")
	t = envFileLine.ReplaceAllString(t, "EnvironmentFile="+nativeEnvFile)
	return heroUnitRef.ReplaceAllString(t, "nat-$1.service")
}

// writeNativeStack writes the native side's unit files from hero's units of the loaded stack,
// and its environment file.
func (b *box) writeNativeStack(ctx context.Context, greeting string) error {
	for _, name := range stackNames {
		o := heroctl(ctx, "cat", name)
		if o.code != 0 {
			return o.failure("heroctl", []string{"cat", name})
		}
		path := filepath.Join(nativeUnitDir, stackNativeUnit(name))
		if err := os.WriteFile(path, []byte(nativeText(o.stdout)), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := writeNativeEnv(greeting); err != nil {
		return err
	}
	_, err := must(ctx, "systemctl", "daemon-reload")
	return err
}

func writeNativeEnv(greeting string) error {
	if err := os.MkdirAll(filepath.Dir(nativeEnvFile), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", nativeEnvFile, err)
	}
	if err := os.WriteFile(nativeEnvFile, []byte("GREETING="+greeting+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", nativeEnvFile, err)
	}
	return nil
}

// removeNativeStack removes the native side's unit files.
func (b *box) removeNativeStack(ctx context.Context) {
	for _, name := range stackNames {
		os.Remove(filepath.Join(nativeUnitDir, stackNativeUnit(name)))
	}
	run(ctx, "systemctl", "daemon-reload")
}

// stackSide is one way of running the stack: its units and the commands that drive them.
type stackSide struct {
	name  string
	unit  func(string) string
	up    func(ctx context.Context) error // start the whole stack
	down  func(ctx context.Context) error // stop the whole stack
	apply func(ctx context.Context, greeting string) (time.Duration, error)
}

func (s stackSide) units() []string {
	out := make([]string, len(stackNames))
	for i, n := range stackNames {
		out[i] = s.unit(n)
	}
	return out
}

// heroStack is the stack as hero services: heroctl start, stop, and an apply of a changed file.
func (b *bench) heroStack() stackSide {
	return stackSide{name: "hero", unit: stackHeroUnit,
		up: func(ctx context.Context) error { _, err := mustHeroctl(ctx, "start", "sweb"); return err },
		down: func(ctx context.Context) error {
			_, err := mustHeroctl(ctx, "stop", "spg", "sredis")
			return err
		},
		apply: func(ctx context.Context, greeting string) (time.Duration, error) {
			path := filepath.Join(b.configDir, "sapp.toml")
			if err := os.WriteFile(path, []byte(stackApp(greeting)), 0o644); err != nil {
				return 0, fmt.Errorf("write %s: %w", path, err)
			}
			return mustHeroctl(ctx, "apply")
		}}
}

// nativeStack is the stack as native units: systemctl start, stop, and a restart of the app
// after its environment file changed (systemd restarts what requires it with it).
func nativeStack() stackSide {
	return stackSide{name: "native", unit: stackNativeUnit,
		up: func(ctx context.Context) error {
			_, err := must(ctx, "systemctl", "start", stackNativeUnit("sweb"))
			return err
		},
		down: func(ctx context.Context) error {
			_, err := must(ctx, "systemctl", "stop", stackNativeUnit("spg"), stackNativeUnit("sredis"))
			return err
		},
		apply: func(ctx context.Context, greeting string) (time.Duration, error) {
			if err := writeNativeEnv(greeting); err != nil {
				return 0, err
			}
			return must(ctx, "systemctl", "restart", stackNativeUnit("sapp"))
		}}
}
