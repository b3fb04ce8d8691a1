package plan

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// unitText is a unit's text as unitgen writes it, with an environment comment and a command
// hero-exec runs.
func unitText(exec, token, pre string) string {
	return strings.Join([]string{
		"# hero-default-db.service",
		"[Service]",
		`Environment="HERO_SERVICE=db" "HERO_DEFINITION=` + exec + `"`,
		"# " + unitgen.EnvCommentPrefix + `"MODE=fast" "TOKEN=` + token + `"`,
		"EnvironmentFile=/run/hero-systemd/env/hero-default-db.service-" + exec + ".env",
		"ExecStartPre=/usr/libexec/hero-systemd/hero-exec run " + pre,
		"ExecStart=/bin/sleep " + exec,
		"Restart=on-failure",
	}, "\n") + "\n"
}

// withheldText is unitText as unitgen's WithheldText writes it: every value of the file "…".
func withheldText(exec string) string {
	return strings.Join([]string{
		"# hero-default-db.service",
		"[Service]",
		`Environment="HERO_SERVICE=db" "HERO_DEFINITION=` + exec + `"`,
		"# " + unitgen.EnvCommentPrefix + `"MODE=…" "TOKEN=…"`,
		"EnvironmentFile=/run/hero-systemd/env/hero-default-db.service-" + exec + ".env",
		"ExecStartPre=…",
		"ExecStart=…",
		"Restart=…",
	}, "\n") + "\n"
}

