package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A name is unused when no other package (an external test of its own included) selects it;
// a name its own package alone uses, methods and unexported names do not count.
func TestUnused(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":             "module example.com/m\n",
		"a/a.go":             "package a\n\nfunc Used() {}\nfunc Alone() {}\nfunc OnlyTested() {}\nfunc inner() { Alone() }\ntype T struct{}\nfunc (T) M() {}\nconst C, D = 1, 2\n",
		"a/a_ext_test.go":    "package a_test\n\nimport \"example.com/m/a\"\n\nvar _ = a.OnlyTested\n",
		"a/a_in_test.go":     "package a\n\nvar _ = C\n",
		"b/b.go":             "package b\n\nimport x \"example.com/m/a\"\n\nvar V = x.Used\nvar _ x.T\n",
		"cmd/c/main.go":      "package main\n\nimport \"example.com/m/b\"\n\nvar _ = b.V\nfunc main() {}\n",
		"a/testdata/skip.go": "package nothing\n\nfunc Skipped() {}\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := load(root)
	if err != nil {
		t.Fatal(err)
	}
	got := m.unused()
	cases := []struct {
		pkg  string
		want []string
	}{
		{"example.com/m/a", []string{"Alone", "C", "D"}},
		{"example.com/m/b", nil},
		{"example.com/m/cmd/c", nil},
	}
	for _, c := range cases {
		if !slices.Equal(got[c.pkg], c.want) {
			t.Errorf("unused(%s) = %v, want %v", c.pkg, got[c.pkg], c.want)
		}
	}
	if _, ok := m.pkgs["example.com/m/a/testdata"]; ok {
		t.Error("testdata was read")
	}
}
