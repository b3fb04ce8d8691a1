// Package client is heroctl's typed client of herod's D-Bus API (org.hero.Proc1). It never opens
// the ledger or talks to systemd itself.
package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
)

// Client calls herod.
type Client struct {
	conn *dbus.Conn
	obj  dbus.BusObject
	// CallTimeout bounds every method call (a long operation is not one: its calls return at
	// once, see Operation). Default defaultCallTimeout.
	CallTimeout time.Duration
	// Interactive sets ALLOW_INTERACTIVE_AUTHORIZATION on every method call: polkit may then ask the
	// person at the terminal for a password (through their authentication agent) before herod
	// lets them change services. A changing call then waits api.InteractiveAuthTimeout longer.
	Interactive bool
}

// defaultCallTimeout bounds one method call of herod's.
const defaultCallTimeout = 25 * time.Second

// reachTimeout bounds the first contact with herod (which may start it, by D-Bus activation).
const reachTimeout = 5 * time.Second

// Dial connects to herod's bus: address if given (or $HERO_BUS_ADDRESS), else the session bus
// for user, else the system bus. It does not contact herod yet; see Reach.
func Dial(ctx context.Context, user bool, address string) (*Client, error) {
	if address == "" {
		address = os.Getenv("HERO_BUS_ADDRESS")
	}
	var conn *dbus.Conn
	var err error
	c := &Client{CallTimeout: defaultCallTimeout}
	opts := c.connOptions(ctx)
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
	c.conn, c.obj = conn, conn.Object(api.BusName, api.Path)
	return c, nil
}

// connOptions are the options of c's connection: signals in order, and every method call
// marked ALLOW_INTERACTIVE_AUTHORIZATION while c is Interactive (godbus's BusObject.Call keeps
// only its NO_AUTO_START and NO_REPLY_EXPECTED flags, so the flag is set on the way out).
func (c *Client) connOptions(ctx context.Context) []dbus.ConnOption {
	return []dbus.ConnOption{dbus.WithContext(ctx), dbus.WithSignalHandler(dbus.NewSequentialSignalHandler()),
		dbus.WithOutgoingInterceptor(func(msg *dbus.Message) {
			if c.Interactive && msg.Type == dbus.TypeMethodCall {
				msg.Flags |= dbus.FlagAllowInteractiveAuthorization
			}
		})}
}

// ErrNotReached names herod not answering within reachTimeout.
const ErrNotReached = "org.hero.Proc1.Client.NotReached"

// Reach makes sure herod answers (starting it by D-Bus activation if it is not running), within
// reachTimeout: a daemon that cannot start is reported at once, not after the bus's own
// activation timeout.
func (c *Client) Reach(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	call := c.conn.Object(api.BusName, api.Path).CallWithContext(ctx, "org.freedesktop.DBus.Peer.Ping", 0)
	if call.Err != nil {
		if errors.Is(call.Err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &Error{Name: ErrNotReached, Message: fmt.Sprintf("herod did not answer within %s", reachTimeout)}
		}
		return wrap("reach herod", call.Err)
	}
	return nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// ErrNoBus names the failure to reach the bus at all.
const ErrNoBus = "org.hero.Proc1.Client.NoBus"

// Error is a D-Bus error from herod or the bus, by name.
type Error struct {
	Name    string
	Message string
	Method  string // the herod method called, when the error answers a call
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
		return &Error{Name: de.Name, Message: msg, Method: method}
	}
	return &Error{Name: api.ErrFailed, Message: fmt.Sprintf("%s: %v", method, err), Method: method}
}

func (c *Client) call(ctx context.Context, method string, out []any, args ...any) error {
	return c.callOn(ctx, c.obj, api.Interface, method, out, args...)
}

// callOn calls iface.method of obj with a deadline, and stores the reply in out.
func (c *Client) callOn(ctx context.Context, obj dbus.BusObject, iface, method string, out []any, args ...any) error {
	timeout := c.CallTimeout
	if c.Interactive && api.Mutating[method] {
		timeout += api.InteractiveAuthTimeout // polkit may be waiting for a password
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	call := obj.CallWithContext(ctx, iface+"."+method, 0, args...)
	if call.Err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return &Error{Name: ErrNotReached, Message: fmt.Sprintf("%s: herod did not answer within %s", method, timeout), Method: method}
		}
		return wrap(method, call.Err)
	}
	return wrap(method, call.Store(out...))
}

// GetService returns the object of the service name.
func (c *Client) GetService(ctx context.Context, name string) (dbus.ObjectPath, error) {
	var path dbus.ObjectPath
	err := c.call(ctx, api.MethodGetService, []any{&path}, name)
	return path, err
}

// ServiceProperties returns the properties of the service's object (org.hero.Proc1.Service).
func (c *Client) ServiceProperties(ctx context.Context, name string) (map[string]dbus.Variant, error) {
	path, err := c.GetService(ctx, name)
	if err != nil {
		return nil, err
	}
	var props map[string]dbus.Variant
	err = c.callOn(ctx, c.conn.Object(api.BusName, path), api.PropertiesInterface, "GetAll", []any{&props}, api.ServiceInterface)
	return props, err
}

// Queued is herod's answer to a start, stop or restart: the operation it queued (0 if there was
// nothing to do) and the services it will act on.
type Queued struct {
	Operation      uint64
	Services       []string
	AlreadyRunning bool
}

// Start asks herod to start name (and its requires closure).
func (c *Client) Start(ctx context.Context, name string, replace bool) (Queued, error) {
	var q Queued
	err := c.call(ctx, api.MethodStart, []any{&q.Operation, &q.Services, &q.AlreadyRunning}, name, replace)
	return q, err
}

