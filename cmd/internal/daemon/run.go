package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/cmd/internal/paths"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// herod's life: Run opens the ledger, connects to systemd, builds the bridge, serves the API
// (exports, then the bus name) and brings services to their wanted states; Check is herod
// --check.

// Run starts herod and serves until ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.ConfigDir == "" {
		opts.ConfigDir = paths.ConfigDir(opts.User)
	}
	if opts.StateDir == "" {
		opts.StateDir = paths.StateDir(opts.User)
	}
	if opts.KeepJobs <= 0 {
		opts.KeepJobs = jobdb.DefaultKeep
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	d := &herod{opts: opts, log: opts.Log, ctx: ctx}
	set, probs, err := d.load()
	if err != nil {
		return fmt.Errorf("reading %s: %w", opts.ConfigDir, err)
	}
	if err := configdir.CheckDir(opts.StateDir, configdir.DefaultTrust()); err != nil {
		return fmt.Errorf("state directory %s: %w", opts.StateDir, err)
	}
	// Served all the same: each service with a problem is bad-config (or blocked), the
	// others run.
	d.logProblems(probs)
	if d.ledger, err = d.waitForLedger(ctx); err != nil {
		return err
	}
	d.ledger.Keep = opts.KeepJobs
	defer d.ledger.Close()
	if err := d.connectSystemd(ctx); err != nil {
		return err
	}
	defer d.systemd.Close()
	defer d.signals.Close()
	b, err := bridge.New(ctx, d.systemd, d.signals, d.ledger, set, bridge.Options{
		ConfigDir: opts.ConfigDir, ExecHelper: paths.ExecHelper(), EnvDir: paths.EnvDir(opts.User), User: opts.User, Log: d.log,
		EnvFileCheck: checkEnvFile})
	if err != nil {
		return err
	}
	defer b.Close()
	d.bridge = b
	d.mainPID = func(ctx context.Context, unit string) (uint32, error) {
		p, err := d.systemd.GetServicePropertyContext(ctx, unit, "MainPID")
		if err != nil {
			return 0, err
		}
		pid, _ := p.Value.Value().(uint32)
		return pid, nil
	}
	return d.run(ctx, set)
}

// run serves the API until ctx ends, once the ledger, systemd and the engine are there: it
// exports the objects, claims the bus name and brings services to their wanted states.
func (d *herod) run(ctx context.Context, set *config.Set) error {
	d.ops.Store(uint64(time.Now().Unix()) << 20) // ids differ across restarts of herod
	go d.sweepEnvFiles(ctx)
	if err := d.serve(); err != nil {
		return err
	}
	defer d.bus.Close()
	go d.applyWantedStates(ctx, set)
	d.log.Info("herod ready", "bus_name", api.BusName, "services", len(set.Services), "config_dir", d.opts.ConfigDir, "state_dir", d.opts.StateDir)
	<-ctx.Done()
	d.log.Info("herod stopping")
	_, _ = d.bus.ReleaseName(api.BusName)
	return nil
}

// envSweepInterval is how often herod removes the environment files of units that are gone.
const envSweepInterval = 5 * time.Minute

