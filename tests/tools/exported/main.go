// Command exported lists the exported package-level names (funcs, types, vars, consts) of this
// module's packages that no other package uses: names that need not be exported. A use is a
// selector PKG.Name in any .go file of another package, tests and every build tag included (a
// package's own external test package, PKG_test, is the package itself). Methods and fields are
// not counted: interfaces, reflection (D-Bus, JSON, GORM) and the language use them by name.
//
//	go run ./tests/tools/exported [-v] [DIR]
//
// It prints, per package, the count of such names (-v: the names), and the total.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	verbose := flag.Bool("v", false, "list the names")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	unused, err := unusedExports(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "exported:", err)
		os.Exit(2)
	}
	total := 0
	for _, pkg := range sortedKeys(unused) {
		names := unused[pkg]
		total += len(names)
		if len(names) == 0 {
			continue
		}
		fmt.Printf("%s: %d\n", pkg, len(names))
		if *verbose {
			fmt.Printf("  %s\n", strings.Join(names, " "))
		}
	}
	fmt.Printf("total: %d exported names no other package uses\n", total)
}

// pkgFiles are one directory's parsed files.
type pkgFiles struct {
	name  string // the package's name (of its non-test files)
	files []*ast.File
	tests map[*ast.File]bool
}

// unusedExports maps each package directory (relative to root) to its exported names that no
// other package's files select.
func unusedExports(root string) (map[string][]string, error) {
	module, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	dirs, err := parseDirs(root)
	if err != nil {
		return nil, err
	}
	exported := map[string]map[string]bool{} // dir -> names
	for dir, p := range dirs {
		if p.name == "main" || p.name == "" {
			continue
		}
		exported[dir] = map[string]bool{}
		for _, f := range p.files {
			if !p.tests[f] {
				for _, n := range topLevelExported(f) {
					exported[dir][n] = true
				}
			}
		}
	}
	for dir, p := range dirs {
		for _, f := range p.files {
			for _, imp := range f.Imports {
				ipath, _ := strconv.Unquote(imp.Path.Value)
				target, ok := strings.CutPrefix(ipath, module+"/")
				if !ok || target == dir || exported[target] == nil {
					continue
				}
				local := dirs[target].name
				if imp.Name != nil {
					local = imp.Name.Name
				}
				ast.Inspect(f, func(n ast.Node) bool {
					if sel, ok := n.(*ast.SelectorExpr); ok {
						if x, ok := sel.X.(*ast.Ident); ok && x.Name == local {
							delete(exported[target], sel.Sel.Name)
						}
					}
					return true
				})
			}
		}
	}
	out := map[string][]string{}
	for dir, names := range exported {
		out[dir] = sortedKeys(names)
	}
	return out, nil
}

// topLevelExported are the exported names a file declares at its top level (methods left out).
func topLevelExported(f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.IsExported() {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						out = append(out, s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() {
							out = append(out, n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// parseDirs parses every .go file under root (testdata and hidden folders skipped), whatever
// its build constraints, by directory.
func parseDirs(root string) (map[string]*pkgFiles, error) {
	fset := token.NewFileSet()
	dirs := map[string]*pkgFiles{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		dir := filepath.ToSlash(rel)
		if dirs[dir] == nil {
			dirs[dir] = &pkgFiles{tests: map[*ast.File]bool{}}
		}
		pf := dirs[dir]
		pf.files = append(pf.files, f)
		if strings.HasSuffix(p, "_test.go") {
			pf.tests[f] = true
		} else {
			pf.name = f.Name.Name
		}
		return nil
	})
	return dirs, err
}

// modulePath reads the module's path from root's go.mod.
func modulePath(root string) (string, error) {
	data, err := os.ReadFile(path.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.TrimSpace(m), nil
		}
	}
	return "", fmt.Errorf("no module line in %s/go.mod", root)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
