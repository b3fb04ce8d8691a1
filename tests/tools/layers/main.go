// Command layers draws the files of Go packages as floors: a file stands one floor above the
// highest file whose definitions it uses, so a package whose files use only what files below
// them define reads from the bottom up. A reference that runs back up (a file using a definition
// of a file on its own floor or above, which only a cycle between files makes) is listed; the
// test run keeps their number per package at most -max-up.
//
//	go run ./tests/tools/layers [-max-up N] [-v] PACKAGE_DIR...
//
// Files are the package's non-test .go files; a reference is a pair of files (A uses at least
// one package-level definition, method or field declared in B). Cycles are broken where they
// cost the fewest references (a greedy feedback arc set per strongly connected component, in
// the manner of Eades, Lin and Smyth), so the count is the references a reader meets running
// against the floors.
package main

import (
	"flag"
	"fmt"
	"math/bits"
	"os"
	"sort"
	"strings"
)

func main() {
	maxUp := flag.Int("max-up", -1, "fail when a package has more references back up than this (-1: never fail)")
	verbose := flag.Bool("v", false, "print every file's floor, not only the summary and the references back up")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: layers [-max-up N] [-v] PACKAGE_DIR...")
		os.Exit(2)
	}
	over := 0
	for _, dir := range flag.Args() {
		refs, err := fileReferences(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "layers: %s: %v\n", dir, err)
			os.Exit(2)
		}
		d := draw(refs)
		fmt.Print(d.report(dir, *verbose))
		if *maxUp >= 0 && len(d.up) > *maxUp {
			fmt.Fprintf(os.Stderr, "layers: %s has %d references back up (at most %d)\n", dir, len(d.up), *maxUp)
			over++
		}
	}
	if over > 0 {
		os.Exit(1)
	}
}

// drawing is a package's files on their floors.
type drawing struct {
	files  []string
	floor  map[string]int
	edges  int         // references (pairs of files)
	up     []reference // the references that run back up
	floors int
}

type reference struct {
	from, to string
	names    []string // the definitions used, sorted
}

// draw places the files of refs (file -> files it uses -> the names used) on floors.
func draw(refs map[string]map[string][]string) *drawing {
	d := &drawing{floor: map[string]int{}}
	for f := range refs {
		d.files = append(d.files, f)
	}
	sort.Strings(d.files)
	back := feedbackArcs(d.files, refs)
	for _, f := range d.files {
		d.place(f, refs, back, map[string]bool{})
	}
	for _, from := range d.files {
		for to, names := range refs[from] {
			d.edges++
			if d.floor[to] >= d.floor[from] {
				d.up = append(d.up, reference{from: from, to: to, names: names})
			}
		}
	}
	sort.Slice(d.up, func(i, j int) bool {
		if d.up[i].from != d.up[j].from {
			return d.up[i].from < d.up[j].from
		}
		return d.up[i].to < d.up[j].to
	})
	return d
}

// place gives f its floor: one above the highest file it uses through a reference that is not
// a cycle's broken arc.
func (d *drawing) place(f string, refs map[string]map[string][]string, back map[[2]string]bool, visiting map[string]bool) int {
	if fl, ok := d.floor[f]; ok {
		return fl
	}
	visiting[f] = true
	fl := 1
	for to := range refs[f] {
		if back[[2]string{f, to}] || visiting[to] {
			continue
		}
		if below := d.place(to, refs, back, visiting); below+1 > fl {
			fl = below + 1
		}
	}
	delete(visiting, f)
	d.floor[f] = fl
	if fl > d.floors {
		d.floors = fl
	}
	return fl
}

func (d *drawing) report(dir string, verbose bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d files on %d floors, %d references, %d back up\n", dir, len(d.files), d.floors, d.edges, len(d.up))
	if verbose {
		for fl := d.floors; fl >= 1; fl-- {
			var on []string
			for _, f := range d.files {
				if d.floor[f] == fl {
					on = append(on, f)
				}
			}
			fmt.Fprintf(&b, "  floor %d: %s\n", fl, strings.Join(on, " "))
		}
	}
	for _, r := range d.up {
		names := r.names
		if len(names) > 4 {
			names = append(names[:4:4], "…")
		}
		fmt.Fprintf(&b, "  back up: %s (floor %d) uses %s (floor %d): %s\n", r.from, d.floor[r.from], r.to, d.floor[r.to], strings.Join(names, ", "))
	}
	return b.String()
}

