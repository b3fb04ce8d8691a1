package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newEnableCmd, newDisableCmd, newIsEnabledCmd) }

func newEnableCmd(g *globals) *cobra.Command {
	var now bool
	var of opFlags
	cmd := &cobra.Command{
		Use:   "enable [--now] NAME...",
		Short: "Start services whenever herod starts (at boot)",
		Long: `enable makes herod start the services whenever it starts, as 'systemctl enable' makes
systemd start a unit at boot, whatever the config's status key says. herod keeps this in its own
state: the config files are not edited. It starts nothing now; with --now it also starts them.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return setEnabled(cmd, g, args, true, now, of)
		},
	}
	cmd.Flags().BoolVar(&now, "now", false, "also start the services now")
	of.add(cmd)
	return cmd
}

func newDisableCmd(g *globals) *cobra.Command {
	var now bool
	var of opFlags
	cmd := &cobra.Command{
		Use:   "disable [--now] NAME...",
		Short: "Leave services alone when herod starts",
		Long: `disable makes herod leave the services alone when it starts, whatever the config's status
key says, as 'systemctl disable' does for a unit at boot. It stops nothing now; with --now it
also stops them (and what requires them).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return setEnabled(cmd, g, args, false, now, of)
		},
	}
	cmd.Flags().BoolVar(&now, "now", false, "also stop the services now")
	of.add(cmd)
	return cmd
}

func setEnabled(cmd *cobra.Command, g *globals, names []string, enable, now bool, of opFlags) error {
	c, err := dial(cmd, g)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx := cmd.Context()
	verb := "Disabled"
	if enable {
		verb = "Enabled"
		err = c.Enable(ctx, names)
	} else {
		err = c.Disable(ctx, names)
	}
	if err != nil {
		return adviseFor(g, err)
	}
	if !g.quiet {
		for _, n := range names {
			fmt.Fprintf(Stderr, "%s %s: herod %s it when it starts.\n", verb, n, map[bool]string{true: "starts", false: "leaves"}[enable])
		}
	}
	switch {
	case !now:
		return nil
	case enable:
		return startOnline(cmd, g, of, names, true, false)
	}
	return stopOnline(cmd, g, stopArgs{op: of}, names)
}

func newIsEnabledCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "is-enabled NAME...",
		Short: "Print whether herod starts services when it starts; exit 0 if any is enabled",
		Long: `is-enabled prints "enabled" or "disabled" for each service (whether herod starts it when
it starts: by heroctl enable/disable, or else by its config's status key) and exits 0 if at
least one is enabled, 1 otherwise, like 'systemctl is-enabled'.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return anyStatus(cmd, g, args, ExitFailure, func(st client.Status) (string, bool) { return st.Enabled, st.Enabled == "enabled" })
		},
	}
}