// StartMany starts several services together.
func (c *Client) StartMany(ctx context.Context, names []string, replace bool) (Queued, error) {
	var q Queued
	err := c.call(ctx, api.MethodStartMany, []any{&q.Operation, &q.Services}, names, replace)
	q.AlreadyRunning = err == nil && q.Operation == 0
	return q, err
}

// Stop stops name and its dependents.
func (c *Client) Stop(ctx context.Context, name string, removeJobs bool) (Queued, error) {
	var q Queued
	err := c.call(ctx, api.MethodStop, []any{&q.Operation, &q.Services}, name, removeJobs)
	return q, err
}

// StopMany stops several services, each with its cascade, as one operation.
func (c *Client) StopMany(ctx context.Context, names []string, removeJobs bool) (Queued, error) {
	var q Queued
	err := c.call(ctx, api.MethodStopMany, []any{&q.Operation, &q.Services}, names, removeJobs)
	return q, err
}

// Restart restarts name and the dependents that ran.
func (c *Client) Restart(ctx context.Context, name string) (Queued, error) {
	var q Queued
	err := c.call(ctx, api.MethodRestart, []any{&q.Operation, &q.Services}, name)
	return q, err
}

// ReloadService asks systemd to reload name (its reload command, or reload_signal to its main
// process) as an operation; the refusals (NotReloadable, NotRunning) come at once.
func (c *Client) ReloadService(ctx context.Context, name string) (Queued, error) {
	q := Queued{Services: []string{name}}
	err := c.call(ctx, api.MethodReloadService, []any{&q.Operation}, name)
	return q, err
}

// Apply queues an apply of the config directory on disk: herod reads and validates it (an
// *Error named api.ErrInvalidConfig lists the problems; nothing changed), then the operation
// plans under its locks, announces the plan (Progress event "planned": read it with
// OperationPlan) and does it.
func (c *Client) Apply(ctx context.Context) (q Queued, err error) {
	err = c.call(ctx, api.MethodApply, []any{&q.Operation})
	return q, err
}

// ApplyPlan returns what an apply would do now, changing nothing: of herod's config directory
// (dir ""), or of dir (absolute) as if it were herod's.
func (c *Client) ApplyPlan(ctx context.Context, dir string) (plan.Apply, error) {
	var p plan.Apply
	err := c.call(ctx, api.MethodApplyPlan, []any{&p}, dir)
	return p.WithLists(), err
}

// OperationPlan returns the plan an apply operation computed under its locks (once it announced
// it), with what it started and what failed once it ended.
func (c *Client) OperationPlan(ctx context.Context, op uint64) (plan.Apply, error) {
	var p plan.Apply
	err := c.call(ctx, api.MethodOperationPlan, []any{&p}, op)
	return p.WithLists(), err
}

// Kill signals name's processes.
func (c *Client) Kill(ctx context.Context, name string, signal int32) error {
	return c.call(ctx, api.MethodKill, nil, name, signal)
}

// ResetFailed resets name's failed state.
func (c *Client) ResetFailed(ctx context.Context, name string) error {
	return c.call(ctx, api.MethodResetFailed, nil, name)
}

// Enable makes herod start names whenever it starts.
func (c *Client) Enable(ctx context.Context, names []string) error {
	return c.call(ctx, api.MethodEnable, nil, names)
}

// Disable makes herod leave names alone when it starts.
func (c *Client) Disable(ctx context.Context, names []string) error {
	return c.call(ctx, api.MethodDisable, nil, names)
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

// ListUnits returns what list-units shows of every service, sorted by name: a Status with
// only Service, Unit, Description, LoadState, ActiveState, SubState, State, Enabled, EnabledBy
// and Health set. It is a tenth of ListServices' cost with thousands of services; a herod older
// than ListUnits is asked ListServices instead, and one older than Health sends nine fields.
func (c *Client) ListUnits(ctx context.Context) ([]Status, error) {
	var rows [][]any // (ssssssssss), or (sssssssss) from a herod before Health
	err := c.call(ctx, api.MethodListUnits, []any{&rows})
	if e, ok := AsError(err); ok && e.Name == errUnknownMethod {
		return c.ListServices(ctx)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Status, len(rows))
	for i, r := range rows {
		f := make([]string, 10)
		for j := 0; j < len(r) && j < len(f); j++ {
			f[j], _ = r[j].(string)
		}
		out[i] = Status{Service: f[0], Unit: f[1], Description: f[2], LoadState: f[3], ActiveState: f[4], SubState: f[5],
			State: f[6], Enabled: f[7], EnabledBy: f[8], Health: f[9]}
	}
	return out, nil
}

// errUnknownMethod is the bus's answer to a method the callee does not have.
const errUnknownMethod = "org.freedesktop.DBus.Error.UnknownMethod"

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

// LogLine is one line a job's processes (or systemd, about it) wrote.
type LogLine struct {
	Time       time.Time
	Priority   uint32
	Identifier string
	PID        uint32
	Message    string
}

// JobLog returns the newest lines (0: all kept) of a job of name (0: the latest).
func (c *Client) JobLog(ctx context.Context, name string, id int64, lines uint32) (int64, []LogLine, error) {
	var got int64
	var raw []struct {
		Time       uint64
		Priority   uint32
		Identifier string
		PID        uint32
		Message    string
	}
	err := c.call(ctx, api.MethodJobLog, []any{&got, &raw}, name, id, lines)
	out := make([]LogLine, len(raw))
	for i, r := range raw {
		out[i] = LogLine{Time: time.UnixMicro(int64(r.Time)), Priority: r.Priority, Identifier: r.Identifier, PID: r.PID, Message: r.Message}
	}
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
