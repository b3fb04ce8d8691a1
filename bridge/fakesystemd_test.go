package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/journal/journaltest"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// fakeUnit is what the fake manager knows of one unit: its states, its current (or last) run,
// the definition it was created with, and the units that refer to it (holder properties such as
// RequiredBy, by property name).
type fakeUnit struct {
	load, active, sub string
	invocation        []byte
	result            string // the Service's Result
	execCode          int32
	execStatus        int32
	mainPID           uint32
	execStart         uint64
	execExit          uint64
	definition        string
	canReload         bool   // created with an ExecReload= (systemd's CanReload)
	reloads           int    // reload jobs run
	statusText        string // what the unit's notifications said last (STATUS=)
	holders           map[string][]string
}

// fakeOutcome is how the starts of a unit go: its job's result (done when empty; dependency
// begins no run), and, when exitStatus is set, its main process exits with that status right
// after it began.
type fakeOutcome struct {
	jobResult    string
	exitStatus   int32
	reloadResult string // a reload job's result (done when empty)
	stopResult   string // a stop job's result (done when empty)
}

// fakeManager is an in-memory systemd manager: units by name, changed by the job calls as
// systemd changes them, each change announced on signals as systemd's PropertiesChanged (the
// Service interface's properties, then the Unit's), each job's result handed to the caller's
// channel as go-systemd does. A call can be told to fail (fail, by method name, or by
// "method unit").
type fakeManager struct {
	mu          sync.Mutex
	units       map[string]*fakeUnit
	fail        map[string]error
	outcome     map[string]fakeOutcome
	calls       []string // "Method unit" of each call that names units, in order
	signals     chan<- *dbus.Signal
	cascade     bool // a stop stops the running units that hold the unit by RequiredBy first, as systemd's transaction does
	nextJob     int
	nextInv     byte
	loseResults bool                      // jobs' results never reach their callers, as when the bus drops the signals
	onCall      func(method, unit string) // called (under mu) as each call begins: what happens meanwhile
	gcOnReset   bool                      // reset-failed unloads an inactive unit no other unit refers to, as systemd's garbage collection does
}

// newFakeManager is a manager with no unit loaded.
func newFakeManager() *fakeManager {
	return &fakeManager{units: map[string]*fakeUnit{}, fail: map[string]error{}, outcome: map[string]fakeOutcome{}}
}

// noSuchUnit is systemd's error for a unit it has not loaded.
func noSuchUnit(unit string) error {
	return dbus.Error{Name: systemd.NoSuchUnit, Body: []any{"Unit " + unit + " not loaded."}}
}

// add loads unit in the given states (a running one gets a run of its own).
func (f *fakeManager) add(unit, active, sub string) *fakeUnit {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextInv++
	u := &fakeUnit{load: "loaded", active: active, sub: sub, invocation: []byte{0xfa, f.nextInv}, result: "success", holders: map[string][]string{}}
	if state.HasProcesses(active) {
		u.mainPID, u.execStart = 1000+uint32(f.nextInv), usec(time.Now())
	}
	f.units[unit] = u
	return u
}

// state returns unit's active state ("" when it is not loaded).
func (f *fakeManager) state(unit string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u := f.units[unit]; u != nil {
		return u.active
	}
	return ""
}

// called returns the calls made so far whose text starts with prefix.
func (f *fakeManager) called(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// call records a call and returns the error it was told to fail with.
func (f *fakeManager) call(method, unit string) error {
	f.calls = append(f.calls, strings.TrimSpace(method+" "+unit))
	if f.onCall != nil {
		f.onCall(method, unit)
	}
	if err := f.fail[method+" "+unit]; err != nil {
		return err
	}
	return f.fail[method]
}

func (f *fakeManager) status(name string, u *fakeUnit) sddbus.UnitStatus {
	if u == nil {
		return systemd.NotLoaded(name)
	}
	return sddbus.UnitStatus{Name: name, LoadState: u.load, ActiveState: u.active, SubState: u.sub, JobPath: "/"}
}

// announce sends unit's properties as systemd's signals of a change.
func (f *fakeManager) announce(name string, u *fakeUnit) {
	if f.signals == nil {
		return
	}
	p := dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + unitgen.BusPathLabel(name))
	sig := func(iface string, props map[string]any) *dbus.Signal {
		changed := map[string]dbus.Variant{}
		for k, v := range props {
			changed[k] = dbus.MakeVariant(v)
		}
		return &dbus.Signal{Name: "org.freedesktop.DBus.Properties.PropertiesChanged", Path: p, Body: []any{iface, changed, []string{}}}
	}
	f.signals <- sig("org.freedesktop.systemd1.Service", f.serviceProps(u))
	f.signals <- sig("org.freedesktop.systemd1.Unit", map[string]any{"InvocationID": u.invocation, "ActiveState": u.active, "SubState": u.sub})
}

