package unitgen

import (
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// WithheldText keeps a unit's shape and what herod tells everyone, and leaves out every value
// the file gave: arguments (plain, encoded for hero-exec, and in their comments), the
// environment file's values, the user, directory, timeouts; line for line as Text.
func TestWithheldTextLeavesOutTheFilesValues(t *testing.T) {
	files := map[string]string{
		"db.toml": "exec = \"/bin/sleep infinity\"\n",
		"app.toml": `description = "the app"
user = "appuser"
env = { API_TOKEN = "tok-s3cret" }
restart = "always"
stop_timeout = "17s"

[dependencies]
requires = ["db"]

[[actions]]
name = "migrate"
exec = ["/usr/bin/migrate", "--db-password=pre-s3cret"]
dir = "/srv/s3cret-dir"

[[actions]]
name = "serve"
exec = ["/usr/bin/app", "--db-password=main-s3cret"]
health = "/usr/bin/check --token=health-s3cret"
`,
		"plain.toml": "exec = [\"/usr/bin/plain\", \"--db-password=plain-s3cret\"]\n",
	}
	var in []config.File
	for name, data := range files {
		in = append(in, config.File{Name: name, Data: []byte(data)})
	}
	set, probs := config.Build(in)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, name := range []string{"app", "plain"} {
		u, err := Generate(set, set.Service(name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		whole, shown := u.Text(), u.WithheldText()
		if !strings.Contains(whole, "s3cret") {
			t.Fatalf("the test's secrets are not in the unit:\n%s", whole)
		}
		if strings.Contains(shown, "s3cret") || strings.Contains(shown, "appuser") || strings.Contains(shown, "17s") {
			t.Errorf("%s: the withheld text holds a value of the file:\n%s", name, shown)
		}
		if a, b := strings.Count(whole, "\n"), strings.Count(shown, "\n"); a != b {
			t.Errorf("%s: %d lines withheld, %d whole", name, b, a)
		}
		for _, want := range []string{"SourcePath=/etc/hero/services/" + name + ".toml", "ExecStart=…", "Slice=hero-default.slice", "[X-Hero]", "Service=" + name} {
			if !strings.Contains(shown, want) {
				t.Errorf("%s: the withheld text lacks %q:\n%s", name, want, shown)
			}
		}
	}
	u, _ := Generate(set, set.Service("app"), Options{})
	shown := u.WithheldText()
	for _, want := range []string{"Description=the app", "Requires=hero-default-db.service", `"API_TOKEN=…"`, "User=…",
		"# ExecStartPre runs (through hero-exec, exactly as written): …"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the withheld text lacks %q:\n%s", want, shown)
		}
	}
}
