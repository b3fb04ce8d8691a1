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
		SeeAlso: []string{"systemd(1)", "systemd-run(1)", "busctl(1)", "systemd.service(5)", "systemd.exec(5)", "polkit(8)"},
	})
}

func herodBody(w *writer) {
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
output, recorded even when herod was not running when the service ended. A service's output goes
to the journal (journalctl -t NAME).`)

	w.Section("Options")
	Flags(w, cmd.Flags())

	w.Section("D-Bus interface")
	w.Para(`herod owns the name org.hero.Proc1 on the system bus (with --user, the session bus). Its
objects, as systemd's own: the manager /org/hero/Proc1 (org.hero.Proc1.Manager, and
org.freedesktop.DBus.ObjectManager over the rest); one object per service,
/org/hero/Proc1/service/NAME (org.hero.Proc1.Service; NAME escaped as sd_bus_path_encode(3)
does); one per kept job, /org/hero/Proc1/job/ID (org.hero.Proc1.Job). Their properties
(org.freedesktop.DBus.Properties) announce changes with PropertiesChanged; objects that come and
go are announced with InterfacesAdded and InterfacesRemoved. busctl tree org.hero.Proc1,
busctl introspect, busctl get-property and busctl monitor work on them.`)
	w.Para(`Privileged methods change services. Root may call them (for herod --user, its own user); so
may anyone polkit authorizes for the action org.hero.proc1.manage-services (by default after an
administrator's password, kept a few minutes; a rule in /etc/polkit-1/rules.d/ can grant it to a
group). herod asks polkit with the caller's bus name as the subject, and lets polkit ask for a
password only when the call carries the ALLOW_INTERACTIVE_AUTHORIZATION flag (heroctl sets it on
a terminal; busctl by default); without the flag, a call polkit would allow after
authentication fails with org.freedesktop.DBus.Error.InteractiveAuthorizationRequired. Without
polkit only root may. The bus policy lets every caller send them: herod decides. Methods that
return what services wrote (JobOutput, JobLog) answer root and the groups adm and
systemd-journal only, enforced by the bus policy and by herod.`)
	dBusAPI(w)

	w.Section("Signals")
	w.Item(Bold("SIGTERM")+", "+Bold("SIGINT"), `herod releases its bus name and exits. The services keep running
under systemd; the next herod adopts them and records the runs that ended meanwhile.`)

	w.Section("Environment")
	w.Item(Bold("HERO_CONFIG_DIR")+", "+Bold("HERO_STATE_DIR"), "Defaults for --config-dir and --state-dir.")
	w.Item(Bold("XDG_CONFIG_HOME")+", "+Bold("XDG_STATE_HOME"), `With --user, the defaults are $XDG_CONFIG_HOME/hero/services and
$XDG_STATE_HOME/hero (~/.config/hero/services and ~/.local/state/hero when unset).`)
	w.Item(Bold("GOMEMLIMIT"), `Go's soft memory limit for herod. Unset, herod sets its own from its number of
services (20 MiB and 22 KiB a service), in force while no operation runs: Go then collects as often as
it needs to stay under it, and herod gives back what a burst (a start of thousands of services) took
once the burst is over. GOMEMLIMIT=off turns it off.`)

	w.Section("Files")
	w.Item(Italic("/etc/hero/services/"), "Service configs, one file per service (--config-dir).")
	w.Item(Italic("/var/lib/hero/ledger/jobs.db"), `The job ledger (SQLite, write-ahead log beside it; private to
root). One job per run: exit status or signal, systemd's result, times, restarts and the last 64 KiB of output. A
damaged ledger is kept aside as jobs.db.damaged-TIME and a new one started.`)
	w.Item(Italic("/usr/libexec/hero-systemd/hero-exec"), `Runs, as the service's user, the commands systemd 252 could not
keep intact in a transient unit (arguments with $ or ;, pre-actions with their own environment, health checks).
A command it cannot start fails as systemd reports it (200 for the working directory, 203 for the program); a unit
whose hero-exec argument it cannot read (written by another version of hero) fails with 78, EXIT_CONFIG.`)
	w.Item(Italic("/lib/systemd/system/herod.service"), "The packaged unit (Type=dbus, BusName=org.hero.Proc1).")
	w.Item(Italic("/usr/share/dbus-1/system.d/org.hero.Proc1.conf"), "The bus policy: who may own and call org.hero.Proc1.")
	w.Item(Italic("/usr/share/dbus-1/system-services/org.hero.Proc1.service"), "Bus activation: a call starts herod.service.")
	w.Item(Italic("/usr/share/polkit-1/actions/org.hero.proc1.policy"), "The polkit action org.hero.proc1.manage-services.")
}
