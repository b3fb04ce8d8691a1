package daemon

import (
	"reflect"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// What the object tree shows and announces: the properties of service and job objects, and
// the signals that carry their changes.

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

func (o *objects) announce(out []announcement) {
	for _, a := range out {
		var err error
		switch a.kind {
		case api.SignalInterfacesAdded:
			err = o.d.bus.Emit(api.Path, api.ObjectManagerInterface+"."+a.kind, dbus.ObjectPath(a.path),
				map[string]map[string]dbus.Variant{a.iface: a.props})
		case api.SignalInterfacesRemoved:
			err = o.d.bus.Emit(api.Path, api.ObjectManagerInterface+"."+a.kind, dbus.ObjectPath(a.path), []string{a.iface})
		case api.SignalPropertiesChanged:
			err = o.d.bus.Emit(dbus.ObjectPath(a.path), api.PropertiesInterface+"."+a.kind, a.iface, a.props, []string{})
		}
		if err != nil {
			o.d.log.Warn("emitting a signal failed", "signal", a.kind, "object", a.path, "err", err)
		}
	}
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
