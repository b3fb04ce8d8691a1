package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// loadGraph returns the dependency graph: herod's, or the config directory's when one was given
// (or herod is not reachable), which holds every service that is not bad-config.
func loadGraph(cmd *cobra.Command, g *globals) (*graphs.Graph, error) {
	graph, _, err := loadGraphSet(cmd, g)
	return graph, err
}

// loadGraphSet is loadGraph that also returns the directory's Set (nil from herod).
func loadGraphSet(cmd *cobra.Command, g *globals) (*graphs.Graph, *config.Set, error) {
	var out *graphs.Graph
	var set *config.Set
	err := withDaemon(cmd, g, func(ctx context.Context, c *client.Client) error {
		names, edges, err := c.Graph(ctx)
		if err != nil {
			return err
		}
		nodes := make([]graphs.Node, len(names))
		index := map[string]int{}
		for i, n := range names {
			nodes[i] = graphs.Node{Name: n}
			index[n] = i
		}
		for _, e := range edges {
			i, ok := index[e.From]
			if !ok {
				continue
			}
			switch e.Kind {
			case graphs.KindRequires:
				nodes[i].Requires = append(nodes[i].Requires, e.To)
			case graphs.KindAfter:
				nodes[i].After = append(nodes[i].After, e.To)
			default:
				nodes[i].Conflicts = append(nodes[i].Conflicts, e.To)
			}
		}
		out, _ = graphs.Build(nodes)
		return nil
	}, func() error {
		var err error
		if set, err = loadUsable(g); err != nil {
			return err
		}
		out = set.Graph
		return nil
	})
	return out, set, err
}
