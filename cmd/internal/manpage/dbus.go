package manpage

import (
	"strings"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// where says which objects carry each interface herod implements.
var where = map[string]string{
	api.Interface:              "at " + api.Path,
	api.ServiceInterface:       "at " + api.ServicesPath + "/NAME, one object per service",
	api.JobInterface:           "at " + api.JobsPath + "/ID, one object per kept job",
	api.ObjectManagerInterface: "at " + api.Path + ": the service and job objects",
	api.PropertiesInterface:    "on every service and job object",
}

// members reads every interface of api.Interfaces, in that order.
func members() ([]api.Member, error) {
	var out []api.Member
	for _, x := range api.Interfaces {
		ms, err := api.Members(x)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// dBusAPI writes each interface herod implements (from the introspection data herod serves):
// its methods and signals with their signatures, its properties with their types, and what
// each does.
func dBusAPI(w *writer) {
	ms, err := members()
	if err != nil {
		// The introspection data is a constant that herod serves; the tests parse it.
		panic("manpage: reading the introspection data: " + err.Error())
	}
	var ifaces []string
	for _, m := range ms {
		if len(ifaces) == 0 || ifaces[len(ifaces)-1] != m.Interface {
			ifaces = append(ifaces, m.Interface)
		}
	}
	for _, iface := range ifaces {
		w.SubSection(iface + " " + where[iface])
		for _, kind := range []string{"method", "signal", "property"} {
			heading := true
			for _, m := range ms {
				if m.Interface != iface || m.Kind != kind {
					continue
				}
				if heading {
					w.Para(map[string]string{"method": "Methods:", "signal": "Signals:", "property": "Properties (read-only):"}[kind])
					heading = false
				}
				w.Item(tag(m), sentence(m.Doc))
			}
		}
	}
}

// tag is a member's name with its signature: Start(s name, b ...) -> (t operation, ...), or a
// property's name and type.
func tag(m api.Member) string {
	if m.Kind == "property" {
		return Bold(m.Name) + " " + Italic(m.Type)
	}
	t := Bold(m.Name) + "(" + args(m.In) + ")"
	if len(m.Out) > 0 {
		t += ` \(-> (` + args(m.Out) + ")"
	}
	return t
}

// args renders arguments as "\fIs\fR name, ...".
func args(list []api.Arg) string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = Italic(a.Type) + " " + escape(a.Name)
	}
	return strings.Join(out, ", ")
}
