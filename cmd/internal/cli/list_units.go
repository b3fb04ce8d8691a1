package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/client"
)

func init() { verbs = append(verbs, newListUnitsCmd) }

func newListUnitsCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "list-units",
		Aliases: []string{"list"},
		Short:   "List every service's unit and state",
		Long: `list-units lists the unit of every hero service with systemd's LOAD, ACTIVE and SUB states,
hero's STATE and the description, like 'systemctl list-units' (a unit that never ran is
"not-found" in systemd). --all adds ENABLED: whether herod starts the service when it starts,
and who said so (heroctl enable/disable, or the config's status key). --no-legend drops the
header and footer; -o json prints an array.

When herod cannot be reached, list-units lists the hero units systemd holds and the config
directory's other services, from systemd alone (no ENABLED: that is herod's), and says so on
stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSystemdView(cmd, g, func(ctx context.Context, c *client.Client) error {
				list, err := c.ListServices(ctx)
				if err != nil {
					return advise(err)
				}
				return printUnits(g, list, all)
			}, func(v *systemdView) error {
				list := make([]client.Status, 0, len(v.order))
				for _, name := range v.order {
					list = append(list, v.statuses[name])
				}
				// Whether herod starts a service is herod's to say.
				return printUnits(g, list, false)
			})
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "also show whether herod starts each service when it starts")
	return cmd
}

// printUnits prints services as list-units does (with ENABLED when all), or them as JSON.
func printUnits(g *globals, list []client.Status, all bool) error {
	if g.json() {
		return printJSON(list)
	}
	tw := tabwriter.NewWriter(Stdout, 0, 0, 1, ' ', 0)
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s%s\n", st.Unit, st.LoadState, st.ActiveState, st.SubState, st.State, enabled, st.Description)
	}
	tw.Flush()
	if !g.noLegend {
		fmt.Fprintln(Stdout)
		fmt.Fprintln(Stdout, "LOAD   = Reflects whether the unit definition was properly loaded.")
		fmt.Fprintln(Stdout, "ACTIVE = The high-level unit activation state, i.e. generalization of SUB.")
		fmt.Fprintln(Stdout, "SUB    = The low-level unit activation state, values depend on unit type.")
		fmt.Fprintln(Stdout, "STATE  = hero's state: running, activating, success, failed, stopped, inactive, blocked, bad-config.")
		if all {
			fmt.Fprintln(Stdout, "ENABLED = whether herod starts it when it starts (heroctl enable/disable, or the config's status).")
		}
		fmt.Fprintf(Stdout, "\n%d services listed.\n", len(list))
	}
	return nil
}
