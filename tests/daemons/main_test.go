//go:build daemons

// Package daemons runs Debian's own daemons (PostgreSQL, Redis, nginx, a Python server) as hero
// services in the testbed, configured the way their packaged units run them: readiness by
// sd_notify, reload without a restart, PostgreSQL's shutdown, a port below 1024 without root, a
// sandbox as tight as Debian's. Run with: go test -tags daemons ./tests/daemons/ (as root).
//
// The testbed's rootfs gets the daemons' packages (a flavour of its own, cached like the
// others). Debian's own units for them start at boot in the container and hold their ports and
// directories: TestMain stops them first (keeping them loadable: the Redis scenario measures
// Debian's redis-server.service beside hero's unit). harness_test.go is the shared part: a herod
// per test with a config directory of its own, heroctl, waits with deadlines, and the figures
// the tier prints at its end; other files of the package (scenarios of other issues) use it.
package daemons

import (
	"fmt"
	"os"
	"testing"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// Packages is the rootfs flavour of this tier: Debian's daemons and the clients that talk to
// them.
const Packages = "postgresql,redis-server,nginx-light,curl,python3"

// debianUnits are the packaged units of those daemons, stopped before the tests.
var debianUnits = []string{"postgresql.service", "postgresql@*.service", "redis-server.service", "nginx.service"}

func TestMain(m *testing.M) {
	if !testbed.Inside() {
		os.Setenv("HERO_TESTBED_EXTRA", Packages)
		testbed.Main(m)
		return
	}
	if err := stopDebianUnits(); err != nil {
		fmt.Fprintln(os.Stderr, "daemons:", err)
		os.Exit(1)
	}
	code := m.Run()
	printFigures(os.Stdout)
	os.Exit(code)
}
