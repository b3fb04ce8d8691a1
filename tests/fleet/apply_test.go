//go:build fleet

package fleet

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A changed config, placed by the example playbook, is applied by its handler: exactly the
// running services whose definition changed restart, with what requires them, on the new
// definition; the others keep their processes. Check mode first says so (the config task's
// apply plan) and changes nothing; a run again changes nothing.
func TestDeployStackAppliesAChangedConfig(t *testing.T) {
	reset(t, false)
	pb := filepath.Join(env.examples, "deploy-stack.yml")
	playbook(t, pb).wantExit(t, 0)
	edited := t.TempDir()
	for _, f := range []string{"db.toml", "api.toml", "worker.toml", "web.toml", "mailer.toml", "cleanup.yaml"} {
		data, err := os.ReadFile(filepath.Join(env.examples, "files", f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "worker.toml" {
			data = []byte(regexp.MustCompile(`(?m)^description = .*$`).ReplaceAllString(string(data), `description = "Worker, edited"`))
		}
		if err := os.WriteFile(filepath.Join(edited, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pids := map[string][2]string{}
	for _, h := range env.hosts {
		pids[h.name] = [2]string{mainPID(t, h, "worker"), mainPID(t, h, "db")}
	}
	dry := playbook(t, pb, "-e", "hero_stack_dir="+edited, "--check", "--diff")
	dry.wantExit(t, 0)
	for _, h := range env.hosts {
		cfg := item(t, dry.result(t, 0, h), "worker.toml")
		plan, _ := cfg["apply_plan"].(map[string]any)
		if plan == nil || !same(strs(plan["restart"]), []string{"worker", "web"}) {
			t.Errorf("%s: the config task in check mode: apply plan %v", h.name, cfg["apply_plan"])
		}
		if pid := mainPID(t, h, "worker"); pid != pids[h.name][0] {
			t.Errorf("%s: check mode restarted worker", h.name)
		}
	}
	real := playbook(t, pb, "-e", "hero_stack_dir="+edited)
	real.wantExit(t, 0)
	for _, h := range env.hosts {
		applied := handler(t, real, "Apply the hero configs", h)
		// web is ordered after worker: its unit refers to worker's, so it restarts with it.
		if !applied.bool("changed") || !same(applied.list("started"), []string{"worker", "web"}) {
			t.Errorf("%s: the apply handler: %v", h.name, applied)
		}
		if pid := mainPID(t, h, "worker"); pid == "" || pid == pids[h.name][0] || mainPID(t, h, "db") != pids[h.name][1] {
			t.Errorf("%s: worker's PID %s (was %s), db's %s (was %s): want worker restarted, db untouched",
				h.name, pid, pids[h.name][0], mainPID(t, h, "db"), pids[h.name][1])
		}
		if out := inside(t, h, "heroctl status worker -o json"); !strings.Contains(out, `"description": "Worker, edited"`) || strings.Contains(out, `"stale": true`) {
			t.Errorf("%s: worker after the apply:\n%s", h.name, out)
		}
	}
	again := playbook(t, pb, "-e", "hero_stack_dir="+edited)
	again.wantExit(t, 0)
	for _, h := range env.hosts {
		if n := again.Stats[h.name]["changed"]; n != 0 {
			t.Errorf("%s: the run again changed %d tasks, want 0:\n%s", h.name, n, again.output)
		}
	}
}

// hero.systemd.apply: check mode returns herod's plan (the diff: the unit's unified diff, the
// environment's values masked) and changes nothing; a real run restarts what changed and
// reports it changed; again it changes nothing; a config with a problem fails the task with
// herod's words and changes nothing.
func TestApplyModule(t *testing.T) {
	reset(t, true)
	onAll(func(h host) {
		inside(t, h, `heroctl -q start web && sed -i 's/^description = .*/description = "API, edited"/; s/API_PORT = "8080"/API_PORT = "8081"/' /etc/hero/services/api.toml`)
	})
	pids := map[string]string{}
	for _, h := range env.hosts {
		pids[h.name] = mainPID(t, h, "api")
	}
	task := "    - hero.systemd.apply:\n"
	dry := tasks(t, task, "--check", "--diff")
	dry.wantExit(t, 0)
	for _, h := range env.hosts {
		r := dry.result(t, 0, h)
		diff, _ := r["diff"].(map[string]any)
		prepared, _ := diff["prepared"].(string)
		if !r.bool("changed") || !same(r.list("restart"), []string{"api", "web"}) || len(r.list("started")) != 0 ||
			!strings.Contains(prepared, "api changed; restarts with it: web") || !strings.Contains(prepared, "+Description=API, edited") ||
			strings.Contains(prepared, "8081") || !strings.Contains(prepared, `"API_PORT=…(changed)"`) {
			t.Errorf("%s: apply in check mode: %v", h.name, r)
		}
		if mainPID(t, h, "api") != pids[h.name] {
			t.Errorf("%s: check mode restarted api", h.name)
		}
	}
	real := tasks(t, task)
	real.wantExit(t, 0)
	for _, h := range env.hosts {
		r := real.result(t, 0, h)
		if !r.bool("changed") || !same(r.list("started"), []string{"api", "web"}) {
			t.Errorf("%s: apply: %v", h.name, r)
		}
		if pid := mainPID(t, h, "api"); pid == "" || pid == pids[h.name] {
			t.Errorf("%s: api kept its PID %s", h.name, pid)
		}
	}
	wantStates(t, "active", "db", "api", "web")
	again := tasks(t, task)
	again.wantExit(t, 0)
	for _, h := range env.hosts {
		if r := again.result(t, 0, h); r.bool("changed") || len(r.list("restart")) != 0 {
			t.Errorf("%s: apply again: %v", h.name, r)
		}
	}
	onAll(func(h host) { inside(t, h, "sed -i '1i restrat = 1' /etc/hero/services/api.toml") })
	bad := tasks(t, "    - hero.systemd.apply:\n      ignore_errors: true\n")
	for _, h := range env.hosts {
		if r := bad.result(t, 0, h); !r.bool("failed") || r.bool("changed") || !strings.Contains(r.str("msg"), "api.toml:1: restrat") {
			t.Errorf("%s: apply of a config with a problem: %v", h.name, r)
		}
	}
}

// The collection's documentation is current (every module, none of them promising a future
// apply), and the collection's version is the Debian package's.
func TestCollectionDocsAndVersion(t *testing.T) {
	for _, m := range []string{"apply", "config", "service"} {
		cmd := exec.Command("ansible-doc", "hero.systemd."+m)
		cmd.Env = env.ansible
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "hero.systemd."+m) || strings.Contains(strings.ToLower(string(out)), "future") {
			t.Errorf("ansible-doc hero.systemd.%s: %v\n%s", m, err, out)
		}
	}
	cmd := exec.Command("ansible-galaxy", "collection", "list", "hero.systemd")
	cmd.Env = env.ansible
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible-galaxy collection list: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^hero\.systemd\s+(\S+)`).FindStringSubmatch(string(out))
	pkg := strings.TrimSpace(inside(t, env.hosts[0], "dpkg-query -W -f '${Version}' hero-systemd"))
	if m == nil || m[1] != strings.Replace(pkg, "~", "-", 1) {
		t.Errorf("collection version %v, package version %q: want the same", m, pkg)
	}
}

// handler returns the result on h of the handler task named name (after the play's tasks).
func handler(t *testing.T, p play, name string, h host) result {
	t.Helper()
	for _, pl := range p.Plays {
		for _, task := range pl.Tasks {
			if task.Task.Name == name {
				if r, ok := task.Hosts[h.name]; ok {
					return r
				}
			}
		}
	}
	t.Fatalf("no result of %q for %s:\n%s", name, h.name, p.output)
	return nil
}

// item returns the result of a loop task's run for one item.
func item(t *testing.T, r result, name string) result {
	t.Helper()
	items, _ := r["results"].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && m["item"] == name {
			return result(m)
		}
	}
	t.Fatalf("no result for item %s in %v", name, r)
	return nil
}
