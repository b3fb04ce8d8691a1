package manpage

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/cmd/internal/cli"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"--config-dir", `\-\-config\-dir`},
		{`C:\path`, `C:\epath`},
		{".starts a request", `\&.starts a request`},
		{"'also", `\&'also`},
		{"a.b 'c'", "a.b 'c'"},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSynopsis(t *testing.T) {
	tests := []struct{ use, want string }{
		{"stop [--dry-run] NAME", `\fBstop\fR [\fB\-\-dry\-run\fR] \fINAME\fR`},
		{"kill [-s SIGNAL] NAME...", `\fBkill\fR [\fB\-s\fR \fISIGNAL\fR] \fINAME\fR...`},
		{"completion bash|zsh", `\fBcompletion\fR \fBbash\fR|\fBzsh\fR`},
	}
	for _, tt := range tests {
		if got := Synopsis(tt.use); got != tt.want {
			t.Errorf("Synopsis(%q) = %q, want %q", tt.use, got, tt.want)
		}
	}
}

func TestTextKeepsIndentedBlocks(t *testing.T) {
	var w writer
	w.Text("first line\nsecond line\n\n  $ heroctl -x\n  out\nafter", true)
	want := "first line\nsecond line\n.IP\n.nf\n$ heroctl \\-x\nout\n.fi\n.IP\nafter\n"
	if got := w.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// Every heroctl verb and flag, and every method and signal of the D-Bus API, is in the manual.
func TestPagesCoverTheirPrograms(t *testing.T) {
	pages := map[string]string{}
	for _, p := range Pages() {
		pages[p.File()] = Render(p, Meta{Version: "1.2.3", Date: "2026-01-02"})
	}
	heroctl, herod := pages["heroctl.1"], pages["herod.8"]
	if heroctl == "" || herod == "" {
		t.Fatalf("pages: %v", keys(pages))
	}
	root := cli.NewCommand()
	for _, c := range root.Commands() {
		if c.Hidden {
			continue
		}
		if !strings.Contains(heroctl, ".TP\n"+Synopsis(c.Use)+"\n") {
			t.Errorf("heroctl.1 lacks the verb %q", c.Use)
		}
		for _, name := range flagNames(c) {
			if !strings.Contains(heroctl, Bold("--"+name)) {
				t.Errorf("heroctl.1 lacks %s --%s", c.Name(), name)
			}
		}
	}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && !strings.Contains(heroctl, Bold("--"+f.Name)) {
			t.Errorf("heroctl.1 lacks the global flag --%s", f.Name)
		}
	})
	ms, err := members()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if !strings.Contains(herod, ".TP\n"+tag(m)+"\n") {
			t.Errorf("herod.8 lacks the %s %s.%s", m.Kind, m.Interface, m.Name)
		}
	}
	for iface := range where {
		if !strings.Contains(herod, `.SS "`+escape(iface)) {
			t.Errorf("herod.8 lacks the interface %s", iface)
		}
	}
	if !strings.Contains(heroctl, `.TH "HEROCTL" 1 "2026\-01\-02" "hero\-systemd 1.2.3"`) || !strings.Contains(heroctl, ref("herod", 8)) {
		t.Errorf("heroctl.1 header or SEE ALSO:\n%s", heroctl)
	}
}

func TestDBusMembersHaveDocs(t *testing.T) {
	ms, err := members()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Doc == "" {
			t.Errorf("%s %s.%s has no comment naming it", m.Kind, m.Interface, m.Name)
		}
	}
	if len(ms) < len(api.Mutating)+3 {
		t.Errorf("only %d members read", len(ms))
	}
}

// The pages render with man(1) without a warning, at a terminal's width.
func TestPagesRenderWithoutWarnings(t *testing.T) {
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man(1) is not installed (apt-get install man-db); the pages are not rendered")
	}
	dir := t.TempDir()
	for _, p := range Pages() {
		path := filepath.Join(dir, p.File())
		if err := os.WriteFile(path, []byte(Render(p, Meta{Version: "1.2.3", Date: "2026-01-02"})), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("man", "--warnings", "-l", path)
		cmd.Env = append(os.Environ(), "MANWIDTH=80", "MAN_KEEP_FORMATTING=", "LC_ALL=C.UTF-8")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Errorf("man -l %s: %v\n%s", p.File(), err, stderr.String())
		}
		if !strings.Contains(string(out), strings.ToUpper(p.Name)+"("+string(rune('0'+p.Section))+")") {
			t.Errorf("man -l %s printed no page:\n%.300s", p.File(), out)
		}
	}
}

// flagNames are the visible flags of c's own, --help aside.
func flagNames(c *cobra.Command) []string {
	var out []string
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && f.Name != "help" {
			out = append(out, f.Name)
		}
	})
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
