package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/graphs"
)

func init() { verbs = append(verbs, newListDependenciesCmd) }

func newListDependenciesCmd(g *globals) *cobra.Command {
	var reverse bool
	cmd := &cobra.Command{
		Use:   "list-dependencies [--reverse] [--plain] NAME",
		Short: "Show the dependency tree of a service",
		Long: `list-dependencies prints the services NAME requires, recursively, as a tree (like
'systemctl list-dependencies'). Services it is only ordered after are marked "(after)" and not
expanded. With --reverse it prints what requires NAME instead: what a stop of NAME cascades to.
A service already shown is not expanded again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			graph, set, err := loadGraphSet(cmd, g)
			if err != nil {
				return err
			}
			name := args[0]
			if set != nil {
				if err := usableService(g, set, name, false); err != nil {
					return err
				}
			}
			if !graph.Has(name) {
				return noSuchService(g, name)
			}
			t := depTree{g: graph, reverse: reverse, plain: g.plain, seen: map[string]bool{}}
			if g.json() {
				return printJSON(t.node(name))
			}
			fmt.Fprintln(Stdout, name)
			t.print(name, "")
			return nil
		},
	}
	cmd.Flags().BoolVar(&reverse, "reverse", false, "show what requires the service instead")
	return cmd
}

type depTree struct {
	g       *graphs.Graph
	reverse bool
	plain   bool
	seen    map[string]bool
}

type depNode struct {
	Name      string    `json:"name"`
	OrderOnly bool      `json:"order_only,omitempty"`
	Children  []depNode `json:"children,omitempty"`
}

func (t *depTree) children(name string) (hard, order []string) {
	if t.reverse {
		return t.g.RequiredBy(name), t.g.OrderedBefore(name)
	}
	return t.g.Requires(name), t.g.After(name)
}

func (t *depTree) node(name string) depNode {
	n := depNode{Name: name}
	if t.seen[name] {
		return n
	}
	t.seen[name] = true
	hard, order := t.children(name)
	for _, c := range hard {
		n.Children = append(n.Children, t.node(c))
	}
	for _, c := range order {
		n.Children = append(n.Children, depNode{Name: c, OrderOnly: true})
	}
	return n
}

func (t *depTree) print(name, indent string) {
	if t.seen[name] {
		return
	}
	t.seen[name] = true
	hard, order := t.children(name)
	all := len(hard) + len(order)
	for i, c := range append(append([]string(nil), hard...), order...) {
		last := i == all-1
		branch, next := "├─", "│ "
		if last {
			branch, next = "└─", "  "
		}
		if t.plain {
			branch, next = "  ", "  "
		}
		label := c
		if i >= len(hard) {
			label += " (after)"
		} else if t.seen[c] && len(t.childrenOf(c)) > 0 {
			label += " ..."
		}
		fmt.Fprintln(Stdout, indent+branch+label)
		if i < len(hard) {
			t.print(c, indent+next)
		}
	}
}

func (t *depTree) childrenOf(name string) []string {
	hard, _ := t.children(name)
	return hard
}
