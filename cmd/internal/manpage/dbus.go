package manpage

import (
	"encoding/xml"
	"io"
	"regexp"
	"strings"

	"github.com/hero-systemd/hero-systemd/cmd/api"
)

// member is a method or signal of the API, read from the introspection data herod serves.
type member struct {
	kind, name string
	in, out    []string // "s name"
	doc        string   // the XML comment before it
}

// docPrefix is the "Start(name, ...): " or "JobStarted: " that the comments start with.
var docPrefix = regexp.MustCompile(`^\w+(\([^)]*\))?:\s*`)

// dashes stands in for "--" inside comments while they are parsed: XML forbids "--" there, the
// comments write options like "--user", and D-Bus tools accept them.
const dashes = "\uE000"

var comments = regexp.MustCompile(`(?s)<!--.*?-->`)

// members reads api.Interface's methods and signals from api.Introspection, with the comment
// written before each.
func members() ([]member, error) {
	text := comments.ReplaceAllStringFunc(api.Introspection, func(c string) string {
		return "<!--" + strings.ReplaceAll(c[4:len(c)-3], "--", dashes) + "-->"
	})
	dec := xml.NewDecoder(strings.NewReader(text))
	var out []member
	var comment, iface string
	var cur *member
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.Comment:
			comment = strings.ReplaceAll(strings.Join(strings.Fields(string(t)), " "), dashes, "--")
		case xml.StartElement:
			attr := func(n string) string {
				for _, a := range t.Attr {
					if a.Name.Local == n {
						return a.Value
					}
				}
				return ""
			}
			switch t.Name.Local {
			case "interface":
				iface = attr("name")
			case "method", "signal":
				if iface == api.Interface {
					out = append(out, member{kind: t.Name.Local, name: attr("name"), doc: docPrefix.ReplaceAllString(comment, "")})
					cur = &out[len(out)-1]
				}
				comment = ""
			case "arg":
				if cur != nil {
					arg := attr("type") + " " + attr("name")
					if attr("direction") == "out" {
						cur.out = append(cur.out, arg)
					} else {
						cur.in = append(cur.in, arg)
					}
				}
			}
		case xml.EndElement:
			if t.Name.Local == "method" || t.Name.Local == "signal" {
				cur = nil
			}
		}
	}
}

// DBusAPI writes the interface's methods and signals: signature, then what they do.
func DBusAPI(w *Writer) {
	ms, err := members()
	if err != nil {
		// The introspection data is a constant that herod serves; the tests parse it.
		panic("manpage: reading api.Introspection: " + err.Error())
	}
	for _, kind := range []string{"method", "signal"} {
		w.Para(map[string]string{"method": "Methods:", "signal": "Signals:"}[kind])
		for _, m := range ms {
			if m.kind != kind {
				continue
			}
			tag := Bold(m.name) + "(" + args(m.in) + ")"
			if len(m.out) > 0 {
				tag += ` \(-> (` + args(m.out) + ")"
			}
			doc := m.doc
			if doc != "" {
				doc = strings.ToUpper(doc[:1]) + doc[1:]
			}
			w.Item(tag, doc)
		}
	}
}

// args renders "s name" arguments as "\fIs\fR name, ...".
func args(list []string) string {
	out := make([]string, len(list))
	for i, a := range list {
		typ, name, _ := strings.Cut(a, " ")
		out[i] = Italic(typ) + " " + Escape(name)
	}
	return strings.Join(out, ", ")
}
