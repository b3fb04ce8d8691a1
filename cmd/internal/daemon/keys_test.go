package daemon

import (
	"maps"
	"slices"
	"testing"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// A service object has every property api.ServiceKeys names, with or without a last job, and
// a job object every one of api.JobKeys: nothing more, nothing missing.
func TestObjectsHaveTheContractsKeys(t *testing.T) {
	job := &jobdb.Job{ID: 7, ServiceID: "db", Phase: jobdb.PhaseRunning}
	for _, st := range []bridge.Status{{Service: "db"}, {Service: "db", LastJob: job}} {
		got := slices.Sorted(maps.Keys(serviceProps(st, enablement{}, nil)))
		if want := slices.Sorted(slices.Values(api.ServiceKeys)); !slices.Equal(got, want) {
			t.Errorf("service object (last job %v): %v, want %v", st.LastJob != nil, got, want)
		}
	}
	got := slices.Sorted(maps.Keys(viewOf(job).props()))
	if want := slices.Sorted(slices.Values(api.JobKeys)); !slices.Equal(got, want) {
		t.Errorf("job object: %v, want %v", got, want)
	}
}
