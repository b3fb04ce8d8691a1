package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/client"
)

func init() { verbs = append(verbs, newDaemonReloadCmd) }

func newDaemonReloadCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "daemon-reload",
		Short: "Make herod read its config directory again",
		Long: `daemon-reload makes herod read its config directory again. If any file has a problem, herod
keeps the configs it had and every problem is printed. Running services keep running; changed
configs apply from their next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				n, err := c.Reload(ctx)
				if err != nil {
					return advise(err)
				}
				if !g.quiet {
					fmt.Fprintf(Stderr, "Reloaded: %d service(s).\n", n)
				}
				return nil
			})
		},
	}
}
