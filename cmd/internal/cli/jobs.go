package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/client"
)

func init() { verbs = append(verbs, newJobsCmd) }

func newJobsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "jobs NAME",
		Short: "List a service's jobs (runs), newest first",
		Long: `jobs lists the jobs of a service, newest first: one per run (systemd invocation, so a
restart systemd does by itself is a job of its own), with its phase (pending, running,
succeeded, failed, cancelled), systemd's result, exit status or signal, times, and which
automatic restart it was (0: started by a start). Jobs are kept after stop; start prunes the
service's ended ones, and at most 100 ended jobs (herod --keep-jobs) are kept per service.
-o json prints an array of job objects.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				jobs, err := c.ListJobs(ctx, args[0])
				if err != nil {
					return advise(err)
				}
				if g.json() {
					if jobs == nil {
						jobs = []client.Job{}
					}
					return printJSON(jobs)
				}
				tw := tabwriter.NewWriter(Stdout, 0, 0, 2, ' ', 0)
				if !g.noLegend {
					fmt.Fprintln(tw, "JOB\tPHASE\tRESULT\tEXIT\tSTARTED\tENDED\tRESTART")
				}
				for _, j := range jobs {
					exit := "-"
					if j.ExitCode != nil {
						exit = strconv.Itoa(int(*j.ExitCode))
					} else if j.Signal != "" {
						exit = j.Signal
					}
					ended := "-"
					if j.EndedAt != nil {
						ended = j.EndedAt.Local().Format(time.DateTime)
					}
					result := j.Result
					if result == "" {
						result = "-"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", j.ID, j.Phase, result, exit, j.StartedAt.Local().Format(time.DateTime), ended, j.Restarts)
				}
				tw.Flush()
				if !g.noLegend {
					fmt.Fprintf(Stdout, "\n%d job(s) listed.\n", len(jobs))
				}
				return nil
			})
		},
	}
}
