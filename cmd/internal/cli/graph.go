package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func init() { verbs = append(verbs, newGraphCmd) }

func newGraphCmd(g *globals) *cobra.Command {
	var dot bool
	cmd := &cobra.Command{
		Use:   "graph [--dot]",
		Short: "Print the whole dependency graph",
		Long: `graph prints every dependency edge as "FROM -> TO (KIND)", sorted. With --dot it prints
Graphviz DOT (render with: heroctl graph --dot | dot -Tsvg > graph.svg): requires edges solid,
after edges dashed, conflicts red and undirected.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dot && g.json() {
				return usageError(cmd, "--dot and -o json are two output formats; choose one")
			}
			graph, err := loadGraph(cmd, g)
			if err != nil {
				return err
			}
			edges := graph.Edges()
			type conflict struct{ a, b string }
			var conflicts []conflict
			seen := map[conflict]bool{}
			for _, n := range graph.Names() {
				for _, c := range graph.Conflicts(n) {
					k := conflict{min(n, c), max(n, c)}
					if !seen[k] {
						seen[k] = true
						conflicts = append(conflicts, k)
					}
				}
			}
			if g.json() {
				type edge struct {
					From string `json:"from"`
					To   string `json:"to"`
					Kind string `json:"kind"`
				}
				out := struct {
					Services []string `json:"services"`
					Edges    []edge   `json:"edges"`
				}{Services: graph.Names(), Edges: []edge{}}
				for _, e := range edges {
					out.Edges = append(out.Edges, edge{e.From, e.To, e.Kind})
				}
				for _, c := range conflicts {
					out.Edges = append(out.Edges, edge{c.a, c.b, "conflicts"})
				}
				return printJSON(out)
			}
			if !dot {
				for _, e := range edges {
					fmt.Fprintf(Stdout, "%s -> %s (%s)\n", e.From, e.To, e.Kind)
				}
				for _, c := range conflicts {
					fmt.Fprintf(Stdout, "%s -- %s (conflicts)\n", c.a, c.b)
				}
				return nil
			}
			fmt.Fprintln(Stdout, "digraph hero {")
			fmt.Fprintln(Stdout, "  rankdir=LR;")
			fmt.Fprintln(Stdout, `  node [shape=box, style=rounded, fontname="sans-serif"];`)
			fmt.Fprintln(Stdout, `  edge [fontname="sans-serif", fontsize=10];`)
			for _, n := range graph.Names() {
				fmt.Fprintf(Stdout, "  %s;\n", dotID(n))
			}
			for _, e := range edges {
				style := ""
				if e.Kind != "requires" {
					style = " [style=dashed, label=after]"
				}
				fmt.Fprintf(Stdout, "  %s -> %s%s;\n", dotID(e.From), dotID(e.To), style)
			}
			for _, c := range conflicts {
				fmt.Fprintf(Stdout, "  %s -> %s [dir=none, color=red, style=dotted, label=conflicts];\n", dotID(c.a), dotID(c.b))
			}
			fmt.Fprintln(Stdout, "}")
			return nil
		},
	}
	cmd.Flags().BoolVar(&dot, "dot", false, "print Graphviz DOT")
	return cmd
}

// dotID quotes a name as a DOT ID (the graph library's DOT writer does not escape).
func dotID(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
