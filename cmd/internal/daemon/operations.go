package daemon

import (
	"context"
	"errors"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/cmd/api"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// forEveryone is err as every user may read it: OperationFinished is a signal, which any client
// on the bus can receive, so a bad-config service's problems quote only world-readable files.
func (d *Daemon) forEveryone(err error) error {
	var cfg *bridge.ConfigError
	if !errors.As(err, &cfg) || len(cfg.Problems) == 0 {
		return err
	}
	shown := *cfg
	shown.Problems = make(config.Problems, len(cfg.Problems))
	for i, p := range cfg.Problems {
		shown.Problems[i] = shownTo(p, d.accessOf(p.File), nil)
	}
	return &shown
}

// launch runs a long operation (a start, stop or restart) in the background, the way systemd
// runs jobs: the method that asked for it returns its id at once, and the operation reports its
// steps (OperationProgress) and its end (OperationFinished) as signals carrying that id. No
// client waits inside a method call, so no D-Bus call timeout can cut an operation short.
// The services it was asked for (names) get their objects refreshed once it is over (the bridge's
// events cover the runs it starts and ends).
func (d *Daemon) launch(names []string, run func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error)) uint64 {
	op := d.ops.Add(1)
	go func() {
		defer d.objs.mark(runsChanged, names...)
		obs := func(p bridge.Progress) {
			if err := d.bus.Emit(api.Path, api.Interface+"."+api.SignalOperationProgress, op, p.Service, p.Event, p.JobID, p.Detail); err != nil {
				d.log.Warn("emitting a signal failed", "signal", api.SignalOperationProgress, "err", err)
			}
		}
		summary, err := run(d.ctx, obs)
		name, msg := "", ""
		if err != nil {
			e := toDBus("operation", "", d.forEveryone(err))
			name = e.Name
			if len(e.Body) > 0 {
				msg, _ = e.Body[0].(string)
			}
		}
		if summary == nil {
			summary = map[string]dbus.Variant{}
		}
		if err := d.bus.Emit(api.Path, api.Interface+"."+api.SignalOperationFinished, op, name, msg, summary); err != nil {
			d.log.Warn("emitting a signal failed", "signal", api.SignalOperationFinished, "err", err)
		}
	}()
	return op
}
