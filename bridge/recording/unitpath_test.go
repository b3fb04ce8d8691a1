package recording

import (
	"testing"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

func TestUnescapeBusPath(t *testing.T) {
	for in, want := range map[string]string{"hero_2ddefault_2dweb_2eservice": "hero-default-web.service", "hero_2ddefault_2dmy_5cx2dsvc_2eservice": `hero-default-my\x2dsvc.service`} {
		if got, ok := unitgen.ParseBusPathLabel(in); !ok || got != want {
			t.Errorf("ParseBusPathLabel(%q) = %q, %v, want %q", in, got, ok, want)
		}
	}
	if u, ok := unitFromPath("/org/freedesktop/systemd1/unit/hero_2ddefault_2dweb_2eservice"); !ok || u != "hero-default-web.service" {
		t.Errorf("unitFromPath: %q %v", u, ok)
	}
	if _, ok := unitFromPath("/org/freedesktop/systemd1/unit/sshd_2eservice"); ok {
		t.Error("a unit hero does not own was taken")
	}
}