func (f *fakeManager) serviceProps(u *fakeUnit) map[string]any {
	if u == nil {
		return nil
	}
	return map[string]any{"ExecMainCode": u.execCode, "ExecMainStatus": u.execStatus, "MainPID": u.mainPID, "Result": u.result,
		"NRestarts": uint32(0), "ExecMainStartTimestamp": u.execStart, "ExecMainExitTimestamp": u.execExit}
}

// run begins a new run of unit and returns its start job's result. A job that fails for its
// dependency begins none.
func (f *fakeManager) run(name string, u *fakeUnit) string {
	if f.outcome[name].jobResult == "dependency" {
		return "dependency"
	}
	f.nextInv++
	u.invocation, u.active, u.sub, u.result = []byte{0xfa, f.nextInv}, "active", "running", "success"
	u.execCode, u.execStatus, u.mainPID, u.execStart, u.execExit = 0, 0, 2000+uint32(f.nextInv), usec(time.Now()), 0
	f.announce(name, u)
	o := f.outcome[name]
	if o.exitStatus != 0 {
		u.execCode, u.execStatus, u.mainPID, u.execExit, u.result = 1, o.exitStatus, 0, usec(time.Now()), "exit-code"
		u.active, u.sub = "failed", "failed"
		f.announce(name, u)
	}
	if o.jobResult != "" {
		return o.jobResult
	}
	return "done"
}

// end stops unit's run: by signal sig, cleanly (15) or not (9, the unit fails).
func (f *fakeManager) end(name string, u *fakeUnit, sig int32) {
	u.active, u.sub = "deactivating", "stop-sigterm"
	f.announce(name, u)
	u.execCode, u.execStatus, u.mainPID, u.execExit = 2, sig, 0, usec(time.Now())
	u.active, u.sub, u.result = "inactive", "dead", "success"
	if sig == 9 {
		u.active, u.sub, u.result = "failed", "failed", "signal"
	}
	f.announce(name, u)
}

// job numbers a new job and hands its result to ch, as go-systemd does once systemd says the
// job was removed.
func (f *fakeManager) job(ch chan<- string, result string) int {
	f.nextJob++
	if ch != nil && !f.loseResults {
		ch <- result
	}
	return f.nextJob
}

func (f *fakeManager) ListUnitsByPatternsContext(ctx context.Context, states, patterns []string) ([]sddbus.UnitStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ListUnitsByPatterns", strings.Join(patterns, ",")); err != nil {
		return nil, err
	}
	var out []sddbus.UnitStatus
	for name, u := range f.units {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				out = append(out, f.status(name, u))
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeManager) ListUnitsByNamesContext(ctx context.Context, units []string) ([]sddbus.UnitStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ListUnitsByNames", strings.Join(units, ",")); err != nil {
		return nil, err
	}
	var out []sddbus.UnitStatus
	for _, n := range units {
		out = append(out, f.status(n, f.units[n]))
	}
	return out, nil
}

func (f *fakeManager) GetUnitPropertiesContext(ctx context.Context, unit string) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("GetUnitProperties", unit); err != nil {
		return nil, err
	}
	u := f.units[unit]
	if u == nil {
		return map[string]any{"LoadState": "not-found", "ActiveState": "inactive", "SubState": "dead", "InvocationID": []byte{}}, nil
	}
	props := map[string]any{"LoadState": u.load, "ActiveState": u.active, "SubState": u.sub, "InvocationID": u.invocation, "CanReload": u.canReload}
	for k, v := range u.holders {
		props[k] = v
	}
	return props, nil
}

func (f *fakeManager) GetUnitTypePropertiesContext(ctx context.Context, unit, unitType string) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("GetUnitTypeProperties", unit); err != nil {
		return nil, err
	}
	u := f.units[unit]
	if u == nil {
		return nil, noSuchUnit(unit)
	}
	return f.serviceProps(u), nil
}

func (f *fakeManager) GetUnitTypePropertyContext(ctx context.Context, unit, unitType, propertyName string) (*sddbus.Property, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("GetUnitTypeProperty", unit); err != nil {
		return nil, err
	}
	u := f.units[unit]
	if u != nil && propertyName == "StatusText" {
		return &sddbus.Property{Name: propertyName, Value: dbus.MakeVariant(u.statusText)}, nil
	}
	if v, ok := f.serviceProps(u)[propertyName]; u != nil && ok {
		return &sddbus.Property{Name: propertyName, Value: dbus.MakeVariant(v)}, nil
	}
	if u == nil || propertyName != "Environment" {
		return nil, noSuchUnit(unit)
	}
	env := []string{"HOME=/root"}
	if u.definition != "" {
		env = append(env, unitgen.DefinitionVar+"="+u.definition)
	}
	return &sddbus.Property{Name: propertyName, Value: dbus.MakeVariant(env)}, nil
}

