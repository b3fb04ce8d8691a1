package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newReloadCmd) }

func newReloadCmd(g *globals) *cobra.Command {
	var of opFlags
	cmd := &cobra.Command{
		Use:   "reload NAME...",
		Short: "Make running services read their configuration again, without a restart",
		Long: `reload asks systemd to reload each service, like 'systemctl reload': it runs the service's
reload command (its config's reload), or sends its reload_signal to the main process only, and
waits for that to end. The service keeps running: the same run, main process and job. A
service whose config sets neither is refused (restart it instead), as is one that does not run
(exit status 3) or whose running unit was started before its config set one ('heroctl restart
NAME' or 'heroctl apply' first). Every name is tried, each as its own operation; the first
problem sets the exit status. --no-block and --timeout work as for start. (To make herod read
the config files again, use daemon-reload.)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dial(cmd, g)
			if err != nil {
				return err
			}
			defer c.Close()
			return eachName(g, args, func(name string) error {
				_, _, err := operation(cmd, g, c, of, name, func(ctx context.Context) (client.Queued, error) {
					return c.ReloadService(ctx, name)
				})
				return err
			})
		},
	}
	of.add(cmd)
	return cmd
}
