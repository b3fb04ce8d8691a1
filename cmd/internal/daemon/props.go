package daemon

import (
	"reflect"
	"slices"
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
	if st.LastJob == nil { // statusDict has the last job's keys only when there is one
		d[api.KeyJobID], d[api.KeyJobPhase], d[api.KeyResult], d[api.KeySignal] = vx(0), vs(""), vs(""), vs("")
		d[api.KeyExitCode], d[api.KeyStartedAt], d[api.KeyEndedAt], d[api.KeyInvocationID] = vi(-1), vx(0), vx(0), vs("")
	}
	last := dbus.ObjectPath("/")
	if st.LastJob != nil {
		last = dbus.ObjectPath(api.JobPath(st.LastJob.ID))
	}
	paths := make([]dbus.ObjectPath, len(jobs))
	for i, id := range jobs {
		paths[i] = dbus.ObjectPath(api.JobPath(id))
	}
	d[api.KeyJobPath] = vo(last)
	d[api.KeyJobs] = vao(paths)
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
		api.KeyID: vx(j.id), api.KeyService: vs(j.service),
		api.KeyContext: vs(j.context), api.KeyUnit: vs(j.unit),
		api.KeyInvocationID: vs(j.invocationID), api.KeyPhase: vs(j.phase),
		api.KeyMainPID: vu(j.mainPID), api.KeyExitCode: vi(j.exitCode),
		api.KeySignal: vs(j.signal), api.KeyResult: vs(j.result),
		api.KeyStartedAt: vx(j.startedAt), api.KeyEndedAt: vx(j.endedAt),
		api.KeyRestarts:      vu(j.restarts),
		api.KeyServicePath:   vo(dbus.ObjectPath(api.ServicePath(j.service))),
		api.KeyOutputPartial: vb(j.outputPartial),
	}
}

// serviceView is a service object as last announced, and what it was made from.
type serviceView struct {
	status bridge.Status
	en     enablement
	jobs   []int64 // its kept jobs, newest first
}

// same reports whether v shows what w shows: the same status, enablement and jobs (a status
// that differs in what no property shows is not the same: its properties are compared then).
func (v *serviceView) same(w *serviceView) bool {
	return v.en == w.en && slices.Equal(v.jobs, w.jobs) && reflect.DeepEqual(v.status, w.status)
}

func micros(t *time.Time) int64 {
	if t == nil || t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// statusKeys is how many keys a service object has (statusDict's, the enablement's, the jobs'):
// its map is made that big at once.
const statusKeys = 40

func statusDict(st bridge.Status) map[string]dbus.Variant {
	d := make(map[string]dbus.Variant, statusKeys)
	d[api.KeyService], d[api.KeyContext], d[api.KeyUnit], d[api.KeyDescription] = vs(st.Service), vs(st.Context), vs(st.Unit), vs(st.Description)
	d[api.KeyState], d[api.KeyLoadState], d[api.KeyActiveState], d[api.KeySubState] = vs(st.State), vs(st.LoadState), vs(st.ActiveState), vs(st.SubState)
	d[api.KeyBlockedBy], d[api.KeyRequires], d[api.KeyAfter], d[api.KeyConflicts] = vs(st.BlockedBy), vas(st.Requires), vas(st.After), vas(st.Conflicts)
	d[api.KeyMainPID] = vu(uint32(st.MainPID))
	d[api.KeyRestarts] = vu(uint32(st.Restarts))
	d[api.KeyStale] = vb(st.Stale)
	d[api.KeyProblems] = vas(nonNil(st.Problems))
	d[api.KeyWaitingFor] = vas(nonNil(st.WaitingFor))
	d[api.KeyWants] = vas(nonNil(st.Wants))
	d[api.KeyRequirementsDown] = vas(nonNil(st.RequirementsDown))
	d[api.KeyComesBack] = vb(st.ComesBack)
	d[api.KeyWaitsFor] = vas(nonNil(st.WaitsFor))
	d[api.KeyWaiting] = vs(st.Waiting)
	d[api.KeyHealth] = vs(st.Health)
	d[api.KeyCanReload] = vb(st.CanReload)
	d[api.KeyStartLimitHit] = vb(st.LimitHit)
	if j := st.LastJob; j != nil {
		d[api.KeyJobID] = vx(j.ID)
		d[api.KeyJobPhase] = vs(string(j.Phase))
		d[api.KeyResult] = vs(j.Result)
		d[api.KeySignal] = vs(j.Signal)
		code := int32(-1)
		if j.ExitCode != nil {
			code = int32(*j.ExitCode)
		}
		d[api.KeyExitCode] = vi(code)
		d[api.KeyStartedAt] = vx(micros(&j.StartedAt))
		d[api.KeyEndedAt] = vx(micros(j.EndedAt))
		d[api.KeyInvocationID] = vs(j.InvocationID)
	}
	return d
}

func withEnablement(d map[string]dbus.Variant, e enablement) map[string]dbus.Variant {
	d[api.KeyEnabled] = vs(e.State)
	d[api.KeyEnabledBy] = vs(e.By)
	return d
}

func unitRow(st bridge.Status, en enablement) api.UnitRow {
	return api.UnitRow{Service: st.Service, Unit: st.Unit, Description: st.Description, LoadState: st.LoadState,
		ActiveState: st.ActiveState, SubState: st.SubState, State: st.State, Enabled: en.State, EnabledBy: en.By, Health: st.Health}
}

// Variants of the types the objects' properties have, their signatures made once: godbus's
// MakeVariant works each one out by reflection, and a refresh of thousands of services makes
// tens of thousands of them.
var (
	sigS, sigAS, sigU, sigI, sigX = dbus.Signature{}, dbus.Signature{}, dbus.Signature{}, dbus.Signature{}, dbus.Signature{}
	sigB, sigO, sigAO             = dbus.Signature{}, dbus.Signature{}, dbus.Signature{}
)

func init() {
	sigS, sigAS, sigU, sigI, sigX = dbus.SignatureOf(""), dbus.SignatureOf([]string{}), dbus.SignatureOf(uint32(0)),
		dbus.SignatureOf(int32(0)), dbus.SignatureOf(int64(0))
	sigB, sigO, sigAO = dbus.SignatureOf(false), dbus.SignatureOf(dbus.ObjectPath("/")), dbus.SignatureOf([]dbus.ObjectPath{})
}

func vs(v string) dbus.Variant             { return dbus.MakeVariantWithSignature(v, sigS) }
func vas(v []string) dbus.Variant          { return dbus.MakeVariantWithSignature(v, sigAS) }
func vu(v uint32) dbus.Variant             { return dbus.MakeVariantWithSignature(v, sigU) }
func vi(v int32) dbus.Variant              { return dbus.MakeVariantWithSignature(v, sigI) }
func vx(v int64) dbus.Variant              { return dbus.MakeVariantWithSignature(v, sigX) }
func vb(v bool) dbus.Variant               { return dbus.MakeVariantWithSignature(v, sigB) }
func vo(v dbus.ObjectPath) dbus.Variant    { return dbus.MakeVariantWithSignature(v, sigO) }
func vao(v []dbus.ObjectPath) dbus.Variant { return dbus.MakeVariantWithSignature(v, sigAO) }
