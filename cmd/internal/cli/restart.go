package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/client"
)

func init() { verbs = append(verbs, newRestartCmd) }

func newRestartCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "restart NAME",
		Short: "Stop a service with its cascade, then start it and the dependents that ran",
		Long: `restart stops NAME and every service that requires it (as stop does), then starts NAME and
the dependents that were running before (systemd's try-restart for dependents: those that were
stopped stay stopped). A stopped service is simply started. Old jobs are pruned by the start.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				prog := startProgress(c, g)
				started, err := c.Restart(ctx, args[0])
				prog.finish("Started", started)
				if err != nil {
					return advise(err)
				}
				if g.json() {
					return printJSON(struct {
						Service string   `json:"service"`
						Started []string `json:"started"`
					}{args[0], append([]string{}, started...)})
				}
				if !g.quiet && len(started) > 1 {
					fmt.Fprintf(Stderr, "Restarted %s; started again: %s.\n", args[0], strings.Join(started, ", "))
				}
				return nil
			})
		},
	}
}
