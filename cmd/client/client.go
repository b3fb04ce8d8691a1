// Package client is heroctl's typed client of herod's D-Bus API (org.hero.Proc1). It never opens
// the ledger or talks to systemd itself.
package client

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/cmd/api"
)

// Client calls herod.
type Client struct {
	conn *dbus.Conn
	obj  dbus.BusObject
}

// Dial connects to herod's bus: address if given (or $HERO_BUS_ADDRESS), else the session bus
// for user, else the system bus.
func Dial(ctx context.Context, user bool, address string) (*Client, error) {
	if address == "" {
		address = os.Getenv("HERO_BUS_ADDRESS")
	}
	var conn *dbus.Conn
	var err error
	opts := []dbus.ConnOption{dbus.WithContext(ctx), dbus.WithSignalHandler(dbus.NewSequentialSignalHandler())}
	switch {
	case address != "":
		conn, err = dbus.Connect(address, opts...)
	case user:
		conn, err = dbus.ConnectSessionBus(opts...)
	default:
		conn, err = dbus.ConnectSystemBus(opts...)
	}
	if err != nil {
		return nil, &Error{Name: ErrNoBus, Message: err.Error()}
	}
	return &Client{conn: conn, obj: conn.Object(api.BusName, api.Path)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// ErrNoBus names the failure to reach the bus at all.
const ErrNoBus = "org.hero.Proc1.Client.NoBus"

// Error is a D-Bus error from herod or the bus, by name.
type Error struct {
	Name    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Is reports the error's name, so callers can use errors.As and switch on Name.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

func wrap(method string, err error) error {
	if err == nil {
		return nil
	}
	var de dbus.Error
	if errors.As(err, &de) {
		msg := de.Error()
		if len(de.Body) > 0 {
			if s, ok := de.Body[0].(string); ok {
				msg = s
			}
		}
		return &Error{Name: de.Name, Message: msg}
	}
	return &Error{Name: api.ErrFailed, Message: fmt.Sprintf("%s: %v", method, err)}
}

func (c *Client) call(ctx context.Context, method string, out []any, args ...any) error {
	call := c.obj.CallWithContext(ctx, api.Interface+"."+method, 0, args...)
	if call.Err != nil {
		return wrap(method, call.Err)
	}
	return wrap(method, call.Store(out...))
}

// Start asks herod to start name (and its requires closure).
func (c *Client) Start(ctx context.Context, name string, replace bool) (started []string, already bool, err error) {
	err = c.call(ctx, api.MethodStart, []any{&started, &already}, name, replace)
	return
}

// StartMany starts several services together.
func (c *Client) StartMany(ctx context.Context, names []string, replace bool) (started []string, err error) {
	err = c.call(ctx, api.MethodStartMany, []any{&started}, names, replace)
	return
}

// StopReply is herod's answer to Stop; its JSON is what `heroctl stop -o json` prints.
type StopReply struct {
	OK                bool     `json:"ok"`
	Cancelled         uint32   `json:"cancelled"`
	StoppedDependents []string `json:"stopped_dependents"`
}

// Stop stops name and its dependents.
func (c *Client) Stop(ctx context.Context, name string, removeJobs bool) (StopReply, error) {
	var r StopReply
	err := c.call(ctx, api.MethodStop, []any{&r.OK, &r.Cancelled, &r.StoppedDependents}, name, removeJobs)
	if r.StoppedDependents == nil {
		r.StoppedDependents = []string{}
	}
	return r, err
}

// Restart restarts name and the dependents that ran.
func (c *Client) Restart(ctx context.Context, name string) (started []string, err error) {
	err = c.call(ctx, api.MethodRestart, []any{&started}, name)
	return
}

// Kill signals name's processes.
func (c *Client) Kill(ctx context.Context, name string, signal int32) error {
	return c.call(ctx, api.MethodKill, nil, name, signal)
}

// ResetFailed resets name's failed state.
func (c *Client) ResetFailed(ctx context.Context, name string) error {
	return c.call(ctx, api.MethodResetFailed, nil, name)
}

// Reload makes herod read its config directory again.
func (c *Client) Reload(ctx context.Context) (services uint32, err error) {
	err = c.call(ctx, api.MethodReload, []any{&services})
	return
}

// Status returns name's status dictionary.
func (c *Client) Status(ctx context.Context, name string) (Status, error) {
	var d map[string]dbus.Variant
	if err := c.call(ctx, api.MethodStatus, []any{&d}, name); err != nil {
		return Status{}, err
	}
	return statusFrom(d), nil
}

// ListServices returns every service's status.
func (c *Client) ListServices(ctx context.Context) ([]Status, error) {
	var ds []map[string]dbus.Variant
	if err := c.call(ctx, api.MethodListServices, []any{&ds}); err != nil {
		return nil, err
	}
	out := make([]Status, len(ds))
	for i, d := range ds {
		out[i] = statusFrom(d)
	}
	return out, nil
}

// ListJobs returns name's jobs, newest first.
func (c *Client) ListJobs(ctx context.Context, name string) ([]Job, error) {
	var ds []map[string]dbus.Variant
	if err := c.call(ctx, api.MethodListJobs, []any{&ds}, name); err != nil {
		return nil, err
	}
	out := make([]Job, len(ds))
	for i, d := range ds {
		out[i] = jobFrom(d)
	}
	return out, nil
}

// JobOutput returns the output kept for a job of name (0: the latest).
func (c *Client) JobOutput(ctx context.Context, name string, id int64) (int64, []byte, error) {
	var got int64
	var out []byte
	err := c.call(ctx, api.MethodJobOutput, []any{&got, &out}, name, id)
	return got, out, err
}

// Plan is a stop or start plan; its JSON is the dry run's.
type Plan struct {
	Service           string     `json:"service"`
	Order             []string   `json:"order"`
	Waves             [][]string `json:"waves"`
	StoppedDependents []string   `json:"stopped_dependents,omitempty"`
}

// StopPlan returns what stopping name would do.
func (c *Client) StopPlan(ctx context.Context, name string) (Plan, error) {
	p := Plan{Service: name}
	err := c.call(ctx, api.MethodStopPlan, []any{&p.Order, &p.Waves, &p.StoppedDependents}, name)
	if p.StoppedDependents == nil {
		p.StoppedDependents = []string{}
	}
	return p, err
}

// StartPlan returns what starting name would start.
func (c *Client) StartPlan(ctx context.Context, name string) (Plan, error) {
	p := Plan{Service: name}
	err := c.call(ctx, api.MethodStartPlan, []any{&p.Order, &p.Waves}, name)
	return p, err
}

// UnitText returns the unit file herod generates for name.
func (c *Client) UnitText(ctx context.Context, name string) (string, error) {
	var text string
	err := c.call(ctx, api.MethodUnitText, []any{&text}, name)
	return text, err
}

// Edge is one dependency edge.
type Edge struct{ From, To, Kind string }

// Graph returns every service and edge.
func (c *Client) Graph(ctx context.Context) ([]string, []Edge, error) {
	var names []string
	var edges []Edge
	err := c.call(ctx, api.MethodGraph, []any{&names, &edges})
	return names, edges, err
}

// Problem is one problem Validate found.
type Problem struct {
	File    string
	Line    int32
	Key     string
	Message string
}

// Validate checks herod's config directory as it is on disk now.
func (c *Client) Validate(ctx context.Context) ([]Problem, error) {
	var probs []Problem
	err := c.call(ctx, api.MethodValidate, []any{&probs})
	return probs, err
}

// Watch delivers herod's signals until the returned stop function is called.
func (c *Client) Watch() (<-chan *dbus.Signal, func(), error) {
	if err := c.conn.AddMatchSignal(dbus.WithMatchSender(api.BusName), dbus.WithMatchInterface(api.Interface)); err != nil {
		return nil, nil, wrap("watch", err)
	}
	ch := make(chan *dbus.Signal, 256)
	c.conn.Signal(ch)
	return ch, func() { c.conn.RemoveSignal(ch) }, nil
}
