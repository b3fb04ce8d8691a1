package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/client"
)

func init() { verbs = append(verbs, newResetFailedCmd) }

func newResetFailedCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reset-failed NAME...",
		Short: "Forget services' failed state and ended jobs",
		Long: `reset-failed resets systemd's failed state and start rate limit of each service's unit and
deletes its ended jobs (with their output), like 'systemctl reset-failed'. Running jobs stay.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				for _, name := range args {
					if err := c.ResetFailed(ctx, name); err != nil {
						return advise(err)
					}
				}
				return nil
			})
		},
	}
}
