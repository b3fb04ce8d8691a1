package cli

import (
	"fmt"

	"github.com/spf13/cobra"
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
			c, err := dial(cmd, g)
			if err != nil {
				return err
			}
			defer c.Close()
			n, err := c.Reload(cmd.Context())
			if err != nil {
				return advise(err)
			}
			if !g.quiet {
				fmt.Fprintf(Stderr, "Reloaded: %d service(s).\n", n)
			}
			return nil
		},
	}
}
