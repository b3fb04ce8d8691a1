package main

import (
	"reflect"
	"testing"
)

// refsOf builds a reference map from "from>to" pairs.
func refsOf(files []string, pairs ...[2]string) map[string]map[string][]string {
	refs := map[string]map[string][]string{}
	for _, f := range files {
		refs[f] = map[string][]string{}
	}
	for _, p := range pairs {
		refs[p[0]][p[1]] = []string{"x"}
	}
	return refs
}

func TestDraw(t *testing.T) {
	tests := []struct {
		name   string
		refs   map[string]map[string][]string
		floors int
		up     []string
	}{
		{"a chain stands on three floors", refsOf([]string{"a", "b", "c"}, [2]string{"c", "b"}, [2]string{"b", "a"}), 3, nil},
		{"independent files share the ground floor", refsOf([]string{"a", "b"}), 1, nil},
		{"a two-file cycle costs one reference", refsOf([]string{"a", "b"}, [2]string{"a", "b"}, [2]string{"b", "a"}), 2, []string{"a>b"}},
		{
			// c and b use a; a uses c once: breaking a>c is cheaper than moving a up.
			"the cheapest reference of a cycle runs back up",
			refsOf([]string{"a", "b", "c"}, [2]string{"b", "a"}, [2]string{"c", "a"}, [2]string{"c", "b"}, [2]string{"a", "c"}),
			3, []string{"a>c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := draw(tt.refs)
			var up []string
			for _, r := range d.up {
				up = append(up, r.from+">"+r.to)
			}
			if d.floors != tt.floors || !reflect.DeepEqual(up, tt.up) {
				t.Errorf("floors %d, back up %v; want %d, %v", d.floors, up, tt.floors, tt.up)
			}
		})
	}
}

func TestFileReferencesOfAPackage(t *testing.T) {
	refs, err := fileReferences("testdata/twofloors")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string][]string{
		"high.go": {"low.go": {"low", "low.base"}},
		"low.go":  {"high.go": {"high", "high.top"}},
	}
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("references %v, want %v", refs, want)
	}
	d := draw(refs)
	if len(d.up) != 1 || d.floors != 2 {
		t.Errorf("%d back up on %d floors, want 1 on 2: %s", len(d.up), d.floors, d.report("twofloors", true))
	}
}
