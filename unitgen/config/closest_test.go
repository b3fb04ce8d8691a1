package config

import "testing"

func TestClosestKey(t *testing.T) {
	allowed := []string{"db", "web", "restart", "restart_delay", "environment", "exec", "dependencies", "description", "requires"}
	tests := []struct{ key, want string }{
		{"restart_dealy", "restart_delay"}, // edit distance before the prefix rule
		{"wbe", "web"},                     // a transposition is one mistake
		{"restrat", "restart"},
		{"exce", "exec"},
		{"dependency", "dependencies"},
		{"environ", "environment"}, // no key within distance 2: the prefix rule
		{"Restart", "restart"},
		{"colour", ""},
	}
	for _, tt := range tests {
		if got := closest(tt.key, allowed); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"wbe", "web", 1}, {"wbe", "db", 2}, {"restart_dealy", "restart_delay", 1}, {"", "abc", 3},
		{"kitten", "sitting", 3}, {"same", "same", 0},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
