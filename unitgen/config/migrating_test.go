package config

import (
	"os"
	"regexp"
	"testing"
)

// stackBlock is a config file of docs/migrating.md: a "<!-- stack: NAME -->" line, then its
// TOML in a fenced block.
var stackBlock = regexp.MustCompile("(?s)<!-- stack: ([a-z0-9.]+) -->\n```toml\n(.*?)```")

// The stack docs/migrating.md shows is a valid config directory: what a reader copies runs.
func TestMigratingStackValidates(t *testing.T) {
	doc, err := os.ReadFile("../../docs/migrating.md")
	if err != nil {
		t.Fatal(err)
	}
	var files []File
	for _, m := range stackBlock.FindAllSubmatch(doc, -1) {
		files = append(files, File{Name: string(m[1]), Data: m[2]})
	}
	if len(files) != 4 {
		t.Fatalf("docs/migrating.md has %d stack files, want pg, redis, app and nginx", len(files))
	}
	set, probs := Build(files)
	if len(probs) > 0 {
		t.Fatalf("the stack of docs/migrating.md has problems:\n%s", probs.Error())
	}
	plan, err := set.Graph.Start("nginx")
	if err != nil || len(plan.Order) != 4 {
		t.Errorf("starting nginx starts %v (%v), want the whole stack", plan.Order, err)
	}
	if pg := set.Service("pg").Main(); !pg.Notify || pg.ReloadSignal != "SIGHUP" || pg.KillMode != "mixed" {
		t.Errorf("pg: %+v", pg.Process)
	}
}
