// Command funclen lists the functions of a Go tree longer than a limit, test files aside, and
// fails when there is one: the test run keeps every function short enough to read in one
// sitting.
//
//	go run ./tests/tools/funclen [-max 80] [DIR]
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	limit := flag.Int("max", 80, "the most lines a function may have, from its func line to its closing brace")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	long, err := longFunctions(root, *limit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "funclen:", err)
		os.Exit(2)
	}
	for _, l := range long {
		fmt.Println(l)
	}
	if len(long) > 0 {
		fmt.Fprintf(os.Stderr, "funclen: %d function(s) over %d lines\n", len(long), *limit)
		os.Exit(1)
	}
}

// longFunctions returns "FILE:LINE: NAME is N lines" for every function declaration and function
// literal over limit lines in the non-test Go files under root.
func longFunctions(root string, limit int) ([]string, error) {
	var long []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			name, body := "", (*ast.BlockStmt)(nil)
			switch fn := n.(type) {
			case *ast.FuncDecl:
				name, body = fn.Name.Name, fn.Body
			case *ast.FuncLit:
				name, body = "a function literal", fn.Body
			}
			if body == nil {
				return true
			}
			first, last := fset.Position(n.Pos()), fset.Position(body.End())
			if lines := last.Line - first.Line + 1; lines > limit {
				long = append(long, fmt.Sprintf("%s:%d: %s is %d lines", path, first.Line, name, lines))
			}
			return true
		})
		return nil
	})
	return long, err
}
