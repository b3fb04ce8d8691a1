package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newRestartCmd) }

// restartReply is what 'heroctl restart -o json' prints for one service.
type restartReply struct {
	Service   string   `json:"service"`
	Started   []string `json:"started"`
	Restarted []string `json:"restarted_dependents"`
}

func newRestartCmd(g *globals) *cobra.Command {
	var of opFlags
	var strict bool
	cmd := &cobra.Command{
		Use:   "restart NAME...",
		Short: "Stop services with their cascade, then start them and the dependents that ran",
		Long: `restart stops NAME and every service that requires it (as stop does), then starts NAME and
the dependents that were running before (systemd's try-restart for dependents: those that were
stopped stay stopped), as one operation. A stopped service is simply started. Several names are
restarted one after the other, each as its own operation (a dependent of an earlier name is
restarted with it, and again when named). Old jobs are pruned by the start. --no-block and
--timeout work as for start. With -o json: {"service","started","restarted_dependents"} (an
array for several names).
A service whose file on disk has problems runs its last good definition: restart warns on
stderr, naming the problems; the exit status stays 0 unless --strict.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := dial(cmd, g)
			if err != nil {
				return err
			}
			defer c.Close()
			var replies []restartReply
			ran := slices.Clone(args)
			for _, name := range args {
				r, err := restartOne(cmd, g, c, of, name)
				if err != nil {
					return err
				}
				replies = append(replies, r)
				ran = append(append(ran, r.Started...), r.Restarted...)
			}
			if g.json() {
				var err error
				if len(replies) == 1 {
					err = printJSON(replies[0])
				} else {
					err = printJSON(replies)
				}
				if err != nil {
					return err
				}
			}
			return warnLastGood(cmd.Context(), g, c, ran, strict)
		},
	}
	addStrict(cmd, &strict)
	of.add(cmd)
	return cmd
}

// restartOne restarts name as one operation and says which dependents came back.
func restartOne(cmd *cobra.Command, g *globals, c *client.Client, of opFlags, name string) (restartReply, error) {
	_, out, err := operation(cmd, g, c, of, name, func(ctx context.Context) (client.Queued, error) {
		return c.Restart(ctx, name)
	})
	if err != nil {
		return restartReply{}, err
	}
	r := restartReply{Service: name, Started: out.Strings(api.SummaryStarted), Restarted: out.Strings(api.SummaryRestarted)}
	if !g.quiet && !g.json() && len(r.Restarted) > 0 {
		fmt.Fprintf(Stderr, "Restarted %s; started its dependents again: %s.\n", name, strings.Join(r.Restarted, ", "))
	}
	return r, nil
}
