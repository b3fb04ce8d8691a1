package config

import (
	"strconv"
	"strings"
)

// yaml.v3 (go.yaml.in/yaml/v3, checked against v3.0.6: TestYAMLErrorShapes pins it) returns a
// syntax error as a plain error of text only: "yaml: line N: MESSAGE", or "yaml: MESSAGE" when
// it has no line (yaml.go's failf, decode.go's parser.fail). It has no type and no position
// (its TypeError is for decoding into Go values, which hero does not do: it decodes into
// yaml.Node). readYAMLError is the one place that reads that text.

// yamlSyntax is a yaml.v3 syntax error as readYAMLError reads it.
type yamlSyntax struct {
	line    int    // counted from 1; 0 when yaml.v3 gave none
	message string // without the "yaml: line N: " prefix
}

// yamlParserErrors are the messages of yaml.v3's parser (parserc.go; the scanner's, scannerc.go,
// are all others). parser.fail reports a parser error's line counted from 0 (the scanner's from
// 1), and leaves out line 0.
var yamlParserErrors = map[string]bool{
	"did not find expected ',' or ']'": true, "did not find expected ',' or '}'": true,
	"did not find expected '-' indicator": true, "did not find expected <document start>": true,
	"did not find expected <stream-start>": true, "did not find expected key": true,
	"did not find expected node content": true, "found duplicate %TAG directive": true,
	"found duplicate %YAML directive": true, "found incompatible YAML document": true,
	"found undefined tag handle": true,
}

// readYAMLError reads a syntax error of yaml.v3's: its message and its line, counted from 1
// (a parser error's line corrected; a first-line parser error, which yaml.v3 gives no line,
// is line 1). Any other error is its text, line 0.
func readYAMLError(err error) yamlSyntax {
	rest, ok := strings.CutPrefix(err.Error(), "yaml: ")
	if !ok {
		return yamlSyntax{message: err.Error()}
	}
	s := yamlSyntax{message: rest}
	if n, msg, ok := strings.Cut(strings.TrimPrefix(rest, "line "), ": "); ok && strings.HasPrefix(rest, "line ") {
		if line, err := strconv.Atoi(n); err == nil {
			s.line, s.message = line, msg
		}
	}
	if yamlParserErrors[s.message] {
		s.line++
	}
	return s
}
