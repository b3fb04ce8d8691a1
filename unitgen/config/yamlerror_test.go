package config

import (
	"bytes"
	"errors"
	"runtime/debug"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// yamlModuleChecked is the yaml.v3 whose error texts readYAMLError was checked against.
const yamlModuleChecked = "v3.0.6"

// TestYAMLErrorShapes decodes documents that make yaml.v3 fail in each shape readYAMLError reads
// (its real errors, not made-up strings), and pins the module: another version must be checked
// again (its messages and their lines) before this test is updated.
func TestYAMLErrorShapes(t *testing.T) {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "go.yaml.in/yaml/v3" && m.Version != yamlModuleChecked {
				t.Fatalf("go.yaml.in/yaml/v3 is %s; readYAMLError was checked against %s: check its shapes (and yamlParserErrors) against the new version, then update yamlModuleChecked", m.Version, yamlModuleChecked)
			}
		}
	}
	tests := []struct {
		name, doc string
		raw       string // yaml.v3's text, as this version writes it
		want      yamlSyntax
	}{
		{"scanner error: line N counted from 1", "a: 1\nb: \"x\n", `yaml: line 2: found unexpected end of stream`,
			yamlSyntax{2, "found unexpected end of stream"}},
		{"parser error: line N counted from 0", "a: 1\nb: [x\n", `yaml: line 1: did not find expected ',' or ']'`,
			yamlSyntax{2, "did not find expected ',' or ']'"}},
		{"parser error on the first line: no line", "a: b: c\n", `yaml: mapping values are not allowed in this context`,
			yamlSyntax{0, "mapping values are not allowed in this context"}},
		{"parser error of line 0: no line, corrected to 1", "]", `yaml: did not find expected node content`,
			yamlSyntax{1, "did not find expected node content"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.NewDecoder(bytes.NewReader([]byte(tt.doc))).Decode(&n)
			if err == nil || err.Error() != tt.raw {
				t.Fatalf("yaml.v3 said %v, want %q: its message changed, readYAMLError must be checked again", err, tt.raw)
			}
			if got := readYAMLError(err); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := readYAMLError(errors.New("read: input/output error")); got != (yamlSyntax{0, "read: input/output error"}) {
		t.Errorf("an error not yaml.v3's: %+v", got)
	}
}
