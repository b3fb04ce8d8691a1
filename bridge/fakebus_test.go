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

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
)

// connectBus returns a connection to a fake bus on which systemd's job calls (StartTransientUnit,
// StartUnit, StopUnit, ReloadUnit) are answered by sd, and each job's end is announced as
// systemd's JobRemoved signal, after the call's reply, as systemd does (none when sd loses
// results).
func connectBus(t *testing.T, ctx context.Context, sd *fakeManager) *dbus.Conn {
	t.Helper()
	client, server := net.Pipe()
	go serveBus(ctx, server, sd)
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
	return conn
}

// authenticate is the bus's side of SASL EXTERNAL, up to BEGIN.
func authenticate(conn net.Conn, r *bufio.Reader) bool {
	if _, err := r.ReadByte(); err != nil { // the client's NUL byte
		return false
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		switch {
		case strings.HasPrefix(line, "AUTH EXTERNAL"):
			fmt.Fprint(conn, "OK 0123456789abcdef0123456789abcdef\r\n")
		case strings.HasPrefix(line, "AUTH"):
			fmt.Fprint(conn, "REJECTED EXTERNAL\r\n")
		case strings.HasPrefix(line, "BEGIN"):
			return true
		default:
			fmt.Fprint(conn, "ERROR\r\n")
		}
	}
}

// serveBus is the bus's side of conn: SASL EXTERNAL, Hello, AddMatch, and systemd's job calls,
// answered from sd.
func serveBus(ctx context.Context, conn net.Conn, sd *fakeManager) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	if !authenticate(conn, r) {
		return
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
		body, job, result, callErr := answer(ctx, sd, member, m.Body)
		send(reply(m, body, callErr))
		if result != "" {
			send(jobRemoved(job, m.Body[0], result))
		}
	}
}

// answer answers a call of member with args from sd: its reply's body, and for a job call the
// job and its result ("" when sd loses it).
func answer(ctx context.Context, sd *fakeManager, member string, args []any) (body []any, job int, result string, err error) {
	ch := make(chan string, 1)
	switch member {
	case "Hello":
		return []any{":1.1"}, 0, "", nil
	case "AddMatch":
		return nil, 0, "", nil
	case "StartTransientUnit":
		job, err = sd.StartTransientUnitContext(ctx, args[0].(string), args[1].(string), properties(args[2]), ch)
	case "StartUnit":
		job, err = sd.StartUnitContext(ctx, args[0].(string), args[1].(string), ch)
	case "StopUnit":
		job, err = sd.StopUnitContext(ctx, args[0].(string), args[1].(string), ch)
	case "ReloadUnit":
		job, err = sd.ReloadUnitContext(ctx, args[0].(string), args[1].(string), ch)
	default:
		return nil, 0, "", dbus.Error{Name: "org.freedesktop.DBus.Error.UnknownMethod", Body: []any{member}}
	}
	if err != nil {
		return nil, 0, "", err
	}
	select {
	case result = <-ch:
	default:
	}
	return []any{systemd.JobPath(job)}, job, result, nil
}

// reply is the reply to call m: body, or err as a D-Bus error (an error of no D-Bus name is
// AccessDenied).
func reply(m *dbus.Message, body []any, err error) *dbus.Message {
	r := &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldReplySerial: dbus.MakeVariant(m.Serial())}, Body: body}
	var de dbus.Error
	switch {
	case errors.As(err, &de):
		r.Type, r.Body = dbus.TypeError, []any{fmt.Sprint(de.Body...)}
		r.Headers[dbus.FieldErrorName] = dbus.MakeVariant(de.Name)
	case err != nil:
		r.Type, r.Body = dbus.TypeError, []any{err.Error()}
		r.Headers[dbus.FieldErrorName] = dbus.MakeVariant("org.freedesktop.DBus.Error.AccessDenied")
	}
	if len(r.Body) > 0 {
		r.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(r.Body...))
	}
	return r
}

// jobRemoved is systemd's JobRemoved signal of job (id, path, unit, result).
func jobRemoved(job int, unit any, result string) *dbus.Message {
	return &dbus.Message{Type: dbus.TypeSignal, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldPath:      dbus.MakeVariant(dbus.ObjectPath("/org/freedesktop/systemd1")),
		dbus.FieldInterface: dbus.MakeVariant("org.freedesktop.systemd1.Manager"),
		dbus.FieldMember:    dbus.MakeVariant("JobRemoved"),
		dbus.FieldSender:    dbus.MakeVariant("org.freedesktop.systemd1"),
		dbus.FieldSignature: dbus.MakeVariant(dbus.SignatureOf(uint32(0), dbus.ObjectPath(""), "", "")),
	}, Body: []any{uint32(job), systemd.JobPath(job), unit, result}}
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
