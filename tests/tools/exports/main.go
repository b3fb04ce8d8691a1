// Command exports lists the exported package-level names (functions, types, variables,
// constants) of a Go module's packages that no other package refers to, tests of other
// packages and a package's external tests included: names a package could keep to itself.
// Methods and fields are not counted (a method may be called through an interface).
//
//	go run ./tests/tools/exports [-v] [-under DIR] [MODULE_DIR]
//
// It prints, per package under DIR (every package without -under), how many such names it has,
// and with -v the names. A reference is a selector PKG.NAME in a file of another package (or of
// the package's _test package) whose import of the package is named PKG.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	verbose := flag.Bool("v", false, "print the names, not only the counts")
	under := flag.String("under", "", "only the packages in this directory (relative to the module) and below it")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	m, err := load(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "exports:", err)
		os.Exit(2)
	}
	unused := m.unused()
	var paths []string
	for p := range m.pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, m.path), "/")
		if *under == "" || rel == filepath.Clean(*under) || strings.HasPrefix(rel, filepath.Clean(*under)+"/") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	total := 0
	for _, p := range paths {
		names := unused[p]
		if len(names) == 0 && !*verbose {
			continue
		}
		total += len(names)
		fmt.Printf("%s: %d\n", p, len(names))
		if *verbose {
			for _, n := range names {
				fmt.Printf("  %s\n", n)
			}
		}
	}
	fmt.Printf("%d exported package-level names used by no other package\n", total)
}
