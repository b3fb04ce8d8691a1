package cli

import (
	"testing"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// Every verb said to change services is a heroctl verb calling a method herod guards as one
// that changes services; the verbs that only read are not privileged.
func TestPrivilegedVerbsCallMutatingMethods(t *testing.T) {
	root := newRoot(&globals{})
	for verb, method := range verbMethods {
		if cmd, _, err := root.Find([]string{verb}); err != nil || cmd.Name() != verb {
			t.Errorf("%s is not a heroctl verb", verb)
		}
		if !api.Mutating[method] {
			t.Errorf("%s calls %s, which herod does not guard", verb, method)
		}
	}
	for _, verb := range []string{"status", "list-units", "show", "cat", "logs", "jobs", "validate", "is-active"} {
		if privileged(verb) {
			t.Errorf("%s only reads but is privileged", verb)
		}
	}
}
