package manpage

import (
	"fmt"

	"github.com/hero-systemd/hero-systemd/cmd/internal/cli"
)

func init() {
	register(Page{
		Name:    "heroctl",
		Section: 1,
		Summary: "control hero services running on systemd",
		Body:    heroctlBody,
		SeeAlso: []string{"systemctl(1)", "systemd-run(1)", "busctl(1)", "systemd.service(5)", "systemd-stdio-bridge(1)", "pkttyagent(1)"},
	})
}

func heroctlBody(w *writer) {
	root := cli.NewCommand()
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	root.InitDefaultCompletionCmd()

	w.Section("Synopsis")
	w.line(Bold("heroctl") + " [" + Italic("OPTIONS") + "...] " + Italic("COMMAND") + " [" + Italic("NAME") + "...]")
	w.Section("Description")
	w.Text(root.Long, false)

	w.Section("Commands")
	Commands(w, root)

	w.Section("Options")
	w.Para("These options apply to every command.")
	Flags(w, root.PersistentFlags())
	Flags(w, root.LocalNonPersistentFlags())

	w.Section("Exit status")
	w.Para("As systemctl's (LSB):")
	for _, e := range []struct {
		code int
		text string
	}{
		{cli.ExitOK, "Success; for is-active: at least one service named is active; for status: all are (status without a name, the overview, exits 0)."},
		{cli.ExitFailure, "Failure, a usage error, or a refused request; for is-failed: no service named has failed."},
		{cli.ExitNotActive, "A service is not active (is-active, status)."},
		{cli.ExitNoSuchService, "No such service."},
	} {
		w.Item(Bold(fmt.Sprint(e.code)), e.text)
	}

	w.Section("Environment")
	w.Item(Bold("HERO_CONFIG_DIR"), "The config directory the offline verbs read, as --config-dir.")
	w.Item(Bold("XDG_CONFIG_HOME"), "With --user, the default config directory is $XDG_CONFIG_HOME/hero/services (~/.config/hero/services when unset).")
	w.Item(Bold("DBUS_SYSTEM_BUS_ADDRESS")+", "+Bold("DBUS_SESSION_BUS_ADDRESS"), "Where the system bus (or, with --user, the session bus) is reached.")
	w.Item(Bold("SYSTEMD_SSH"), "The ssh program -H runs (default ssh), as for systemctl.")
	w.Item(Bold("SYSTEMD_EDITOR")+", "+Bold("EDITOR")+", "+Bold("VISUAL"), "The editor edit runs, the first one set (split at spaces), as for systemctl edit; else the first of editor, nano, vim and vi found.")
	w.Item(Bold("COLUMNS"), "The width status and list-units cut lines to on a terminal (default: the terminal's); -l prints them whole.")

	w.Section("Files")
	w.Item(Italic("/etc/hero/services/"), "Service configs: NAME.toml (hero TOML) or NAME.yaml (zinit YAML), one file per service.")
	w.Item(Italic("~/.config/hero/services/"), "The same for --user.")

	w.Section("Examples")
	w.Example(
		"heroctl validate /etc/hero/services",
		"heroctl start --dry-run web worker",
		"heroctl start web worker",
		"heroctl status",
		"heroctl status web",
		"heroctl list-units --failed",
		"heroctl stop --dry-run db -o json",
		"heroctl stop web worker",
		"heroctl jobs --failed --since today",
		"heroctl logs mailer --since '1 min ago' -p warning -g fatal",
		"heroctl edit web",
		"heroctl graph --dot | dot -Tsvg > graph.svg",
		"heroctl -H root@web1.example.com status api",
		"busctl tree org.hero.Proc1",
		"busctl get-property org.hero.Proc1 /org/hero/Proc1/service/web org.hero.Proc1.Service State",
	)
}
