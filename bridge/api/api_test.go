package api

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/plan"
)

// Service objects are named as systemd names its unit objects (sd_bus_path_encode), and every
// name comes back from its path.
func TestServicePath(t *testing.T) {
	for _, name := range []string{"db", "my-db", "1st", "a.b_c", "Web9", "x-1.y_2", "9"} {
		path := ServicePath(name)
		if want := ServicesPath + "/" + sddbus.PathBusEscape(name); path != want {
			t.Errorf("ServicePath(%q) = %q, want %q (as systemd escapes)", name, path, want)
		}
		if got, ok := ServiceName(path); !ok || got != name {
			t.Errorf("ServiceName(%q) = %q, %v; want %q", path, got, ok, name)
		}
	}
	for _, path := range []string{
		ServicesPath, ServicesPath + "/", ServicesPath + "/a/b", ServicesPath + "/my_2Ddb", // upper-case hex: not what systemd writes
		ServicesPath + "/_3", ServicesPath + "/_zz", ServicesPath + "/_61bc", // "a" needs no escape
		JobsPath + "/1", "/org/hero/Proc1/servicex/db",
	} {
		if name, ok := ServiceName(path); ok {
			t.Errorf("ServiceName(%q) = %q, want none", path, name)
		}
	}
}

func TestJobPath(t *testing.T) {
	if got := JobPath(42); got != "/org/hero/Proc1/job/42" {
		t.Errorf("JobPath(42) = %q", got)
	}
	for path, want := range map[string]int64{
		JobsPath + "/42": 42, JobsPath + "/0": 0, JobsPath + "/042": 0, JobsPath + "/-1": 0,
		JobsPath + "/x": 0, JobsPath: 0, JobsPath + "/1/2": 0, ServicesPath + "/1": 0,
	} {
		if id, ok := JobID(path); id != want || ok != (want > 0) {
			t.Errorf("JobID(%q) = %d, %v; want %d", path, id, ok, want)
		}
	}
}

// Every object's introspection data is well-formed XML (encoding/xml refuses a "--" inside a
// comment, as XML does), and every member carries a comment that names it.
func TestIntrospectionIsDocumentedXML(t *testing.T) {
	nodes := map[string]string{"manager": Introspection, "service": ServiceNode, "job": JobNode,
		"parent": Node(ServicesDoc, []string{IntrospectableXML, PeerXML}, []string{"db", "my_2ddb"})}
	for name, data := range nodes {
		ms, err := Members(data)
		if err != nil {
			t.Errorf("%s node: %v", name, err)
			continue
		}
		for _, m := range ms {
			if m.Doc == "" {
				t.Errorf("%s node: %s %s.%s has no comment naming it", name, m.Kind, m.Interface, m.Name)
			}
		}
	}
	if !strings.Contains(Introspection, `<node name="service"/>`) || !strings.Contains(Introspection, `<node name="job"/>`) {
		t.Errorf("the manager's node does not list its children")
	}
}

var update = flag.Bool("update", false, "rewrite docs/dbus-api.md's generated API tables")

