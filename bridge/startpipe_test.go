package bridge

import (
	"errors"
	"slices"
	"testing"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// A fresh start creates its units with pipelined StartTransientUnit calls, dependencies first,
// and learns their jobs' ends from systemd's JobRemoved signals: every run is in the ledger
// when Start returns, on its new definition.
func TestStartPipelined(t *testing.T) {
	tb := newTestBridge(t, startFiles)
	reply, err := tb.Start(tb.ctx, []string{"web", "cache"}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sortedCopy(reply.Started), []string{"cache", "db", "web"}) || slices.Index(reply.Started, "db") > slices.Index(reply.Started, "web") {
		t.Errorf("started %v, want db, web and cache, db before web", reply.Started)
	}
	calls := tb.sd.called("StartTransientUnit")
	if slices.Index(calls, "StartTransientUnit "+unit("db")) > slices.Index(calls, "StartTransientUnit "+unit("web")) || len(calls) != 3 {
		t.Errorf("calls %v, want one each, db's before web's", calls)
	}
	for _, s := range reply.Started {
		j, err := tb.ledger.Get(tb.ctx, reply.Jobs[s])
		if err != nil || j.Phase != jobdb.PhaseRunning || j.InvocationID == "" {
			t.Errorf("%s's job %+v %v, want running", s, j, err)
		}
		if st, _ := tb.Status(tb.ctx, s); st.Stale || st.State != StateRunning {
			t.Errorf("%s: %s, stale %v", s, st.State, st.Stale)
		}
	}
}

// A pipelined call systemd refuses fails its unit and, for their dependency, what requires it
// (systemd refuses those calls too: their requirement is not loaded); a unit created meanwhile
// (UnitExists) is started as it is.
func TestStartPipelinedRefusals(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		tb := newTestBridge(t, startFiles)
		tb.sd.fail["StartTransientUnit "+unit("db")] = errors.New("access denied")
		reply, err := tb.Start(tb.ctx, []string{"web", "cache"}, true, nil)
		if err == nil || !slices.Equal(reply.Started, []string{"cache"}) || !slices.Equal(sortedCopy(reply.Failed), []string{"db", "web"}) {
			t.Errorf("Start = %+v %v, want cache started, db and web failed", reply, err)
		}
		if st := tb.sd.state(unit("web")); st != "" {
			t.Errorf("web's unit was created (%s) though its dependency was refused", st)
		}
		testEventually(t, "web's job failed for its dependency", func() bool {
			j, err := tb.ledger.Latest(tb.ctx, "web")
			return err == nil && j.Phase == jobdb.PhaseFailed && j.Result == "dependency"
		})
	})
	t.Run("created meanwhile", func(t *testing.T) {
		tb := newTestBridge(t, startFiles)
		gen, err := unitgen.Generate(tb.Config(), tb.Config().Service("db"), tb.svc.opts)
		if err != nil {
			t.Fatal(err)
		}
		created := false
		tb.sd.onCall = func(method, u string) {
			if method == "StartTransientUnit" && u == unit("db") && !created {
				created = true
				tb.sd.units[u] = &fakeUnit{load: "loaded", active: "inactive", sub: "dead", definition: gen.Definition, holders: map[string][]string{}}
			}
		}
		reply, err := tb.Start(tb.ctx, []string{"db"}, true, nil)
		if err != nil || !slices.Equal(reply.Started, []string{"db"}) || len(tb.sd.called("StartUnit "+unit("db"))) != 1 {
			t.Errorf("Start = %+v %v (calls %v), want db started as it is", reply, err, tb.sd.called("Start"))
		}
	})
}
