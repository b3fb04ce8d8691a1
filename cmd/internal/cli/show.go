package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/godbus/dbus/v5"
	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newShowCmd) }

func newShowCmd(g *globals) *cobra.Command {
	var picked []string
	var valueOnly bool
	cmd := &cobra.Command{
		Use:   "show [-p PROP[,PROP...]] [--value] NAME...",
		Short: "Print services' properties as KEY=VALUE",
		Long: `show prints the properties of the service's D-Bus object (org.hero.Proc1.Service at
/org/hero/Proc1/service/NAME, as Manager.GetService names it) as KEY=VALUE lines, sorted
(Service, State, Unit, ActiveState, SubState, LoadState, Requires, After, Conflicts, JobId,
JobPhase, MainPID, ExitCode, Signal, Result, StartedAt, EndedAt, Jobs, ...), like 'systemctl
show' prints a unit's. Lists are space-separated; a service without a job has JobId=0 and
ExitCode=-1. -p picks properties; --value prints only the values. Several services are
printed one after the other, an empty line between them, as systemctl show does.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				for i, name := range args {
					props, err := c.ServiceProperties(ctx, name)
					if err != nil {
						return advise(err)
					}
					if i > 0 {
						fmt.Fprintln(Stdout)
					}
					printProperties(props, picked, valueOnly)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVarP(&picked, "property", "p", nil, "show only these properties")
	cmd.Flags().BoolVar(&valueOnly, "value", false, "print only the values")
	return cmd
}

// printProperties prints props as KEY=VALUE lines (only the picked ones, when any), sorted.
func printProperties(props map[string]dbus.Variant, picked []string, valueOnly bool) {
	want := map[string]bool{}
	for _, p := range picked {
		for _, q := range strings.Split(p, ",") {
			if q != "" {
				want[q] = true
			}
		}
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		if len(want) == 0 || want[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := showValue(props[k].Value())
		if valueOnly {
			fmt.Fprintln(Stdout, s)
		} else {
			fmt.Fprintf(Stdout, "%s=%s\n", k, s)
		}
	}
}

// showValue prints a property's value as systemctl show does: lists space-separated.
func showValue(v any) string {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, " ")
	case []dbus.ObjectPath:
		s := make([]string, len(x))
		for i, p := range x {
			s[i] = string(p)
		}
		return strings.Join(s, " ")
	}
	return fmt.Sprint(v)
}
