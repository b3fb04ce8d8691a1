package daemon

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// exported lists the D-Bus methods godbus exports for v, as conn.Export does: exported Go
// methods whose last result is *dbus.Error, their dbus.Sender and dbus.Message parameters
// filled in by godbus rather than sent. Each maps to its "in -> out" signature.
func exported(v any) map[string]string {
	errType := reflect.TypeOf((*dbus.Error)(nil))
	skip := map[reflect.Type]bool{reflect.TypeOf(dbus.Sender("")): true, reflect.TypeOf(dbus.Message{}): true}
	out := map[string]string{}
	t := reflect.TypeOf(v)
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		ft := m.Type
		if ft.NumOut() == 0 || ft.Out(ft.NumOut()-1) != errType {
			continue
		}
		var in, res strings.Builder
		for j := 1; j < ft.NumIn(); j++ { // 0 is the receiver
			if !skip[ft.In(j)] {
				in.WriteString(dbus.SignatureOfType(ft.In(j)).String())
			}
		}
		for j := 0; j < ft.NumOut()-1; j++ {
			res.WriteString(dbus.SignatureOfType(ft.Out(j)).String())
		}
		out[m.Name] = in.String() + " -> " + res.String()
	}
	return out
}

// documented lists the methods of an interface's introspection data the same way, and its
// signals and properties with their signatures.
func documented(t *testing.T, xml string) (methods, signals, props map[string]string) {
	t.Helper()
	ms, err := api.Members(xml)
	if err != nil {
		t.Fatal(err)
	}
	methods, signals, props = map[string]string{}, map[string]string{}, map[string]string{}
	for _, m := range ms {
		switch m.Kind {
		case "method":
			methods[m.Name] = api.Signature(m.In) + " -> " + api.Signature(m.Out)
		case "signal":
			signals[m.Name] = api.Signature(m.In)
		case "property":
			props[m.Name] = m.Type
		}
	}
	return
}

func compare(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	names := map[string]bool{}
	for k := range got {
		names[k] = true
	}
	for k := range want {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		g, inGot := got[k]
		w, inWant := want[k]
		switch {
		case !inWant:
			t.Errorf("%s: %s %q is exported but not in the introspection data", what, k, g)
		case !inGot:
			t.Errorf("%s: %s %q is in the introspection data but not exported", what, k, w)
		case g != w:
			t.Errorf("%s: %s is exported as %q, documented as %q", what, k, g, w)
		}
	}
}

// The introspection data herod serves is what it exports: every method with its signature,
// every property with its type, no more and no less.
func TestIntrospectionMatchesExports(t *testing.T) {
	for _, tt := range []struct {
		iface string
		xml   string
		v     any
	}{
		{api.Interface, api.ManagerXML, &manager{}},
		{api.ServiceInterface, api.ServiceXML, &serviceObject{}},
		{api.JobInterface, api.JobXML, struct{}{}},
		{api.ObjectManagerInterface, api.ObjectManagerXML, objectManager{}},
		{api.PropertiesInterface, api.PropertiesXML, properties{}},
		{api.IntrospectableInterface, api.IntrospectableXML, introspectable{}},
	} {
		methods, _, _ := documented(t, tt.xml)
		compare(t, tt.iface+" methods", exported(tt.v), methods)
	}

	_, _, props := documented(t, api.ServiceXML)
	compare(t, api.ServiceInterface+" properties", signatures(serviceProps(bridge.Status{}, enablement{}, nil)), props)
	// A service with a last job has the same properties, of the same types.
	code := 3
	ended := time.Now()
	last := &jobdb.Job{ID: 7, ServiceID: "db", Phase: jobdb.PhaseFailed, ExitCode: &code, EndedAt: &ended, StartedAt: ended}
	compare(t, api.ServiceInterface+" properties with a job", signatures(serviceProps(bridge.Status{LastJob: last}, enablement{}, []int64{7})), props)

	_, _, props = documented(t, api.JobXML)
	compare(t, api.JobInterface+" properties", signatures(viewOf(last).props()), props)
}

// The signals herod emits are the ones documented, with their signatures.
func TestSignalsAreDocumented(t *testing.T) {
	_, signals, _ := documented(t, api.ManagerXML)
	emitted := map[string]string{
		api.SignalJobStarted:          dbus.SignatureOf("", int64(0)).String(),
		api.SignalJobFinished:         dbus.SignatureOf("", int64(0), "").String(),
		api.SignalServiceStateChanged: dbus.SignatureOf("", "").String(),
		api.SignalOperationProgress:   dbus.SignatureOf(uint64(0), "", "", int64(0), "").String(),
		api.SignalOperationFinished:   dbus.SignatureOf(uint64(0), "", "", map[string]dbus.Variant{}).String(),
	}
	compare(t, api.Interface+" signals", emitted, signals)
	_, signals, _ = documented(t, api.ObjectManagerXML)
	compare(t, api.ObjectManagerInterface+" signals", map[string]string{
		api.SignalInterfacesAdded:   dbus.SignatureOf(dbus.ObjectPath("/"), map[string]map[string]dbus.Variant{}).String(),
		api.SignalInterfacesRemoved: dbus.SignatureOf(dbus.ObjectPath("/"), []string{}).String(),
	}, signals)
	_, signals, _ = documented(t, api.PropertiesXML)
	compare(t, api.PropertiesInterface+" signals", map[string]string{
		api.SignalPropertiesChanged: dbus.SignatureOf("", map[string]dbus.Variant{}, []string{}).String(),
	}, signals)
}

func signatures(props map[string]dbus.Variant) map[string]string {
	out := make(map[string]string, len(props))
	for k, v := range props {
		out[k] = v.Signature().String()
	}
	return out
}
