// Package version holds the version of herod and heroctl, stamped at build time, and the rule
// that turns `git describe` into it.
//
// Releases are tagged vMAJOR.MINOR.PATCH (pre-releases vMAJOR.MINOR.PATCH-PRE, e.g. v0.4.0-rc.1).
// The version is one string, valid as a Debian version and printed as is by --version:
//
//	git describe --tags --always --dirty   version
//	v0.3.0                                 0.3.0
//	v0.3.0-5-gabc1234                      0.3.0+5.gabc1234   (5 commits after the tag)
//	v0.3.0-5-gabc1234-dirty                0.3.0+5.gabc1234.dirty
//	v0.4.0-rc.1                            0.4.0~rc.1         (sorts before 0.4.0)
//	abc1234 (no tag yet)                   0.0.0+gabc1234
package version

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
)

// Version is set by the linker:
//
//	go build -ldflags "-X github.com/hero-systemd/hero-systemd/cmd/internal/version.Version=0.3.0"
//
// packaging/deb/build.sh stamps it from FromDescribe(git describe ...).
var Version string

// String is the version to print: the stamped one, else the module version of a
// `go install ...@vX.Y.Z` build, else "devel".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && strings.HasPrefix(bi.Main.Version, "v") {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "devel"
}

var (
	tagged   = regexp.MustCompile(`^v([0-9]+\.[0-9]+\.[0-9]+)(?:-([0-9A-Za-z.]+))?(?:-([0-9]+)-g([0-9a-f]+))?$`)
	untagged = regexp.MustCompile(`^[0-9a-f]{4,}$`)
	debian   = regexp.MustCompile(`^[0-9][0-9A-Za-z.+~]*$`)
)

// FromDescribe turns the output of `git describe --tags --always --dirty` into the version
// (see the package comment). A pre-release suffix is separated by "~" so that Debian sorts it
// before the release; commits after a tag and a dirty tree go after "+", so they sort after it.
func FromDescribe(describe string) (string, error) {
	d, dirty := strings.CutSuffix(strings.TrimSpace(describe), "-dirty")
	var base string
	var local []string
	if m := tagged.FindStringSubmatch(d); m != nil {
		base = m[1]
		if m[2] != "" {
			base += "~" + m[2]
		}
		if m[3] != "" {
			local = append(local, m[3], "g"+m[4])
		}
	} else if untagged.MatchString(d) {
		base = "0.0.0"
		local = append(local, "g"+d)
	} else {
		return "", fmt.Errorf("git describe %q: not vMAJOR.MINOR.PATCH[-PRE][-N-gHASH] nor a commit hash", describe)
	}
	if dirty {
		local = append(local, "dirty")
	}
	if len(local) > 0 {
		base += "+" + strings.Join(local, ".")
	}
	return base, nil
}

// Valid reports whether v may be used as the version: it must be a Debian upstream version
// without a revision (a digit first; letters, digits and . + ~ after).
func Valid(v string) bool { return debian.MatchString(v) }

// SemVer is v (a version as FromDescribe makes them) as Semantic Versioning 2.0 spells it, for
// the Ansible collection, which must carry the package's version in that form: a pre-release
// goes after "-" instead of "~", and MAJOR.MINOR.PATCH has its three numbers (0.0+test is
// 0.0.0+test). The build part after "+" is the same.
func SemVer(v string) string {
	base, build, hasBuild := strings.Cut(v, "+")
	base, pre, hasPre := strings.Cut(base, "~")
	for strings.Count(base, ".") < 2 {
		base += ".0"
	}
	if hasPre {
		base += "-" + pre
	}
	if hasBuild {
		base += "+" + build
	}
	return base
}