// sweepEnvFiles removes the environment files of units systemd no longer has, now and then
// every envSweepInterval, until ctx ends.
func (d *herod) sweepEnvFiles(ctx context.Context) {
	for {
		if err := d.bridge.SweepEnvFiles(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("removing environment files of units that are gone", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(envSweepInterval):
		}
	}
}

// ledgerRetry is how often herod tries again to open a ledger it cannot write.
const ledgerRetry = 2 * time.Second

// waitForLedger opens the ledger, waiting while its file system is read-only, full or otherwise
// refuses it: herod says why (in its log, which 'systemctl status herod' shows) and goes on by
// itself once the ledger can be written, without a restart. It does not claim its bus name
// meanwhile, so clients are told herod is not there, not left waiting. A ledger of a newer
// schema is not retried: that needs a newer herod. A damaged one is set aside for a new one.
func (d *herod) waitForLedger(ctx context.Context) (*jobdb.DB, error) {
	setAside := false
	for attempt := 0; ; attempt++ {
		db, err := openLedger(ctx, d.opts.StateDir, d.log)
		if err == nil {
			if attempt > 0 {
				d.log.Info("the job ledger opened", "after_attempts", attempt+1)
			}
			return db, nil
		}
		if errors.Is(err, jobdb.ErrNewerSchema) {
			return nil, err
		}
		if errors.Is(err, jobdb.ErrDamaged) {
			// No write can repair it, and waiting would keep every service unrecorded: keep
			// the damaged file for inspection and start a new ledger, as journald does with a
			// corrupt journal file. The services that run are adopted into the new one. Only
			// once: a new ledger that is damaged too is a disk to look at, not to rename away.
			aside, aerr := "", error(nil)
			if setAside {
				aerr = errors.New("a new ledger is damaged too")
			} else {
				aside, aerr = setAsideLedger(d.opts.StateDir)
				setAside = true
			}
			if aerr == nil {
				d.log.Error("the job ledger was damaged; it is kept aside and a new one started", "err", err, "kept_as", aside)
				// Its ids are never issued again (a client may hold one): the new ledger
				// continues after the highest it held, as far as it can be read, or after
				// what the ledger's directory remembers (jobdb.IDsFile).
				if high, kerr := jobdb.KeepIDsOf(aside, paths.LedgerFile(d.opts.StateDir)); kerr != nil {
					d.log.Warn("the damaged ledger's ids could not be remembered", "err", kerr)
				} else if high > 0 {
					d.log.Info("the new ledger's ids continue after the damaged one's", "highest", high)
				}
				continue
			}
			err = fmt.Errorf("%w; setting it aside: %v", err, aerr)
		}
		if attempt == 0 {
			d.log.Error("cannot open the job ledger; trying again every 2s", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the job ledger never opened: %w", err)
		case <-time.After(ledgerRetry):
		}
	}
}

// Check reads the config directory and opens nothing else: herod --check, which herod.service
// runs before herod, so herod's journal (journalctl -u herod) names every broken file. It prints
// each problem and fails when herod could not start at all (the directory cannot be read, or it
// or the state directory could be changed by someone other than root) or when a file is refused
// as untrusted (ErrUntrusted); any other problem makes its service bad-config, and herod serves
// the others.
func Check(opts Options, out io.Writer) error {
	d := &herod{opts: opts}
	r, err := d.read()
	if err != nil {
		return fmt.Errorf("reading %s: %w", opts.ConfigDir, err)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(out, p.String())
	}
	bad := r.Set.BadConfigServices()
	switch {
	case len(r.Problems) > 0:
		fmt.Fprintf(out, "%s: %d service(s), %d problem(s); herod serves the rest, and leaves out (bad-config): %s\n",
			opts.ConfigDir, len(r.Set.Services), len(r.Problems), strings.Join(bad, " "))
	default:
		fmt.Fprintf(out, "%s: %d service(s), no problems\n", opts.ConfigDir, len(r.Set.Services))
	}
	if opts.StateDir != "" {
		if err := configdir.CheckDir(opts.StateDir, configdir.DefaultTrust()); err != nil {
			return fmt.Errorf("state directory %s: %w", opts.StateDir, err)
		}
	}
	if len(r.Untrusted) > 0 {
		return fmt.Errorf("%w: %d service file(s) refused (never read, never run): %s", configdir.ErrUntrusted, len(r.Untrusted), strings.Join(r.Untrusted, " "))
	}
	return nil
}

// openLedger opens the job ledger in its private directory under the state directory, moving a
// ledger an earlier hero kept directly in the state directory.
func openLedger(ctx context.Context, stateDir string, log *slog.Logger) (*jobdb.DB, error) {
	path := paths.LedgerFile(stateDir)
	old := filepath.Join(stateDir, filepath.Base(path)) // where hero kept it before
	if _, err := os.Stat(old); err == nil {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, fmt.Errorf("moving the ledger: %w", err)
			}
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Rename(old+suffix, path+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return nil, fmt.Errorf("moving the ledger: %w", err)
				}
			}
			log.Info("moved the ledger into its own directory", "path", path)
		}
	}
	return jobdb.Open(ctx, path, log)
}

