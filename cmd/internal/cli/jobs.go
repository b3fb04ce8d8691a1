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

func init() { verbs = append(verbs, newJobsCmd, newLogsCmd) }

func newJobsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "jobs NAME",
		Short: "List a service's jobs (runs), newest first",
		Long: `jobs lists the jobs of a service, newest first: one per run, with its phase (pending,
running, retrying, succeeded, failed, cancelled), systemd's result, exit status or signal, and
times. Jobs are kept after stop; start prunes the service's ended ones. -o json prints an
array of job objects.`,
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
					fmt.Fprintln(tw, "JOB\tPHASE\tRESULT\tEXIT\tSTARTED\tENDED\tRESTARTS")
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

func newLogsCmd(g *globals) *cobra.Command {
	var job int64
	cmd := &cobra.Command{
		Use:   "logs NAME [--job ID]",
		Short: "Print the output kept for a service's job",
		Long: `logs prints the output (stdout and stderr, the last 64 KiB) kept for the latest job of a
service, or for job ID with --job. It stays readable after the service crashed and was stopped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if job < 0 {
				return exitWith(ExitFailure, fmt.Errorf("--job must be a job id"))
			}
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				_, out, err := c.JobOutput(ctx, args[0], job)
				if err != nil {
					return advise(err)
				}
				_, err = Stdout.Write(out)
				return err
			})
		},
	}
	cmd.Flags().Int64Var(&job, "job", 0, "the job to show (default: the latest)")
	return cmd
}
