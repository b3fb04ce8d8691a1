package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

// exitInterrupted is the exit status after Ctrl-C (128 + SIGINT), as shells report it.
const exitInterrupted = 130

// opFlags are the flags of the verbs that queue an operation, as systemctl's job waiting has them.
type opFlags struct {
	noBlock bool
	timeout time.Duration
	// progress, when set, sees each step first; a step it reports handled is not printed.
	progress func(client.Progress) bool
}

func (f *opFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.noBlock, "no-block", false, "do not wait for the operation to finish: return once herod queued it")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 0, "stop waiting after this long (e.g. 90s; 0: wait until it ends); the operation goes on in herod")
}

// operation queues an operation with queue and, unless --no-block, waits for its end, printing
// each of its steps to stderr (only its own: other callers' operations are not shown). The
// outcome's error, if any, is returned with advice.
func operation(cmd *cobra.Command, g *globals, c *client.Client, f opFlags, subject string,
	queue func(context.Context) (client.Queued, error)) (client.Queued, client.Outcome, error) {
	ctx := cmd.Context()
	w, err := c.WatchOperations()
	if err != nil {
		return client.Queued{}, client.Outcome{}, adviseFor(g, err)
	}
	defer w.Close()
	q, err := queue(ctx)
	if err != nil || q.Operation == 0 {
		return q, client.Outcome{}, adviseFor(g, err)
	}
	if f.noBlock {
		if !g.quiet {
			if len(q.Services) == 0 {
				fmt.Fprintf(Stderr, "Queued operation %d (%s); see '%s'.\n", q.Operation, subject, statusOf(subject))
			} else {
				fmt.Fprintf(Stderr, "Queued operation %d for %s; see '%s'.\n", q.Operation, strings.Join(q.Services, ", "), statusOf(subject))
			}
		}
		return q, client.Outcome{}, nil
	}
	wctx := ctx
	if f.timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	out, err := w.Wait(wctx, q.Operation, func(p client.Progress) {
		if f.progress == nil || !f.progress(p) {
			printProgress(g, p)
		}
	})
	switch {
	case err == nil && out.Err != nil:
		return q, out, adviseFor(g, out.Err)
	case errors.Is(err, context.DeadlineExceeded):
		return q, out, exitWith(ExitFailure, fmt.Errorf("%s: still going after %s; the operation goes on in herod: see '%s'", subject, f.timeout, statusOf(subject)))
	case errors.Is(err, context.Canceled):
		return q, out, exitWith(exitInterrupted, fmt.Errorf("interrupted; the operation goes on in herod: see '%s'", statusOf(subject)))
	case err != nil:
		return q, out, adviseFor(g, err)
	}
	return q, out, nil
}

// statusOf is the status command that shows how the operation on subject goes: of its
// services, or the overview for an operation on no service in particular (an apply).
func statusOf(subject string) string {
	if subject == "apply" {
		return "heroctl status"
	}
	return "heroctl status " + subject
}

func printProgress(g *globals, p client.Progress) {
	if g.quiet {
		return
	}
	switch p.Event {
	case "started":
		fmt.Fprintf(Stderr, "Started %s (job %d).\n", p.Service, p.JobID)
	case "stopped":
		fmt.Fprintf(Stderr, "Stopped %s.\n", p.Service)
	case "reloaded":
		fmt.Fprintf(Stderr, "Reloaded %s (job %d).\n", p.Service, p.JobID)
	case "failed":
		first, _, _ := strings.Cut(p.Detail, "\n")
		fmt.Fprintf(Stderr, "Failed to start %s: %s\n", p.Service, first)
	default:
		fmt.Fprintf(Stderr, "%s %s: %s\n", p.Event, p.Service, p.Detail)
	}
}
