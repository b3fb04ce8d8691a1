package bridge

import (
	"sync"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// unitTexts remembers the text of every unit the bridge created, by unit name, and keeps it in
// the environment directory (writeUnitText), so that an apply can show what changed, also in a
// unit created before herod last started.
type unitTexts struct {
	dir   string // where the texts are kept; "" keeps them in memory only
	mu    sync.Mutex
	texts map[string]unitText
}

type unitText struct{ definition, text string }

func (t *unitTexts) remember(u *unitgen.Unit) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.texts == nil {
		t.texts = map[string]unitText{}
	}
	t.texts[u.Name] = unitText{definition: u.Definition, text: u.Text()}
	if t.dir != "" {
		// Best effort: without the file, a diff after herod's restart says the text is unknown.
		_ = writeUnitText(u, t.dir)
	}
}

func (t *unitTexts) get(unit, definition string) (string, bool) {
	t.mu.Lock()
	ut, ok := t.texts[unit]
	t.mu.Unlock()
	if ok && ut.definition == definition {
		return ut.text, true
	}
	if t.dir == "" || definition == "" {
		return "", false
	}
	return readUnitText(t.dir, unit, definition)
}
