// Package configdir reads a directory of hero service configs from disk and builds the
// validated set (unitgen/config does the pure part: parsing and validation of bytes).
package configdir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Load reads every service file of dir (*.toml, *.yaml, *.yml at its top; hidden files and
// folders skipped) and builds the Set. The error is for a directory that cannot be read at all;
// problems with the files, too large ones included, are in Problems.
func Load(dir string) (*config.Set, config.Problems, error) {
	return LoadFS(os.DirFS(dir))
}

// errTooLarge is returned for a file over config.MaxFileSize; it is reported, not read.
var errTooLarge = errors.New("too large")

// LoadFS is Load on any file system (tests use fstest.MapFS).
// It reads every service file (*.toml, *.yaml, *.yml; hidden files and folders skipped) at
// the top of fsys and builds the Set. The error is for a directory that cannot be read at all;
// problems with the files are in config.Problems.
func LoadFS(fsys fs.FS) (*config.Set, config.Problems, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, err
	}
	var files []config.File
	var probs config.Problems
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		if !config.IsServiceFile(name) {
			continue
		}
		if len(files) >= config.MaxServices {
			probs = append(probs, config.Problem{File: ".", Message: fmt.Sprintf("more than %d service files", config.MaxServices)})
			break
		}
		data, err := readLimited(fsys, name)
		if errors.Is(err, errTooLarge) {
			probs = append(probs, config.Problem{File: name, Message: fmt.Sprintf("file is larger than %d bytes", config.MaxFileSize)})
			continue
		}
		if err != nil {
			probs = append(probs, config.Problem{File: name, Message: fmt.Sprintf("cannot read: %v", err)})
			continue
		}
		files = append(files, config.File{Name: name, Data: data})
	}
	set, bprobs := config.Build(files)
	probs = append(probs, bprobs...)
	probs.Sort()
	return set, probs, nil
}

// readLimited reads at most config.MaxFileSize bytes, so a huge (or endless) file costs nothing.
func readLimited(fsys fs.FS, name string) ([]byte, error) {
	// Stat before opening: opening a FIFO would block.
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if st.Size() > config.MaxFileSize {
		return nil, errTooLarge
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, config.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > config.MaxFileSize {
		return nil, errTooLarge
	}
	return data, nil
}
