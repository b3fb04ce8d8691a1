package unitgen

import (
	"fmt"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// builder collects directives; each method sets the D-Bus property with systemd's exact type.
type builder struct {
	ds          []directive
	envContent  []byte            // the environment file (see envfile.go)
	userEnvFile string            // the service's own env_file, read after hero's
	extra       []sddbus.Property // properties with no line of their own in the text
	err         error             // the first value that has no exact unit-file form
}

func (b *builder) add(section, key, text, prop string, value any) {
	b.ds = append(b.ds, directive{section: section, key: key, text: text,
		prop: sddbus.Property{Name: prop, Value: dbus.MakeVariant(value)}})
}

// note adds a text-only line to the [X-Hero] section.
func (b *builder) note(key, text string) {
	b.ds = append(b.ds, directive{section: "X-Hero", key: key, text: b.line(key, text)})
}

func (b *builder) prop(name string, value any) {
	b.extra = append(b.extra, sddbus.Property{Name: name, Value: dbus.MakeVariant(value)})
}

func (b *builder) str(section, key, v string) { b.add(section, key, b.line(key, v), key, v) }

// line renders a single-line value (Description=, WorkingDirectory=, ...), which systemd reads
// as written but for specifiers: '%' is escaped. What has no exact form is an error
// (config.CheckUnitLine says why: a line break, outer blanks, a trailing backslash).
func (b *builder) line(key, v string) string {
	if err := config.CheckUnitLine(v); err != nil && b.err == nil {
		b.err = fmt.Errorf("%s=%q cannot be written in a unit file: it %w", key, v, err)
	}
	return escapeText(v)
}

func (b *builder) boolean(section, key string, v bool) {
	t := "no"
	if v {
		t = "yes"
	}
	b.add(section, key, t, key, v)
}

func (b *builder) units(section, key string, units []string) {
	if len(units) == 0 {
		return
	}
	b.add(section, key, strings.Join(units, " "), key, units)
}

// usec sets a time span: D-Bus wants microseconds as uint64 (type "t"); 0 leaves systemd's default.
func (b *builder) usec(prop, key string, d time.Duration) {
	if d <= 0 {
		return
	}
	b.add("Service", key, formatTimespan(d), prop, uint64(d/time.Microsecond))
}

func (b *builder) env(env []string) {
	quoted := make([]string, len(env))
	for i, e := range env {
		quoted[i] = quoteWord(e, true)
	}
	b.add("Service", "Environment", strings.Join(quoted, " "), "Environment", env)
}

// execCommand is systemd's ExecStart= D-Bus struct (sasb): path, argv, ignore-failure.
type execCommand struct {
	Path          string
	Argv          []string
	IgnoreFailure bool
}

// exec sets one Exec*= property with all its commands (one text line each). hero adds no
// privileged ("+", "!") command to any unit: every command runs with the service's own User=.
//
// systemd expands $NAME and ${NAME} in the arguments of a command when it runs it, and its
// transient unit files do not keep "$" and ";" (see commands): no plain command has either
// character (those run through hero-exec), so every argument reaches the program exactly.
// systemd's own no-expansion prefix, ':' (ExecStartEx= over D-Bus), is not used: systemd 252
// writes ExecStartEx= into the transient unit's file but cannot read it back, so a
// daemon-reload would drop the command. A command hero-exec runs is shown, readable, in a
// comment above its line of the text.
func (b *builder) exec(key string, cmds []command) {
	if len(cmds) == 0 {
		return
	}
	lines := make([]string, len(cmds))
	plain := make([]execCommand, len(cmds))
	var comments, shown []string
	for i, c := range cmds {
		words := make([]string, len(c.argv))
		for j, a := range c.argv {
			words[j] = quoteWord(a, false)
		}
		lines[i] = strings.Join(words, " ")
		plain[i] = execCommand{Path: c.argv[0], Argv: c.argv}
		if c.note != "" {
			comments = append(comments, c.note)
			shown = append(shown, Withheld) // it names the file's settings
		}
		if c.runs != nil {
			what := "runs"
			if c.health {
				what = "runs, until it succeeds, the health check"
			}
			comments = append(comments, fmt.Sprintf("%s %s (through hero-exec, exactly as written): %s", key, what, shellWords(c.runs)))
			shown = append(shown, fmt.Sprintf("%s %s (through hero-exec, exactly as written): %s", key, what, Withheld))
		}
		if c.liveness != nil {
			comments = append(comments, fmt.Sprintf("%s then leaves in the service's cgroup a loop that runs every %s, for as long as the service runs, the liveness check (through hero-exec, exactly as written): %s",
				key, formatTimespan(c.every), shellWords(c.liveness)))
		}
	}
	b.add("Service", key, strings.Join(lines, "\n"), key, plain)
	b.ds[len(b.ds)-1].comments, b.ds[len(b.ds)-1].shownComments = comments, shown
}

// shellWords writes argv for a person to read, quoted as a POSIX shell would need it.
func shellWords(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
			words[i] = a
			continue
		}
		words[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	// A comment is one line: what would start a new line is shown escaped.
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(strings.Join(words, " "))
}

// formatTimespan writes d the way unit files accept it: "90s", "1500ms", "250us".
func formatTimespan(d time.Duration) string {
	switch {
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	case d%time.Millisecond == 0:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	default:
		return fmt.Sprintf("%dus", d/time.Microsecond)
	}
}

// escapeText writes '%' as "%%": in a unit file '%' starts a specifier (%n, %i, ...), which
// systemd expands when it reads the file. (Values given over D-Bus are not expanded.)
func escapeText(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// quoteWord renders one word of an Exec*= or Environment= line so systemd reads back exactly s:
// specifiers escaped, and anything but plain characters double-quoted with C escapes (so a
// backslash or a line break inside a value can never continue or end the line).
func quoteWord(s string, forceQuote bool) string {
	s = escapeText(s)
	if s == ";" {
		return `\;` // a lone ";" separates commands
	}
	plain := s != "" && !forceQuote
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("_@%+=:,./-${}", c) >= 0
	}
	if plain {
		return s
	}
	var q strings.Builder
	q.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			q.WriteByte('\\')
			q.WriteByte(c)
		case '\n':
			q.WriteString(`\n`)
		case '\t':
			q.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&q, `\x%02x`, c)
			} else {
				q.WriteByte(c)
			}
		}
	}
	q.WriteByte('"')
	return q.String()
}

