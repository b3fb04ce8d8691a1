package daemon

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// managedReply is GetManagedObjects' reply as herod builds it for n running services that
// require one root, each with one kept job.
func managedReply(n int) map[dbus.ObjectPath]map[string]map[string]dbus.Variant {
	out := make(map[dbus.ObjectPath]map[string]map[string]dbus.Variant, 2*n)
	for i := 1; i <= n; i++ {
		st := runningStatus(i)
		name, job := st.Service, st.LastJob
		props := serviceProps(st, enablement{State: disabledState, By: byConfig}, []int64{job.ID})
		out[dbus.ObjectPath(api.ServicePath(name))] = map[string]map[string]dbus.Variant{api.ServiceInterface: props}
		out[dbus.ObjectPath(api.JobPath(job.ID))] = map[string]map[string]dbus.Variant{api.JobInterface: viewOf(job).props()}
	}
	return out
}

// runningStatus is the status of the i-th of managedReply's services, its job the i-th.
func runningStatus(i int) bridge.Status {
	began := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	name := fmt.Sprintf("svc%05d", i)
	job := &jobdb.Job{ID: int64(i), ServiceID: name, Context: "default", Unit: "hero-default-" + name + ".service",
		InvocationID: "6d2f1c5e8a9b4f0e9d7c3b2a1f0e9d8c", Phase: jobdb.PhaseRunning, MainPID: 1000 + i, StartedAt: began}
	return bridge.Status{Service: name, Context: "default", Unit: job.Unit, Description: "service " + name,
		State: "running", LoadState: "loaded", ActiveState: "active", SubState: "running",
		Requires: []string{"root"}, After: []string{"root"}, Conflicts: []string{}, Wants: []string{},
		MainPID: 1000 + i, LastJob: job}
}

// BenchmarkServiceProps is what a refresh of a service's object costs to make its properties
// (twice per changed service: before and after, for PropertiesChanged).
//
//	go test ./cmd/internal/daemon -run '^$' -bench ServiceProps
func BenchmarkServiceProps(b *testing.B) {
	st := runningStatus(1)
	b.ReportAllocs()
	for range b.N {
		serviceProps(st, enablement{State: disabledState, By: byConfig}, []int64{st.LastJob.ID})
	}
}

func replyMessage(body any) *dbus.Message {
	return &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldReplySerial: dbus.MakeVariant(uint32(1)),
		dbus.FieldSignature:   dbus.MakeVariant(dbus.SignatureOf(body)),
	}, Body: []any{body}}
}

// BenchmarkManagedObjectsReply is the floor of GetManagedObjects with 5,000 running services:
// what godbus takes to encode herod's reply (herod's side) and to decode it into the map a Go
// client asks for (the client's side), in one process, without a bus.
//
//	go test ./cmd/internal/daemon -run '^$' -bench ManagedObjectsReply -benchtime 5x
func BenchmarkManagedObjectsReply(b *testing.B) {
	msg := replyMessage(managedReply(5000))
	var wire bytes.Buffer
	if err := msg.EncodeTo(&wire, binary.LittleEndian); err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		for range b.N {
			var buf bytes.Buffer
			if err := msg.EncodeTo(&buf, binary.LittleEndian); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(wire.Len())/1e6, "MB/reply")
	})
	b.Run("decode", func(b *testing.B) {
		for range b.N {
			got, err := dbus.DecodeMessage(bytes.NewReader(wire.Bytes()))
			if err != nil {
				b.Fatal(err)
			}
			var objs map[dbus.ObjectPath]map[string]map[string]dbus.Variant
			if err := dbus.Store(got.Body, &objs); err != nil || len(objs) != 10000 {
				b.Fatalf("decoded %d objects: %v", len(objs), err)
			}
		}
	})
}

// BenchmarkListUnitsReply compares ListUnits' structs with ListServices' dictionaries for
// 5,000 services, encoded and decoded by godbus as above.
//
//	go test ./cmd/internal/daemon -run '^$' -bench ListUnitsReply -benchtime 5x
func BenchmarkListUnitsReply(b *testing.B) {
	var rows []api.UnitRow
	var dicts []map[string]dbus.Variant
	for path, ifaces := range managedReply(5000) {
		props, ok := ifaces[api.ServiceInterface]
		if !ok {
			continue
		}
		name, _ := api.ServiceName(string(path))
		rows = append(rows, api.UnitRow{Service: name, Unit: "hero-default-" + name + ".service", Description: "service " + name,
			LoadState: "loaded", ActiveState: "active", SubState: "running", State: "running", Enabled: disabledState, EnabledBy: byConfig})
		dicts = append(dicts, props)
	}
	for _, c := range []struct {
		name string
		body any
		out  func() any
	}{
		{"ListUnits", rows, func() any { return new([]api.UnitRow) }},
		{"ListServices", dicts, func() any { return new([]map[string]dbus.Variant) }},
	} {
		msg := replyMessage(c.body)
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				var buf bytes.Buffer
				if err := msg.EncodeTo(&buf, binary.LittleEndian); err != nil {
					b.Fatal(err)
				}
				got, err := dbus.DecodeMessage(&buf)
				if err != nil {
					b.Fatal(err)
				}
				if err := dbus.Store(got.Body, c.out()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
