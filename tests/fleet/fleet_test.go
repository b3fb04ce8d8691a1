//go:build fleet

package fleet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The example playbook takes every host from an empty config directory to the running stack;
// a second run changes nothing.
func TestDeployStackFromInventory(t *testing.T) {
	reset(t, false)
	p := playbook(t, filepath.Join(env.examples, "deploy-stack.yml"))
	p.wantExit(t, 0)
	t.Logf("first run on %d hosts: %s", len(env.hosts), p.elapsed.Round(time.Millisecond))
	for _, h := range env.hosts {
		if got := p.result(t, 1, h).list("started"); !same(got, []string{"db", "api", "worker", "web"}) {
			t.Errorf("%s: started %v, want [db api worker web]", h.name, got)
		}
		files := inside(t, h, "cd /etc/hero/services && stat -c '%n %U:%G %a' * && cmp db.toml /usr/share/doc/hero-systemd/examples/db.toml && heroctl is-enabled web worker")
		for _, f := range []string{"api.toml", "cleanup.yaml", "db.toml", "mailer.toml", "web.toml", "worker.toml"} {
			if !strings.Contains(files, f+" root:root 644\n") {
				t.Errorf("%s: %s is not root's with mode 644:\n%s", h.name, f, files)
			}
		}
		if !strings.HasSuffix(files, "enabled\nenabled\n") {
			t.Errorf("%s: web and worker are not enabled:\n%s", h.name, files)
		}
	}
	wantStates(t, "active", "db", "api", "worker", "web")
	for _, args := range [][]string{nil, {"--check", "--diff"}} {
		again := playbook(t, filepath.Join(env.examples, "deploy-stack.yml"), args...)
		again.wantExit(t, 0)
		for _, h := range env.hosts {
			if n := again.Stats[h.name]["changed"]; n != 0 {
				t.Errorf("%s: the run again %v changed %d tasks, want 0:\n%s", h.name, args, n, again.output)
			}
		}
	}
}

// Check mode starts nothing and writes nothing, and says what would happen, with herod's plan.
func TestCheckModeChangesNothing(t *testing.T) {
	reset(t, true)
	p := tasks(t, `
    - hero.systemd.service: {name: web, state: started, enabled: true}
    - hero.systemd.config: {name: extra, content: "exec = \"/bin/sleep 1000\"\n"}
`, "--check", "--diff")
	p.wantExit(t, 0)
	for _, h := range env.hosts {
		svc := p.result(t, 0, h)
		if !svc.bool("changed") || !same(svc.list("would_start"), []string{"db", "api", "web"}) ||
			!same(svc.list("enabled_changed"), []string{"web"}) || len(svc.list("started")) != 0 {
			t.Errorf("%s: service in check mode: %v", h.name, svc)
		}
		plans, _ := svc["plan"].([]any)
		if len(plans) != 1 || !same(strs(plans[0].(map[string]any)["order"]), []string{"db", "api", "web"}) {
			t.Errorf("%s: plan %v, want herod's start plan db, api, web", h.name, svc["plan"])
		}
		// --diff: the file's change, then herod's apply plan with the file in place.
		cfg := p.result(t, 1, h)
		diffs, _ := cfg["diff"].([]any)
		plan, _ := cfg["apply_plan"].(map[string]any)
		if !cfg.bool("changed") || len(diffs) != 2 || !strings.Contains(fmt.Sprint(diffs[0]), "/bin/sleep 1000") ||
			!strings.Contains(fmt.Sprint(diffs[1]), "added (not started): extra") || plan == nil || !same(strs(plan["added"]), []string{"extra"}) {
			t.Errorf("%s: config in check mode: %v", h.name, cfg)
		}
		if out := inside(t, h, "ls -A /etc/hero/services; heroctl is-enabled web || true"); strings.Contains(out, "extra") || !strings.HasSuffix(out, "disabled\n") {
			t.Errorf("%s: check mode changed the host:\n%s", h.name, out)
		}
	}
	wantStates(t, "inactive", "db", "api", "web")
}

// A start starts the closure and says so; the same task again changes nothing.
func TestStartIsIdempotent(t *testing.T) {
	reset(t, true)
	task := "    - hero.systemd.service: {name: web, state: started}\n"
	first := tasks(t, task)
	first.wantExit(t, 0)
	for _, h := range env.hosts {
		r := first.result(t, 0, h)
		if !r.bool("changed") || !same(r.list("started"), []string{"db", "api", "web"}) {
			t.Errorf("%s: first start: %v", h.name, r)
		}
	}
	wantStates(t, "active", "db", "api", "web")
	second := tasks(t, task)
	second.wantExit(t, 0)
	for _, h := range env.hosts {
		if r := second.result(t, 0, h); r.bool("changed") || len(r.list("started")) != 0 || r["status"].(map[string]any)["web"] != "active" {
			t.Errorf("%s: second start changed something: %v", h.name, r)
		}
	}
}

