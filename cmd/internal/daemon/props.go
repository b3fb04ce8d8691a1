package daemon

import (
	"reflect"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// What the object tree shows and announces: the properties of service and job objects, the
// dictionaries of Manager.Status and ListJobs, and the signals that carry their changes.

// announcement is one signal about the object tree.
type announcement struct {
	kind  string // api.SignalInterfacesAdded, api.SignalInterfacesRemoved, api.SignalPropertiesChanged
	path  string
	iface string
	props map[string]dbus.Variant
}

func added(path, iface string, props map[string]dbus.Variant) announcement {
	return announcement{api.SignalInterfacesAdded, path, iface, props}
}

func removed(path, iface string) announcement {
	return announcement{kind: api.SignalInterfacesRemoved, path: path, iface: iface}
}

// changed announces the properties whose values differ (nothing when none does).
func changed(path, iface string, before, after map[string]dbus.Variant) announcement {
	diff := map[string]dbus.Variant{}
	for k, v := range after {
		if b, ok := before[k]; !ok || b.Signature() != v.Signature() || !reflect.DeepEqual(b.Value(), v.Value()) {
			diff[k] = v
		}
	}
	if len(diff) == 0 {
		return announcement{}
	}
	return announcement{api.SignalPropertiesChanged, path, iface, diff}
}

// serviceProps are a service object's properties: Manager.Status's keys, every one present (a
// service without a job has JobId 0, ExitCode -1, ...), and the objects of its jobs.
func serviceProps(st bridge.Status, en enablement, jobs []int64) map[string]dbus.Variant {
	d := withEnablement(statusDict(st), en)
	defaults := map[string]any{api.KeyJobID: int64(0), api.KeyJobPhase: "", api.KeyResult: "", api.KeySignal: "", api.KeyExitCode: int32(-1),
		api.KeyStartedAt: int64(0), api.KeyEndedAt: int64(0), api.KeyInvocationID: ""}
	for k, v := range defaults {
		if _, ok := d[k]; !ok {
			d[k] = dbus.MakeVariant(v)
		}
	}
	last := dbus.ObjectPath("/")
	if st.LastJob != nil {
		last = dbus.ObjectPath(api.JobPath(st.LastJob.ID))
	}
	paths := make([]dbus.ObjectPath, len(jobs))
	for i, id := range jobs {
		paths[i] = dbus.ObjectPath(api.JobPath(id))
	}
	d[api.KeyJobPath] = dbus.MakeVariant(last)
	d[api.KeyJobs] = dbus.MakeVariant(paths)
	return d
}

// props are the service object's properties, made when asked for: kept for every service, these
// maps took 16 MB with 5,000 services.
func (v *serviceView) props() map[string]dbus.Variant { return serviceProps(v.status, v.en, v.jobs) }

// jobView is what a job's object shows: its ledger row without its output (small, comparable).
type jobView struct {
	id                                   int64
	service, context, unit, invocationID string
	phase, signal, result                string
	mainPID, restarts                    uint32
	exitCode                             int32 // -1: none
	startedAt, endedAt                   int64 // microseconds since the epoch; 0: none
	outputPartial                        bool
}

func viewOf(j *jobdb.Job) jobView {
	code := int32(-1)
	if j.ExitCode != nil {
		code = int32(*j.ExitCode)
	}
	return jobView{id: j.ID, service: j.ServiceID, context: j.Context, unit: j.Unit, invocationID: j.InvocationID,
		phase: string(j.Phase), signal: j.Signal, result: j.Result, mainPID: uint32(j.MainPID), restarts: uint32(j.Restarts),
		exitCode: code, startedAt: micros(&j.StartedAt), endedAt: micros(j.EndedAt), outputPartial: j.OutputPartial}
}

// props are a job object's properties, and a job's entry in ListJobs.
func (j jobView) props() map[string]dbus.Variant {
	return map[string]dbus.Variant{
		api.KeyID: dbus.MakeVariant(j.id), api.KeyService: dbus.MakeVariant(j.service),
		api.KeyContext: dbus.MakeVariant(j.context), api.KeyUnit: dbus.MakeVariant(j.unit),
		api.KeyInvocationID: dbus.MakeVariant(j.invocationID), api.KeyPhase: dbus.MakeVariant(j.phase),
		api.KeyMainPID: dbus.MakeVariant(j.mainPID), api.KeyExitCode: dbus.MakeVariant(j.exitCode),
		api.KeySignal: dbus.MakeVariant(j.signal), api.KeyResult: dbus.MakeVariant(j.result),
		api.KeyStartedAt: dbus.MakeVariant(j.startedAt), api.KeyEndedAt: dbus.MakeVariant(j.endedAt),
		api.KeyRestarts:      dbus.MakeVariant(j.restarts),
		api.KeyServicePath:   dbus.MakeVariant(dbus.ObjectPath(api.ServicePath(j.service))),
		api.KeyOutputPartial: dbus.MakeVariant(j.outputPartial),
	}
}

// serviceView is a service object as last announced, and what it was made from.
type serviceView struct {
	status bridge.Status
	en     enablement
	jobs   []int64 // its kept jobs, newest first
}

func micros(t *time.Time) int64 {
	if t == nil || t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func statusDict(st bridge.Status) map[string]dbus.Variant {
	d := map[string]dbus.Variant{
		api.KeyService: dbus.MakeVariant(st.Service), api.KeyContext: dbus.MakeVariant(st.Context),
		api.KeyUnit: dbus.MakeVariant(st.Unit), api.KeyDescription: dbus.MakeVariant(st.Description),
		api.KeyState: dbus.MakeVariant(st.State), api.KeyLoadState: dbus.MakeVariant(st.LoadState),
		api.KeyActiveState: dbus.MakeVariant(st.ActiveState), api.KeySubState: dbus.MakeVariant(st.SubState),
		api.KeyBlockedBy: dbus.MakeVariant(st.BlockedBy), api.KeyRequires: dbus.MakeVariant(st.Requires),
		api.KeyAfter: dbus.MakeVariant(st.After), api.KeyConflicts: dbus.MakeVariant(st.Conflicts),
	}
	d[api.KeyMainPID] = dbus.MakeVariant(uint32(st.MainPID))
	d[api.KeyRestarts] = dbus.MakeVariant(uint32(st.Restarts))
	d[api.KeyStale] = dbus.MakeVariant(st.Stale)
	d[api.KeyProblems] = dbus.MakeVariant(nonNil(st.Problems))
	d[api.KeyWaitingFor] = dbus.MakeVariant(nonNil(st.WaitingFor))
	d[api.KeyWants] = dbus.MakeVariant(nonNil(st.Wants))
	d[api.KeyRequirementsDown] = dbus.MakeVariant(nonNil(st.RequirementsDown))
	d[api.KeyComesBack] = dbus.MakeVariant(st.ComesBack)
	d[api.KeyWaitsFor] = dbus.MakeVariant(nonNil(st.WaitsFor))
	d[api.KeyWaiting] = dbus.MakeVariant(st.Waiting)
	d[api.KeyHealth] = dbus.MakeVariant(st.Health)
	d[api.KeyCanReload] = dbus.MakeVariant(st.CanReload)
	d[api.KeyStartLimitHit] = dbus.MakeVariant(st.LimitHit)
	if j := st.LastJob; j != nil {
		d[api.KeyJobID] = dbus.MakeVariant(j.ID)
		d[api.KeyJobPhase] = dbus.MakeVariant(string(j.Phase))
		d[api.KeyResult] = dbus.MakeVariant(j.Result)
		d[api.KeySignal] = dbus.MakeVariant(j.Signal)
		code := int32(-1)
		if j.ExitCode != nil {
			code = int32(*j.ExitCode)
		}
		d[api.KeyExitCode] = dbus.MakeVariant(code)
		d[api.KeyStartedAt] = dbus.MakeVariant(micros(&j.StartedAt))
		d[api.KeyEndedAt] = dbus.MakeVariant(micros(j.EndedAt))
		d[api.KeyInvocationID] = dbus.MakeVariant(j.InvocationID)
	}
	return d
}

func withEnablement(d map[string]dbus.Variant, e enablement) map[string]dbus.Variant {
	d[api.KeyEnabled] = dbus.MakeVariant(e.State)
	d[api.KeyEnabledBy] = dbus.MakeVariant(e.By)
	return d
}

func unitRow(st bridge.Status, en enablement) api.UnitRow {
	return api.UnitRow{Service: st.Service, Unit: st.Unit, Description: st.Description, LoadState: st.LoadState,
		ActiveState: st.ActiveState, SubState: st.SubState, State: st.State, Enabled: en.State, EnabledBy: en.By, Health: st.Health}
}