func (f *fakeManager) StartTransientUnitContext(ctx context.Context, name, mode string, properties []sddbus.Property, ch chan<- string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("StartTransientUnit", name); err != nil {
		return 0, err
	}
	if f.units[name] != nil {
		return 0, dbus.Error{Name: systemd.UnitExists, Body: []any{"Unit " + name + " was already loaded or has a fragment file."}}
	}
	u := &fakeUnit{load: "loaded", holders: map[string][]string{}}
	for _, p := range properties {
		names, _ := p.Value.Value().([]string)
		switch p.Name {
		case "Environment":
			for _, kv := range names {
				if v, ok := strings.CutPrefix(kv, unitgen.DefinitionVar+"="); ok {
					u.definition = v
				}
			}
		case "ExecReload":
			u.canReload = true
		case "Requires":
			// systemd refuses a unit whose requirement it cannot load.
			for _, r := range names {
				if f.units[r] == nil {
					return 0, dbus.Error{Name: systemd.NoSuchUnit, Body: []any{"Unit " + r + " not found."}}
				}
			}
		}
	}
	f.units[name] = u
	return f.job(ch, f.run(name, u)), nil
}

func (f *fakeManager) StartUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("StartUnit", name); err != nil {
		return 0, err
	}
	u := f.units[name]
	if u == nil {
		return 0, noSuchUnit(name)
	}
	if state.Up(u.active) {
		return f.job(ch, "done"), nil
	}
	return f.job(ch, f.run(name, u)), nil
}

func (f *fakeManager) StopUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("StopUnit", name); err != nil {
		return 0, err
	}
	u := f.units[name]
	if u == nil {
		return 0, noSuchUnit(name)
	}
	f.stopWithDependents(name, u)
	if r := f.outcome[name].stopResult; r != "" {
		return f.job(ch, r), nil
	}
	return f.job(ch, "done"), nil
}

// ReloadUnitContext runs a reload job of a running unit that has an ExecReload=, as systemd does
// (its result is the outcome's reloadResult, done by default).
func (f *fakeManager) ReloadUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ReloadUnit", name); err != nil {
		return 0, err
	}
	u := f.units[name]
	switch {
	case u == nil:
		return 0, noSuchUnit(name)
	case !u.canReload:
		return 0, dbus.Error{Name: "org.freedesktop.systemd1.JobTypeNotApplicable", Body: []any{"Job type reload is not applicable for unit " + name + "."}}
	}
	u.reloads++
	result := f.outcome[name].reloadResult
	if result == "" {
		result = "done"
	}
	return f.job(ch, result), nil
}

// stopWithDependents stops unit, after the running units that require it when cascade is set.
func (f *fakeManager) stopWithDependents(name string, u *fakeUnit) {
	if f.cascade {
		for _, d := range u.holders["RequiredBy"] {
			if du := f.units[d]; du != nil && state.HasProcesses(du.active) {
				f.stopWithDependents(d, du)
			}
		}
	}
	if state.HasProcesses(u.active) {
		f.end(name, u, 15)
	}
}

func (f *fakeManager) KillUnitWithTarget(ctx context.Context, name string, target sddbus.Who, signal int32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("KillUnit", fmt.Sprintf("%s %s %d", name, target, signal)); err != nil {
		return err
	}
	u := f.units[name]
	if u == nil {
		return noSuchUnit(name)
	}
	if state.HasProcesses(u.active) {
		f.end(name, u, signal)
	}
	return nil
}

func (f *fakeManager) ResetFailedUnitContext(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ResetFailedUnit", name); err != nil {
		return err
	}
	u := f.units[name]
	if u == nil {
		return noSuchUnit(name)
	}
	if u.active == "failed" {
		u.active, u.sub, u.result = "inactive", "dead", "success"
	}
	if f.gcOnReset && !state.HasProcesses(u.active) && !f.referenced(name) {
		delete(f.units, name)
	}
	return nil
}

// referenced reports whether a loaded unit refers to name (names one of its holders).
func (f *fakeManager) referenced(name string) bool {
	for _, refs := range f.units[name].holders {
		for _, r := range refs {
			if f.units[r] != nil {
				return true
			}
		}
	}
	return false
}