// Stopping the database stops everything that requires it, and the result names them; in check
// mode the same cascade is reported and nothing stops.
func TestStopCascadeReportsDependents(t *testing.T) {
	reset(t, true)
	onAll(func(h host) { inside(t, h, "heroctl -q start web worker") })
	wantStates(t, "active", "db", "api", "worker", "web")
	task := "    - hero.systemd.service: {name: db, state: stopped}\n"
	dry := tasks(t, task, "--check")
	dry.wantExit(t, 0)
	for _, h := range env.hosts {
		r := dry.result(t, 0, h)
		if got := r.list("would_stop"); !r.bool("changed") || len(got) != 4 || got[3] != "db" ||
			!same(sorted(got[:3]), []string{"api", "web", "worker"}) {
			t.Errorf("%s: check mode stop: %v", h.name, r)
		}
	}
	wantStates(t, "active", "db", "api", "worker", "web")
	real := tasks(t, task)
	real.wantExit(t, 0)
	for _, h := range env.hosts {
		r := real.result(t, 0, h)
		if !r.bool("changed") || !same(r.list("stopped"), []string{"db"}) ||
			!same(sorted(r.list("stopped_dependents")), []string{"api", "web", "worker"}) {
			t.Errorf("%s: stop: %v", h.name, r)
		}
	}
	wantStates(t, "inactive", "db", "api", "worker", "web")
	again := tasks(t, task)
	again.wantExit(t, 0)
	for _, h := range env.hosts {
		if r := again.result(t, 0, h); r.bool("changed") {
			t.Errorf("%s: stopping a stopped service changed something: %v", h.name, r)
		}
	}
}

// A config herod refuses fails the task with herod's message (file, line, key) on every host,
// and the old file stays as it was, with nothing left behind; removing a service others
// require is refused the same way.
func TestRefusedConfigKeepsTheOldFile(t *testing.T) {
	reset(t, true)
	p := tasks(t, `
    - hero.systemd.config: {name: db, content: "exec = [\"/bin/true\"]\nrestrat = \"always\"\n"}
      ignore_errors: true
    - hero.systemd.config: {name: db, state: absent}
      ignore_errors: true
`)
	p.wantExit(t, 0) // the failures are ignored: both tasks run on every host
	for _, h := range env.hosts {
		bad := p.result(t, 0, h)
		if !bad.bool("failed") || bad.bool("changed") || !strings.Contains(bad.str("msg"), `db.toml:2: restrat: unknown key or section (did you mean "restart"?)`) {
			t.Errorf("%s: refused config: %v", h.name, bad)
		}
		gone := p.result(t, 1, h)
		if !gone.bool("failed") || !strings.Contains(gone.str("msg"), `api.toml:10: dependencies.requires: unknown service "db"`) {
			t.Errorf("%s: removing a required service: %v", h.name, gone)
		}
		out := inside(t, h, "cmp /etc/hero/services/db.toml /usr/share/doc/hero-systemd/examples/db.toml && ls -A /etc/hero/services | tr '\\n' ' ' && heroctl -q cat db && echo herod-has-db")
		if !strings.HasSuffix(out, "herod-has-db\n") || strings.Contains(out, ".db.toml") {
			t.Errorf("%s: the old config did not stay as it was (or a temporary file is left):\n%s", h.name, out)
		}
	}
}

