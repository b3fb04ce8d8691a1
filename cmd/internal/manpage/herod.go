package manpage

import (
	"github.com/hero-systemd/hero-systemd/cmd/internal/herodcmd"
)

func init() {
	register(Page{
		Name:    "herod",
		Section: 8,
		Summary: "run hero services on systemd and serve the org.hero.Proc1 D-Bus API",
		Body:    herodBody,
		SeeAlso: []string{"systemd(1)", "systemd-run(1)", "busctl(1)", "systemd.service(5)", "systemd.exec(5)"},
	})
}

func herodBody(w *Writer) {
	cmd := herodcmd.NewCommand(nil)
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()

	w.Section("Synopsis")
	w.line(Bold("herod") + " [" + Italic("OPTIONS") + "...]")
	w.Section("Description")
	w.Text(cmd.Long, false)
	w.Para(`Each service runs as a transient unit hero-CONTEXT-NAME.service in hero-CONTEXT.slice;
its requires become Requires= and After=, so stopping a service stops what requires it. Every
run is a job in the ledger, with its exit status or signal, systemd's result and the end of its
output, recorded even when herod was not running when the service ended.`)

	w.Section("Options")
	Flags(w, cmd.Flags())

	w.Section("D-Bus interface")
	w.Para(`herod owns the name org.hero.Proc1 on the system bus (with --user, the session bus) and
exports the object /org/hero/Proc1 with the interface org.hero.Proc1.Manager. Privileged methods
are for root only (for herod --user, its own user), enforced by the bus policy and by herod
itself. busctl introspect org.hero.Proc1 /org/hero/Proc1 shows the same list.`)
	DBusAPI(w)

	w.Section("Signals")
	w.Item(Bold("SIGTERM")+", "+Bold("SIGINT"), `herod releases its bus name and exits. The services keep running
under systemd; the next herod adopts them and records the runs that ended meanwhile.`)

	w.Section("Environment")
	w.Item(Bold("HERO_CONFIG_DIR")+", "+Bold("HERO_STATE_DIR"), "Defaults for --config-dir and --state-dir.")
	w.Item(Bold("XDG_CONFIG_HOME")+", "+Bold("XDG_STATE_HOME"), `With --user, the defaults are $XDG_CONFIG_HOME/hero/services and
$XDG_STATE_HOME/hero (~/.config/hero/services and ~/.local/state/hero when unset).`)

	w.Section("Files")
	w.Item(Italic("/etc/hero/services/"), "Service configs, one file per service (--config-dir).")
	w.Item(Italic("/var/lib/hero/jobs.db"), "The job ledger (SQLite, write-ahead log beside it).")
	w.Item(Italic("/var/lib/hero/services/NAME/"), `Per service: output.log, the output systemd appends for each run,
and exit, the result its ExecStopPost= hook writes.`)
	w.Item(Italic("/lib/systemd/system/herod.service"), "The packaged unit (Type=dbus, BusName=org.hero.Proc1).")
	w.Item(Italic("/usr/share/dbus-1/system.d/org.hero.Proc1.conf"), "The bus policy: who may own and call org.hero.Proc1.")
	w.Item(Italic("/usr/share/dbus-1/system-services/org.hero.Proc1.service"), "Bus activation: a call starts herod.service.")
}
