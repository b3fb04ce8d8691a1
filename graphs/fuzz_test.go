package graphs

import "testing"

// FuzzBuild builds graphs from arbitrary edges: no panic, and on a graph without problems every
// plan holds each member once and ends with its service.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 0, 3, 3})
	f.Add([]byte{5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0x85, 0x91})
	f.Fuzz(func(t *testing.T, data []byte) {
		const size = 8
		nodes := make([]Node, size)
		for i := range nodes {
			nodes[i].Name = string(rune('a' + i))
		}
		for i := 0; i+1 < len(data) && i < 64; i += 2 {
			from, to := int(data[i]%size), nodes[data[i+1]%size].Name
			switch data[i] >> 6 {
			case 0, 1:
				nodes[from].Requires = append(nodes[from].Requires, to)
			case 2:
				nodes[from].After = append(nodes[from].After, to)
			default:
				nodes[from].Conflicts = append(nodes[from].Conflicts, to)
			}
		}
		g, probs := Build(nodes)
		for _, nd := range nodes {
			sp, err := g.Stop(nd.Name)
			if err != nil {
				t.Fatal(err)
			}
			st, err := g.Start(nd.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(probs) > 0 {
				continue
			}
			for _, order := range [][]string{sp.Order, st.Order} {
				seen := map[string]bool{}
				for _, m := range order {
					if seen[m] {
						t.Fatalf("%s twice in %v", m, order)
					}
					seen[m] = true
				}
				if order[len(order)-1] != nd.Name {
					t.Fatalf("plan %v does not end with %s", order, nd.Name)
				}
			}
		}
	})
}
