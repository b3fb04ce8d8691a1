package unitgen_test

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// FuzzSplitWordsThroughText: the words SplitWords makes of an exec string survive the text
// form: the Exec line, read back by systemd's rules (systemdWords) and run (systemd's expansion,
// or hero-exec's decoding: whatRuns), gives the program exactly those words.
func FuzzSplitWordsThroughText(f *testing.F) {
	for _, s := range []string{`/bin/echo "a b" 'c d' e\ f`, `x "$HOME" '${X}' $$ %n "%%" ";" \; "\\"`, "a\tb\nc", `"" ''`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := config.SplitWords(s)
		// What validation refuses anyway: no UTF-8, NUL, '$' in the program.
		if err != nil || len(words) == 0 || !utf8.ValidString(s) || strings.ContainsRune(s, 0) || strings.Contains(words[0], "$") {
			return
		}
		line := unitgen.ExecLineForTest(words)
		if strings.Contains(line, "\n") {
			t.Fatalf("the Exec line of %q has a line break: %q", words, line)
		}
		if got, _ := whatRuns(t, systemdWords(t, line), nil); !reflect.DeepEqual(got, words) {
			t.Fatalf("words %q\nwritten %q\nread back %q", words, line, got)
		}
	})
}

// FuzzUnitName covers what herod checks of a name given over D-Bus: CheckName never panics,
// and every name it accepts makes a valid unit name that ParseUnitName reads back.
func FuzzUnitName(f *testing.F) {
	for _, s := range []string{"web", "my-svc", "a.b_c", "-x", "x/y", "é", "\\x2d", strings.Repeat("n", 48)} {
		f.Add(s, "default")
	}
	f.Fuzz(func(t *testing.T, name, context string) {
		if config.CheckName(name) != nil || config.CheckContext(context) != nil {
			return
		}
		u := unitgen.UnitName(context, name)
		if !validUnitName(u) {
			t.Fatalf("CheckName accepted %q, whose unit %q systemd would refuse", name, u)
		}
		c, n, ok := unitgen.ParseUnitName(u)
		if !ok || c != context || n != name {
			t.Fatalf("ParseUnitName(%q) = %q, %q, %v; want %q, %q", u, c, n, ok, context, name)
		}
	})
}

// validUnitName is systemd's unit_name_is_valid() for a plain (not template) service: at most
// 255 bytes, of letters, digits and ":-_.\", with a suffix.
func validUnitName(u string) bool {
	if len(u) > 255 || !strings.HasSuffix(u, ".service") || len(u) == len(".service") {
		return false
	}
	for _, c := range []byte(strings.TrimSuffix(u, ".service")) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(":-_.\\", c) >= 0) {
			return false
		}
	}
	return true
}
