package configdir

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Cache keeps a directory's last parsed Set and reuses it while nothing in the directory
// changed, so that callers who may ask often (herod's read-only D-Bus methods, open to every
// local user) cost a listing and a stat per file instead of a parse. One load runs at a time:
// concurrent callers wait for it and then share its result.
type Cache struct {
	dir      string
	mu       sync.Mutex
	stamp    []fileStamp
	envStamp []fileStamp // the env_file of each service, as of the last parse
	result   *Result
	loaded   bool
	parses   int // how many times the directory was parsed (for tests)
}

// fileStamp is what tells that a file changed: its name, identity (device, inode), size and
// times. The change time (ctime) cannot be set back by a user, unlike the modification time.
type fileStamp struct {
	name             string
	dev, ino         uint64
	size             int64
	mtimeNs, ctimeNs int64
}

var (
	cachesMu sync.Mutex
	caches   = map[string]*Cache{}
)

// CacheFor returns the process's one Cache of dir, so that every caller shares it.
func CacheFor(dir string) *Cache {
	cachesMu.Lock()
	defer cachesMu.Unlock()
	c, ok := caches[dir]
	if !ok {
		c = &Cache{dir: dir}
		caches[dir] = c
	}
	return c
}

// Load returns the directory's Set and Problems as Load does, parsing again only when a service
// file was added, removed or changed (or the directory itself) since the last call. The Set is
// shared between callers: it must not be changed.
func (c *Cache) Load() (*config.Set, config.Problems, error) {
	r, err := c.Read()
	if err != nil {
		return nil, nil, err
	}
	return r.Set, r.Problems, nil
}

// Read is Load's whole Result (shared between callers: it must not be changed).
func (c *Cache) Read() (*Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stamp, err := stampDir(c.dir)
	if err != nil {
		c.loaded = false
		return nil, err
	}
	if c.loaded && slices.Equal(stamp, c.stamp) && slices.Equal(stampEnvFiles(c.result), c.envStamp) {
		return c.result, nil
	}
	r, err := Read(c.dir, DefaultTrust())
	c.parses++
	if err != nil {
		c.loaded = false
		return nil, err
	}
	c.stamp, c.result, c.loaded = stamp, r, true
	c.envStamp = stampEnvFiles(r)
	return r, nil
}

// stampEnvFiles stamps the services' env_file files and the directories on their way (their
// trust is decided when the directory is read: one made writable by others since, or
// replaced, makes it read again).
func stampEnvFiles(r *Result) []fileStamp {
	if r == nil || r.Set == nil {
		return nil
	}
	var out []fileStamp
	for _, s := range r.Set.Services {
		f := s.Daemon.EnvFile
		if f == "" {
			continue
		}
		for p := f; ; p = filepath.Dir(p) {
			out = append(out, stampFile("/", p))
			if p == "/" || p == "." {
				break
			}
		}
	}
	return out
}

// stampDir stamps the directory itself and each of its service files (followed through
// symlinks; a file that cannot be stat'ed is stamped by name only, and read by Load).
func stampDir(dir string) ([]fileStamp, error) {
	names, _, err := serviceFiles(dir)
	if err != nil {
		return nil, err
	}
	out := make([]fileStamp, 0, len(names)+1)
	for _, name := range append([]string{"."}, names...) {
		out = append(out, stampFile(dir, name))
	}
	return out, nil
}

func stampFile(dir, name string) fileStamp {
	s := fileStamp{name: name}
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		return s
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.dev, s.ino = uint64(st.Dev), st.Ino
		s.ctimeNs = st.Ctim.Nano()
	}
	s.size, s.mtimeNs = fi.Size(), fi.ModTime().UnixNano()
	return s
}
