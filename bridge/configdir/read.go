package configdir

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Magic numbers (statfs f_type) of the kernel's pseudo file systems, whose files are interfaces
// (reading /proc/kmsg takes the kernel's messages, and waits for them), never service files.
var pseudoFileSystems = map[int64]string{
	0x9fa0:     "proc",
	0x62656572: "sysfs",
	0x64626720: "debugfs",
	0x74726163: "tracefs",
	0x73636673: "securityfs",
	0xcafe4a11: "bpf",
	0x27e0eb:   "cgroup",
	0x63677270: "cgroup2",
}

// dirHandle is an open config directory: files are opened relative to it (no path lookup from
// the root for each), and its file system is checked once. Its path is resolved and every
// directory on the way checked for trust (see Trust) before it is opened.
type dirHandle struct {
	fd     int
	dev    uint64 // the directory's device: files on another one have their file system checked
	path   string // the directory, every symlink resolved
	access Access // the directories up to and including this one
	res    *resolver
}

func openDir(dir string, trust Trust) (*dirHandle, error) {
	res := newResolver(trust)
	resolved, chain, err := res.resolve(dir)
	if err != nil {
		return nil, err
	}
	fd, err := syscall.Open(resolved, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: dir, Err: err}
	}
	if err := trust.Check(resolved, permOf(&st), false); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := checkFileSystem(fd); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	access := append(append(Access{}, chain...), permOf(&st))
	return &dirHandle{fd: fd, dev: uint64(st.Dev), path: resolved, access: access, res: res}, nil
}

func (d *dirHandle) close() { syscall.Close(d.fd) }

// checkFileSystem refuses the kernel's pseudo file systems.
func checkFileSystem(fd int) error {
	var fs syscall.Statfs_t
	if err := syscall.Fstatfs(fd, &fs); err != nil {
		return fmt.Errorf("cannot stat its file system: %w", err)
	}
	if pseudo, ok := pseudoFileSystems[int64(fs.Type)]; ok {
		return fmt.Errorf("a file of the kernel's %s file system, not a service file", pseudo)
	}
	return nil
}

// open opens one service file without following a symlink on the last step: a symlink is
// resolved first, every directory on its way checked for trust. It returns the descriptor and
// the path it opened and the directories that file is in (for Access).
func (d *dirHandle) open(name string) (int, string, Access, error) {
	const flags = syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC | syscall.O_NOFOLLOW
	var st syscall.Stat_t
	if err := fstatat(d.fd, name, &st); err != nil {
		return -1, "", nil, fmt.Errorf("cannot stat: %w", err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFLNK {
		fd, err := syscall.Openat(d.fd, name, flags, 0)
		if err != nil {
			return -1, "", nil, fmt.Errorf("cannot open: %w", err)
		}
		return fd, filepath.Join(d.path, name), d.access, nil
	}
	target, chain, err := d.res.resolve(filepath.Join(d.path, name))
	if errors.Is(err, ErrUntrusted) {
		return -1, "", nil, fmt.Errorf("symlink to an untrusted place: %w", err)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the file's own name says where
	}
	if err != nil {
		return -1, "", nil, fmt.Errorf("cannot open: %w", err)
	}
	fd, err := syscall.Open(target, flags, 0)
	if err != nil {
		return -1, "", nil, fmt.Errorf("cannot open %s: %w", target, err)
	}
	return fd, target, chain, nil
}

// fstatat is lstat relative to a directory descriptor.
func fstatat(dirfd int, name string, st *syscall.Stat_t) error {
	for {
		var ust unix.Stat_t
		err := unix.Fstatat(dirfd, name, &ust, unix.AT_SYMLINK_NOFOLLOW)
		st.Mode, st.Uid, st.Gid = ust.Mode, ust.Uid, ust.Gid
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// readFile reads one service file so that no file can make it wait or read much, and none
// that an untrusted user could have written is read at all: it is opened without blocking
// (O_NONBLOCK: a FIFO does not wait for a writer), without becoming a controlling terminal and
// without following a symlink (one is resolved first, see open), then checked on the open
// descriptor (fstat: it is what is read, even if the name was swapped in between): a regular
// file of at most config.MaxFileSize bytes on a real file system, owned and writable only by
// trusted users (Trust). The descriptor is used with plain system calls, not Go's poller, which
// would wait on a descriptor that can be polled. It returns what it takes to read the file.
func (d *dirHandle) readFile(name string) ([]byte, Access, error) {
	fd, path, dirs, err := d.open(name)
	if err != nil {
		return nil, nil, err
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, nil, fmt.Errorf("cannot stat: %w", err)
	}
	if kind := fileKind(st.Mode); kind != "" {
		return nil, nil, fmt.Errorf("not a regular file but %s", kind)
	}
	if uint64(st.Dev) != d.dev {
		if err := checkFileSystem(fd); err != nil {
			return nil, nil, err
		}
	}
	access := append(append(Access{}, dirs...), permOf(&st))
	if err := d.res.trust.Check(path, permOf(&st), false); err != nil {
		return nil, access, err
	}
	if st.Size > config.MaxFileSize {
		return nil, access, fmt.Errorf("file is larger than %d bytes", config.MaxFileSize)
	}
	// The size is a hint (the file may change while it is read): read up to one byte more than
	// allowed, to tell a file that grew too large.
	buf := make([]byte, 0, st.Size+1)
	for len(buf) <= config.MaxFileSize {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := syscall.Read(fd, buf[len(buf):min(cap(buf), config.MaxFileSize+1)])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, access, fmt.Errorf("cannot read: %w", err)
		}
		if m == 0 {
			break
		}
		buf = buf[:len(buf)+m]
	}
	if len(buf) > config.MaxFileSize {
		return nil, access, fmt.Errorf("file is larger than %d bytes", config.MaxFileSize)
	}
	return buf, access, nil
}

// fileKind names what a file is when it is not a regular file, or returns "".
func fileKind(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return ""
	case syscall.S_IFDIR:
		return "a directory"
	case syscall.S_IFIFO:
		return "a FIFO"
	case syscall.S_IFCHR:
		return "a character device"
	case syscall.S_IFBLK:
		return "a block device"
	case syscall.S_IFSOCK:
		return "a socket"
	}
	return "a special file"
}
