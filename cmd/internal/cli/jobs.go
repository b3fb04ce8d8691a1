package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newJobsCmd) }

type jobsArgs struct {
	failed       bool
	since, until string
}

func newJobsCmd(g *globals) *cobra.Command {
	var a jobsArgs
	cmd := &cobra.Command{
		Use:   "jobs [--failed] [--since TIME] [--until TIME] [NAME...]",
		Short: "List jobs (runs) of services, newest first",
		Long: `jobs lists the jobs of the services named, or of every service without a name, newest
first: one per run (systemd invocation, so a restart systemd does by itself is a job of its
own), with its phase (pending, running, succeeded, failed, cancelled), systemd's result, exit
status or signal, times, and which automatic restart it was (0: started by a start). Jobs are
kept after stop; start prunes the service's ended ones, and at most 100 ended jobs (herod
--keep-jobs) are kept per service. --failed lists only failed jobs; --since and --until only
jobs started in that time, with journalctl's time words ("1 min ago", "-1h", "today",
"2026-11-25 10:00"; see 'heroctl logs --help'). -o json prints an array of job objects.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			since, err := parseTimeFlag("--since", a.since, now)
			if err != nil {
				return exitWith(ExitFailure, err)
			}
			until, err := parseTimeFlag("--until", a.until, now)
			if err != nil {
				return exitWith(ExitFailure, err)
			}
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				jobs, err := collectJobs(ctx, c, args)
				if err != nil {
					return err
				}
				jobs = filterJobs(jobs, a.failed, since, until)
				return printJobs(g, jobs, len(args) != 1)
			})
		},
	}
	cmd.Flags().BoolVar(&a.failed, "failed", false, "only failed jobs")
	cmd.Flags().StringVarP(&a.since, "since", "S", "", `only jobs started from this time on ("1 min ago", "-1h", "today")`)
	cmd.Flags().StringVarP(&a.until, "until", "U", "", "only jobs started up to this time")
	_ = cmd.RegisterFlagCompletionFunc("since", completeTimeWords)
	_ = cmd.RegisterFlagCompletionFunc("until", completeTimeWords)
	return cmd
}

// collectJobs returns the jobs of names (every service's without names), newest first.
func collectJobs(ctx context.Context, c *client.Client, names []string) ([]client.Job, error) {
	if len(names) == 0 {
		list, err := c.ListUnits(ctx)
		if err != nil {
			return nil, err
		}
		for _, st := range list {
			names = append(names, st.Service)
		}
	}
	var all []client.Job
	for _, name := range names {
		jobs, err := c.ListJobs(ctx, name)
		if err != nil {
			return nil, err
		}
		for i := range jobs {
			if jobs[i].Service == "" {
				jobs[i].Service = name
			}
		}
		all = append(all, jobs...)
	}
	sortJobsNewestFirst(all)
	return all, nil
}

// sortJobsNewestFirst orders jobs by start, newest first; the ledger's ids break ties (a later
// job has a larger id).
func sortJobsNewestFirst(jobs []client.Job) {
	sort.SliceStable(jobs, func(i, j int) bool {
		if !jobs[i].StartedAt.Equal(jobs[j].StartedAt) {
			return jobs[i].StartedAt.After(jobs[j].StartedAt)
		}
		return jobs[i].ID > jobs[j].ID
	})
}

// filterJobs keeps the failed jobs (when failed), started within [since, until] (zero: open).
func filterJobs(jobs []client.Job, failed bool, since, until time.Time) []client.Job {
	out := []client.Job{}
	for _, j := range jobs {
		switch {
		case failed && j.Phase != "failed":
		case !since.IsZero() && j.StartedAt.Before(since):
		case !until.IsZero() && j.StartedAt.After(until):
		default:
			out = append(out, j)
		}
	}
	return out
}

// printJobs prints jobs as a table (with a SERVICE column when they may be of several
// services), or as JSON.
func printJobs(g *globals, jobs []client.Job, withService bool) error {
	if g.json() {
		return printJSON(jobs)
	}
	if g.quiet {
		return nil
	}
	tw := tabwriter.NewWriter(Stdout, 0, 0, 2, ' ', 0)
	service := func(j client.Job) string { return "" }
	if withService {
		service = func(j client.Job) string { return j.Service + "\t" }
	}
	if !g.noLegend {
		fmt.Fprintf(tw, "JOB\t%sPHASE\tRESULT\tEXIT\tSTARTED\tENDED\tRESTART\n", service(client.Job{Service: "SERVICE"}))
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
		fmt.Fprintf(tw, "%d\t%s%s\t%s\t%s\t%s\t%s\t%d\n", j.ID, service(j), j.Phase, result, exit, j.StartedAt.Local().Format(time.DateTime), ended, j.Restarts)
	}
	tw.Flush()
	if !g.noLegend {
		fmt.Fprintf(Stdout, "\n%d job(s) listed.\n", len(jobs))
		for _, j := range jobs {
			if j.OutputPartial {
				fmt.Fprintf(Stdout, "Job %d keeps a partial copy of its output: journald had not written all of it yet; herod completes it.\n", j.ID)
			}
		}
	}
	return nil
}