// feedbackArcs returns the references to leave out so that what remains has no cycle: per
// strongly connected component, those that run against the order of its files that has the
// fewest such references (found exactly up to exactLimit files, greedily above).
func feedbackArcs(files []string, refs map[string]map[string][]string) map[[2]string]bool {
	back := map[[2]string]bool{}
	for _, comp := range components(files, refs) {
		if len(comp) < 2 {
			continue
		}
		sort.Strings(comp)
		var order []string
		if len(comp) <= exactLimit {
			order = bestOrder(comp, refs)
		} else {
			order = greedyOrder(comp, refs)
		}
		pos := map[string]int{}
		for i, f := range order {
			pos[f] = i
		}
		for _, from := range comp {
			for to := range refs[from] {
				if p, in := pos[to]; in && p > pos[from] {
					back[[2]string{from, to}] = true
				}
			}
		}
	}
	return back
}

// exactLimit is the largest component ordered exactly (2^n subsets).
const exactLimit = 22

// bestOrder orders comp from the bottom up so that the fewest references run upwards (a file
// using one above it): a dynamic program over the sets of files placed lowest.
func bestOrder(comp []string, refs map[string]map[string][]string) []string {
	n := len(comp)
	usedBy := make([]uint32, n) // usedBy[v]: the files of comp that use v
	for i, u := range comp {
		for j, v := range comp {
			if _, ok := refs[u][v]; ok && i != j {
				usedBy[j] |= 1 << i
			}
		}
	}
	full := uint32(1)<<n - 1
	cost := make([]int32, full+1)
	from := make([]int8, full+1)
	for s := uint32(1); s <= full; s++ {
		cost[s] = 1 << 30
	}
	for s := uint32(0); s < full; s++ {
		for v := 0; v < n; v++ {
			if s&(1<<v) != 0 {
				continue
			}
			// v placed above every file of s: those of s that use v look up to it.
			t := s | 1<<v
			if c := cost[s] + int32(bits.OnesCount32(s&usedBy[v])); c < cost[t] {
				cost[t], from[t] = c, int8(v)
			}
		}
	}
	order := make([]string, n)
	for s, i := full, n-1; s != 0; i-- {
		v := from[s]
		order[i] = comp[v]
		s &^= 1 << v
	}
	return order
}

// greedyOrder orders comp from the bottom up (Eades, Lin and Smyth): files that use nothing left
// go to the bottom, files nothing left uses to the top, otherwise the file with the most uses
// minus users goes up next.
func greedyOrder(comp []string, refs map[string]map[string][]string) []string {
	left := map[string]bool{}
	for _, f := range comp {
		left[f] = true
	}
	degree := func(f string) (in, out int) {
		for to := range refs[f] {
			if left[to] && to != f {
				out++
			}
		}
		for g := range left {
			if _, ok := refs[g][f]; ok && g != f {
				in++
			}
		}
		return in, out
	}
	var bottom, top []string
	for len(left) > 0 {
		best, bestScore := "", 0
		for _, f := range comp {
			if !left[f] {
				continue
			}
			in, out := degree(f)
			switch {
			case out == 0:
				bottom = append(bottom, f)
				delete(left, f)
				continue
			case in == 0:
				top = append([]string{f}, top...)
				delete(left, f)
				continue
			}
			if best == "" || out-in > bestScore {
				best, bestScore = f, out-in
			}
		}
		if best != "" && left[best] {
			top = append([]string{best}, top...)
			delete(left, best)
		}
	}
	return append(bottom, top...)
}

// components returns the strongly connected components of the files (Tarjan).
func components(files []string, refs map[string]map[string][]string) [][]string {
	index, low := map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	next := 0
	var visit func(f string)
	visit = func(f string) {
		index[f], low[f] = next, next
		next++
		stack = append(stack, f)
		onStack[f] = true
		targets := make([]string, 0, len(refs[f]))
		for to := range refs[f] {
			targets = append(targets, to)
		}
		sort.Strings(targets)
		for _, to := range targets {
			if _, seen := index[to]; !seen {
				visit(to)
				low[f] = min(low[f], low[to])
			} else if onStack[to] {
				low[f] = min(low[f], index[to])
			}
		}
		if low[f] == index[f] {
			var comp []string
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[top] = false
				comp = append(comp, top)
				if top == f {
					break
				}
			}
			out = append(out, comp)
		}
	}
	for _, f := range files {
		if _, seen := index[f]; !seen {
			visit(f)
		}
	}
	return out
}
