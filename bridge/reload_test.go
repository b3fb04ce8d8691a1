package bridge

import (
	"errors"
	"sync"
	"testing"
)

// reloadFiles are a service reloaded by a signal, one by a command, one with neither.
var reloadFiles = map[string]string{
	"pg.toml":    "exec = [\"/bin/sleep\", \"infinity\"]\nnotify = true\nreload_signal = \"SIGHUP\"\n",
	"nginx.toml": "exec = [\"/bin/sleep\", \"infinity\"]\nreload = [\"/usr/sbin/nginx\", \"-s\", \"reload\"]\n",
	"plain.toml": "exec = [\"/bin/sleep\", \"infinity\"]\n",
}

// Reload runs a reload job of a running service's unit that has one, reports it, and keeps the
// run; it refuses, with nothing asked of systemd, a service without reload, one that does not
// run, one whose running unit has no ExecReload= (made before its config set one), and tells a
// failed reload job.
func TestReload(t *testing.T) {
	cases := []struct {
		name      string
		service   string
		active    string // the unit's state ("": not loaded)
		noExec    bool   // the running unit was created without ExecReload=
		result    string // the reload job's result
		want      error  // errors.Is
		wantAs    bool   // a *ReloadError
		wantEvent string
	}{
		{name: "signal", service: "pg", active: "active", wantEvent: "reloaded"},
		{name: "command", service: "nginx", active: "active", wantEvent: "reloaded"},
		{name: "no reload in the config", service: "plain", active: "active", want: ErrNotReloadable},
		{name: "undefined", service: "nope", want: ErrNoSuchService},
		{name: "not running", service: "pg", want: ErrNotRunning},
		{name: "failed", service: "pg", active: "failed", want: ErrNotRunning},
		{name: "still starting", service: "pg", active: "activating", want: ErrNotRunning},
		{name: "unit older than its reload", service: "pg", active: "active", noExec: true, want: ErrNotReloadable},
		{name: "reload command failed", service: "nginx", active: "active", result: "failed", wantAs: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, reloadFiles)
			if c.active != "" {
				tb.load(t, c.service, c.active, "running")
				tb.sd.mu.Lock()
				tb.sd.units[unit(c.service)].canReload = !c.noExec
				tb.sd.outcome[unit(c.service)] = fakeOutcome{reloadResult: c.result}
				tb.sd.mu.Unlock()
			}
			var mu sync.Mutex
			var events []string
			err := tb.Reload(tb.ctx, c.service, func(p Progress) {
				mu.Lock()
				defer mu.Unlock()
				events = append(events, p.Service+" "+p.Event)
			})
			var re *ReloadError
			switch {
			case c.want != nil:
				if !errors.Is(err, c.want) {
					t.Errorf("err %v, want %v", err, c.want)
				}
				if perr := tb.PrecheckReload(tb.ctx, c.service); !errors.Is(perr, c.want) {
					t.Errorf("precheck: %v, want %v", perr, c.want)
				}
			case c.wantAs:
				if !errors.As(err, &re) || re.JobResult != c.result {
					t.Errorf("err %v, want a reload error of job result %s", err, c.result)
				}
			case err != nil:
				t.Errorf("err %v", err)
			}
			reloads := tb.sd.called("ReloadUnit")
			if asked := c.want == nil; asked != (len(reloads) == 1) {
				t.Errorf("reload calls %v", reloads)
			} else if asked && reloads[0] != "ReloadUnit "+unit(c.service) {
				t.Errorf("reload call %q", reloads[0])
			}
			if c.wantEvent == "" && len(events) != 0 || c.wantEvent != "" && (len(events) != 1 || events[0] != c.service+" "+c.wantEvent) {
				t.Errorf("progress %v, want %s %s", events, c.service, c.wantEvent)
			}
			if c.active == "active" && tb.sd.state(unit(c.service)) != "active" {
				t.Errorf("the unit is %s after the reload, want active", tb.sd.state(unit(c.service)))
			}
		})
	}
}

// A status says whether the service's config sets reload or reload_signal (CanReload), running
// or not: what the Cockpit page and the Ansible module ask before they offer or plan a reload.
func TestStatusTellsCanReload(t *testing.T) {
	tb := newTestBridge(t, reloadFiles)
	tb.load(t, "pg", "active", "running")
	want := map[string]bool{"pg": true, "nginx": true, "plain": false}
	list, err := tb.List(tb.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range list {
		if st.CanReload != want[st.Service] {
			t.Errorf("%s (%s): CanReload %v, want %v", st.Service, st.ActiveState, st.CanReload, want[st.Service])
		}
	}
	if st, err := tb.Status(tb.ctx, "nginx"); err != nil || !st.CanReload {
		t.Errorf("status of nginx (not running): CanReload %v (%v), want true", st.CanReload, err)
	}
}
