package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newStatusCmd, newIsActiveCmd, newIsFailedCmd) }

func newStatusCmd(g *globals) *cobra.Command {
	var lines int
	var full bool
	cmd := &cobra.Command{
		Use:   "status [NAME...]",
		Short: "Show services' state, last job and latest output; without a name, an overview",
		Long: `status shows each service's state (running, activating, success, failed, stopped,
inactive, blocked, bad-config), its unit in systemd, its dependencies, its last job and the
last lines of that job's output, like 'systemctl status'. Exit status 0 if all are running, 3
if any is not, 4 if a service does not exist. With -o json: the status object (an array for
several names).

Without a name, status prints an overview, as 'systemctl status' does for the system: whether
all is well (running) or some service failed or has a bad config (degraded), how many services
are in each state, and one line per service, failed and bad-config ones first (-o json: the
array of every status). Its exit status is 0.

On a terminal, lines wider than it are cut with "…"; -l (--full) prints them whole, as
systemctl does. When herod cannot be reached, the services it started keep running under
systemd: status then shows systemd's view of each service's unit (its states and main PID; the
config directory's services that systemd holds no unit of are inactive), says on stderr what
it leaves out (jobs, restarts, output) and exits as above. is-active and is-failed do the same.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			width := outputWidth(Stdout, full)
			if len(args) == 0 {
				return statusOverview(cmd, g, width)
			}
			return withSystemdView(cmd, g, func(ctx context.Context, c *client.Client) error {
				// The last lines are asked for at once, beside the statuses: herod reads them
				// with a journalctl process, which then costs no time of its own.
				logs := make([]func() ([]client.LogLine, error), len(args))
				if lines > 0 && !g.json() && !g.quiet {
					for i, name := range args {
						logs[i] = fetchLog(ctx, c, name, lines)
					}
				}
				all := make([]client.Status, 0, len(args))
				for _, name := range args {
					st, err := c.Status(ctx, name)
					if err != nil {
						return advise(err)
					}
					all = append(all, st)
				}
				i := 0
				return showStatuses(g, all, func(st client.Status) {
					if logs[i] != nil && st.LastJob != nil {
						printStatusLines(g, st.Service, logs[i], width)
					}
					i++
				})
			}, func(v *systemdView) error {
				all := make([]client.Status, 0, len(args))
				for _, name := range args {
					st, ok := v.statuses[name]
					if !ok {
						return exitWith(ExitNoSuchService, fmt.Errorf("no service %q: systemd holds no unit of it and %s has no file of it", name, g.configDir))
					}
					all = append(all, st)
				}
				return showStatuses(g, all, func(client.Status) {})
			})
		},
	}
	cmd.Flags().IntVarP(&lines, "lines", "n", 10, "how many lines of the last job's output to show")
	cmd.Flags().BoolVarP(&full, "full", "l", false, "do not cut lines to the terminal's width")
	return cmd
}

// showStatuses prints statuses (then, after each, what more detail prints), or them as JSON,
// and exits 0 only if every service is up.
func showStatuses(g *globals, all []client.Status, more func(client.Status)) error {
	allUp := true
	for i, st := range all {
		allUp = allUp && st.Up()
		if g.json() || g.quiet {
			continue
		}
		if i > 0 {
			fmt.Fprintln(Stdout)
		}
		printStatus(st)
		more(st)
	}
	if g.json() {
		var err error
		if len(all) == 1 {
			err = printJSON(all[0])
		} else {
			err = printJSON(all)
		}
		if err != nil {
			return err
		}
	}
	if !allUp {
		return exitWith(ExitNotActive, nil)
	}
	return nil
}

func printStatus(st client.Status) {
	fmt.Fprintf(Stdout, "%s %s - %s\n", dot(st), st.Service, st.Description)
	fmt.Fprintf(Stdout, "       Unit: %s (context %s; systemd: %s, %s/%s)\n", st.Unit, st.Context, st.LoadState, st.ActiveState, st.SubState)
	state := st.State
	if st.BlockedBy != "" {
		state += " (conflicts with running " + st.BlockedBy + ")"
	}
	if len(st.WaitingFor) > 0 {
		state += " (waiting for " + strings.Join(st.WaitingFor, ", ") + ", which no service file defines)"
	}
	switch {
	case st.Waiting != "":
		state += "; " + st.Waiting
	case len(st.RequirementsDown) > 0:
		state += " (it requires " + strings.Join(st.RequirementsDown, ", ") + ", which is down)"
	}
	if st.LimitHit {
		state += " (start-limit-hit: systemd's start limit stopped its restarts; 'heroctl reset-failed " + st.Service + "' clears it)"
	}
	if unhealthy(st) {
		state += " (" + st.Health + ")"
	}
	fmt.Fprintf(Stdout, "      State: %s\n", state)
	if st.Health != "" && !unhealthy(st) {
		fmt.Fprintf(Stdout, "     Health: %s (its liveness check's last word)\n", st.Health)
	}
	if len(st.Problems) > 0 && st.State != "bad-config" {
		fmt.Fprintln(Stdout, "   Problems: its file has these; it keeps its last good definition until they are fixed")
	}
	for i, p := range st.Problems {
		label := "   Problems:"
		if i > 0 || st.State != "bad-config" {
			label = "            "
		}
		fmt.Fprintf(Stdout, "%s %s\n", label, p)
	}
	if st.Stale {
		fmt.Fprintf(Stdout, " Definition: stale: the config changed since systemd loaded its unit; 'heroctl restart %s' applies it\n", st.Service)
	}
	if st.Restarts > 0 {
		fmt.Fprintf(Stdout, "   Restarts: %d (automatic, by systemd)\n", st.Restarts)
	}
	if j := st.LastJob; j != nil {
		desc := fmt.Sprintf("%d, %s", j.ID, j.Phase)
		if exitedOneshot(st) {
			// The ledger ends a run when its unit goes down; a oneshot's stays active (exited).
			desc = fmt.Sprintf("%d, exited (a oneshot: its process ended; systemd keeps its unit active until it is stopped)", j.ID)
		}
		if j.Result != "" {
			desc += ", " + j.Result + resultGloss(j.Result)
		}
		if j.ExitCode != nil {
			desc += fmt.Sprintf(", exit status %d", *j.ExitCode)
		}
		if j.Signal != "" {
			desc += ", signal " + j.Signal
		}
		fmt.Fprintf(Stdout, "   Last job: %s\n", desc)
		fmt.Fprintf(Stdout, "    Started: %s\n", j.StartedAt.Local().Format(time.RFC1123))
		if j.EndedAt != nil {
			fmt.Fprintf(Stdout, "      Ended: %s (ran %s)\n", j.EndedAt.Local().Format(time.RFC1123), j.EndedAt.Sub(j.StartedAt).Round(time.Millisecond))
		}
	}
	switch {
	case st.MainPID > 0 && exitedOneshot(st):
		fmt.Fprintf(Stdout, "   Main PID: %d (exited)\n", st.MainPID)
	case st.MainPID > 0:
		fmt.Fprintf(Stdout, "   Main PID: %d\n", st.MainPID)
	}
	for _, dep := range []struct {
		label string
		list  []string
	}{{"   Requires", st.Requires}, {"      After", st.After}, {"  Conflicts", st.Conflicts}} {
		if len(dep.list) > 0 {
			fmt.Fprintf(Stdout, "%s: %s\n", dep.label, strings.Join(dep.list, " "))
		}
	}
}

// printStatusLines prints the last lines of the service's latest run, as fetched (fetchLog), as
// systemctl status does (the host named: -H's, or this one), each cut to width (0: whole). A
// caller who may not read services' output gets systemctl's kind of hint instead.
func printStatusLines(g *globals, name string, fetched func() ([]client.LogLine, error), width int) {
	lines, err := fetched()
	if e, ok := client.AsError(err); ok && (e.Name == api.ErrAccessDenied || e.Name == "org.freedesktop.DBus.Error.AccessDenied") {
		fmt.Fprintf(Stdout, "\nHint: Some lines were not shown: a service's output is shown to root and members of\n"+
			"      the groups %s only ('%s', or 'sudo usermod -aG adm $USER').\n",
			strings.Join(api.JournalGroups, " and "), "sudo "+g.suggest("status "+shellQuote(name)))
		return
	}
	if err != nil || len(lines) == 0 {
		return
	}
	fmt.Fprintln(Stdout)
	p := linePrinter{format: "short", escape: isTerminal(Stdout), host: hostName(g), width: width}
	for _, l := range lines {
		p.print(l)
	}
}

// fetchLog asks herod for the last n lines of name's latest job in the background; the function
// returned waits for the answer.
func fetchLog(ctx context.Context, c *client.Client, name string, n int) func() ([]client.LogLine, error) {
	type answer struct {
		lines []client.LogLine
		err   error
	}
	ch := make(chan answer, 1)
	go func() {
		_, lines, err := c.JobLog(ctx, name, 0, uint32(n))
		ch <- answer{lines, err}
	}()
	return func() ([]client.LogLine, error) {
		a := <-ch
		return a.lines, a.err
	}
}

func newIsActiveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "is-active NAME...",
		Short: "Print whether services are active; exit 0 if any is",
		Long:  `is-active prints systemd's ActiveState of each service's unit (active, activating, inactive, failed, ...) and exits 0 if at least one is active (or reloading), 3 otherwise, like 'systemctl is-active': a service on its way up (activating, its health check running) is not active yet.`,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return anyStatus(cmd, g, args, ExitNotActive, func(st client.Status) (string, bool) {
				return st.ActiveState, st.ActiveState == "active" || st.ActiveState == "reloading"
			})
		},
	}
}

func newIsFailedCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "is-failed NAME...",
		Short: "Print whether services failed; exit 0 if any did",
		Long:  `is-failed prints each service's state and exits 0 if at least one is failed (its unit failed, or its last job did), 1 otherwise, like 'systemctl is-failed'.`,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return anyStatus(cmd, g, args, ExitFailure, func(st client.Status) (string, bool) { return st.State, st.State == "failed" })
		},
	}
}

// anyStatus prints one word per service and succeeds if test holds for at least one of them,
// else exits with code.
func anyStatus(cmd *cobra.Command, g *globals, names []string, code int, test func(client.Status) (string, bool)) error {
	judge := func(statuses []client.Status) error {
		any := false
		for _, st := range statuses {
			word, ok := test(st)
			any = any || ok
			if !g.quiet {
				fmt.Fprintln(Stdout, word)
			}
		}
		if !any {
			return exitWith(code, nil)
		}
		return nil
	}
	return withSystemdView(cmd, g, func(ctx context.Context, c *client.Client) error {
		var all []client.Status
		for _, name := range names {
			st, err := c.Status(ctx, name)
			if err != nil {
				return err
			}
			all = append(all, st)
		}
		return judge(all)
	}, func(v *systemdView) error {
		var all []client.Status
		for _, name := range names {
			st, ok := v.statuses[name]
			if !ok {
				return exitWith(ExitNoSuchService, fmt.Errorf("no service %q: systemd holds no unit of it and %s has no file of it", name, g.configDir))
			}
			all = append(all, st)
		}
		return judge(all)
	})
}
