package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// streamFiles reads journald's state files of its open output streams, one per stream in
// streamsDir, named after the stream socket's device and inode, holding its unit and stream ID.
// journald writes a file when it has set its stream up and removes it when it has read the
// stream to its end. A copy of a run's tail looks at them every tailPoll while it waits, and a
// host may have thousands open: read each time, the files of 2,000 running services took 38%
// of herod's CPU in the seconds after a start of them all. So a file is read once, and again only
// when its modification time moved (a file removed and written again under the same name).
type streamFiles struct {
	dir   string
	mu    sync.Mutex
	known map[string]streamFile // by file name
}

type streamFile struct {
	mod time.Time
	st  Stream
}

func newStreamFiles(dir string) *streamFiles {
	return &streamFiles{dir: dir, known: map[string]streamFile{}}
}

// open returns the streams journald has open now: every state file there, parsed (Opened is
// the file's modification time). A directory that does not exist holds none.
func (f *streamFiles) open() ([]Stream, error) {
	entries, err := os.ReadDir(f.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journald's streams: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := make(map[string]streamFile, len(entries))
	out := make([]Stream, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // closed meanwhile
		}
		file, ok := f.known[e.Name()]
		if !ok || !file.mod.Equal(info.ModTime()) {
			data, err := os.ReadFile(filepath.Join(f.dir, e.Name()))
			if err != nil {
				continue
			}
			file = streamFile{mod: info.ModTime(), st: parseStream(data)}
			file.st.Opened = file.mod
		}
		seen[e.Name()] = file
		out = append(out, file.st)
	}
	f.known = seen
	return out, nil
}

// parseStream reads a stream's state file: KEY=VALUE lines (STREAM_ID=, UNIT=, ...).
func parseStream(data []byte) Stream {
	var st Stream
	for line := range strings.SplitSeq(string(data), "\n") {
		switch k, v, _ := strings.Cut(line, "="); k {
		case "STREAM_ID":
			st.ID = v
		case "UNIT":
			st.Unit = v
		}
	}
	return st
}
