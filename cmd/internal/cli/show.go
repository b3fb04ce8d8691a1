package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/client"
)

func init() { verbs = append(verbs, newShowCmd) }

func newShowCmd(g *globals) *cobra.Command {
	var props []string
	var valueOnly bool
	cmd := &cobra.Command{
		Use:   "show [-p PROP[,PROP...]] [--value] NAME",
		Short: "Print a service's properties as KEY=VALUE",
		Long: `show prints every property of a service's status as KEY=VALUE lines, sorted (Service, State,
Unit, ActiveState, SubState, LoadState, Requires, After, Conflicts, JobId, JobPhase, MainPID,
ExitCode, Signal, Result, StartedAt, EndedAt, ...), like 'systemctl show'. -p picks properties;
--value prints only the values.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				st, err := c.Status(ctx, args[0])
				if err != nil {
					return advise(err)
				}
				want := map[string]bool{}
				for _, p := range props {
					for _, q := range strings.Split(p, ",") {
						if q != "" {
							want[q] = true
						}
					}
				}
				keys := make([]string, 0, len(st.Raw))
				for k := range st.Raw {
					if len(want) == 0 || want[k] {
						keys = append(keys, k)
					}
				}
				sort.Strings(keys)
				for _, k := range keys {
					v := st.Raw[k].Value()
					var s string
					switch x := v.(type) {
					case []string:
						s = strings.Join(x, " ")
					default:
						s = fmt.Sprint(x)
					}
					if valueOnly {
						fmt.Fprintln(Stdout, s)
					} else {
						fmt.Fprintf(Stdout, "%s=%s\n", k, s)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVarP(&props, "property", "p", nil, "show only these properties")
	cmd.Flags().BoolVar(&valueOnly, "value", false, "print only the values")
	return cmd
}
