package cli

import (
	"fmt"
	"strings"

	"github.com/hero-systemd/hero-systemd/graphs"
)

// printStopPlan shows a cascade stop plan: JSON as the bridge's plan object, or one wave a line.
func printStopPlan(g *globals, p graphs.StopPlan) error {
	if g.json() {
		return printJSON(p)
	}
	if g.quiet {
		return nil
	}
	fmt.Fprintf(Stdout, "Stopping %s stops %d service(s) in %d wave(s):\n", p.Service, len(p.Order), len(p.Waves))
	printWaves(p.Waves)
	return nil
}

func printStartPlan(g *globals, p graphs.StartPlan) error {
	if g.json() {
		return printJSON(p)
	}
	if g.quiet {
		return nil
	}
	fmt.Fprintf(Stdout, "Starting %s starts %d service(s) in %d wave(s):\n", p.Service, len(p.Order), len(p.Waves))
	printWaves(p.Waves)
	return nil
}

func printWaves(waves [][]string) {
	for i, w := range waves {
		fmt.Fprintf(Stdout, "  wave %d: %s\n", i+1, strings.Join(w, " "))
	}
}