// docs/dbus-api.md's API tables are generated from the introspection data (go test ./bridge/api -update
// writes them), so they name every method, signal and property with its signature.
func TestDocsAPITables(t *testing.T) {
	const path = "../../docs/dbus-api.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)(<!-- api-tables: [^\n]*-->\n)(.*?)(<!-- /api-tables -->)`)
	m := block.FindSubmatchIndex(data)
	if m == nil {
		t.Fatal("docs/dbus-api.md has no <!-- api-tables: ... --> ... <!-- /api-tables --> block")
	}
	want := apiTables(t)
	if got := string(data[m[4]:m[5]]); got != want {
		if !*update {
			t.Fatalf("docs/dbus-api.md's API tables differ from the introspection data; run 'go test ./bridge/api -update'.\nwant:\n%s", want)
		}
		out := append(append(append([]byte{}, data[:m[4]]...), want...), data[m[5]:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// apiTables renders hero's interfaces as Markdown tables.
func apiTables(t *testing.T) string {
	var b strings.Builder
	for _, x := range []struct{ xml, where string }{
		{ManagerXML, "`" + Path + "`"},
		{ServiceXML, "`" + ServicesPath + "/NAME`, one per service"},
		{JobXML, "`" + JobsPath + "/ID`, one per kept job"},
	} {
		ms, err := Members(x.xml)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n**`%s`** at %s\n", ms[0].Interface, x.where)
		for _, kind := range []string{"method", "signal", "property"} {
			rows := 0
			for _, m := range ms {
				if m.Kind != kind {
					continue
				}
				if rows == 0 {
					b.WriteString("\n" + map[string]string{
						"method":   "| method | in | out | |\n| --- | --- | --- | --- |\n",
						"signal":   "| signal | arguments |\n| --- | --- |\n",
						"property": "| property | type | |\n| --- | --- | --- |\n"}[kind])
				}
				rows++
				switch kind {
				case "method":
					note := ""
					if strings.HasPrefix(m.Doc, "privileged.") {
						note = "privileged"
					}
					fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", m.Name, code(m.In), code(m.Out), note)
				case "signal":
					fmt.Fprintf(&b, "| `%s` | %s |\n", m.Name, code(m.In))
				case "property":
					fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", m.Name, m.Type, strings.ReplaceAll(m.Doc, "|", "\\|"))
				}
			}
		}
	}
	return b.String()
}

// code renders arguments as `s name, b flag`.
func code(args []Arg) string {
	if len(args) == 0 {
		return ""
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.Type + " " + a.Name
	}
	return "`" + strings.Join(parts, ", ") + "`"
}

// Every key of the dictionaries is a documented property of its interface, and every property
// is a key: the wire contract and its documentation are one.
func TestKeysAreTheDocumentedProperties(t *testing.T) {
	documented := map[string][]string{}
	for _, node := range []string{ServiceNode, JobNode} {
		members, err := Members(node)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			if m.Kind == "property" {
				documented[m.Interface] = append(documented[m.Interface], m.Name)
			}
		}
	}
	for iface, keys := range map[string][]string{ServiceInterface: ServiceKeys, JobInterface: JobKeys} {
		got, want := slices.Sorted(slices.Values(keys)), slices.Sorted(slices.Values(documented[iface]))
		if !slices.Equal(got, want) {
			t.Errorf("%s: keys %v, documented properties %v", iface, got, want)
		}
	}
}

// The apply plan is declared once (bridge/plan.Apply): the introspection data's type of every
// plan argument is its D-Bus signature, and docs/dbus-api.md's table of its members names each
// member, in order, with its D-Bus type and its JSON key.
func TestApplyPlanIsDocumentedAsDeclared(t *testing.T) {
	for _, method := range []string{MethodApplyPlan, MethodOperationPlan} {
		re := regexp.MustCompile(`(?s)<method name="` + method + `">.*?<arg name="plan" type="([^"]+)" direction="out"/>`)
		m := re.FindStringSubmatch(Introspection)
		if m == nil || m[1] != plan.Signature().String() {
			t.Errorf("%s's plan is %v in the introspection data, want %s", method, m, plan.Signature())
		}
	}
	data, err := os.ReadFile("../../docs/dbus-api.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)<!-- apply-plan:[^\n]*-->\n(.*?)<!-- /apply-plan -->`).FindSubmatch(data)
	if block == nil {
		t.Fatal("docs/dbus-api.md has no <!-- apply-plan: ... --> table")
	}
	var got []string
	row := regexp.MustCompile("^\\| `([^`]+)` \\| `([^`]+)` \\| `([^`]+)` \\|")
	for _, line := range strings.Split(string(block[1]), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			got = append(got, m[1]+" "+m[2]+" "+m[3])
		}
	}
	want := members("", reflect.TypeOf(plan.Apply{}))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docs/dbus-api.md's plan table:\n%s\nwant (bridge/plan.Apply's members):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// members lists a struct's members as D-Bus carries them: name, D-Bus type, JSON key, the
// members of a list of structs after it (prefixed with its name).
func members(prefix string, t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("dbus") == "-" {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, prefix+f.Name+" "+dbus.SignatureOfType(f.Type).String()+" "+key)
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			out = append(out, members(f.Name+".", f.Type.Elem())...)
		}
	}
	return out
}
