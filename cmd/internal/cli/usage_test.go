package cli

import "testing"

func TestPlaceholderSkipsFlagValues(t *testing.T) {
	tests := []struct{ use, want string }{
		{"stop [--dry-run] [--remove-jobs] NAME...", "NAME"},
		{"logs [--job ID] [-f] [-n LINES] [--since TIME] NAME", "NAME"},
		{"logs NAME [--job ID] [-f] [-n LINES] [--since TIME]", "NAME"},
		{"kill [-s SIGNAL] NAME...", "NAME"},
		{"validate [DIR]", "DIR"},
		{"list-units", "an argument"},
		{"edit [--full] [--force] NAME", "NAME"},
	}
	for _, tt := range tests {
		if got := placeholder(tt.use); got != tt.want {
			t.Errorf("placeholder(%q) = %q, want %q", tt.use, got, tt.want)
		}
	}
}
