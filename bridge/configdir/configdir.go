// Package configdir reads a directory of hero service configs from disk and builds the
// validated set (unitgen/config does the pure part: parsing and validation of bytes).
package configdir

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Result is a directory as read: its Set, every problem, and what it takes to read each
// service file (for deciding whom a problem may quote the file to).
type Result struct {
	Set      *config.Set
	Problems config.Problems
	Access   map[string]Access // by file name; absent for a file that could not be opened
	// Untrusted names the files refused because someone other than root (or the reader) could
	// have written them or a directory on their way: never read, their services bad-config.
	Untrusted []string
}

// Load reads every service file of dir (*.toml, *.yaml, *.yml at its top; hidden files and
// folders skipped) and builds the Set, trusting root's and this process's user's files
// (DefaultTrust). Files are read and parsed in parallel. The error is for a directory that
// cannot be listed at all, or that an untrusted user could change (ErrUntrusted); problems
// with the files (unreadable, untrusted, too large, not regular files) are in Problems, as are
// the files' own problems.
func Load(dir string) (*config.Set, config.Problems, error) {
	r, err := Read(dir, DefaultTrust())
	if err != nil {
		return nil, nil, err
	}
	return r.Set, r.Problems, nil
}

// Read is Load with the trust to apply, and what it takes to read each file.
func Read(dir string, trust Trust) (*Result, error) {
	d, err := openDir(dir, trust)
	if err != nil {
		return nil, err
	}
	defer d.close()
	names, probs, err := serviceFiles(d.path)
	if err != nil {
		return nil, err
	}
	parsed := make([]config.Parsed, len(names))
	access := make([]Access, len(names))
	untrusted := make([]bool, len(names))
	parallel(len(names), func(i int) {
		name := names[i]
		data, acc, err := d.readFile(name)
		access[i] = acc
		untrusted[i] = errors.Is(err, ErrUntrusted)
		if err != nil {
			// The message holds no byte of the file: anyone may see it.
			parsed[i] = config.Parsed{File: name, Problems: config.Problems{{File: name, Message: err.Error(), Kind: err.Error()}}}
			return
		}
		s, ps := config.Parse(name, data)
		if p := envFileProblem(s, trust); p != nil {
			ps = append(ps, *p)
		}
		parsed[i] = config.Parsed{File: name, Service: s, Problems: ps}
	})
	set, bprobs := config.Assemble(parsed)
	probs = append(probs, bprobs...)
	probs.Sort()
	r := &Result{Set: set, Problems: probs, Access: make(map[string]Access, len(names))}
	for i, name := range names {
		if access[i] != nil {
			r.Access[name] = access[i]
		}
		if untrusted[i] {
			r.Untrusted = append(r.Untrusted, name)
		}
	}
	return r, nil
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
