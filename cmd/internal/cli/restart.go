package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/api"
	"github.com/hero-systemd/hero-systemd/cmd/client"
)

func init() { verbs = append(verbs, newRestartCmd) }

func newRestartCmd(g *globals) *cobra.Command {
	var of opFlags
	cmd := &cobra.Command{
		Use:   "restart NAME",
		Short: "Stop a service with its cascade, then start it and the dependents that ran",
		Long: `restart stops NAME and every service that requires it (as stop does), then starts NAME and
the dependents that were running before (systemd's try-restart for dependents: those that were
stopped stay stopped), as one operation. A stopped service is simply started. Old jobs are
pruned by the start. --no-block and --timeout work as for start. With -o json:
{"service","started","restarted_dependents"}.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dial(cmd, g)
			if err != nil {
				return err
			}
			defer c.Close()
			_, out, err := operation(cmd, g, c, of, args[0], func(ctx context.Context) (client.Queued, error) {
				return c.Restart(ctx, args[0])
			})
			if err != nil {
				return err
			}
			started, again := out.Strings(api.SummaryStarted), out.Strings(api.SummaryRestarted)
			if g.json() {
				return printJSON(struct {
					Service   string   `json:"service"`
					Started   []string `json:"started"`
					Restarted []string `json:"restarted_dependents"`
				}{args[0], started, again})
			}
			if !g.quiet && len(again) > 0 {
				fmt.Fprintf(Stderr, "Restarted %s; started its dependents again: %s.\n", args[0], strings.Join(again, ", "))
			}
			return nil
		},
	}
	of.add(cmd)
	return cmd
}
