package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// connectBus gives tb's bridge a connection for the calls a start pipelines (b.sig) to a fake
// bus: its StartTransientUnit calls are answered by the fake manager, and each job's end is
// announced to the bridge's job watch as systemd's JobRemoved signal.
func (tb *testBridge) connectBus(t *testing.T) {
	t.Helper()
	client, server := net.Pipe()
	w := &jobWatch{in: make(chan *dbus.Signal, 64), ended: map[dbus.ObjectPath]string{}, waiting: map[dbus.ObjectPath]func(string){}}
	go w.run()
	go serveBus(tb.ctx, server, tb.sd, w.in)
	conn, err := dbus.NewConn(client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal("0")}); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	tb.sig, tb.jobs = conn, w
}

// serveBus is the bus's side of conn: SASL EXTERNAL, Hello, and systemd's StartTransientUnit,
// answered from sd; JobRemoved signals go to jobSignals.
func serveBus(ctx context.Context, conn net.Conn, sd *fakeManager, jobSignals chan<- *dbus.Signal) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	if _, err := r.ReadByte(); err != nil { // the client's NUL byte
		return
	}
	for begun := false; !begun; {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch {
		case strings.HasPrefix(line, "AUTH EXTERNAL"):
			fmt.Fprint(conn, "OK 0123456789abcdef0123456789abcdef\r\n")
		case strings.HasPrefix(line, "AUTH"):
			fmt.Fprint(conn, "REJECTED EXTERNAL\r\n")
		case strings.HasPrefix(line, "BEGIN"):
			begun = true
		default:
			fmt.Fprint(conn, "ERROR\r\n")
		}
	}
	var serial uint32
	send := func(m *dbus.Message) {
		var buf bytes.Buffer
		if err := m.EncodeTo(&buf, binary.LittleEndian); err != nil {
			panic(err)
		}
		serial++
		b := buf.Bytes()
		binary.LittleEndian.PutUint32(b[8:12], serial) // the serial is not settable: patch it
		conn.Write(b)
	}
	for {
		m, err := dbus.DecodeMessage(r)
		if err != nil {
			return
		}
		if m.Type != dbus.TypeMethodCall {
			continue
		}
		member, _ := m.Headers[dbus.FieldMember].Value().(string)
		var body []any
		var callErr error
		var job int
		var result string
		switch member {
		case "Hello":
			body = []any{":1.1"}
		case "StartTransientUnit":
			name, _ := m.Body[0].(string)
			mode, _ := m.Body[1].(string)
			ch := make(chan string, 1)
			job, callErr = sd.StartTransientUnitContext(ctx, name, mode, properties(m.Body[2]), ch)
			if callErr == nil {
				body, result = []any{jobPath(job)}, <-ch
			}
		default:
			callErr = dbus.Error{Name: "org.freedesktop.DBus.Error.UnknownMethod", Body: []any{member}}
		}
		reply := &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldReplySerial: dbus.MakeVariant(m.Serial())}, Body: body}
		var de dbus.Error
		switch {
		case errors.As(callErr, &de):
			reply.Type, reply.Body = dbus.TypeError, []any{fmt.Sprint(de.Body...)}
			reply.Headers[dbus.FieldErrorName] = dbus.MakeVariant(de.Name)
		case callErr != nil:
			reply.Type, reply.Body = dbus.TypeError, []any{callErr.Error()}
			reply.Headers[dbus.FieldErrorName] = dbus.MakeVariant("org.freedesktop.DBus.Error.AccessDenied")
		}
		reply.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(reply.Body...))
		send(reply)
		if result != "" {
			jobSignals <- &dbus.Signal{Name: jobRemoved, Body: []any{uint32(job), jobPath(job), m.Body[0], result}}
		}
	}
}

// properties are a StartTransientUnit call's a(sv) as the bus decoded them.
func properties(v any) []sddbus.Property {
	var out []sddbus.Property
	list, _ := v.([][]any)
	for _, p := range list {
		if len(p) == 2 {
			name, _ := p[0].(string)
			value, _ := p[1].(dbus.Variant)
			out = append(out, sddbus.Property{Name: name, Value: value})
		}
	}
	return out
}
