package cli

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/graphs"
)

func TestParsePriorityRange(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi uint32
		bad    bool
	}{
		{"err", 0, 3, false}, {"3", 0, 3, false}, {"warning..err", 3, 4, false}, {"2..4", 2, 4, false},
		{"debug", 0, 7, false}, {"EMERG", 0, 0, false}, {"info..notice", 5, 6, false},
		{"8", 0, 0, true}, {"loud", 0, 0, true}, {"err..", 0, 0, true}, {"-1", 0, 0, true},
	}
	for _, tt := range tests {
		lo, hi, err := parsePriorityRange(tt.in)
		if (err != nil) != tt.bad || !tt.bad && (lo != tt.lo || hi != tt.hi) {
			t.Errorf("parsePriorityRange(%q) = %d, %d, %v; want %d, %d (error: %v)", tt.in, lo, hi, err, tt.lo, tt.hi, tt.bad)
		}
	}
}

func TestLogFilterAndPrintLines(t *testing.T) {
	base := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	lines := []client.LogLine{
		{Time: base, Priority: 6, Message: "starting"},
		{Time: base.Add(time.Minute), Priority: 3, Message: "Fatal: no route"},
		{Time: base.Add(2 * time.Minute), Priority: 4, Message: "retrying"},
		{Time: base.Add(3 * time.Minute), Priority: 6, Message: "fatal again"},
	}
	grep := func(p string) logFilter { re, _ := compileGrep(p); return logFilter{grep: re} }
	tests := []struct {
		name    string
		filter  logFilter
		n       int
		reverse bool
		want    string
	}{
		{"all", logFilter{}, 0, false, "starting|Fatal: no route|retrying|fatal again"},
		{"-p warning", logFilter{byPrio: true, maxPrio: 4}, 0, false, "Fatal: no route|retrying"},
		{"-g fatal (any case)", grep("fatal"), 0, false, "Fatal: no route|fatal again"},
		{"-g Fatal (case-sensitive)", grep("Fatal"), 0, false, "Fatal: no route"},
		{"--since --until", logFilter{since: base.Add(time.Minute), until: base.Add(2 * time.Minute)}, 0, false, "Fatal: no route|retrying"},
		{"-n 2 of the kept", grep("r"), 2, false, "Fatal: no route|retrying"},
		{"-r", logFilter{}, 0, true, "fatal again|retrying|Fatal: no route|starting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			old := Stdout
			Stdout = &out
			defer func() { Stdout = old }()
			p := linePrinter{format: "cat", filter: tt.filter}
			printLines(&p, lines, tt.n, tt.reverse)
			if got := strings.ReplaceAll(strings.TrimSpace(out.String()), "\n", "|"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLogsArgsRefuse(t *testing.T) {
	now := time.Now()
	for _, a := range []logsArgs{
		{format: "short", follow: true, reverse: true},
		{format: "short", follow: true, until: "now"},
		{format: "short", since: "soon"},
		{format: "short", since: "now", until: "yesterday"},
		{format: "short", priority: "loud"},
		{format: "short", grep: "("},
		{format: "xml"},
	} {
		if _, err := a.check(now); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}

func TestStopMessage(t *testing.T) {
	tests := []struct {
		names, running, deps []string
		want                 string
	}{
		{[]string{"db"}, nil, nil, "db was not running."},
		{[]string{"db"}, []string{"db"}, nil, ""},
		{[]string{"db"}, []string{"web", "api", "db"}, []string{"web", "api"}, "Stopped db and 2 dependent(s): web, api."},
		{[]string{"web", "worker"}, []string{"web"}, nil, "Not running: worker."},
		{[]string{"web", "worker"}, nil, nil, "None of web, worker was running."},
		{[]string{"db", "cleanup"}, []string{"api", "db", "cleanup"}, []string{"api"}, "Stopped db, cleanup and 1 dependent(s): api."},
	}
	for _, tt := range tests {
		if got := stopMessage(tt.names, tt.running, tt.deps); got != tt.want {
			t.Errorf("stopMessage(%v, %v, %v) = %q, want %q", tt.names, tt.running, tt.deps, got, tt.want)
		}
	}
}

func TestMergeStopPlans(t *testing.T) {
	db := graphs.StopPlan{Service: "db", Order: []string{"web", "api", "db"}, Waves: [][]string{{"web"}, {"api"}, {"db"}}}
	api := graphs.StopPlan{Service: "api", Order: []string{"web", "api"}, Waves: [][]string{{"web"}, {"api"}}}
	cleanup := graphs.StopPlan{Service: "cleanup", Order: []string{"cleanup"}, Waves: [][]string{{"cleanup"}}}
	p := mergeStopPlans([]string{"db", "api", "cleanup"}, []graphs.StopPlan{db, api, cleanup}, map[string]string{"web": "active", "api": "active", "db": "active"})
	if !reflect.DeepEqual(p.Waves, [][]string{{"web"}, {"api"}, {"db"}, {"cleanup"}}) ||
		!reflect.DeepEqual(p.StoppedDependents, []string{"web"}) || !reflect.DeepEqual(p.Running, []string{"web", "api", "db"}) {
		t.Errorf("merged: %+v", p)
	}
	if p := mergeStopPlans([]string{"db"}, []graphs.StopPlan{db}, nil); p.Running != nil {
		t.Errorf("unknown states gave running %v", p.Running)
	}
}

func TestFilterJobs(t *testing.T) {
	base := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	jobs := []client.Job{
		{ID: 1, Service: "db", Phase: "succeeded", StartedAt: base},
		{ID: 2, Service: "mailer", Phase: "failed", StartedAt: base.Add(time.Hour)},
		{ID: 3, Service: "web", Phase: "running", StartedAt: base.Add(time.Hour)},
	}
	sortJobsNewestFirst(jobs)
	if jobs[0].ID != 3 || jobs[1].ID != 2 || jobs[2].ID != 1 {
		t.Errorf("order: %v", jobs)
	}
	if got := filterJobs(jobs, true, time.Time{}, time.Time{}); len(got) != 1 || got[0].ID != 2 {
		t.Errorf("--failed: %v", got)
	}
	if got := filterJobs(jobs, false, base.Add(time.Minute), time.Time{}); len(got) != 2 {
		t.Errorf("--since: %v", got)
	}
	if got := filterJobs(jobs, false, time.Time{}, base); len(got) != 1 || got[0].ID != 1 {
		t.Errorf("--until: %v", got)
	}
}

func TestStateFilterAndOverviewOrder(t *testing.T) {
	list := []client.Status{
		{Service: "web", State: "running", ActiveState: "active", SubState: "running", LoadState: "loaded"},
		{Service: "typo", State: "bad-config", ActiveState: "inactive", SubState: "dead", LoadState: "not-found"},
		{Service: "mailer", State: "failed", ActiveState: "failed", SubState: "failed", LoadState: "loaded"},
		{Service: "cleanup", State: "success", ActiveState: "active", SubState: "exited", LoadState: "loaded"},
	}
	want, err := stateSet([]string{"failed", "exited"})
	if err != nil {
		t.Fatal(err)
	}
	got := filterStates(list, want)
	if len(got) != 2 || got[0].Service != "mailer" || got[1].Service != "cleanup" {
		t.Errorf("--state=failed,exited: %v", got)
	}
	if _, err := stateSet([]string{"broken"}); err == nil {
		t.Error("--state=broken accepted")
	}
	sortForOverview(list)
	var order []string
	for _, st := range list {
		order = append(order, st.Service)
	}
	if !reflect.DeepEqual(order, []string{"mailer", "typo", "web", "cleanup"}) {
		t.Errorf("overview order %v", order)
	}
	if s := overallState(list); s != "degraded" {
		t.Errorf("overall %q", s)
	}
	if s := stateCounts(list); s != "1 failed, 1 bad-config, 1 running, 1 success" {
		t.Errorf("counts %q", s)
	}
}

func TestEllipsize(t *testing.T) {
	tests := []struct {
		s     string
		width int
		want  string
	}{
		{"hello world", 0, "hello world"}, {"hello world", 11, "hello world"}, {"hello world", 6, "hello…"}, {"héllo", 3, "hé…"},
	}
	for _, tt := range tests {
		if got := ellipsize(tt.s, tt.width); got != tt.want {
			t.Errorf("ellipsize(%q, %d) = %q, want %q", tt.s, tt.width, got, tt.want)
		}
	}
}

// The new flags' values complete through cobra's __complete, as every shell's script asks.
func TestNewFlagsComplete(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "list-units", "--state", "fa"}, []string{"failed"}},
		{[]string{"__complete", "list-units", "--state", "failed,ex"}, []string{"failed,exited"}},
		{[]string{"__complete", "logs", "x", "-p", ""}, []string{"emerg", "err", "debug"}},
		{[]string{"__complete", "logs", "x", "--since", ""}, []string{"today", "yesterday", "1 min ago"}},
		{[]string{"__complete", "jobs", "--until", ""}, []string{"now", "-5m"}},
		{[]string{"__complete", "logs", "x", "-o", ""}, []string{"short", "cat", "json"}},
		{[]string{"__complete", "status", "-"}, []string{"--full", "--lines"}},
		{[]string{"__complete", "edit", "--"}, []string{"--full", "--force"}},
		{[]string{"__complete", "jobs", "--"}, []string{"--failed", "--since", "--until"}},
		{[]string{"__complete", "logs", "x", "--"}, []string{"--grep", "--priority", "--reverse", "--until"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			out, _, code := heroctl(t, append([]string{"__complete", "--bus-address", noHerod}, tt.args[1:]...)...)
			lines := strings.Split(out, "\n")
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					if l == w || strings.HasPrefix(l, w+"\t") {
						found = true
					}
				}
				if !found {
					t.Errorf("exit %d; %q not completed:\n%s", code, w, out)
				}
			}
		})
	}
}
