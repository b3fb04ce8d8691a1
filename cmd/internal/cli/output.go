package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// jsonVerbs are the verbs with a JSON form (-o json); the others refuse it rather than ignore
// it, so a script never parses text it took for JSON.
var jsonVerbs = map[string]bool{
	"apply": true, "graph": true, "jobs": true, "list-dependencies": true, "list-units": true, "restart": true,
	"start": true, "status": true, "stop": true, "validate": true,
}

// checkJSON refuses -o json for a verb that has no JSON form.
func checkJSON(cmd *cobra.Command, g *globals) error {
	if !g.json() || jsonVerbs[cmd.Name()] {
		return nil
	}
	verbs := make([]string, 0, len(jsonVerbs))
	for v := range jsonVerbs {
		verbs = append(verbs, v)
	}
	sort.Strings(verbs)
	return exitWith(ExitFailure, fmt.Errorf("%s has no JSON output; -o json works with %s", verbPath(cmd), strings.Join(verbs, ", ")))
}

// printJSON writes v as indented JSON. HTML escaping is off: "->" stays "->", not "\u003e".
func printJSON(v any) error {
	enc := json.NewEncoder(Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
