package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newListUnitsCmd) }

// listStates are the words --state takes: hero's states, then systemd's.
var listStates = []string{"running", "activating", "success", "failed", "stopped", "inactive", "blocked", "bad-config",
	"active", "deactivating", "reloading", "loaded", "not-found", "exited", "dead"}

func newListUnitsCmd(g *globals) *cobra.Command {
	var all, failed, full bool
	var states []string
	cmd := &cobra.Command{
		Use:     "list-units",
		Aliases: []string{"list"},
		Short:   "List every service's unit and state",
		Long: `list-units lists the unit of every hero service with systemd's LOAD, ACTIVE and SUB states,
hero's STATE and the description, like 'systemctl list-units' (a unit that never ran is
"not-found" in systemd). --all adds ENABLED: whether herod starts the service when it starts,
and who said so (heroctl enable/disable, or the config's status key). --no-legend drops the
header and footer; -o json prints an array.

--state=STATE[,STATE...] lists only the services in one of those states: hero's (running,
activating, success, failed, stopped, inactive, blocked, bad-config) or systemd's LOAD, ACTIVE
or SUB (loaded, not-found, active, deactivating, exited, dead, ...), as 'systemctl list-units
--state' does; --failed is --state=failed. On a terminal, lines wider than it are cut with "…";
-l (--full) prints them whole.

When herod cannot be reached, list-units lists the hero units systemd holds and the config
directory's other services, from systemd alone (no ENABLED: that is herod's), and says so on
stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if failed {
				states = append(states, "failed")
			}
			want, err := stateSet(states)
			if err != nil {
				return usageError(cmd, err.Error())
			}
			width := outputWidth(Stdout, full)
			return withSystemdView(cmd, g, func(ctx context.Context, c *client.Client) error {
				// The table needs a few fields of each service: ListUnits sends only those
				// (cheap at thousands of services); -o json prints every field.
				listing := c.ListUnits
				if g.json() {
					listing = c.ListServices
				}
				list, err := listing(ctx)
				if err != nil {
					return advise(err)
				}
				return printUnits(g, filterStates(list, want), all, width)
			}, func(v *systemdView) error {
				list := make([]client.Status, 0, len(v.order))
				for _, name := range v.order {
					list = append(list, v.statuses[name])
				}
				// Whether herod starts a service is herod's to say.
				return printUnits(g, filterStates(list, want), false, width)
			})
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "also show whether herod starts each service when it starts")
	cmd.Flags().BoolVar(&failed, "failed", false, "only failed services (--state=failed)")
	cmd.Flags().StringSliceVar(&states, "state", nil, "only services in these states (hero's or systemd's), comma-separated")
	cmd.Flags().BoolVarP(&full, "full", "l", false, "do not cut lines to the terminal's width")
	_ = cmd.RegisterFlagCompletionFunc("state", completeStates)
	return cmd
}

// stateSet checks --state's words (nil: no filter).
func stateSet(words []string) (map[string]bool, error) {
	if len(words) == 0 {
		return nil, nil
	}
	known := map[string]bool{}
	for _, s := range listStates {
		known[s] = true
	}
	want := map[string]bool{}
	for _, w := range words {
		w = strings.TrimSpace(w)
		if !known[w] {
			return nil, fmt.Errorf("--state: unknown state %q; states: %s", w, strings.Join(listStates, ", "))
		}
		want[w] = true
	}
	return want, nil
}

// filterStates keeps the services with hero's state or one of systemd's in want (nil: all).
func filterStates(list []client.Status, want map[string]bool) []client.Status {
	if want == nil {
		return list
	}
	out := []client.Status{}
	for _, st := range list {
		if want[st.State] || want[st.LoadState] || want[st.ActiveState] || want[st.SubState] {
			out = append(out, st)
		}
	}
	return out
}

// completeStates completes the last word of a comma-separated --state value.
func completeStates(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	head := ""
	if i := strings.LastIndex(prefix, ","); i >= 0 {
		head = prefix[:i+1]
	}
	var out []string
	for _, s := range listStates {
		if strings.HasPrefix(head+s, prefix) {
			out = append(out, head+s)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// printUnits prints services as list-units does (with ENABLED when all), each line cut to width
// (0: whole), or them as JSON.
func printUnits(g *globals, list []client.Status, all bool, width int) error {
	if g.json() {
		return printJSON(list)
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	if !g.noLegend {
		enabled := ""
		if all {
			enabled = "ENABLED\t"
		}
		fmt.Fprintf(tw, "UNIT\tLOAD\tACTIVE\tSUB\tSTATE\t%sDESCRIPTION\n", enabled)
	}
	for _, st := range list {
		enabled := ""
		if all {
			enabled = st.Enabled + " (" + st.EnabledBy + ")\t"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s%s\n", st.Unit, st.LoadState, st.ActiveState, st.SubState, stateWord(st), enabled, st.Description)
	}
	tw.Flush()
	// One write for the whole table: thousands of lines, one write each, cost more than the list.
	out := bufio.NewWriterSize(Stdout, 64<<10)
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line != "" {
			fmt.Fprintln(out, ellipsize(strings.TrimSuffix(line, "\n"), width))
		}
	}
	if !g.noLegend {
		fmt.Fprintln(out)
		fmt.Fprintln(out, "LOAD   = Reflects whether the unit definition was properly loaded.")
		fmt.Fprintln(out, "ACTIVE = The high-level unit activation state, i.e. generalization of SUB.")
		fmt.Fprintln(out, "SUB    = The low-level unit activation state, values depend on unit type.")
		fmt.Fprintln(out, "STATE  = hero's state: running, activating, success, failed, stopped, inactive, blocked, bad-config.")
		if all {
			fmt.Fprintln(out, "ENABLED = whether herod starts it when it starts (heroctl enable/disable, or the config's status).")
		}
		fmt.Fprintf(out, "\n%d services listed.\n", len(list))
	}
	return out.Flush()
}
