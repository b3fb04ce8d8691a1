package jobdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// A ledger's file deleted (rm jobs.db*) or replaced under herod is not an error SQLite reports:
// it goes on writing into the file it has open, which is gone from the directory, and every run
// recorded from then on is lost when herod stops. So before its operations (at most once per
// fileCheckEvery) the DB compares the file at its path with the one it has open, by device and
// inode (a stat(2) each); when they differ it logs an error, sets aside whatever now lies at the
// path, writes its open copy (every run, including those written since) there with VACUUM INTO,
// and goes on with that file. (The file found at the path may also be an empty ledger that a new
// connection of SQLite's pool made after the deletion: set aside all the same.)

func fileID(path string) (dev, ino uint64, ok bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, 0, false
	}
	return uint64(st.Dev), st.Ino, true
}

func watchFile(path string) *fileWatch {
	w := &fileWatch{}
	w.dev, w.ino, _ = fileID(path)
	return w
}

// hold is called first by every operation: it checks the file (see above) and keeps a restore
// from swapping the database under the operation until the returned function is called.
func (db *DB) hold(ctx context.Context) func() {
	db.checkFile(ctx)
	db.file.mu.RLock()
	return db.file.mu.RUnlock
}

// checkFile restores the ledger's file when it was deleted or replaced.
func (db *DB) checkFile(ctx context.Context) {
	w := db.file
	if dev, ino, ok := fileID(db.path); ok && dev == w.dev && ino == w.ino {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	dev, ino, ok := fileID(db.path)
	if ok && dev == w.dev && ino == w.ino {
		return // restored meanwhile
	}
	found := "nothing"
	if ok {
		found = "another file"
	}
	aside, err := db.restore(ctx)
	if err != nil {
		db.log.Error("the job ledger's file was deleted or replaced under herod, and restoring it failed: runs recorded from now on are lost when herod stops",
			"path", db.path, "found", found, "err", err)
		return
	}
	db.log.Error("the job ledger's file was deleted or replaced under herod; it is restored with every run herod had recorded",
		"path", db.path, "found", found, "set_aside", aside)
}

// restore sets aside what lies at the ledger's path (a replacement, or a stale WAL file), writes
// the open database there, and switches to it. The caller holds the file lock.
func (db *DB) restore(ctx context.Context) (string, error) {
	aside := ""
	stamp := db.path + ".replaced-" + time.Now().UTC().Format("20060102T150405.000000000Z")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Rename(db.path+suffix, stamp+suffix)
		switch {
		case err == nil && suffix == "":
			aside = stamp
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("setting aside %s: %w", db.path+suffix, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(db.path), 0o700); err != nil {
		return aside, err
	}
	if err := db.gorm.WithContext(ctx).Exec("VACUUM INTO ?", db.path).Error; err != nil {
		return aside, fmt.Errorf("writing the open ledger to %s: %w", db.path, err)
	}
	if err := private(db.path); err != nil {
		return aside, err
	}
	g, err := openGorm(db.path)
	if err != nil {
		return aside, fmt.Errorf("opening the restored ledger: %w", err)
	}
	old := db.gorm
	db.gorm = g
	db.file.dev, db.file.ino, _ = fileID(db.path)
	if sqlDB, err := old.DB(); err == nil {
		sqlDB.Close()
	}
	return aside, nil
}
