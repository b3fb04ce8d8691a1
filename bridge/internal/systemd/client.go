// Package systemd is the bridge's client of systemd's manager over D-Bus: it reads units
// without loading any (quiet), queues jobs and learns their results from systemd's JobRemoved
// signals, and creates transient units, one call at a time or pipelined. It knows units, jobs
// and systemd's errors, never hero's services.
package systemd

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Manager is the part of go-systemd's connection to systemd's manager the client reads units
// and sends signals with (*sddbus.Conn is one). Jobs are queued on the bus connection instead
// (see Client).
type Manager interface {
	GetUnitPropertiesContext(ctx context.Context, unit string) (map[string]any, error)
	GetUnitTypePropertiesContext(ctx context.Context, unit, unitType string) (map[string]any, error)
	GetUnitTypePropertyContext(ctx context.Context, unit, unitType, propertyName string) (*sddbus.Property, error)
	ListUnitsByNamesContext(ctx context.Context, units []string) ([]sddbus.UnitStatus, error)
	ListUnitsByPatternsContext(ctx context.Context, states, patterns []string) ([]sddbus.UnitStatus, error)
	KillUnitWithTarget(ctx context.Context, name string, target sddbus.Who, signal int32) error
	ResetFailedUnitContext(ctx context.Context, name string) error
}

var _ Manager = (*sddbus.Conn)(nil)

// UnitStatus is a unit's states, as systemd lists them.
type UnitStatus = sddbus.UnitStatus

// CallTimeout bounds each D-Bus call into systemd (waiting for a job's result is bounded by the
// caller's ctx instead).
const CallTimeout = 15 * time.Second

// Client talks to one systemd manager: reads go through Manager; every job (a unit's start,
// stop, reload, a transient unit's creation) is queued on bus, the connection systemd's
// signals come on, so that each job's JobRemoved signal is read where its call was made.
type Client struct {
	mgr  Manager
	bus  *dbus.Conn
	jobs *jobWatch
	log  *slog.Logger
}

// New returns a client of mgr that queues jobs on bus (a connection to the bus systemd is on)
// and subscribes there to systemd's JobRemoved signals.
func New(mgr Manager, bus *dbus.Conn, log *slog.Logger) (*Client, error) {
	jobs, err := watchJobs(bus)
	if err != nil {
		return nil, fmt.Errorf("subscribing to systemd's job signals: %w", err)
	}
	return &Client{mgr: mgr, bus: bus, jobs: jobs, log: log}, nil
}
