package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/graphs"
)

func init() { verbs = append(verbs, newGraphCmd) }

func newGraphCmd(g *globals) *cobra.Command {
	var dot bool
	cmd := &cobra.Command{
		Use:   "graph [--dot]",
		Short: "Print the whole dependency graph",
		Long: `graph prints every dependency edge as "FROM -> TO (KIND)", sorted. With --dot it prints
Graphviz DOT (render with: heroctl graph --dot | dot -Tsvg > graph.svg): requires edges solid,
wants and after edges dashed and labelled, conflicts red and undirected.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dot && g.json() {
				return usageError(cmd, "--dot and -o json are two output formats; choose one")
			}
			graph, err := loadGraph(cmd, g)
			if err != nil {
				return err
			}
			switch {
			case g.json():
				return printGraphJSON(graph)
			case dot:
				printGraphDOT(graph)
			default:
				printGraphText(graph)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dot, "dot", false, "print Graphviz DOT")
	return cmd
}

// conflictPair is one conflicts relation, its names in order (conflicts are symmetric).
type conflictPair struct{ a, b string }

// conflictPairs lists every conflicts relation of graph once.
func conflictPairs(graph *graphs.Graph) []conflictPair {
	var out []conflictPair
	seen := map[conflictPair]bool{}
	for _, n := range graph.Names() {
		for _, c := range graph.Conflicts(n) {
			k := conflictPair{min(n, c), max(n, c)}
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

func printGraphJSON(graph *graphs.Graph) error {
	type edge struct {
		From string `json:"from"`
		To   string `json:"to"`
		Kind string `json:"kind"`
	}
	out := struct {
		Services []string `json:"services"`
		Edges    []edge   `json:"edges"`
	}{Services: graph.Names(), Edges: []edge{}}
	for _, e := range graph.Edges() {
		out.Edges = append(out.Edges, edge{e.From, e.To, e.Kind})
	}
	for _, c := range conflictPairs(graph) {
		out.Edges = append(out.Edges, edge{c.a, c.b, graphs.KindConflicts})
	}
	return printJSON(out)
}

func printGraphText(graph *graphs.Graph) {
	for _, e := range graph.Edges() {
		fmt.Fprintf(Stdout, "%s -> %s (%s)\n", e.From, e.To, e.Kind)
	}
	for _, c := range conflictPairs(graph) {
		fmt.Fprintf(Stdout, "%s -- %s (conflicts)\n", c.a, c.b)
	}
}

func printGraphDOT(graph *graphs.Graph) {
	fmt.Fprintln(Stdout, "digraph hero {")
	fmt.Fprintln(Stdout, "  rankdir=LR;")
	fmt.Fprintln(Stdout, `  node [shape=box, style=rounded, fontname="sans-serif"];`)
	fmt.Fprintln(Stdout, `  edge [fontname="sans-serif", fontsize=10];`)
	for _, n := range graph.Names() {
		fmt.Fprintf(Stdout, "  %s;\n", dotID(n))
	}
	for _, e := range graph.Edges() {
		style := ""
		if e.Kind != graphs.KindRequires {
			// after, or wants: neither stops the dependent; the label says which.
			style = fmt.Sprintf(" [style=dashed, label=%s]", e.Kind)
		}
		fmt.Fprintf(Stdout, "  %s -> %s%s;\n", dotID(e.From), dotID(e.To), style)
	}
	for _, c := range conflictPairs(graph) {
		fmt.Fprintf(Stdout, "  %s -> %s [dir=none, color=red, style=dotted, label=conflicts];\n", dotID(c.a), dotID(c.b))
	}
	fmt.Fprintln(Stdout, "}")
}

// dotID quotes a name as a DOT ID (the graph library's DOT writer does not escape).
func dotID(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
