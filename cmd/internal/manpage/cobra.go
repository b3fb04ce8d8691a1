package manpage

import (
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageWord matches the parts of a cobra Use line: options (bold), placeholders in capitals
// (italic), command words (bold), and everything else as it is.
var usageWord = regexp.MustCompile(`--?[a-z][a-z0-9-]*|[A-Z][A-Z0-9_]*|[a-z][a-z0-9-]*|.`)

// Synopsis renders a Use line ("stop [--dry-run] NAME") in man-pages(7) style.
func Synopsis(use string) string {
	var b strings.Builder
	for _, w := range usageWord.FindAllString(use, -1) {
		switch {
		case strings.HasPrefix(w, "-") || (w[0] >= 'a' && w[0] <= 'z'):
			b.WriteString(Bold(w))
		case w[0] >= 'A' && w[0] <= 'Z':
			b.WriteString(Italic(w))
		case w == `\`:
			b.WriteString(`\e`)
		default:
			b.WriteString(w) // punctuation: [ ] | . , never first on the line
		}
	}
	return b.String()
}

// Flags writes one tagged item per visible flag: "-s, --signal=SIGNAL" and its usage, with its
// default when it has a telling one.
func Flags(w *writer, fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		tag := Bold("--" + f.Name)
		if f.Shorthand != "" {
			tag = Bold("-"+f.Shorthand) + ", " + tag
		}
		if f.Value.Type() != "bool" {
			tag += "=" + Italic(valueName(f))
		}
		text := sentence(f.Usage)
		switch f.DefValue {
		case "", "false", "0", "[]":
		default:
			text += " Default: " + f.DefValue + "."
		}
		w.Item(tag, text)
	})
}

// valueName names a flag's value: the word in backquotes in its usage (pflag's convention), else
// the last part of its name: --config-dir=DIR, --signal=SIGNAL.
func valueName(f *pflag.Flag) string {
	if name, _ := pflag.UnquoteUsage(f); strings.Contains(f.Usage, "`") {
		return strings.ToUpper(name)
	}
	parts := strings.Split(f.Name, "-")
	return strings.ToUpper(parts[len(parts)-1])
}

// Commands writes one tagged item per visible subcommand of root: its synopsis, its long
// description and its own flags; a subcommand's own subcommands are listed under it.
func Commands(w *writer, root *cobra.Command) {
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() || c.Name() == "help" {
			continue
		}
		use := c.Use
		if c.HasAvailableSubCommands() {
			var subs []string
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() {
					subs = append(subs, sub.Name())
				}
			}
			use = c.Name() + " " + strings.Join(subs, "|")
		}
		w.Item(Synopsis(use), description(c))
		if c.HasAvailableLocalFlags() {
			w.Indent()
			Flags(w, withoutHelp(c.LocalFlags()))
			w.Outdent()
		}
		if c.HasAvailableSubCommands() {
			w.Indent()
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() {
					w.Item(Synopsis(c.Name()+" "+sub.Use), sub.Short+".")
				}
			}
			w.Outdent()
		}
	}
}

// sentence makes a flag's usage ("the signal to send") a sentence: "The signal to send.".
func sentence(s string) string {
	if s == "" {
		return s
	}
	if !strings.HasPrefix(s, "systemd") { // systemd is never capitalised
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// description is a command's long text, or its short one followed by a full stop.
func description(c *cobra.Command) string {
	if c.Long != "" {
		return c.Long
	}
	return c.Short + "."
}

// withoutHelp is fs without --help, which every command has (see OPTIONS).
func withoutHelp(fs *pflag.FlagSet) *pflag.FlagSet {
	out := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			out.AddFlag(f)
		}
	})
	return out
}
