package daemon

import (
	"context"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/cmd/api"
)

// launch runs a long operation (a start, stop or restart) in the background, the way systemd
// runs jobs: the method that asked for it returns its id at once, and the operation reports its
// steps (OperationProgress) and its end (OperationFinished) as signals carrying that id. No
// client waits inside a method call, so no D-Bus call timeout can cut an operation short.
// kind (start, stop, restart) and names name it in its error. The services it was asked for (names) get their objects refreshed once it is over (the bridge's
// events cover the runs it starts and ends).
func (d *Daemon) launch(kind string, names []string, run func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error)) uint64 {
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
			e := toDBus(kind, strings.Join(names, " "), err)
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
