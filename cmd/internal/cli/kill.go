package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

func init() { verbs = append(verbs, newKillCmd) }

func newKillCmd(g *globals) *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [-s SIGNAL] NAME...",
		Short: "Send a signal to every process of services",
		Long: `kill sends SIGNAL (default SIGTERM; a name like SIGHUP, HUP or a number) to every process
of each service, like 'systemctl kill'. What follows (a restart policy bringing it back, or its
end) is recorded in its job. Every name is tried; a problem with one (not running: exit status
3, no such service: 4) is reported and the first one sets the exit status.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, num, err := config.ParseSignal(signal)
			if err != nil {
				return exitWith(ExitFailure, fmt.Errorf("--signal: %v", err))
			}
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				return eachName(g, args, func(name string) error { return c.Kill(ctx, name, int32(num)) })
			})
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "SIGTERM", "the signal to send")
	_ = cmd.RegisterFlagCompletionFunc("signal", completeSignals)
	return cmd
}

// completeSignals completes signal names in number order, as 'kill -l' lists them: SIGHUP...
// for "SIG..." or an empty word, HUP... for a word without the prefix, lower-case for a
// lower-case word (shells match completions case-sensitively; every form is accepted).
func completeSignals(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	up := strings.ToUpper(prefix)
	var out []string
	for n := 1; n <= 31; n++ {
		name := config.SignalName(n)
		if !strings.HasPrefix(name, "SIG") {
			continue
		}
		if !strings.HasPrefix(name, up) {
			name = strings.TrimPrefix(name, "SIG")
			if !strings.HasPrefix(name, up) {
				continue
			}
		}
		if prefix != up {
			name = strings.ToLower(name)
		}
		out = append(out, name)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
