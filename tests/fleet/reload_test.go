//go:build fleet

package fleet

import (
	"strings"
	"testing"
)

// reloadConfigs places two services on a host and starts them: rl, whose reload command adds a
// line to a file in its runtime directory (so each reload is counted, and the directory goes
// with its run), and plain, which has no reload.
const reloadConfigs = `cat >/etc/hero/services/rl.toml <<'EOF'
description = "counts its reloads"
exec = ["/bin/sleep", "infinity"]
reload = ["/bin/sh", "-c", "echo reloaded >>$RUNTIME_DIRECTORY/reloads"]
EOF
printf 'exec = ["/bin/sleep", "infinity"]\n' >/etc/hero/services/plain.toml
heroctl -q daemon-reload && heroctl -q start rl plain`

// reloads is how many times rl's reload command ran in its current run on h.
func reloads(t *testing.T, h host) string {
	t.Helper()
	return strings.TrimSpace(inside(t, h, "cat /run/hero/rl/reloads 2>/dev/null | wc -l"))
}

// state: reloaded reloads a running service in place, as ansible.builtin.systemd_service does:
// on every host its reload command runs once per task, its main PID stays, and the task is
// changed each time; check mode reloads nothing; a stopped service is started; a running
// service whose config has no reload fails the task with heroctl's refusal (in check mode with
// the module's), before any service of the task is reloaded.
func TestServiceReloaded(t *testing.T) {
	reset(t, false)
	t.Cleanup(func() { onAll(func(h host) { inside(t, h, "heroctl -q stop rl plain") }) })
	onAll(func(h host) { inside(t, h, reloadConfigs) })
	wantStates(t, "active", "rl", "plain")
	pids := map[string]string{}
	for _, h := range env.hosts {
		if pids[h.name] = mainPID(t, h, "rl"); pids[h.name] == "" {
			t.Fatalf("%s: rl runs without a main PID", h.name)
		}
	}
	task := "    - hero.systemd.service: {name: rl, state: reloaded}\n"

	dry := tasks(t, task, "--check", "--diff")
	dry.wantExit(t, 0)
	for _, h := range env.hosts {
		r := dry.result(t, 0, h)
		if !r.bool("changed") || !same(r.list("would_reload"), []string{"rl"}) || len(r.list("reloaded")) != 0 {
			t.Errorf("%s: check mode reload: %v", h.name, r)
		}
		if n := reloads(t, h); n != "0" {
			t.Errorf("%s: check mode ran rl's reload command (%s times)", h.name, n)
		}
	}

	twice := tasks(t, task+task)
	twice.wantExit(t, 0)
	for _, h := range env.hosts {
		for i := 0; i < 2; i++ {
			if r := twice.result(t, i, h); !r.bool("changed") || !same(r.list("reloaded"), []string{"rl"}) || len(r.list("started")) != 0 {
				t.Errorf("%s: reload %d: %v", h.name, i+1, r)
			}
		}
		if n := reloads(t, h); n != "2" {
			t.Errorf("%s: rl's reload command ran %s times for two tasks, want 2", h.name, n)
		}
		if pid := mainPID(t, h, "rl"); pid != pids[h.name] {
			t.Errorf("%s: rl's main PID is %s after its reloads, was %s: it was restarted", h.name, pid, pids[h.name])
		}
	}
	wantStates(t, "active", "rl")

	// A stopped service is started (check mode only says it would be).
	onAll(func(h host) { inside(t, h, "heroctl -q stop rl") })
	started := tasks(t, "    - hero.systemd.service: {name: rl, state: reloaded}\n      check_mode: true\n"+task)
	started.wantExit(t, 0)
	for _, h := range env.hosts {
		if r := started.result(t, 0, h); !r.bool("changed") || !same(r.list("would_start"), []string{"rl"}) || len(r.list("would_reload")) != 0 {
			t.Errorf("%s: check mode reload of a stopped service: %v", h.name, r)
		}
		if r := started.result(t, 1, h); !r.bool("changed") || !same(r.list("started"), []string{"rl"}) || len(r.list("reloaded")) != 0 ||
			r["status"].(map[string]any)["rl"] != "active" {
			t.Errorf("%s: reload of a stopped service: %v", h.name, r)
		}
		if n := reloads(t, h); n != "0" {
			t.Errorf("%s: rl's new run was reloaded %s times: a stopped service is started, not reloaded", h.name, n)
		}
		pids[h.name] = mainPID(t, h, "rl")
	}
	wantStates(t, "active", "rl")

	refusedTask := "    - hero.systemd.service: {name: [rl, plain], state: reloaded}\n      ignore_errors: true\n"
	refused := tasks(t, strings.Replace(refusedTask, "\n", "\n      check_mode: true\n", 1)+refusedTask)
	refused.wantExit(t, 0) // the failures are ignored: both tasks run on every host
	for _, h := range env.hosts {
		dry, real := refused.result(t, 0, h), refused.result(t, 1, h)
		if !dry.bool("failed") || !strings.Contains(dry.str("msg"), "plain cannot be reloaded: the config sets neither reload (a command) nor reload_signal") {
			t.Errorf("%s: check mode reload of a service without reload: %v", h.name, dry)
		}
		if !real.bool("failed") || real.bool("changed") || len(real.list("reloaded")) != 0 ||
			!strings.Contains(real.str("msg"), "plain: service cannot be reloaded: its config sets neither reload (a command) nor reload_signal; restart it instead") {
			t.Errorf("%s: reload of a service without reload: %v", h.name, real)
		}
		if n := reloads(t, h); n != "0" {
			t.Errorf("%s: rl was reloaded (%s times) by a task that failed on plain", h.name, n)
		}
		if pid := mainPID(t, h, "rl"); pid != pids[h.name] {
			t.Errorf("%s: rl's main PID moved from %s to %s in the refused task", h.name, pids[h.name], pid)
		}
	}
	wantStates(t, "active", "rl", "plain")
}
