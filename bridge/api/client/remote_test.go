package client

import (
	"reflect"
	"testing"
)

// -H's argument becomes ssh's arguments as systemctl -H passes them; anything ssh could read as
// an option, or that is not [USER@]HOST[:PORT], is refused.
func TestSSHArgs(t *testing.T) {
	tests := []struct {
		host string
		want []string // nil: refused
	}{
		{"web1", []string{"-xT", "--", "web1", "systemd-stdio-bridge"}},
		{"root@web1", []string{"-xT", "--", "root@web1", "systemd-stdio-bridge"}},
		{"root@web1:2222", []string{"-xT", "-p", "2222", "--", "root@web1", "systemd-stdio-bridge"}},
		{"10.0.0.5:22", []string{"-xT", "-p", "22", "--", "10.0.0.5", "systemd-stdio-bridge"}},
		{"[fd00::5]:2200", []string{"-xT", "-p", "2200", "--", "fd00::5", "systemd-stdio-bridge"}},
		{"admin@[fd00::5]", []string{"-xT", "--", "admin@fd00::5", "systemd-stdio-bridge"}},
		{"fd00::5", []string{"-xT", "--", "fd00::5", "systemd-stdio-bridge"}},
		{"", nil},
		{"-oProxyCommand=sh", nil},
		{"root@-oProxyCommand=sh", nil},
		{"-l@web1", nil},
		{"@web1", nil},
		{"web1:0", nil},
		{"web1:http", nil},
		{"web1:70000", nil},
		{"[fd00::5", nil},
		{"[fd00::5]x", nil},
		{"web1/container", nil},
		{"web 1", nil},
	}
	for _, tt := range tests {
		got, err := SSHArgs(tt.host)
		if tt.want == nil {
			if err == nil {
				t.Errorf("SSHArgs(%q) = %q, want an error", tt.host, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SSHArgs(%q) = %q, %v; want %q", tt.host, got, err, tt.want)
		}
	}
}
