package cli

import (
	"github.com/spf13/cobra"
)

func init() { verbs = append(verbs, newStopCmd) }

type stopArgs struct {
	dryRun     bool
	removeJobs bool
}

func newStopCmd(g *globals) *cobra.Command {
	var a stopArgs
	cmd := &cobra.Command{
		Use:   "stop [--dry-run] [--remove-jobs] NAME",
		Short: "Stop a service and every service that requires it",
		Long: `stop stops NAME and, first, every service with a transitive requires chain into it (the
cascade), most-dependent first. Services only ordered after NAME, and independent ones, keep
running. Job records are kept so you can read why something died; --remove-jobs deletes
NAME's own (never its dependents').

With --dry-run nothing is stopped: the cascade plan is computed from the config directory and
printed (with -o json: {"service","order","waves","stopped_dependents"}).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.dryRun {
				return stopDryRun(g, args[0])
			}
			return stopOnline(cmd, g, a, args[0])
		},
	}
	cmd.Flags().BoolVar(&a.dryRun, "dry-run", false, "print the cascade plan; stop nothing")
	cmd.Flags().BoolVar(&a.removeJobs, "remove-jobs", false, "also delete the service's own job records")
	return cmd
}

func stopDryRun(g *globals, name string) error {
	set, err := loadValid(g)
	if err != nil {
		return err
	}
	p, err := set.Graph.Stop(name)
	if err != nil {
		return graphErr(g, name, err)
	}
	return printStopPlan(g, p)
}