// A reader who may read the file sees the values; anyone else sees every line that changed,
// masked, marked where a hidden value changed, and no line that did not change as changed.
func TestUnitDiff(t *testing.T) {
	tests := []struct {
		name        string
		old, new    string
		reveal      bool
		want, never []string
	}{
		{"a reader sees what changed in the environment", unitText("1", "s3cret-one", "eyA"), unitText("1", "s3cret-two", "eyA"), true,
			[]string{`-# environment file sets: "MODE=fast" "TOKEN=s3cret-one"`, `+# environment file sets: "MODE=fast" "TOKEN=s3cret-two"`},
			[]string{"-ExecStart", "+ExecStart", "-ExecStartPre", "+ExecStartPre"}},
		{"others see that a hidden value changed, and which", unitText("1", "s3cret-one", "eyA"), unitText("1", "s3cret-two", "eyA"), false,
			[]string{`-# environment file sets: "MODE=…" "TOKEN=…"`, `+# environment file sets: "MODE=…" "TOKEN=…(changed)"`},
			[]string{"s3cret", "MODE=…(changed)", "-ExecStartPre", "+ExecStartPre", "-ExecStart=", "eyA"}},
		{"an unchanged masked line is never shown as changed", unitText("1", "s3cret", "eyA"), unitText("2", "s3cret", "eyA"), false,
			[]string{"-ExecStart=/bin/sleep 1", "+ExecStart=/bin/sleep 2", ` # environment file sets: "MODE=…" "TOKEN=…"`},
			[]string{"s3cret", "-# environment", "+# environment", "eyA", "(changed)"}},
		{"a changed command of hero-exec's", unitText("1", "s3cret", "eyA"), unitText("1", "s3cret", "eyB"), false,
			[]string{"-ExecStartPre=/usr/libexec/hero-systemd/hero-exec run …", "+ExecStartPre=/usr/libexec/hero-systemd/hero-exec run …(changed)"},
			[]string{"eyA", "eyB", "s3cret", "-# environment", "+# environment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unitDiff("hero-default-db.service", tt.old, tt.new, tt.new, true, tt.reveal)
			if !strings.HasPrefix(got, "--- hero-default-db.service (running)\n+++ hero-default-db.service (config)\n@@ ") {
				t.Errorf("no header:\n%s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, "\n"+w+"\n") {
					t.Errorf("diff lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(got, n) {
					t.Errorf("diff holds %q:\n%s", n, got)
				}
			}
		})
	}
	unknown := unitDiff("hero-default-db.service", "", unitText("1", "s3cret", "eyA"), unitText("1", "s3cret", "eyA"), false, false)
	if !strings.Contains(unknown, "is unknown") || !strings.Contains(unknown, "\n+ExecStart=/bin/sleep 1\n") || strings.Contains(unknown, "s3cret") {
		t.Errorf("the diff of an unknown old text:\n%s", unknown)
	}
}

// A reader who may not read the file is shown none of its values that systemd was not given:
// the added lines are the withheld text's (the environment comment masked, its changed values
// marked), the lines taken away are systemd's. A withheld text of another shape shows no added
// line's text; a reader of the file sees it whole.
func TestUnitDiffWithholdsTheNewDefinition(t *testing.T) {
	const unknownHunk = "@@ the text of the running unit is unknown (a herod before this one created it); the new unit: @@"
	old, new, withheld := unitText("1", "s3cret-one", "eyA"), unitText("2-two", "s3cret-two", "eyB"), withheldText("2-two")
	tests := []struct {
		name             string
		new, withheld    string
		oldKnown, reveal bool
		want, never      []string
	}{
		{"others", new, withheld, true, false,
			[]string{"-ExecStart=/bin/sleep 1", "+ExecStart=…", "+ExecStartPre=…", `+# environment file sets: "MODE=…" "TOKEN=…(changed)"`,
				`+Environment="HERO_SERVICE=db" "HERO_DEFINITION=2-two"`},
			[]string{"s3cret", "eyB", "sleep 2-two", "MODE=…(changed)"}},
		{"a reader of the file", new, withheld, true, true,
			[]string{"+ExecStart=/bin/sleep 2-two", `+# environment file sets: "MODE=fast" "TOKEN=s3cret-two"`},
			[]string{"+ExecStart=…"}},
		{"others, the old text unknown", new, withheld, false, false,
			[]string{unknownHunk, "+ExecStart=…", "+Restart=…"},
			[]string{"s3cret", "eyB", "sleep 2-two", "on-failure"}},
		{"others, a withheld text of another shape", new, "ExecStart=…\n", true, false,
			[]string{"-ExecStart=/bin/sleep 1", "+…"},
			[]string{"s3cret", "eyB", "sleep 2-two", "+# environment"}},
		{"others, no withheld text", new, "", false, false,
			[]string{unknownHunk, "+…"},
			[]string{"s3cret", "eyB", "sleep 2-two", "on-failure", "TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unitDiff("hero-default-db.service", old, tt.new, tt.withheld, tt.oldKnown, tt.reveal)
			for _, w := range tt.want {
				if !strings.Contains(got, "\n"+w+"\n") {
					t.Errorf("diff lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(got, n) {
					t.Errorf("diff holds %q:\n%s", n, got)
				}
			}
		})
	}
}

// Shown renders each change's diff for its reader and leaves the texts out; every list is
// present. The texts never travel: D-Bus and JSON leave them out.
func TestShown(t *testing.T) {
	p := Apply{Changed: []Change{
		{Service: "db", Unit: "hero-default-db.service", File: "db.toml", OldText: unitText("1", "s3cret-one", "eyA"), NewText: unitText("1", "s3cret-two", "eyA"),
			NewWithheld: strings.Replace(withheldText("1"), "Restart=…", "Restart=…withheld-db", 1), OldKnown: true},
		{Service: "api", Unit: "hero-default-api.service", File: "api.toml", OldText: unitText("1", "hush-one", "eyA"), NewText: unitText("2", "hush-two", "eyB"),
			NewWithheld: withheldText("2"), OldKnown: true},
	}, Restart: []string{"db", "api"}}
	shown := p.Shown(func(file string) bool { return file == "db.toml" })
	if !strings.Contains(shown.Changed[0].Diff, "s3cret-two") || strings.Contains(shown.Changed[0].Diff, "withheld-db") ||
		strings.Contains(shown.Changed[1].Diff, "hush") || strings.Contains(shown.Changed[1].Diff, "eyB") || !strings.Contains(shown.Changed[1].Diff, "\n+ExecStart=…\n") {
		t.Errorf("db (readable) and api (not):\n%s\n%s", shown.Changed[0].Diff, shown.Changed[1].Diff)
	}
	if p.Changed[0].Diff != "" || shown.Changed[0].OldText != "" || shown.Changed[1].NewText != "" || shown.Changed[0].NewWithheld != "" {
		t.Error("Shown changed the plan, or kept the texts")
	}
	data, err := json.Marshal(shown)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"dry_run":false`, `"stop":[]`, `"added":[]`, `"started":[]`, `"dependents":[]`, `"unchanged":0`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JSON lacks %s: %s", want, data)
		}
	}
	if data, _ := json.Marshal(p); strings.Contains(string(data), "s3cret") || strings.Contains(string(data), "withheld-db") {
		t.Errorf("JSON carries the texts: %s", data)
	}
	msg := &dbus.Message{Type: dbus.TypeMethodReply, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldReplySerial: dbus.MakeVariant(uint32(1)), dbus.FieldSignature: dbus.MakeVariant(Signature())}, Body: []any{p}}
	var wire strings.Builder
	if err := msg.EncodeTo(&wire, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(wire.String(), "s3cret") || strings.Contains(wire.String(), "withheld-db") || !strings.Contains(wire.String(), "hero-default-db.service") {
		t.Error("D-Bus carries the texts, or not the plan")
	}
	if got := Signature().String(); got != "(ba(ssssas)asasasasasuasas)" {
		t.Errorf("Signature = %s", got)
	}
	if !(Apply{Stop: []string{"x"}}).Acts() || (Apply{Added: []string{"x"}, Unchanged: 3}).Acts() {
		t.Error("Acts")
	}
}

// maskDiff masks a diff a reader could see whole as the diff of a reader who may not: the same
// lines changed, values hidden; masking again changes nothing.
func TestMaskDiff(t *testing.T) {
	old, new := unitText("1", "s3cret-one", "eyA"), unitText("2", "s3cret-two", "eyB")
	revealed := unitDiff("hero-default-db.service", old, new, new, true, true)
	got := maskDiff(revealed)
	if want := unitDiff("hero-default-db.service", old, new, new, true, false); got != want {
		t.Errorf("MaskDiff of the revealed diff:\n%s\nwant the masked one:\n%s", got, want)
	}
	if maskDiff(got) != got {
		t.Errorf("masking twice:\n%s", maskDiff(got))
	}
	p := Apply{Changed: []Change{{Diff: revealed}}}
	if m := p.Masked(); m.Changed[0].Diff != got || p.Changed[0].Diff != revealed {
		t.Error("Masked masked the plan it was called on, or not the copy")
	}
}
