package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/cmd/internal/paths"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

func init() { verbs = append(verbs, newCatCmd) }

func newCatCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "cat NAME...",
		Short: "Print the systemd unit generated for services",
		Long: `cat prints the unit file hero generates for each service, like 'systemctl cat': exactly the
unit herod hands to systemd as a transient unit, whether herod prints it or heroctl reads the
config directory itself (--config-dir). Its values are quoted and escaped by systemd's rules, so
the text describes the same unit as the D-Bus properties. herod shows environment values to root
and the groups adm and systemd-journal only; and, while systemd does not hold the unit as the
file now defines it, the file's values only to callers who may read the file (others see the
unit's shape, each value "…").`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDaemon(cmd, g, func(ctx context.Context, c *client.Client) error {
				for i, name := range args {
					text, err := c.UnitText(ctx, name)
					if err != nil {
						return err
					}
					if i > 0 {
						fmt.Fprintln(Stdout)
					}
					fmt.Fprint(Stdout, text)
				}
				return nil
			}, func() error {
				set, err := loadUsable(g)
				if err != nil {
					return err
				}
				dir, _ := filepath.Abs(g.configDir)
				for i, name := range args {
					if err := usableService(g, set, name, true); err != nil {
						return err
					}
					u, err := unitgen.Generate(set, set.Service(name), unitgen.Options{ConfigDir: dir, ExecHelper: paths.ExecHelper()})
					if err != nil {
						return exitWith(ExitFailure, err)
					}
					if i > 0 {
						fmt.Fprintln(Stdout)
					}
					fmt.Fprint(Stdout, u.Text())
				}
				return nil
			})
		},
	}
}
