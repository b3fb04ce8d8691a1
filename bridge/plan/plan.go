// Package plan declares the plans herod shows before it acts, once, for every layer: the bridge
// computes them, herod sends them over D-Bus as typed structures (each exported field, in
// order, is a member of the D-Bus struct: see Signature), the client receives them and heroctl
// prints them (as text, or as JSON by their json tags). Pure: no I/O.
package plan

import (
	"github.com/godbus/dbus/v5"
)

// Apply is what an apply does to make what runs match the config directory on disk. One is
// computed under the operation's locks, shown, and then executed as it is; ApplyPlan computes
// one that is only shown (DryRun).
type Apply struct {
	// DryRun is true for a plan that is only shown (ApplyPlan, heroctl apply --dry-run).
	DryRun bool `json:"dry_run"`
	// Changed are the running services whose definition on disk differs from the unit systemd
	// runs, each with its diff and the running services that require it.
	Changed []Change `json:"changed"`
	// Restart is every service that stops and starts again, in start order (dependencies
	// first): the changed ones, their running dependents, and the services an earlier apply
	// stopped and could not start again.
	Restart []string `json:"restart"`
	// Stop are the running services no file defines any more (or defines in another context).
	Stop []string `json:"stop"`
	// Added are the services the directory defines that herod had not loaded: loaded, not
	// started.
	Added []string `json:"added"`
	// Updated are the services that do not run whose definition changed: the new one runs from
	// their next start.
	Updated []string `json:"updated"`
	// Removed are the services herod had loaded that no file defines any more (those that run
	// are in Stop too).
	Removed []string `json:"removed"`
	// Unchanged counts the running services left as they are.
	Unchanged uint32 `json:"unchanged"`
	// Started and Failed say what an apply did: empty in a plan, filled once it ended.
	Started []string `json:"started"`
	Failed  []string `json:"failed"`
}

// Change is one running service whose definition changed.
type Change struct {
	Service string `json:"service"`
	Unit    string `json:"unit"`
	// File is the service's config file, as named in the directory.
	File string `json:"file"`
	// Diff is a unified diff of the unit's text, from what systemd runs to the new definition:
	// whole for a reader who may read File; for others, environment values masked and the new
	// lines, which systemd was not given yet, with every value of File left out (see Shown).
	Diff string `json:"diff"`
	// Dependents are the running services that require it, restarted with it (start order).
	Dependents []string `json:"dependents"`

	// OldText and NewText are the unit texts the diff is made from (OldText is "" when OldKnown
	// is false: the unit was created by a herod that kept no text of it); NewWithheld is
	// NewText with every value of File left out, line for line (unitgen.Unit.WithheldText).
	// They hold what only File's readers may see, so they never leave herod: neither D-Bus nor
	// JSON carries them.
	OldText     string `dbus:"-" json:"-"`
	NewText     string `dbus:"-" json:"-"`
	NewWithheld string `dbus:"-" json:"-"`
	OldKnown    bool   `dbus:"-" json:"-"`
}

// Signature is Apply's D-Bus type: what ApplyPlan and OperationPlan return.
func Signature() dbus.Signature { return dbus.SignatureOf(Apply{}) }

// Acts reports whether the plan restarts or stops anything.
func (a Apply) Acts() bool { return len(a.Restart) > 0 || len(a.Stop) > 0 }

// Shown is the plan as a reader sees it: each change's Diff made from its texts, whole for the
// services whose file reveal says the reader may read; for the others, environment values
// masked and the new lines withheld (NewWithheld: systemd was not given the new definition yet,
// so what the file says is told to its readers only). The texts themselves are left out.
func (a Apply) Shown(reveal func(file string) bool) Apply {
	a.Changed = append([]Change(nil), a.Changed...)
	for i, c := range a.Changed {
		a.Changed[i].Diff = unitDiff(c.Unit, c.OldText, c.NewText, c.NewWithheld, c.OldKnown, reveal(c.File))
		a.Changed[i].OldText, a.Changed[i].NewText, a.Changed[i].NewWithheld = "", "", ""
	}
	return a.WithLists()
}

// WithLists is the plan with every list present (empty rather than nil), as JSON readers
// expect them and D-Bus may leave them.
func (a Apply) WithLists() Apply {
	for _, l := range []*[]string{&a.Restart, &a.Stop, &a.Added, &a.Updated, &a.Removed, &a.Started, &a.Failed} {
		if *l == nil {
			*l = []string{}
		}
	}
	if a.Changed == nil {
		a.Changed = []Change{}
	}
	for i := range a.Changed {
		if a.Changed[i].Dependents == nil {
			a.Changed[i].Dependents = []string{}
		}
	}
	return a
}

// unitDiff is the unified diff of unit's text from old (what systemd runs) to new (the config):
// as it is when reveal. Else its added lines are withheld's (new with the values of the
// service's file left out, line for line; withheld == new leaves nothing out) and environment
// values are masked (maskDiff), so that a line whose hidden value changed is still shown as
// changed and no other line is. The lines taken away are systemd's, which every user reads from
// it (environment values aside). When the old text is not known, the diff says so and shows the
// new text.
func unitDiff(unit, old, new, withheld string, oldKnown, reveal bool) string {
	shownNew := new
	if !reveal {
		shownNew = withheldLines(new, withheld)
	}
	diff := "--- " + unit + " (running)\n+++ " + unit + " (config)\n"
	if oldKnown {
		diff += unifiedDiffShowing(old, new, shownNew, 3)
	} else {
		diff += "@@ the text of the running unit is unknown (a herod before this one created it); the new unit: @@\n" +
			prefixLines("+", shownNew)
	}
	if !reveal {
		diff = maskDiff(diff)
	}
	return diff
}

// Masked is the plan with every diff's environment values masked (maskDiff), whoever reads it:
// for output that others may read (logs).
func (a Apply) Masked() Apply {
	a.Changed = append([]Change(nil), a.Changed...)
	for i := range a.Changed {
		a.Changed[i].Diff = maskDiff(a.Changed[i].Diff)
	}
	return a
}
