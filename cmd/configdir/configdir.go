// Package configdir reads a directory of hero service configs from disk and builds the
// validated set (unitgen/config does the pure part: parsing and validation of bytes).
package configdir

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Load reads every service file of dir (*.toml, *.yaml, *.yml at its top; hidden files and
// folders skipped) and builds the Set. Files are read and parsed in parallel. The error is for
// a directory that cannot be listed at all; problems with the files (unreadable, too large,
// not regular files) are in Problems, as are the files' own problems.
func Load(dir string) (*config.Set, config.Problems, error) {
	d, err := openDir(dir)
	if err != nil {
		return nil, nil, err
	}
	defer d.close()
	names, probs, err := serviceFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	parsed := make([]config.Parsed, len(names))
	parallel(len(names), func(i int) {
		name := names[i]
		data, err := d.readFile(name)
		if err != nil {
			parsed[i] = config.Parsed{File: name, Problems: config.Problems{{File: name, Message: err.Error()}}}
			return
		}
		s, ps := config.Parse(name, data)
		parsed[i] = config.Parsed{File: name, Service: s, Problems: ps}
	})
	set, bprobs := config.Assemble(parsed)
	probs = append(probs, bprobs...)
	probs.Sort()
	return set, probs, nil
}

// serviceFiles lists the names of dir's service files, sorted, at most config.MaxServices.
func serviceFiles(dir string) ([]string, config.Problems, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	var probs config.Problems
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || e.IsDir() || !config.IsServiceFile(name) {
			continue
		}
		if len(names) >= config.MaxServices {
			probs = append(probs, config.Problem{File: ".", Message: fmt.Sprintf("more than %d service files", config.MaxServices)})
			break
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, probs, nil
}

// parallel runs work(0..n-1) on as many goroutines as there are CPUs to run them.
func parallel(n int, work func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				mine := i
				i++
				next.Unlock()
				if mine >= n {
					return
				}
				work(mine)
			}
		}()
	}
	wg.Wait()
}
