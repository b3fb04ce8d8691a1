package paths

import "testing"

func TestDefaults(t *testing.T) {
	tests := []struct {
		name               string
		env                map[string]string
		user               bool
		wantConfig, wantSt string
	}{
		{"system", nil, false, "/etc/hero/services", "/var/lib/hero"},
		{"system ignores XDG", map[string]string{"XDG_CONFIG_HOME": "/x", "XDG_STATE_HOME": "/y"}, false, "/etc/hero/services", "/var/lib/hero"},
		{"user, XDG unset", map[string]string{"HOME": "/home/ann"}, true, "/home/ann/.config/hero/services", "/home/ann/.local/state/hero"},
		{"user, XDG set", map[string]string{"HOME": "/home/ann", "XDG_CONFIG_HOME": "/cfg", "XDG_STATE_HOME": "/st"}, true, "/cfg/hero/services", "/st/hero"},
		{"user, relative XDG ignored", map[string]string{"HOME": "/home/ann", "XDG_CONFIG_HOME": "cfg", "XDG_STATE_HOME": "st"}, true, "/home/ann/.config/hero/services", "/home/ann/.local/state/hero"},
		{"HERO_* win", map[string]string{"HERO_CONFIG_DIR": "/c", "HERO_STATE_DIR": "/s", "XDG_CONFIG_HOME": "/cfg"}, true, "/c", "/s"},
		{"HERO_* win, system", map[string]string{"HERO_CONFIG_DIR": "/c", "HERO_STATE_DIR": "/s"}, false, "/c", "/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", EnvConfigDir, EnvStateDir} {
				t.Setenv(k, tt.env[k])
			}
			if got := ConfigDir(tt.user); got != tt.wantConfig {
				t.Errorf("ConfigDir(%v) = %q, want %q", tt.user, got, tt.wantConfig)
			}
			if got := StateDir(tt.user); got != tt.wantSt {
				t.Errorf("StateDir(%v) = %q, want %q", tt.user, got, tt.wantSt)
			}
		})
	}
}
