package jobdb

import (
	"context"
	"fmt"
	"time"
)

// Waits returns every service that waits for its requirements, by name.
func (db *DB) Waits(ctx context.Context) ([]Wait, error) {
	defer db.hold(ctx)()
	var out []Wait
	if err := db.gorm.WithContext(ctx).Order("service").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read waits: %w", err)
	}
	return out, nil
}

// SetWait records that w.Service waits for its requirements. A service that waits already
// keeps its first cause and time: the outage is the same.
func (db *DB) SetWait(ctx context.Context, w Wait) error {
	defer db.hold(ctx)()
	if w.Since.IsZero() {
		w.Since = time.Now()
	}
	err := db.gorm.WithContext(ctx).Exec(`INSERT INTO waits (service, requirement, since) VALUES (?, ?, ?)
		ON CONFLICT (service) DO NOTHING`, w.Service, w.Requirement, w.Since.UTC()).Error
	if err != nil {
		return fmt.Errorf("record that %s waits for %s: %w", w.Service, w.Requirement, explain(err))
	}
	return nil
}

// ClearWaits forgets that services wait (they run again, or were stopped on purpose) and
// returns how many did.
func (db *DB) ClearWaits(ctx context.Context, services ...string) (int64, error) {
	if len(services) == 0 {
		return 0, nil
	}
	defer db.hold(ctx)()
	res := db.gorm.WithContext(ctx).Exec(`DELETE FROM waits WHERE service IN ?`, services)
	if res.Error != nil {
		return 0, fmt.Errorf("forget the waits of %v: %w", services, explain(res.Error))
	}
	return res.RowsAffected, nil
}
