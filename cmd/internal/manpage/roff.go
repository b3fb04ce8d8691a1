package manpage

import (
	"fmt"
	"strings"
)

// writer writes roff with the man(7) macros. Text given to it is escaped; only the tag strings
// built with Bold, Italic and Join are roff already.
type writer struct {
	b strings.Builder
}

// String returns the page written so far.
func (w *writer) String() string { return w.b.String() }

// macro writes a request line: ".SH NAME".
func (w *writer) macro(name string, args ...string) {
	w.b.WriteString("." + name)
	for _, a := range args {
		w.b.WriteString(" " + a)
	}
	w.b.WriteString("\n")
}

// line writes roff text as one input line.
func (w *writer) line(roff string) { w.b.WriteString(roff + "\n") }

// Section starts a section (.SH); titles are upper case by convention.
func (w *writer) Section(title string) { w.macro("SH", quote(strings.ToUpper(title))) }

// SubSection starts a subsection (.SS).
func (w *writer) SubSection(title string) { w.macro("SS", quote(title)) }

// Text writes plain text as paragraphs: blank lines separate paragraphs (.PP, or .IP inside a
// tagged item so the indentation is kept); lines indented by two spaces or more are kept as
// they are (.nf), for examples and tables.
func (w *writer) Text(text string, indented bool) {
	para := "PP"
	if indented {
		para = "IP"
	}
	for i, block := range blocks(text) {
		if i > 0 {
			w.macro(para)
		}
		if block.verbatim {
			w.macro("nf")
			for _, l := range block.lines {
				w.line(escape(strings.TrimPrefix(l, "  ")))
			}
			w.macro("fi")
			continue
		}
		for _, l := range block.lines {
			w.line(escape(strings.TrimSpace(l)))
		}
	}
}

// Para starts a new paragraph and writes text into it.
func (w *writer) Para(text string) {
	w.macro("PP")
	w.Text(text, false)
}

// Item writes a tagged paragraph (.TP): tag (roff) on the first line, text below it, indented.
func (w *writer) Item(tag, text string) {
	w.macro("TP")
	w.line(tag)
	w.Text(text, true)
}

// Indent and Outdent nest what is written between them one level deeper (.RS/.RE).
func (w *writer) Indent()  { w.macro("RS") }
func (w *writer) Outdent() { w.macro("RE") }

// Example writes lines as they are, indented, for commands to copy.
func (w *writer) Example(lines ...string) {
	w.macro("PP")
	w.macro("RS", "4")
	w.macro("nf")
	for _, l := range lines {
		w.line(escape(l))
	}
	w.macro("fi")
	w.macro("RE")
}

type block struct {
	lines    []string
	verbatim bool
}

// blocks splits text into paragraphs at blank lines, and into verbatim blocks where lines are
// indented by two spaces or more.
func blocks(text string) []block {
	var out []block
	var cur *block
	for _, l := range strings.Split(strings.Trim(text, "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			cur = nil
			continue
		}
		verbatim := strings.HasPrefix(l, "  ")
		if cur == nil || cur.verbatim != verbatim {
			out = append(out, block{verbatim: verbatim})
			cur = &out[len(out)-1]
		}
		cur.lines = append(cur.lines, l)
	}
	return out
}

// escape makes text safe as roff input: backslashes print as themselves, "-" is a minus (what
// options and commands need, and what a reader copies), and a line cannot start a request.
func escape(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// Bold and Italic return s escaped and set in bold or italic (commands and options are bold,
// things to replace italic, as man-pages(7) asks).
func Bold(s string) string   { return `\fB` + escape(s) + `\fR` }
func Italic(s string) string { return `\fI` + escape(s) + `\fR` }

// quote makes s one macro argument.
func quote(s string) string {
	return `"` + strings.ReplaceAll(escape(s), `"`, `\(dq`) + `"`
}

// ref is a reference to another page: heroctl(1).
func ref(name string, section int) string { return fmt.Sprintf(`\fB%s\fR(%d)`, escape(name), section) }
