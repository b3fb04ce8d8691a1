package herodcmd

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/cmd/internal/daemon"
	"github.com/hero-systemd/hero-systemd/cmd/internal/version"
)

// resolve runs herod's command line with args and returns the options it would run the daemon with.
func resolve(t *testing.T, args ...string) (daemon.Options, error) {
	t.Helper()
	var got daemon.Options
	cmd := NewCommand(func(_ context.Context, opts daemon.Options) error { got = opts; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	err := cmd.Execute()
	return got, err
}

func TestDirectories(t *testing.T) {
	tests := []struct {
		name              string
		env               map[string]string
		args              []string
		wantConfig, wantS string
	}{
		{"system", nil, nil, "/etc/hero/services", "/var/lib/hero"},
		{"user: XDG places", map[string]string{"HOME": "/home/ann"}, []string{"--user"}, "/home/ann/.config/hero/services", "/home/ann/.local/state/hero"},
		{"user: XDG variables", map[string]string{"XDG_CONFIG_HOME": "/c", "XDG_STATE_HOME": "/s"}, []string{"--user"}, "/c/hero/services", "/s/hero"},
		{"user: flags win", map[string]string{"XDG_CONFIG_HOME": "/c"}, []string{"--user", "--config-dir", "/x", "--state-dir", "/y"}, "/x", "/y"},
		{"user: HERO_* win", map[string]string{"HERO_CONFIG_DIR": "/e", "HERO_STATE_DIR": "/f", "XDG_CONFIG_HOME": "/c"}, []string{"--user"}, "/e", "/f"},
		{"system: flags", nil, []string{"--config-dir", "/x", "--state-dir", "/y"}, "/x", "/y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "HERO_CONFIG_DIR", "HERO_STATE_DIR"} {
				t.Setenv(k, tt.env[k])
			}
			opts, err := resolve(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if opts.ConfigDir != tt.wantConfig || opts.StateDir != tt.wantS {
				t.Errorf("config %q state %q, want %q %q", opts.ConfigDir, opts.StateDir, tt.wantConfig, tt.wantS)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	old := version.Version
	version.Version = "1.2.3+4.gabc"
	t.Cleanup(func() { version.Version = old })
	var out bytes.Buffer
	ran := false
	cmd := NewCommand(func(context.Context, daemon.Options) error { ran = true; return nil })
	cmd.SetArgs([]string{"--version"})
	cmd.SetOut(&out)
	if err := cmd.Execute(); err != nil || ran || out.String() != "herod 1.2.3+4.gabc\n" {
		t.Errorf("--version: %q, %v, ran %v", out.String(), err, ran)
	}
}

func TestRefusesBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"extra", "more"}, "unexpected argument(s): extra more\nUsage: herod [flags]"},
		{[]string{"--log-level", "loud"}, "--log-level: "},
		{[]string{"--nope"}, "unknown flag: --nope\nUsage: herod [flags]"},
	}
	for _, tt := range tests {
		ran := false
		cmd := NewCommand(func(context.Context, daemon.Options) error { ran = true; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if err == nil || ran || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("herod %s: %v (ran %v), want %q", strings.Join(tt.args, " "), err, ran, tt.want)
		}
	}
}
