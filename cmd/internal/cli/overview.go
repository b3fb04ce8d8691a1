package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

// stateRank orders states in an overview: what needs attention first.
var stateRank = map[string]int{
	"failed": 0, "bad-config": 1, "blocked": 2, "activating": 3, "running": 4, "success": 5, "stopped": 6, "inactive": 7,
}

// sortForOverview orders statuses by stateRank, then by name.
func sortForOverview(list []client.Status) {
	sort.SliceStable(list, func(i, j int) bool {
		ri, rj := rankOf(list[i].State), rankOf(list[j].State)
		if ri != rj {
			return ri < rj
		}
		return list[i].Service < list[j].Service
	})
}

func rankOf(state string) int {
	if r, ok := stateRank[state]; ok {
		return r
	}
	return len(stateRank)
}

// statusOverview prints what 'heroctl status' without a name prints: herod's or, when herod
// cannot be reached, systemd's view of every service.
func statusOverview(cmd *cobra.Command, g *globals, width int) error {
	return withSystemdView(cmd, g, func(ctx context.Context, c *client.Client) error {
		list, err := c.ListServices(ctx)
		if err != nil {
			return err
		}
		return printOverview(g, list, width)
	}, func(v *systemdView) error {
		list := make([]client.Status, 0, len(v.order))
		for _, name := range v.order {
			list = append(list, v.statuses[name])
		}
		return printOverview(g, list, width)
	})
}

// overallState is systemd's word for the whole: degraded when a service failed or cannot be
// started for its config, else running.
func overallState(list []client.Status) string {
	for _, st := range list {
		if st.State == "failed" || st.State == "bad-config" {
			return "degraded"
		}
	}
	return "running"
}

// stateCounts sums up list as "1 failed, 3 running, 2 inactive", in overview order.
func stateCounts(list []client.Status) string {
	count := map[string]int{}
	var states []string
	for _, st := range list {
		if count[st.State] == 0 {
			states = append(states, st.State)
		}
		count[st.State]++
	}
	sort.SliceStable(states, func(i, j int) bool { return rankOf(states[i]) < rankOf(states[j]) })
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = fmt.Sprintf("%d %s", count[s], s)
	}
	return strings.Join(parts, ", ")
}

// namesIn lists the services of list in state.
func namesIn(list []client.Status, state string) []string {
	var out []string
	for _, st := range list {
		if st.State == state {
			out = append(out, st.Service)
		}
	}
	return out
}

// printOverview prints the head (state, counts, what failed) and one line per service,
// failed and bad-config ones first, each cut to width (0: whole); -o json: the statuses.
func printOverview(g *globals, list []client.Status, width int) error {
	sortForOverview(list)
	if g.json() {
		return printJSON(list)
	}
	if g.quiet {
		return nil
	}
	state := overallState(list)
	host, _ := os.Hostname()
	if g.host != "" {
		host = hostName(g)
	}
	mark := "●"
	if state == "degraded" {
		mark = "×"
	}
	fmt.Fprintf(Stdout, "%s hero services on %s\n", mark, host)
	fmt.Fprintf(Stdout, "       State: %s\n", state)
	fmt.Fprintf(Stdout, "    Services: %d (%s)\n", len(list), stateCounts(list))
	if failed := namesIn(list, "failed"); len(failed) > 0 {
		fmt.Fprintf(Stdout, "      Failed: %s ('heroctl status %s' says why)\n", strings.Join(failed, " "), failed[0])
	}
	if bad := namesIn(list, "bad-config"); len(bad) > 0 {
		fmt.Fprintf(Stdout, "  Bad config: %s ('%s' names the problems)\n", strings.Join(bad, " "), g.suggest("validate"))
	}
	fmt.Fprintln(Stdout)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if !g.noLegend {
		fmt.Fprintln(tw, "  SERVICE\tSTATE\tUNIT\tLAST JOB\tDESCRIPTION")
	}
	for _, st := range list {
		last := "-"
		if j := st.LastJob; j != nil {
			last = fmt.Sprintf("%d %s", j.ID, j.Phase)
			if exitedOneshot(st) {
				last = fmt.Sprintf("%d exited", j.ID)
			}
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\n", dot(st), st.Service, stateWord(st), st.Unit, last, st.Description)
	}
	tw.Flush()
	out := bufio.NewWriterSize(Stdout, 64<<10) // one write, not one per service
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line != "" {
			fmt.Fprintln(out, ellipsize(strings.TrimSuffix(line, "\n"), width))
		}
	}
	return out.Flush()
}
