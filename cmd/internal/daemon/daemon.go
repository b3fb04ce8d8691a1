// Package daemon is herod: it loads the config directory, opens the job ledger, reconciles with
// systemd, and serves hero's D-Bus API (org.hero.Proc1) on the system bus (or, with --user, the
// session bus, driving the user's systemd manager).
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/cmd/api"
	"github.com/hero-systemd/hero-systemd/cmd/configdir"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Options configure herod.
type Options struct {
	ConfigDir         string        // service configs (default /etc/hero/services)
	StateDir          string        // ledger and output files (default /var/lib/hero)
	User              bool          // session bus and the user's systemd manager
	BusAddress        string        // serve the API on this bus instead (tests, special setups)
	ReconcileInterval time.Duration // how often ended runs are looked for (default 2s)
	Log               *slog.Logger
}

// Daemon is a running herod.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	ctx     context.Context
	bus     *dbus.Conn
	systemd *sddbus.Conn
	ledger  *jobdb.DB
	bridge  *bridge.Bridge
}

// ErrInvalidConfig wraps the problems that keep herod from starting.
var ErrInvalidConfig = errors.New("invalid service configs")

// load reads the config directory; a missing directory is an empty one. The parsed directory is
// reused while nothing in it changed (configdir.Cache), and one parse runs at a time: the
// read-only methods that load it (Validate) are open to every local user, who must not be able
// to keep herod parsing.
func (d *Daemon) load() (*config.Set, config.Problems, error) {
	set, probs, err := configdir.CacheFor(d.opts.ConfigDir).Load()
	if errors.Is(err, fs.ErrNotExist) {
		set, probs = config.Build(nil)
		return set, probs, nil
	}
	return set, probs, err
}

// reload swaps in the configs on disk, or keeps the old ones and returns the problems.
func (d *Daemon) reload() (int, error) {
	set, probs, err := d.load()
	if err != nil {
		return 0, err
	}
	if len(probs) > 0 {
		return 0, probs
	}
	d.bridge.SetConfig(set)
	d.log.Info("configs reloaded", "services", len(set.Services))
	return len(set.Services), nil
}

// Run starts herod and serves until ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.ConfigDir == "" {
		opts.ConfigDir = "/etc/hero/services"
	}
	if opts.StateDir == "" {
		opts.StateDir = "/var/lib/hero"
	}
	if opts.ReconcileInterval <= 0 {
		opts.ReconcileInterval = 2 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	d := &Daemon{opts: opts, log: opts.Log, ctx: ctx}
	set, probs, err := d.load()
	if err != nil {
		return fmt.Errorf("reading %s: %w", opts.ConfigDir, err)
	}
	if len(probs) > 0 {
		for _, p := range probs {
			d.log.Error("config problem", "problem", p.String())
		}
		return fmt.Errorf("%w: %s has %d problem(s) (run 'heroctl validate --config-dir %s')", ErrInvalidConfig, opts.ConfigDir, len(probs), opts.ConfigDir)
	}
	d.ledger, err = jobdb.Open(ctx, filepath.Join(opts.StateDir, "jobs.db"), d.log)
	if err != nil {
		return err
	}
	defer d.ledger.Close()
	if opts.User {
		d.systemd, err = sddbus.NewUserConnectionContext(ctx)
	} else {
		d.systemd, err = sddbus.NewSystemConnectionContext(ctx)
	}
	if err != nil {
		return fmt.Errorf("connecting to systemd: %w", err)
	}
	defer d.systemd.Close()
	d.bridge = bridge.New(d.systemd, d.ledger, set, bridge.Options{ConfigDir: opts.ConfigDir, StateDir: opts.StateDir, Log: d.log})
	if err := d.bridge.Reconcile(ctx); err != nil {
		return err
	}
	if err := d.serve(); err != nil {
		return err
	}
	defer d.bus.Close()
	d.applyWantedStates(ctx, set)
	d.log.Info("herod ready", "bus_name", api.BusName, "services", len(set.Services), "config_dir", opts.ConfigDir, "state_dir", opts.StateDir)
	ticker := time.NewTicker(opts.ReconcileInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			d.log.Info("herod stopping")
			_, _ = d.bus.ReleaseName(api.BusName)
			return nil
		case <-ticker.C:
			if err := d.bridge.Reconcile(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("reconcile failed", "err", err)
			}
		}
	}
}

// applyWantedStates brings services to the state their `status` key wants at daemon start:
// "start" ones are started (together, in waves), running "stop" ones are stopped, "ignore" ones
// are left as they are. A failure is logged; it never keeps herod from serving.
func (d *Daemon) applyWantedStates(ctx context.Context, set *config.Set) {
	var start []string
	for _, s := range set.Services {
		switch s.Status {
		case config.WantStart:
			start = append(start, s.Name)
		case config.WantStop:
			if r, err := d.bridge.Stop(ctx, s.Name, false); err != nil {
				d.log.Error("stopping a service whose status is stop", "service", s.Name, "err", err)
			} else if r.Cancelled > 0 {
				d.log.Info("stopped at start-up (status = stop)", "service", s.Name)
			}
		}
	}
	if len(start) == 0 {
		return
	}
	r, err := d.bridge.StartMany(ctx, start, true)
	if err != nil {
		d.log.Error("starting the services whose status is start", "services", start, "err", err)
	}
	d.log.Info("started at start-up (status = start)", "started", r.Started)
}

// serve connects to the bus, exports the API and only then claims the well-known name.
func (d *Daemon) serve() error {
	var err error
	switch {
	case d.opts.BusAddress != "":
		d.bus, err = dbus.Connect(d.opts.BusAddress)
	case d.opts.User:
		d.bus, err = dbus.ConnectSessionBus()
	default:
		d.bus, err = dbus.ConnectSystemBus()
	}
	if err != nil {
		return fmt.Errorf("connecting to the bus: %w", err)
	}
	if err := d.bus.Export(&manager{d: d}, api.Path, api.Interface); err != nil {
		return fmt.Errorf("exporting %s: %w", api.Path, err)
	}
	if err := d.bus.Export(introspect.Introspectable(api.Introspection), api.Path, "org.freedesktop.DBus.Introspectable"); err != nil {
		return fmt.Errorf("exporting introspection: %w", err)
	}
	d.bridge.OnEvent(d.signal)
	reply, err := d.bus.RequestName(api.BusName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("requesting %s: %w", api.BusName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("%s is already owned: is another herod running?", api.BusName)
	}
	return nil
}

// signal turns bridge events into D-Bus signals.
func (d *Daemon) signal(e bridge.Event) {
	var err error
	switch e.Kind {
	case "job-started":
		err = d.bus.Emit(api.Path, api.Interface+"."+api.SignalJobStarted, e.Service, e.JobID)
		if err == nil {
			err = d.bus.Emit(api.Path, api.Interface+"."+api.SignalServiceStateChanged, e.Service, bridge.StateRunning)
		}
	case "job-finished":
		err = d.bus.Emit(api.Path, api.Interface+"."+api.SignalJobFinished, e.Service, e.JobID, e.State)
	case "state-changed":
		err = d.bus.Emit(api.Path, api.Interface+"."+api.SignalServiceStateChanged, e.Service, e.State)
	}
	if err != nil {
		d.log.Warn("emitting a signal failed", "event", e.Kind, "err", err)
	}
}
