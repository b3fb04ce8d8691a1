package cli

import "github.com/spf13/cobra"

func init() { verbs = append(verbs, newResetFailedCmd) }

func newResetFailedCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reset-failed NAME...",
		Short: "Forget services' failed state and ended jobs",
		Long: `reset-failed resets systemd's failed state and start rate limit of each service's unit and
deletes its ended jobs (with their output), like 'systemctl reset-failed'. Running jobs stay.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dial(cmd, g)
			if err != nil {
				return err
			}
			defer c.Close()
			for _, name := range args {
				if err := c.ResetFailed(cmd.Context(), name); err != nil {
					return advise(err)
				}
			}
			return nil
		},
	}
}
