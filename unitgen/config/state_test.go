package config

import (
	"reflect"
	"testing"
)

func buildFiles(t *testing.T, files map[string]string) (*Set, Problems) {
	t.Helper()
	var fs []File
	for name, data := range files {
		fs = append(fs, File{Name: name, Data: []byte(data)})
	}
	return Build(fs)
}

// A directory with problems serves its valid part, and says why each other service is not.
func TestSetStates(t *testing.T) {
	set, probs := buildFiles(t, map[string]string{
		"db.toml":     "exec = \"/bin/true\"\n",
		"api.toml":    "exec = \"/bin/true\"\n[dependencies]\nrequires = [\"db\"]\n",
		"broken.toml": "exec = 1\n",
		"web.toml":    "exec = \"/bin/true\"\n[dependencies]\nrequires = [\"api\", \"broken\"]\n",
		"front.toml":  "exec = \"/bin/true\"\n[dependencies]\nrequires = [\"web\"]\n",
		"worker.yaml": "exec: /bin/true\nafter:\n  - containerd\n",
		"cron.toml":   "exec = \"/bin/true\"\n[dependencies]\nrequires = [\"worker\"]\nafter = [\"web\"]\n",
		"dup.toml":    "exec = \"/bin/true\"\n",
		"dup.yaml":    "exec: /bin/true\n",
	})
	if len(probs) != 3 {
		t.Errorf("validate problems %v, want broken's, worker's containerd, and the duplicate", probs)
	}
	want := map[string][]string{ // name -> its problems as strings
		"broken": {"broken.toml:1: exec: must be a string or an array of strings, not an integer"},
		"web":    {`web.toml:3: dependencies.requires: requires "broken", which is bad-config`},
		"front":  {`front.toml:3: dependencies.requires: requires "web", which is bad-config`},
		"dup":    {`dup.yaml: duplicate service name "dup" (also defined by dup.toml)`},
	}
	for name, w := range want {
		if !set.BadConfig(name) {
			t.Errorf("%s is not bad-config", name)
		}
		var got []string
		for _, p := range set.Problems(name) {
			got = append(got, p.String())
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("Problems(%s) = %q, want %q", name, got, w)
		}
		if set.Graph.Has(name) {
			t.Errorf("bad-config %s is in the graph", name)
		}
	}
	if got := set.BadConfigServices(); !reflect.DeepEqual(got, []string{"broken", "dup", "front", "web"}) {
		t.Errorf("BadConfigServices() = %q", got)
	}
	for _, name := range []string{"worker", "cron"} {
		if got := set.Blocked(name); !reflect.DeepEqual(got, []string{"containerd"}) || set.Usable(name) || !set.Graph.Has(name) {
			t.Errorf("%s: Blocked = %q, Usable %v, in graph %v; want blocked on containerd, in the graph", name, got, set.Usable(name), set.Graph.Has(name))
		}
	}
	for _, name := range []string{"db", "api"} {
		if !set.Usable(name) || len(set.Problems(name)) > 0 {
			t.Errorf("%s is not usable: %v", name, set.Problems(name))
		}
	}
	if p, err := set.Graph.Stop("db"); err != nil || !reflect.DeepEqual(p.Order, []string{"api", "db"}) {
		t.Errorf("stop plan of db %v (%v), want api, db: the bad-config web is left out", p.Order, err)
	}
}

// A file that could not be read is still its service's: known, and bad-config.
func TestUnreadableFileIsABadConfigService(t *testing.T) {
	set, probs := Assemble([]Parsed{
		{File: "big.toml", Problems: Problems{{File: "big.toml", Message: "file is larger than 65536 bytes"}}},
		{File: "notes.txt", Problems: Problems{{File: "notes.txt", Message: "cannot open"}}},
	})
	if len(probs) != 2 || set.Service("big") == nil || !set.BadConfig("big") || len(set.Services) != 1 {
		t.Errorf("problems %v, services %v; want big known and bad-config, notes.txt no service", probs, set.Services)
	}
}
