package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newDaemonReloadCmd) }

func newDaemonReloadCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "daemon-reload",
		Short: "Make herod read its config directory again",
		Long: `daemon-reload makes herod read its config directory again. herod loads every file it can: a
file with a problem keeps its service's last good definition (or leaves the service out as
bad-config if it never had one), and every problem is printed on stderr. The exit status is 0
once herod has loaded the directory, problems or not (as systemctl daemon-reload), so
'heroctl daemon-reload && heroctl restart NAME' goes on; 'heroctl validate' exits 1 on any
problem. Running services keep running; changed configs apply from their next start (or
'heroctl apply').`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				n, err := c.Reload(ctx)
				if e, ok := client.AsError(err); ok && e.Name == api.ErrInvalidConfig {
					// Loaded what it could: say what was left out, as systemctl does.
					fmt.Fprintf(Stderr, "heroctl: daemon-reload: %s\n", e.Message)
					return nil
				}
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
