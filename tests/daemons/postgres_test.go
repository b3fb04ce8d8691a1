//go:build daemons

package daemons

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// pgBin is the directory of Debian's PostgreSQL programs (postgresql-15 on Debian 12, 17 on 13).
func pgBin(t *testing.T) string {
	t.Helper()
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(m) == 0 {
		t.Fatal("no /usr/lib/postgresql/*/bin/postgres: the rootfs lacks PostgreSQL")
	}
	return filepath.Dir(m[len(m)-1])
}

// pgService is PostgreSQL as Debian's postgresql@.service runs it: readiness by sd_notify,
// SIGHUP to reload its configuration, SIGINT (a fast shutdown) with KillMode=mixed, as user
// postgres, its cluster in its own state directory, made by a first action that runs initdb
// when the cluster is not there yet. Its socket is in the service's runtime directory.
func pgService(bin, name, port string, notify bool) string {
	n := ""
	if notify {
		n = "notify = true\nreload_signal = \"SIGHUP\"\n"
	}
	return `description = "PostgreSQL (` + name + `)"
user = "postgres"
state_dir = "` + name + `"
kill_mode = "mixed"
stop_signal = "SIGINT"
stop_timeout = "60s"
` + n + `
[[actions]]
name = "initdb"
exec = ["/bin/sh", "-c", "test -e /var/lib/` + name + `/data/PG_VERSION || exec ` + bin + `/initdb --auth=peer -D /var/lib/` + name + `/data"]

[[actions]]
name = "postgres"
exec = ["` + bin + `/postgres", "-D", "/var/lib/` + name + `/data", "-k", "/run/hero/` + name + `", "-p", "` + port + `", "-c", "listen_addresses=127.0.0.1"]
`
}

// psql runs one SQL command as postgres on the cluster of service name.
func psql(t *testing.T, bin, name, port, sql string) string {
	t.Helper()
	r := RunAs(t, "postgres", bin+"/psql", "-h", "/run/hero/"+name, "-p", port, "-Atc", sql)
	if r.Code != 0 {
		t.Fatalf("psql %q: exit %d: %s%s", sql, r.Code, r.Stdout, r.Stderr)
	}
	return strings.TrimSpace(r.Stdout)
}

// PostgreSQL with notify is ready when heroctl start returns (pg_isready at once); a reload
// sends SIGHUP to the postmaster only, which reads its configuration again with the same PID
// and job; a stop is its fast shutdown, ending with "database system is shut down".
func TestPostgres(t *testing.T) {
	bin := pgBin(t)
	const port = "5433"
	StartStack(t, map[string]string{"pg.toml": pgService(bin, "pg", port, true)})
	took := Timed(t, "start", "pg")
	r := testbed.Run(t, bin+"/pg_isready", "-h", "/run/hero/pg", "-p", port)
	if r.Code != 0 {
		t.Errorf("pg_isready right after heroctl start returned: exit %d: %s", r.Code, r.Stdout)
	}
	Figure(t, "PostgreSQL: heroctl start (initdb, then READY=1)", "%s", took.Round(time.Millisecond))
	Figure(t, "PostgreSQL: pg_isready right after the start returned", "%s", strings.TrimSpace(r.Stdout))
	if got := Show(t, Unit("pg"), "Type") + " " + Show(t, Unit("pg"), "KillMode"); got != "notify mixed" {
		t.Errorf("pg's unit: Type and KillMode %s", got)
	}

	pid, jobs := MainPID(t, "pg"), MustHeroctl(t, "jobs", "pg", "-o", "json")
	psql(t, bin, "pg", port, "ALTER SYSTEM SET work_mem = '7MB'")
	if got := psql(t, bin, "pg", port, "SHOW work_mem"); got == "7MB" {
		t.Fatalf("work_mem is 7MB before any reload")
	}
	MustHeroctl(t, "reload", "pg")
	WaitFor(t, 20*time.Second, "PostgreSQL read its configuration again", func() bool {
		return psql(t, bin, "pg", port, "SHOW work_mem") == "7MB"
	})
	if now := MainPID(t, "pg"); now != pid {
		t.Errorf("the postmaster's PID changed across the reload: %s, then %s", pid, now)
	}
	if now := MustHeroctl(t, "jobs", "pg", "-o", "json"); now != jobs {
		t.Errorf("the reload changed pg's jobs:\n%s\nthen\n%s", jobs, now)
	}
	if j := Journal(t, Unit("pg")); !strings.Contains(j, "received SIGHUP, reloading configuration files") {
		t.Errorf("PostgreSQL's log has no SIGHUP:\n%s", j)
	}
	Figure(t, "PostgreSQL: heroctl reload (SIGHUP to the postmaster)", "work_mem 7MB served, postmaster PID %s kept", pid)

	took = Timed(t, "stop", "pg")
	j := Journal(t, Unit("pg"))
	if !strings.Contains(j, "received fast shutdown request") || !strings.Contains(j, "database system is shut down") {
		t.Errorf("PostgreSQL's stop was not its clean fast shutdown:\n%s", j)
	}
	if testbed.Run(t, bin+"/pg_isready", "-h", "/run/hero/pg", "-p", port).Code == 0 {
		t.Errorf("PostgreSQL accepts connections after its stop")
	}
	Figure(t, "PostgreSQL: heroctl stop (SIGINT, KillMode=mixed)", "%s, \"database system is shut down\"", took.Round(time.Millisecond))
}

// Without notify (Type=exec, hero's only way before) the same start returns as soon as the
// postmaster runs: what pg_isready says right after it is a figure, not a test (it is a race).
func TestPostgresWithoutNotify(t *testing.T) {
	bin := pgBin(t)
	const port = "5434"
	StartStack(t, map[string]string{"pgexec.toml": pgService(bin, "pgexec", port, false)})
	MustHeroctl(t, "start", "pgexec")
	r := testbed.Run(t, bin+"/pg_isready", "-h", "/run/hero/pgexec", "-p", port)
	Figure(t, "PostgreSQL without notify: pg_isready right after start", "exit %d, %s", r.Code, strings.TrimSpace(r.Stdout))
	WaitFor(t, 60*time.Second, "the postmaster accepts connections", func() bool {
		return testbed.Run(t, bin+"/pg_isready", "-h", "/run/hero/pgexec", "-p", port).Code == 0
	})
}
