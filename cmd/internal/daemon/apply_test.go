package daemon

import (
	"strings"
	"testing"
)

func TestMaskDiffHidesEnvironmentValues(t *testing.T) {
	diff := strings.Join([]string{
		"--- hero-default-db.service (running)",
		"+++ hero-default-db.service (config)",
		"@@ -1,3 +1,3 @@",
		`-Environment="TOKEN=s3cret-one" "HERO_SERVICE=db"`,
		`+Environment="TOKEN=s3cret-two" "HERO_SERVICE=db"`,
		`-# environment file sets: "PASSWORD=s3cret-three"`,
		`+# environment file sets: "PASSWORD=s3cret-four" "MODE=a b"`,
		"-ExecStartPre=/usr/libexec/hero-systemd/hero-exec exec c2VjcmV0LW9uZQ",
		"+ExecStartPre=/usr/libexec/hero-systemd/hero-exec exec c2VjcmV0LXR3bw",
		" ExecStart=/bin/sleep 1000",
	}, "\n")
	got := maskDiff(diff)
	for _, secret := range []string{"s3cret", "c2VjcmV0"} {
		if strings.Contains(got, secret) {
			t.Errorf("masked diff still holds %q:\n%s", secret, got)
		}
	}
	for _, kept := range []string{`-Environment="TOKEN=…" "HERO_SERVICE=…"`, "+ExecStartPre=/usr/libexec/hero-systemd/hero-exec exec …", `+# environment file sets: "PASSWORD=…" "MODE=…"`, " ExecStart=/bin/sleep 1000", "@@ -1,3 +1,3 @@"} {
		if !strings.Contains(got, kept) {
			t.Errorf("masked diff lost %q:\n%s", kept, got)
		}
	}
}
