package jobdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
)

// Job ids are never issued twice, not even across a ledger set aside as damaged and replaced by
// a new one: a client may hold a job's id (its object path, /org/hero/Proc1/job/ID) and must
// never be shown another run under it. SQLite's AUTOINCREMENT never reuses an id within one
// database (sqlite_sequence keeps the highest); across databases, the ids a ledger may have
// issued are remembered outside it, in idsFile beside it: a floor no id of a new ledger goes
// below, raised a block of ids ahead of the ledger (one small write per idBlock jobs), before
// any id above it is issued.

// idsFile is the file, in the ledger's directory, that holds the highest id any ledger there
// may have issued. (Its name is not jobs.db*: removing the ledger's files leaves it.)
const idsFile = "issued-ids"

// idBlock is how far ahead of the ledger's highest id the floor is raised; idMargin is how close
// the ledger may come to the floor before it is raised (room for creates under way at once).
const (
	idBlock  = 1024
	idMargin = 256
)

func idsPath(ledger string) string { return filepath.Join(filepath.Dir(ledger), idsFile) }

// readFloor reads idsFile (0 when there is none).
func readFloor(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// writeFloor replaces idsFile atomically and durably.
func writeFloor(path string, n int64) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%d\n", n)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("recording the ledger's issued ids in %s: %w", path, err)
	}
	return nil
}

// sequence is the highest id the ledger has issued (sqlite_sequence; 0 before the first job).
func sequence(g *gorm.DB) (int64, error) {
	var seq sql.NullInt64
	err := g.Raw(`SELECT MAX(seq) FROM (SELECT seq FROM sqlite_sequence WHERE name = 'jobs' UNION ALL SELECT MAX(id) FROM jobs)`).Scan(&seq).Error
	return seq.Int64, err
}

// openIDs lifts a ledger's sequence to the floor of idsFile (a new ledger beside a damaged one
// continues after the highest id the old one may have issued), and raises the floor ahead of
// the sequence (a ledger of an older hero had none). A floor that cannot be written is logged:
// the ledger works, and only ids after a later replacement could repeat.
func (db *DB) openIDs(ctx context.Context) error {
	f := &idFloor{path: idsPath(db.path)}
	db.ids = f
	floor, err := readFloor(f.path)
	if err != nil {
		db.log.Warn("the ledger's issued ids cannot be read: a new ledger could issue ids again", "err", err)
	}
	g := db.gorm.WithContext(ctx)
	seq, err := sequence(g)
	if err != nil {
		return fmt.Errorf("read the job id sequence: %w", err)
	}
	if floor > seq {
		err := g.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(`DELETE FROM sqlite_sequence WHERE name = 'jobs'`).Error; err != nil {
				return err
			}
			return tx.Exec(`INSERT INTO sqlite_sequence (name, seq) VALUES ('jobs', ?)`, floor).Error
		})
		if err != nil {
			return fmt.Errorf("continue job ids after %d: %w", floor, explain(err))
		}
		db.log.Info("job ids continue after those an earlier ledger issued", "after", floor)
	}
	f.reserved = floor
	db.reserveIDs(ctx, 0)
	return nil
}

// reserveIDs raises the floor before n new jobs take ids close to it.
func (db *DB) reserveIDs(ctx context.Context, n int) {
	f := db.ids
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	seq, err := sequence(db.gorm.WithContext(ctx))
	if err != nil || seq+int64(n)+idMargin <= f.reserved {
		return
	}
	next := seq + int64(n) + idBlock
	if err := writeFloor(f.path, next); err != nil {
		db.log.Warn("the ledger's issued ids cannot be recorded: a ledger replacing this one could issue ids again", "err", err)
		return
	}
	f.reserved = next
}

// KeepIDsOf raises the floor of the ledger at path to the highest id the ledger damaged (a
// file set aside) holds, as far as it can be read: a new ledger continues after it even when
// idsFile is missing (a ledger of an older hero). It returns that id (0 when none could be read).
func KeepIDsOf(damaged, path string) (int64, error) {
	g, err := gorm.Open(sqlite.Open("file:"+damaged+"?mode=ro&_pragma=query_only(1)"), &gorm.Config{})
	if err != nil {
		return 0, nil
	}
	if sqlDB, err := g.DB(); err == nil {
		defer sqlDB.Close()
	}
	high, err := sequence(g)
	if err != nil || high == 0 {
		return 0, nil
	}
	floor, err := readFloor(idsPath(path))
	if err != nil || floor >= high {
		return high, err
	}
	return high, writeFloor(idsPath(path), high)
}
