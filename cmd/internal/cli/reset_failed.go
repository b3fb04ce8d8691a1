package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newResetFailedCmd) }

func newResetFailedCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reset-failed NAME...",
		Short: "Forget services' failed state and ended jobs",
		Long: `reset-failed resets systemd's failed state and start rate limit of each service's unit and
deletes its ended jobs (with their output), like 'systemctl reset-failed'. Running jobs stay.
Every name is tried; the first problem sets the exit status.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				return eachName(g, args, func(name string) error { return c.ResetFailed(ctx, name) })
			})
		},
	}
}
