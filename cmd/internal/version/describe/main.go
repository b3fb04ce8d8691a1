// Command describe prints the version of the source tree it runs in, for build scripts:
// `git describe --tags --always --dirty --match 'v[0-9]*'` turned into a Debian-valid version
// by version.FromDescribe. Outside a git checkout it prints 0.0.0+unknown.
//
//	describe                 the version (the Debian package's)
//	describe -semver [V]     V (default: the version) as Semantic Versioning spells it (the
//	                         Ansible collection's), see version.SemVer
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/hero-systemd/hero-systemd/cmd/internal/version"
)

func main() {
	semver := flag.Bool("semver", false, "print the version as Semantic Versioning spells it")
	flag.Parse()
	v := flag.Arg(0)
	if v == "" {
		v = describe()
	}
	if !version.Valid(v) {
		fmt.Fprintf(os.Stderr, "describe: %q is not a version\n", v)
		os.Exit(1)
	}
	if *semver {
		v = version.SemVer(v)
	}
	fmt.Println(v)
}

func describe() string {
	out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty", "--match", "v[0-9]*").Output()
	if err != nil {
		return "0.0.0+unknown"
	}
	v, err := version.FromDescribe(string(out))
	if err != nil {
		fmt.Fprintln(os.Stderr, "describe:", err)
		os.Exit(1)
	}
	return v
}
