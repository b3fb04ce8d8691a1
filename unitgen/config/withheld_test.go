package config

import (
	"strings"
	"testing"
)

// A problem told to someone who may not read its file holds no byte of the file: not in the
// key, not in the message.
func TestWithheldHoldsNoByteOfTheFile(t *testing.T) {
	tests := []struct {
		file, data string
		secrets    []string
	}{
		{"shadowy.yaml", "root:$y$j9T$SECRETHASH:19000:0:99999:7:::\nbob:$y$j9T$OTHERHASH:19000:0:99999:7:::\n", []string{"SECRETHASH", "OTHERHASH", "$y$", "root", "bob"}},
		{"typo.toml", "exec = \"/bin/true\"\nDB_PASSWORDx = \"hunter2-secret\"\n", []string{"hunter2", "DB_PASSWORDx"}},
		{"status.toml", "exec = \"/bin/true\"\nstatus = \"hunter2-secret\"\n", []string{"hunter2"}},
		{"env.toml", "exec = \"/bin/true\"\n[env]\n\"BAD NAME hunter2\" = \"x\"\n", []string{"hunter2"}},
		{"broken.toml", "exec = \"/bin/true\n hunter2-secret = = =\n", []string{"hunter2"}},
		{"limits.toml", "exec = \"/bin/true\"\n[limits]\nmemory = \"hunter2\"\ncpu = \"hunter2%\"\n", []string{"hunter2"}},
	}
	for _, tt := range tests {
		_, probs := Parse(tt.file, []byte(tt.data))
		if len(probs) == 0 {
			t.Fatalf("%s: no problem found", tt.file)
		}
		for _, p := range probs {
			w := p.Withheld().String()
			for _, s := range tt.secrets {
				if strings.Contains(w, s) {
					t.Errorf("%s: withheld problem %q holds %q (full: %q)", tt.file, w, s, p.String())
				}
			}
			if p.Withheld().File != p.File || p.Withheld().Line != p.Line {
				t.Errorf("%s: withheld problem lost its file or line: %q", tt.file, w)
			}
		}
	}
}

func TestWithheldKeepsHeroWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"limits.memory", "limits.memory"},
		{"actions[2].exec", "actions[2].exec"},
		{"env.DB_PASSWORD", "env.…"},
		{"bob:$y$j9T$x", "…"},
		{"dependencies.requires[0]", "dependencies.requires[0]"},
	}
	for _, tt := range tests {
		if got := withheldKey(tt.in); got != tt.want {
			t.Errorf("withheldKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	p := Problem{File: "a.toml", Line: 3, Key: "status", Message: `must be "start", not "x"`, Kind: `must be "start", not "…"`}
	if got := p.Withheld().String(); got != `a.toml:3: status: must be "start", not "…"` {
		t.Errorf("Withheld = %q", got)
	}
}
