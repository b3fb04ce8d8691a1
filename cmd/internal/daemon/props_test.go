package daemon

import (
	"testing"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// A refresh announces a service's properties only when what they show changed: same says so
// without making them, and a view it calls different still announces only what differs.
func TestSameViewAnnouncesNothing(t *testing.T) {
	base := func() *serviceView {
		return &serviceView{status: runningStatus(1), en: enablement{State: disabledState, By: byConfig}, jobs: []int64{1}}
	}
	tests := []struct {
		name   string
		change func(v *serviceView)
		same   bool
		keys   []string // the properties PropertiesChanged carries
	}{
		{"nothing", func(*serviceView) {}, true, nil},
		{"its state", func(v *serviceView) { v.status.ActiveState, v.status.State = "failed", "failed" }, false,
			[]string{api.KeyActiveState, api.KeyState}},
		{"its enablement", func(v *serviceView) { v.en.State = enabledState }, false, []string{api.KeyEnabled}},
		{"a new job", func(v *serviceView) { v.jobs = []int64{2, 1} }, false, []string{api.KeyJobs}},
		{"its last job's result", func(v *serviceView) {
			j := *v.status.LastJob
			j.Result = "signal"
			v.status.LastJob = &j
		}, false, []string{api.KeyResult}},
		{"an empty list for none", func(v *serviceView) { v.status.Wants = nil }, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, v := base(), base()
			tt.change(v)
			if got := old.same(v); got != tt.same {
				t.Errorf("same = %v, want %v", got, tt.same)
			}
			o := &objects{services: map[string]*serviceView{"svc00001": old}, jobs: map[int64]*jobView{1: {id: 1}}}
			var got []string
			if a := changed(api.ServicePath("svc00001"), api.ServiceInterface, old.props(), v.props()); a.kind != "" {
				for k := range a.props {
					got = append(got, k)
				}
			}
			if !sameSet(got, tt.keys) {
				t.Errorf("PropertiesChanged carries %v, want %v", got, tt.keys)
			}
			o.apply("svc00001", v, nil, false)
			if o.services["svc00001"] != v {
				t.Errorf("apply kept the old view")
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	in := map[string]bool{}
	for _, s := range a {
		in[s] = true
	}
	for _, s := range b {
		if !in[s] {
			return false
		}
	}
	return true
}
