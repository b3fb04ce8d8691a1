package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/graphs"
)

// printStartPlan shows a start plan the same way.
func printStartPlan(g *globals, p graphs.StartPlan) error {
	return printPlan(g, p, "Starting %s starts", p.Service, p.Order, p.Waves)
}

func printPlan(g *globals, plan any, head, service string, order []string, waves [][]string) error {
	if g.json() {
		return printJSON(plan)
	}
	if g.quiet {
		return nil
	}
	fmt.Fprintf(Stdout, head+" %d service(s) in %d wave(s):\n", service, len(order), len(waves))
	printWaves(waves)
	return nil
}

// dryRun prints a plan of name without touching anything: herod's, or computed from the config
// directory when one was given (or herod is not reachable). A directory with problems serves
// the plans of every service they do not concern: a bad-config service has none, a blocked one
// no start plan.
func dryRun[P any](cmd *cobra.Command, g *globals, name string,
	remote func(context.Context, *client.Client) (P, error),
	local func(*graphs.Graph) (P, error),
	print func(*globals, P) error) error {
	return withDaemon(cmd, g, func(ctx context.Context, c *client.Client) error {
		p, err := remote(ctx, c)
		if err != nil {
			return err
		}
		return print(g, p)
	}, func() error {
		set, err := loadUsable(g)
		if err != nil {
			return err
		}
		_, isStart := any(*new(P)).(graphs.StartPlan)
		if err := usableService(g, set, name, isStart); err != nil {
			return err
		}
		p, err := local(set.Graph)
		if err != nil {
			return graphErr(g, name, err)
		}
		return print(g, p)
	})
}

// startAllDryRun prints the start plan of several services started together (as start A B C
// does): herod's API plans one service at a time, so the union is computed here from herod's
// graph (or the config directory's) with the same planner herod uses.
func startAllDryRun(cmd *cobra.Command, g *globals, names []string) error {
	graph, err := loadGraph(cmd, g)
	if err != nil {
		return err
	}
	for _, n := range names {
		if !graph.Has(n) {
			return noSuchService(g, n)
		}
	}
	p, err := graph.StartAll(names)
	if err != nil {
		return exitWith(ExitFailure, err)
	}
	p.Service = strings.Join(names, " ")
	return printStartPlan(g, p)
}
