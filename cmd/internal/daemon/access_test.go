package daemon

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

func TestRedactEnvironmentMasksEveryValue(t *testing.T) {
	text := strings.Join([]string{
		`Environment="HERO_SERVICE=vault" "HERO_CONTEXT=default" "HERO_DEFINITION=0123"`,
		"# " + unitgen.EnvCommentPrefix + `"DB_PASSWORD=s3cret \"x\"" "EMPTY=" "HERO_PRE_ENV_1=eyJzM2NyZXQifQ"`,
		"EnvironmentFile=/run/hero-systemd/env/hero-default-vault.service-0123.env",
		"ExecStart=/bin/sleep infinity",
	}, "\n")
	got := redactEnvironment(text)
	for _, leak := range []string{"s3cret", "eyJ", "vault\" ", "=0123\""} {
		if strings.Contains(got, leak) {
			t.Errorf("redacted text holds %q:\n%s", leak, got)
		}
	}
	for _, want := range []string{`"DB_PASSWORD=…"`, `"EMPTY=…"`, `"HERO_SERVICE=…"`, "EnvironmentFile=/run/hero-systemd/env/", "ExecStart=/bin/sleep infinity"} {
		if !strings.Contains(got, want) {
			t.Errorf("redacted text lacks %q:\n%s", want, got)
		}
	}
}

// A problem quotes its file only to callers who could read the file.
func TestProblemsAreShownOnlyToReaders(t *testing.T) {
	dir := configdir.Perm{UID: 0, GID: 0, Mode: syscall.S_IFDIR | 0o755}
	private := configdir.Access{dir, {UID: 0, GID: 0, Mode: syscall.S_IFREG | 0o600}}
	public := configdir.Access{dir, {UID: 0, GID: 0, Mode: syscall.S_IFREG | 0o644}}
	p := config.Problem{File: "a.toml", Line: 2, Key: "status", Message: `must be "start", not "s3cret"`, Kind: `must be "start", not "…"`}
	tests := []struct {
		name   string
		access configdir.Access
		who    *caller
		quoted bool
	}{
		{"root, private file", private, &caller{uid: 0}, true},
		{"user, private file", private, &caller{uid: 1000, groups: []uint32{1000}}, false},
		{"user, public file", public, &caller{uid: 1000, groups: []uint32{1000}}, true},
		{"anyone, private file", private, nil, false},
		{"anyone, public file", public, nil, true},
		{"user, file of unknown access", nil, &caller{uid: 1000, groups: []uint32{1000}}, false},
	}
	for _, tt := range tests {
		got := shownTo(p, tt.access, tt.who).String()
		if strings.Contains(got, "s3cret") != tt.quoted {
			t.Errorf("%s: %q (quoted %v, want %v)", tt.name, got, !tt.quoted, tt.quoted)
		}
		if !strings.HasPrefix(got, "a.toml:2: status: ") {
			t.Errorf("%s: %q lost its file, line or key", tt.name, got)
		}
	}
}

// OperationFinished is a signal every client may receive: a start refused there for a
// bad-config service quotes only files every user may read.
func TestOperationErrorsQuoteOnlyWorldReadableFiles(t *testing.T) {
	dir := configdir.Perm{UID: 0, GID: 0, Mode: syscall.S_IFDIR | 0o755}
	access := &fileAccess{access: map[string]configdir.Access{"a.toml": {dir, {UID: 0, GID: 0, Mode: syscall.S_IFREG | 0o600}}}}
	p := config.Problem{File: "a.toml", Line: 2, Key: "status", Message: `must be "start", not "s3cret"`, Kind: `must be "start", not "…"`}
	err := forEveryone(&bridge.ConfigError{Service: "a", Problems: config.Problems{p}}, access)
	if msg := err.Error(); strings.Contains(msg, "s3cret") || !strings.Contains(msg, `a.toml:2: status: must be "start", not "…"`) {
		t.Errorf("operation error for everyone: %q", msg)
	}
	var cfg *bridge.ConfigError
	if !errors.As(err, &cfg) {
		t.Errorf("the error is no longer a ConfigError (its D-Bus name would change): %T", err)
	}
}