// setAsideLedger renames a damaged ledger (and its WAL files) to jobs.db.damaged-TIME, so the
// next open starts a new one.
func setAsideLedger(stateDir string) (string, error) {
	path := paths.LedgerFile(stateDir)
	aside := path + ".damaged-" + time.Now().UTC().Format("20060102T150405Z")
	for _, suffix := range []string{"-wal", "-shm", ""} {
		if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return aside, nil
}

// connectSystemd connects to the systemd manager herod drives: go-systemd for calls and jobs,
// and a connection of its own for the units' signals (delivered in order).
func (d *herod) connectSystemd(ctx context.Context) error {
	var err error
	// In order, and at a constant cost per signal however far a reader is behind (see
	// bridge.NewSignalHandler): godbus's sequential handler shifts its whole queue per signal.
	sequential := dbus.WithSignalHandler(bridge.NewSignalHandler())
	if d.opts.User {
		d.systemd, err = sddbus.NewUserConnectionContext(ctx)
		if err == nil {
			d.signals, err = dbus.ConnectSessionBus(sequential)
		}
	} else {
		d.systemd, err = sddbus.NewSystemConnectionContext(ctx)
		if err == nil {
			d.signals, err = dbus.ConnectSystemBus(sequential)
		}
	}
	if err != nil {
		return fmt.Errorf("connecting to systemd: %w", err)
	}
	return nil
}

// applyWantedStates brings services to the state they are wanted in at daemon start: enabled
// ones (heroctl enable, or status = "start") are started together; running ones whose config
// says status = "stop" are stopped; the rest are left as they are. A failure is logged; it never
// keeps herod from serving.
func (d *herod) applyWantedStates(ctx context.Context, set *config.Set) {
	en, err := enablements(ctx, d.ledger, set)
	if err != nil {
		d.log.Error("reading which services are enabled", "err", err)
		return
	}
	var start []string
	for _, s := range set.Services {
		switch wantedAtStart(s, en[s.Name]) {
		case config.WantStart:
			if !set.Usable(s.Name) {
				d.log.Warn("not starting a service that is enabled: it is bad-config or blocked", "service", s.Name)
				continue
			}
			start = append(start, s.Name)
		case config.WantStop:
			if r, err := d.bridge.Stop(ctx, s.Name, false, nil); err != nil {
				d.log.Error("stopping a service whose status is stop", "service", s.Name, "err", err)
			} else if r.Cancelled > 0 {
				d.log.Info("stopped at start-up (status = stop)", "service", s.Name)
			}
		}
	}
	if len(start) == 0 {
		return
	}
	r, err := d.bridge.Start(ctx, start, true, nil)
	if err != nil {
		d.log.Error("starting the enabled services", "services", start, "err", err)
	}
	d.log.Info("started at start-up (enabled)", "started", r.Started)
}

// serve connects to the bus, exports the API and only then claims the well-known name.
func (d *herod) serve() error {
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
	d.objs = newObjects(d.bridge, d.ledger, d.bus, d.log, &d.access, d.mainPID)
	if err := d.exportTree(&manager{d: d}); err != nil {
		return err
	}
	if err := d.objs.watchUnits(d.signals); err != nil {
		return fmt.Errorf("subscribing to systemd's unit signals: %w", err)
	}
	go d.objs.run(d.ctx)
	limit := d.memory.fit(len(d.bridge.Config().Services))
	d.log.Debug("memory limit", "bytes", limit)
	go d.memory.watch(d.ctx)
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

// signal turns bridge events into D-Bus signals, and marks the service's object for a refresh.
func (d *herod) signal(e bridge.Event) {
	d.objs.mark(runsChanged, e.Service)
	var err error
	switch e.Kind {
	case "job-started":
		err = d.bus.Emit(api.Path, api.Interface+"."+api.SignalJobStarted, e.Service, e.JobID)
		if err == nil {
			err = d.bus.Emit(api.Path, api.Interface+"."+api.SignalServiceStateChanged, e.Service, bridge.StateActivating)
		}
	case "job-finished":
		err = d.bus.Emit(api.Path, api.Interface+"."+api.SignalJobFinished, e.Service, e.JobID, e.State)
	case "state-changed", bridge.EventRunActive:
		err = d.bus.Emit(api.Path, api.Interface+"."+api.SignalServiceStateChanged, e.Service, e.State)
	}
	if err != nil {
		d.log.Warn("emitting a signal failed", "event", e.Kind, "err", err)
	}
}

// checkEnvFile applies the config files' trust rule to a service's env_file before each start
// (see configdir.CheckEnvFile): systemd reads it then, as root.
func checkEnvFile(s *config.Service) *config.Problem {
	if err := configdir.CheckEnvFile(s.Daemon.EnvFile, configdir.DefaultTrust()); err != nil {
		return configdir.EnvFileProblem(s, err)
	}
	return nil
}