// A changed config is placed (root's, the mode asked for) and herod reads it; the same task
// again changes nothing; --diff shows the change.
func TestConfigReplacesAndReloads(t *testing.T) {
	reset(t, true)
	task := `
    - hero.systemd.config:
        name: worker
        mode: "0600"
        content: |
          description = "Worker, deployed by Ansible"
          exec = ["/bin/sh", "-c", "exec sleep infinity"]
          [dependencies]
          requires = ["api"]
`
	p := tasks(t, task, "--diff")
	p.wantExit(t, 0)
	for _, h := range env.hosts {
		r := p.result(t, 0, h)
		diff, _ := r["diff"].(map[string]any)
		if !r.bool("changed") || !r.bool("reloaded") || diff == nil || !strings.Contains(diff["before"].(string), "Example background worker") {
			t.Errorf("%s: config change: %v", h.name, r)
		}
		out := inside(t, h, "stat -c '%U:%G %a' /etc/hero/services/worker.toml; heroctl status worker -o json; true")
		if !strings.HasPrefix(out, "root:root 600\n") || !strings.Contains(out, `"description": "Worker, deployed by Ansible"`) {
			t.Errorf("%s: placed file or herod's view of it:\n%s", h.name, out)
		}
	}
	again := tasks(t, task)
	again.wantExit(t, 0)
	for _, h := range env.hosts {
		if r := again.result(t, 0, h); r.bool("changed") || r.bool("reloaded") {
			t.Errorf("%s: the same config again changed something: %v", h.name, r)
		}
	}
}

// enabled: true makes herod start the services when it starts; again it changes nothing.
func TestEnable(t *testing.T) {
	reset(t, true)
	task := "    - hero.systemd.service: {name: [web, worker], enabled: true}\n"
	p := tasks(t, task)
	p.wantExit(t, 0)
	for _, h := range env.hosts {
		if r := p.result(t, 0, h); !r.bool("changed") || !same(r.list("enabled_changed"), []string{"web", "worker"}) {
			t.Errorf("%s: enable: %v", h.name, r)
		}
		if out := inside(t, h, "heroctl is-enabled web worker db || true"); out != "enabled\nenabled\ndisabled\n" {
			t.Errorf("%s: is-enabled web worker db: %q", h.name, out)
		}
	}
	// Enabling starts nothing now.
	wantStates(t, "inactive", "web", "worker")
	again := tasks(t, task)
	again.wantExit(t, 0)
	for _, h := range env.hosts {
		if r := again.result(t, 0, h); r.bool("changed") {
			t.Errorf("%s: enabling again changed something: %v", h.name, r)
		}
	}
}

// TestFleetTiming measures the example playbook on the fleet (HERO_FLEET_TIMING=N runs for each
// forks setting): from an empty config directory to the running stack, and again with nothing to
// change. Figures are printed, never asserted.
func TestFleetTiming(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("HERO_FLEET_TIMING"))
	if runs <= 0 {
		t.Skip("set HERO_FLEET_TIMING=N to measure the example playbook on the fleet (N runs per forks setting)")
	}
	pb := filepath.Join(env.examples, "deploy-stack.yml")
	for _, forks := range []int{1, len(env.hosts)} {
		var deploy, noop []time.Duration
		for i := 0; i < runs; i++ {
			reset(t, false)
			p := playbook(t, pb, "--forks", strconv.Itoa(forks))
			p.wantExit(t, 0)
			deploy = append(deploy, p.elapsed)
			q := playbook(t, pb, "--forks", strconv.Itoa(forks))
			q.wantExit(t, 0)
			noop = append(noop, q.elapsed)
		}
		t.Logf("forks %d, %d hosts, %d runs: deploy median %s (min %s, max %s); unchanged re-run median %s (min %s, max %s)",
			forks, len(env.hosts), runs, median(deploy), minOf(deploy), maxOf(deploy), median(noop), minOf(noop), maxOf(noop))
	}
}

// A restart stops the service with its cascade and starts it again with the dependents that
// ran (reported); in check mode the service keeps its process.
func TestRestartBringsDependentsBack(t *testing.T) {
	reset(t, true)
	onAll(func(h host) { inside(t, h, "heroctl -q start web worker") })
	wantStates(t, "active", "db", "api", "worker", "web")
	pids := map[string]string{}
	for _, h := range env.hosts {
		if pids[h.name] = mainPID(t, h, "api"); pids[h.name] == "" {
			t.Fatalf("%s: api runs without a main PID", h.name)
		}
	}
	task := "    - hero.systemd.service: {name: api, state: restarted}\n"
	dry := tasks(t, task, "--check")
	dry.wantExit(t, 0)
	for _, h := range env.hosts {
		r := dry.result(t, 0, h)
		if !r.bool("changed") || !same(sorted(r.list("would_stop")), []string{"api", "web", "worker"}) {
			t.Errorf("%s: check mode restart: %v", h.name, r)
		}
		if pid := mainPID(t, h, "api"); pid != pids[h.name] {
			t.Errorf("%s: check mode restarted api (main PID %s, was %s)", h.name, pid, pids[h.name])
		}
	}
	real := tasks(t, task)
	real.wantExit(t, 0)
	for _, h := range env.hosts {
		r := real.result(t, 0, h)
		if !r.bool("changed") || !same(sorted(r.list("restarted_dependents")), []string{"web", "worker"}) {
			t.Errorf("%s: restart: %v", h.name, r)
		}
		if pid := mainPID(t, h, "api"); pid == "" || pid == pids[h.name] {
			t.Errorf("%s: api kept its main PID %s across the restart", h.name, pid)
		}
	}
	wantStates(t, "active", "db", "api", "worker", "web")
}

