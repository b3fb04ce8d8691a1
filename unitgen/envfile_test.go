package unitgen_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// No value of a service's environment, nor of a pre-action's, is in any property or in any
// line of the unit's text but the one comment herod masks for callers who may not read it:
// they are in the environment file alone.
func TestEnvironmentValuesStayOutOfTheUnit(t *testing.T) {
	const file = `env = { DB_PASSWORD = "main-s3cret" }
[[actions]]
name = "pre"
exec = ["/bin/true"]
env = { TOKEN = "pre-s3cret" }
[[actions]]
name = "main"
exec = ["/bin/sleep", "infinity"]
`
	set, probs := config.Build([]config.File{{Name: "vault.toml", Data: []byte(file)}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	u, err := unitgen.Generate(set, set.Service("vault"), unitgen.Options{EnvDir: "/run/x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range u.Properties {
		if v := fmt.Sprintf("%#v", p.Value.Value()); strings.Contains(v, "s3cret") || strings.Contains(v, "czNjcmV0") {
			t.Errorf("property %s holds a value: %s", p.Name, v)
		}
	}
	for _, line := range strings.Split(u.Text(), "\n") {
		if strings.HasPrefix(line, "# "+unitgen.EnvCommentPrefix) {
			continue
		}
		if strings.Contains(line, "s3cret") {
			t.Errorf("the unit text holds a value: %s", line)
		}
	}
	if want := "/run/x/" + unitgen.EnvFileName(u.Name, u.Definition); u.EnvFile != want {
		t.Errorf("EnvFile %q, want %q", u.EnvFile, want)
	}
	env := readEnvFileLikeSystemd(t, string(u.EnvContent))
	if env["DB_PASSWORD"] != "main-s3cret" || env[unitgen.PreEnvPrefix+"1"] == "" {
		t.Errorf("the environment file does not carry the variables:\n%s", u.EnvContent)
	}
	// A change of a value alone is a new definition (and a new file).
	set2, _ := config.Build([]config.File{{Name: "vault.toml", Data: []byte(strings.Replace(file, "main-s3cret", "main-other", 1))}})
	u2, _ := unitgen.Generate(set2, set2.Service("vault"), unitgen.Options{EnvDir: "/run/x"})
	if u2.Definition == u.Definition || u2.EnvFile == u.EnvFile {
		t.Errorf("a changed value keeps the definition %s", u.Definition)
	}
}

func TestEnvFileNameMapsBackToItsUnit(t *testing.T) {
	for _, name := range []string{"hero-default-web.service", `hero-default-my\x2dsvc.service`, "hero-ctx-a_b.service"} {
		for _, file := range []string{unitgen.EnvFileName(name, "0123456789abcdef"), unitgen.TextFileName(name, "0123456789abcdef")} {
			if strings.ContainsAny(file, `\/ "`) {
				t.Errorf("%q needs quoting", file)
			}
			if unit, def := unitgen.EnvFileUnit(file); unit != name || def != "0123456789abcdef" {
				t.Errorf("EnvFileUnit(%q) = %q %q, want %q", file, unit, def, name)
			}
		}
	}
	for _, other := range []string{".tmp-123", "notes.txt", "x.env", "x.unit"} {
		if unit, _ := unitgen.EnvFileUnit(other); unit != "" {
			t.Errorf("EnvFileUnit(%q) = %q, want none", other, unit)
		}
	}
}
