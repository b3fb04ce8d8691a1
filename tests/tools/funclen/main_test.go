package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLongFunctions specifies the limit: a function of exactly limit lines passes, one more line
// is reported with its file, line and length; test files are not read.
func TestLongFunctions(t *testing.T) {
	dir := t.TempDir()
	body := func(name string, lines int) string { // func line + lines-2 statements + closing brace
		return "func " + name + "() {\n" + strings.Repeat("\t_ = 0\n", lines-2) + "}\n"
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("package p\n\n"+text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", body("fits", 80)+body("tooLong", 81))
	write("a_test.go", body("longTest", 200))
	long, err := longFunctions(dir, 80)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "a.go") + ":83: tooLong is 81 lines"
	if len(long) != 1 || long[0] != want {
		t.Errorf("got %q, want [%q]", long, want)
	}
}
