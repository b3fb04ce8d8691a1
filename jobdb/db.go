package jobdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// The ledger's database: its type, how SQLite is opened (dsn, pragmas, the file private to
// herod), and what a damaged file looks like.

// DB is the SQLite ledger.
type DB struct {
	gorm *gorm.DB
	log  *slog.Logger
	// Keep is how many ended jobs each service keeps (oldest go first); running jobs are never
	// counted or deleted. Set it before use; default DefaultKeep.
	Keep int

	path string
	file *fileWatch // the file db.gorm has open: noticed when deleted or replaced
	ids  *idFloor   // the ids any ledger at path may have issued (see ids.go)
}

// dsn is the connection string: the pragmas run on every pooled connection. The write-ahead log
// stays small: SQLite copies it into the database once it holds walCheckpointPages pages (its
// default, 1000 pages, let it grow to 4 MB beside a database of 120 KB, which a small full disk
// could not hold) and, with journal_size_limit, truncates it to walSizeLimit when it starts
// over (it would otherwise keep its largest size for good).
func dsn(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)&_pragma=journal_size_limit(%d)", walCheckpointPages, walSizeLimit) +
		"&_txlock=immediate"
}

// walCheckpointPages and walSizeLimit bound the write-ahead log (see dsn): about 1 MB of pages
// (4 KiB each) before a checkpoint, and 1 MiB kept after one.
const (
	walCheckpointPages = 256
	walSizeLimit       = 1 << 20
)

func openGorm(path string) (*gorm.DB, error) {
	return gorm.Open(sqlite.Open(dsn(path)), &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	})
}

// ErrDamaged says the ledger's file is not a sound SQLite database (SQLite's NOTADB or CORRUPT,
// or a failed quick_check): no write can fix it.
var ErrDamaged = errors.New("the ledger's file is damaged")

// quickCheck runs SQLite's PRAGMA quick_check (integrity_check without matching indexes to
// their tables: linear in the file's size).
func (db *DB) quickCheck(ctx context.Context) error {
	var rows []string
	if err := db.gorm.WithContext(ctx).Raw("PRAGMA quick_check").Scan(&rows).Error; err != nil {
		return fmt.Errorf("quick check: %w", err)
	}
	if len(rows) != 1 || rows[0] != "ok" {
		return fmt.Errorf("%w: quick check: %s", ErrDamaged, strings.Join(rows, "; "))
	}
	return nil
}

// damaged marks SQLite's errors for a file that is not a database, or a corrupt one, as
// ErrDamaged.
func damaged(err error) error {
	msg := err.Error()
	if errors.Is(err, ErrDamaged) {
		return err
	}
	for _, s := range []string{"file is not a database", "database disk image is malformed", "SQLITE_NOTADB", "SQLITE_CORRUPT"} {
		if strings.Contains(msg, s) {
			return fmt.Errorf("%w: %w", ErrDamaged, err)
		}
	}
	return err
}

// private makes the ledger's directory 0700 and the database and its WAL files 0600, creating
// the database file if needed so SQLite never creates it with the process's umask.
func private(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// explain adds what a person can do to SQLite's terse errors about the disk.
func explain(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "database or disk is full"), strings.Contains(msg, "SQLITE_FULL"):
		return fmt.Errorf("%w (no space left for the ledger: free space in its file system; nothing was recorded by this write)", err)
	case strings.Contains(msg, "readonly database"), strings.Contains(msg, "read-only file system"), strings.Contains(msg, "SQLITE_READONLY"):
		return fmt.Errorf("%w (the ledger is on a read-only file system or not writable: make it writable; nothing was recorded by this write)", err)
	}
	return err
}

// fileWatch is the identity of the ledger's open file, and the lock that keeps operations out
// while it is being restored.
type fileWatch struct {
	mu       sync.RWMutex // held for reading by each operation, for writing by a restore
	dev, ino uint64
}

// idFloor is the floor of a ledger's ids, as idsFile holds it.
type idFloor struct {
	mu       sync.Mutex
	path     string
	reserved int64 // every id up to this may have been issued
}
