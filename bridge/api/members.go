package api

import (
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
)

// Member is a method, signal or property of an interface, read from introspection data.
type Member struct {
	Interface string
	Kind      string // "method", "signal" or "property"
	Name      string
	In, Out   []Arg  // a method's arguments; a signal's are In
	Type      string // a property's type
	Doc       string // the comment before it that names it ("Name(args): " or "Name: "), without that lead
}

// Arg is one argument of a method or signal.
type Arg struct{ Name, Type string }

// Signature is the arguments' D-Bus signature.
func Signature(args []Arg) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a.Type)
	}
	return b.String()
}

// docLead is the "Start(name, ...): " or "JobStarted: " that the comments begin with.
var docLead = regexp.MustCompile(`^(\w+)(\([^)]*\))?:\s*`)

// Members reads the methods, signals and properties of the interfaces in introspection data,
// each with the comment written before it. It fails on data that is not well-formed XML (a
// "--" inside a comment, for one).
func Members(data string) ([]Member, error) {
	dec := xml.NewDecoder(strings.NewReader(data))
	dec.Strict = true
	var out []Member
	var comment, iface string
	cur := -1
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.Comment:
			comment = strings.Join(strings.Fields(string(t)), " ")
		case xml.StartElement:
			switch t.Name.Local {
			case "interface":
				iface = attr(t, "name")
			case "method", "signal", "property":
				m := Member{Interface: iface, Kind: t.Name.Local, Name: attr(t, "name"), Type: attr(t, "type")}
				// A comment documents the member it names.
				if lead := docLead.FindStringSubmatch(comment); lead != nil && lead[1] == m.Name {
					m.Doc = comment[len(lead[0]):]
				}
				out = append(out, m)
				cur = len(out) - 1
				comment = ""
			case "arg":
				if cur >= 0 {
					a := Arg{Name: attr(t, "name"), Type: attr(t, "type")}
					if attr(t, "direction") == "out" {
						out[cur].Out = append(out[cur].Out, a)
					} else {
						out[cur].In = append(out[cur].In, a)
					}
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "method", "signal", "property":
				cur = -1
			case "interface":
				iface = ""
			}
		}
	}
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