// testSet builds a config set from service files (name -> TOML), problems and all.
func testSet(t *testing.T, files map[string]string) *config.Set {
	t.Helper()
	var fs []config.File
	for name, data := range files {
		fs = append(fs, config.File{Name: name, Data: []byte(data)})
	}
	set, _ := config.Build(fs)
	return set
}

// service is a long-running service file with the given dependencies section (TOML lines).
func service(deps string) string {
	return "exec = [\"/bin/sleep\", \"infinity\"]\n[dependencies]\n" + deps + "\n"
}

// testBridge is a Bridge over the fake manager, a real ledger in a temporary directory and a
// fake journal, with its recorder running on the fake's signals and its events collected.
type testBridge struct {
	*Bridge
	sd     *fakeManager
	jrnl   *journaltest.Memory
	ledger jobdb.Ledger
	ctx    context.Context

	mu     sync.Mutex
	events []Event
}

// unit is the unit name of service name in the default context.
func unit(name string) string { return unitgen.UnitName(config.DefaultContext, name) }

// newTestBridge makes a bridge for the services of files (see testBridge); it is closed when the
// test ends.
func newTestBridge(t *testing.T, files map[string]string) *testBridge {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	db, err := jobdb.Open(context.Background(), filepath.Join(t.TempDir(), "jobs.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tb := &testBridge{sd: newFakeManager(), jrnl: &journaltest.Memory{}, ledger: db, ctx: ctx}
	sd, err := systemd.New(tb.sd, connectBus(t, ctx, tb.sd), log)
	if err != nil {
		t.Fatal(err)
	}
	opts := withDefaults(Options{ConfigDir: "/etc/hero", EnvDir: filepath.Join(t.TempDir(), "env"), BootID: "b1", Journal: tb.jrnl, Log: log})
	b := assemble(ctx, sd, db, testSet(t, files), opts)
	tb.sd.signals = b.rec.In()
	b.rec.Run()
	t.Cleanup(b.rec.Close)
	b.revive.begin()
	t.Cleanup(func() { tb.revive.stop() }) // before the ledger closes (a new reviver may replace it)
	b.OnEvent(func(e Event) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		tb.events = append(tb.events, e)
	})
	tb.Bridge = b
	return tb
}

// eventsOf returns the kinds of the events of service so far ("kind:state").
func (tb *testBridge) eventsOf(service string) []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	var out []string
	for _, e := range tb.events {
		if e.Service == service {
			out = append(out, e.Kind+":"+e.State)
		}
	}
	return out
}

// running loads the units of services as running (of their current definitions), each with a
// run the recorder has recorded.
func (tb *testBridge) running(t *testing.T, services ...string) {
	t.Helper()
	var units []string
	for _, s := range services {
		tb.load(t, s, "active", "running")
		tb.sd.mu.Lock()
		tb.sd.announce(unit(s), tb.sd.units[unit(s)])
		tb.sd.mu.Unlock()
		units = append(units, unit(s))
	}
	if !tb.rec.WaitUntil(tb.ctx, 10*time.Second, units, func(v *recording.View) bool { return v.JobID() != 0 && !v.Ended() }) {
		t.Fatalf("the runs of %v were not recorded", services)
	}
}

// sortedCopy returns s sorted.
func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// load loads service name's unit in systemd in the given states, created from its current
// definition.
func (tb *testBridge) load(t *testing.T, name, active, sub string) {
	t.Helper()
	gen, err := tb.svc.unit(tb.Config(), tb.Config().Service(name))
	if err != nil {
		t.Fatal(err)
	}
	u := tb.sd.add(unit(name), active, sub)
	tb.sd.mu.Lock()
	u.definition = gen.Definition
	tb.sd.mu.Unlock()
}

// job adds an ended job of service to the ledger, in phase.
func (tb *testBridge) job(t *testing.T, service string, phase jobdb.Phase) *jobdb.Job {
	t.Helper()
	start := time.Now().Add(-time.Minute).UTC()
	end := start.Add(time.Second)
	j := &jobdb.Job{ServiceID: service, Context: config.DefaultContext, Unit: unit(service), InvocationID: fmt.Sprintf("%x", start.UnixNano()),
		BootID: "b1", Phase: phase, Result: "exit-code", StartedAt: start, EndedAt: &end}
	if err := tb.ledger.Create(tb.ctx, j); err != nil {
		t.Fatal(err)
	}
	return j
}

// usec is t in systemd's µs timestamps.
func usec(t time.Time) uint64 { return uint64(t.UnixMicro()) }

// testEventually waits up to 10 s for cond, checking every 10 ms.
func testEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !poll.Holds(context.Background(), 10*time.Second, 10*time.Millisecond, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}
