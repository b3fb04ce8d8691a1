package config

import "testing"

func TestKeepLastGood(t *testing.T) {
	build := func(files map[string]string) *Set {
		var fs []File
		for name, data := range files {
			fs = append(fs, File{Name: name, Data: []byte(data)})
		}
		set, _ := Build(fs)
		return set
	}
	last := build(map[string]string{
		"db.toml":  `exec = "/bin/db"`,
		"api.toml": "exec = \"/bin/api\"\n[dependencies]\nrequires = [\"db\"]\n",
		"new.toml": `exec = "/bin/new"`,
	})
	next := build(map[string]string{
		"db.toml":   "exec = \"/bin/db\"\nrestrat = \"always\"\n", // a typo
		"api.toml":  "exec = \"/bin/api2\"\n[dependencies]\nrequires = [\"db\"]\n",
		"new.toml":  `exce = "/bin/new"`, // broken too
		"late.toml": "exec = \"/bin/late\"\nrestart = \"bogus\"\n",
	})
	if !next.BadConfig("db") || !next.BadConfig("api") {
		t.Fatalf("next: db and api should be bad-config")
	}
	got := KeepLastGood(next, last)
	if !got.Usable("db") || got.Service("db").Main().Exec[0] != "/bin/db" || len(got.Pending("db")) == 0 {
		t.Errorf("db: usable %v, pending %v: want its last good definition, its new problems pending", got.Usable("db"), got.Pending("db"))
	}
	// api's own file is fine; it was bad-config only through db: it now runs its new definition.
	if !got.Usable("api") || got.Service("api").Main().Exec[0] != "/bin/api2" || len(got.Pending("api")) != 0 {
		t.Errorf("api: usable %v exec %v pending %v: want its new definition", got.Usable("api"), got.Service("api").Main().Exec, got.Pending("api"))
	}
	if !got.Usable("new") || len(got.Pending("new")) == 0 {
		t.Errorf("new: want its last good definition with pending problems")
	}
	if !got.BadConfig("late") {
		t.Errorf("late never had a good definition: it stays bad-config")
	}
	if KeepLastGood(next, nil) != next {
		t.Error("with no last set, next is the set")
	}
}
