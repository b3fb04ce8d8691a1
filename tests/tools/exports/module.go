package main

import (
	"bufio"
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

// module is a Go module's packages: each one's exported package-level names, and the selectors
// each file makes of the packages it imports.
type module struct {
	path string                     // the module's path (go.mod)
	pkgs map[string]map[string]bool // import path -> its exported package-level names
	// uses are the names each package's files select of another package: import path -> the
	// set of names used, by files of another package (external tests included).
	uses map[string]map[string]bool
}

// load parses every .go file of the module at root (testdata, vendor and dot directories aside).
func load(root string) (*module, error) {
	modPath, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	m := &module{path: modPath, pkgs: map[string]map[string]bool{}, uses: map[string]map[string]bool{}}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
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
		m.add(path.Join(modPath, filepath.ToSlash(rel)), f, strings.HasSuffix(p, "_test.go"))
		return nil
	})
	return m, err
}

// add takes file f of the package at importPath (a test file when test).
func (m *module) add(importPath string, f *ast.File, test bool) {
	importPath = strings.TrimSuffix(importPath, "/.")
	if m.pkgs[importPath] == nil {
		m.pkgs[importPath] = map[string]bool{}
	}
	external := strings.HasSuffix(f.Name.Name, "_test")
	if !test {
		for _, name := range exportedNames(f) {
			m.pkgs[importPath][name] = true
		}
	}
	imports := map[string]string{} // the name a file uses -> the import path
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		if p != importPath || external {
			imports[name] = p
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && imports[id.Name] != "" {
				p := imports[id.Name]
				if m.uses[p] == nil {
					m.uses[p] = map[string]bool{}
				}
				m.uses[p][sel.Sel.Name] = true
			}
		}
		return true
	})
}

// exportedNames are f's exported package-level functions, types, variables and constants.
func exportedNames(f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.IsExported() {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
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

// unused returns, by import path, the exported names no other package uses, sorted. A main
// package's names are left out (nothing imports a command).
func (m *module) unused() map[string][]string {
	out := map[string][]string{}
	for p, names := range m.pkgs {
		for n := range names {
			if !m.uses[p][n] && n != "main" {
				out[p] = append(out[p], n)
			}
		}
		sort.Strings(out[p])
	}
	return out
}

// modulePath reads the module line of a go.mod file.
func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if p, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.TrimSpace(p), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", gomod)
}