// Text renders the unit as a unit file, with its provenance in a header.
func (u *Unit) Text() string { return u.render(false) }

// render writes the unit file; withheld leaves out every value the service's file gave (see
// WithheldText), line for line the same shape.
func (u *Unit) render(withheld bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", u.Name)
	fmt.Fprintf(&b, "# Automatically generated by hero-systemd from %s.\n", u.source)
	b.WriteString("# Do not edit: change the source file, then `heroctl apply` runs the new definition.\n")
	section := ""
	for _, d := range u.directives {
		if d.section != section {
			if section != "" {
				b.WriteByte('\n')
			}
			section = d.section
			fmt.Fprintf(&b, "[%s]\n", section)
		}
		comments, text := d.comments, d.text
		if withheld {
			comments, text = d.withheld()
		}
		for _, c := range comments {
			fmt.Fprintf(&b, "# %s\n", c)
		}
		for _, line := range strings.Split(text, "\n") {
			fmt.Fprintf(&b, "%s=%s\n", d.key, line)
		}
	}
	return b.String()
}

// WithheldText is Text with every value the service's file gave left out ("…"): the keys stay,
// as do the values herod tells everyone anyway (publicKeys), and the names of the environment
// file's variables. It has the same lines as Text, one for one.
func (u *Unit) WithheldText() string { return u.render(true) }