// mainPID is the main PID herod reports for a service on h.
func mainPID(t *testing.T, h host, name string) string {
	t.Helper()
	out := inside(t, h, "heroctl status "+name+" -o json | sed -n 's/^ *\"main_pid\": \\([0-9]*\\),*$/\\1/p'")
	return strings.TrimSpace(out)
}

// --diff and -vvv show no secret of a config, as a person reads Ansible's output (the default
// callback): a 0600 file's old and new content are not shown at all, a 0644 file's environment
// values are masked (its other lines, and the names of its variables, are shown), and the
// content argument is never printed (no_log). herod's apply plans (the config module's in check
// mode, the apply module's) mask environment values and withhold the unit diff of the 0600
// file, whose command line holds a secret too. What was placed is what was asked for.
func TestConfigDiffShowsNoSecret(t *testing.T) {
	reset(t, false)
	place := func(token, open string) string {
		return `
    - hero.systemd.config:
        name: vault
        mode: "0600"
        content: |
          description = "vault"
          exec = ["/bin/sh", "-c", "sleep infinity # arg-` + token + `"]
          env = { API_TOKEN = "` + token + `" }
    - hero.systemd.config:
        name: open
        content: |
          description = "open ` + open + `"
          exec = ["/bin/sleep", "infinity"]
          env = { TOKEN = "` + open + `-token-value", MODE = "prod" }
`
	}
	tasks(t, place("old-vault-s3cret", "first")).wantExit(t, 0)
	t.Cleanup(func() { onAll(func(h host) { inside(t, h, "heroctl -q stop vault open") }) })
	onAll(func(h host) { inside(t, h, "heroctl -q start vault open") })
	secrets := []string{"old-vault-s3cret", "new-vault-s3cret", "first-token-value", "second-token-value"}
	withheld := "(the diff of hero-default-vault.service is not shown: the mode 0600 of vault.toml keeps it from other users)"

	check := verbose(t, place("new-vault-s3cret", "second"), "--check", "--diff", "-vvv")
	wantShown(t, "the configs in check mode", check, secrets, withheld, `"TOKEN=…(changed)"`, "+Description=open second",
		"/etc/hero/services/vault.toml is not shown: its mode 0600")

	text := verbose(t, place("new-vault-s3cret", "second"), "--diff", "-vvv")
	wantShown(t, "the configs", text, secrets, "/etc/hero/services/vault.toml is not shown: its mode 0600", `+description = "open second"`,
		`-description = "open first"`, `TOKEN = "********"`, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
	for _, h := range env.hosts {
		got := inside(t, h, "grep -h TOKEN /etc/hero/services/vault.toml /etc/hero/services/open.toml; stat -c %a /etc/hero/services/vault.toml")
		if !strings.Contains(got, "new-vault-s3cret") || !strings.Contains(got, "second-token-value") || !strings.HasSuffix(got, "600\n") {
			t.Errorf("%s: the placed configs are not what was asked for:\n%s", h.name, got)
		}
	}

	applied := verbose(t, "    - hero.systemd.apply:\n", "--check", "--diff", "-vvv")
	wantShown(t, "the apply module in check mode", applied, secrets, withheld, `"TOKEN=…(changed)"`, "+Description=open second",
		"vault changed")
}

// verbose runs a play of the given tasks as a person reads its output (the default callback)
// and returns that output.
func verbose(t *testing.T, body string, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "play.yml")
	if err := os.WriteFile(path, []byte("- hosts: hero\n  gather_facts: false\n  tasks:\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ansible-playbook", append([]string{"-i", env.inventory, path}, args...)...)
	cmd.Env = append(append([]string(nil), env.ansible...), "ANSIBLE_STDOUT_CALLBACK=default")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible-playbook %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// wantShown fails unless text shows none of secrets and every one of want.
func wantShown(t *testing.T, what, text string, secrets []string, want ...string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(text, secret) {
			t.Errorf("%s: ansible-playbook shows %q:\n%s", what, secret, text)
		}
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: ansible-playbook does not show %q:\n%s", what, w, text)
		}
	}
}
