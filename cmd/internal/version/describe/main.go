// Command describe prints the version of the source tree it runs in, for build scripts:
// `git describe --tags --always --dirty --match 'v[0-9]*'` turned into a Debian-valid version
// by version.FromDescribe. Outside a git checkout it prints 0.0.0+unknown.
package main

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/hero-systemd/hero-systemd/cmd/internal/version"
)

func main() {
	out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty", "--match", "v[0-9]*").Output()
	if err != nil {
		fmt.Println("0.0.0+unknown")
		return
	}
	v, err := version.FromDescribe(string(out))
	if err != nil {
		fmt.Fprintln(os.Stderr, "describe:", err)
		os.Exit(1)
	}
	fmt.Println(v)
}
