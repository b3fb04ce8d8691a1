package recording

import (
	"context"
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// New makes a recorder that is not running yet (see Start).
func New(w *World) *Recorder {
	stop, cancel := context.WithCancel(context.Background())
	r := &Recorder{w: w, in: make(chan *dbus.Signal, 4096), cmds: make(chan func(), 64),
		quit: make(chan struct{}), done: make(chan struct{}), stop: stop, cancel: cancel, fields: journal.FieldsFor(w.User),
		views: map[string]*View{}, batch: &jobdb.Batch{}, pub: map[string]RunInfo{}}
	r.tails = newTailCopier(w, r.fields)
	return r
}

// Start subscribes to systemd's unit signals on sig, records what happened while no recorder
// ran, and starts recording.
func (r *Recorder) Start(ctx context.Context, sig *dbus.Conn) error {
	r.sig = sig
	for _, iface := range []string{ifaceUnit, ifaceService} {
		err := sig.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus.Properties"),
			dbus.WithMatchMember("PropertiesChanged"), dbus.WithMatchPathNamespace(dbus.ObjectPath(strings.TrimSuffix(signalMatchPath, "/"))),
			dbus.WithMatchArg(0, iface))
		if err != nil {
			return fmt.Errorf("subscribing to systemd's unit signals: %w", err)
		}
	}
	sig.Signal(r.in)
	// systemd emits PropertiesChanged of units only while a client is subscribed.
	call := sig.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1").
		CallWithContext(ctx, "org.freedesktop.systemd1.Manager.Subscribe", 0)
	if call.Err != nil {
		return fmt.Errorf("subscribing to systemd: %w", call.Err)
	}
	if err := r.recover(ctx); err != nil {
		return err
	}
	r.Run()
	go r.housekeeping()
	return nil
}

// Run starts recording the signals sent to In, without subscribing to a bus or reading what
// happened before (Start does both, then Run): for callers that deliver systemd's signals
// themselves, such as tests of what uses the recorder. Close stops it.
func (r *Recorder) Run() {
	go r.loop()
	go r.tails.run()
}

// In is where the recorder takes systemd's PropertiesChanged signals of units.
func (r *Recorder) In() chan<- *dbus.Signal { return r.in }

// Close stops recording: what it learnt is written and the journal cursor saved.
func (r *Recorder) Close() {
	select {
	case <-r.quit:
		return
	default:
	}
	close(r.quit)
	r.cancel()
	<-r.done
	r.tails.close()
	r.saveCursor(context.Background())
}
