package unitgen

// What a caller who may not read a service's file is shown of its unit while systemd does not
// hold that definition (herod's UnitText, ApplyPlan): the unit's shape, with every value the
// file gave left out, as a problem of such a file is told (config.Problem.Withheld). Once systemd
// holds the unit, every local user reads it from systemd (the environment file aside), and
// herod shows it as it is.

// Withheld stands for a value left out.
const Withheld = "…"

// publicKeys are the keys whose values every user reads from herod whatever the file's mode
// (the service object's Description, Context and dependencies; the file's name), or that hero
// sets the same way for every service. Every other key's value came from the file: a key added
// later is withheld unless it is named here.
var publicKeys = map[string]bool{
	"Description": true, "SourcePath": true, "Slice": true,
	"Requires": true, "BindsTo": true, "Wants": true, "After": true, "Conflicts": true,
	// hero's own variables (HERO_SERVICE, HERO_CONTEXT, HERO_DEFINITION): the service's env is
	// in the environment file, whose names its comment lists (EnvironmentFile= shows hero's
	// file and withholds the service's own env_file: see envDirective).
	"Environment":      true,
	"RuntimeDirectory": true, "StandardOutput": true, "SyslogIdentifier": true,
	"LogRateLimitIntervalSec": true, "LogRateLimitBurst": true,
	"Service": true, "Context": true, "Format": true, // [X-Hero]
}

// withheld is the directive's comments and text as WithheldText writes them.
func (d directive) withheld() ([]string, string) {
	comments := d.shownComments
	if len(comments) != len(d.comments) { // a comment of no withheld form: left out whole
		comments = make([]string, len(d.comments))
		for i := range comments {
			comments[i] = Withheld
		}
	}
	switch {
	case d.shownText != "":
		return comments, d.shownText
	case publicKeys[d.key]:
		return comments, d.text
	}
	lines := 1
	for i := 0; i < len(d.text); i++ {
		if d.text[i] == '\n' {
			lines++
		}
	}
	text := Withheld
	for i := 1; i < lines; i++ {
		text += "\n" + Withheld
	}
	return comments, text
}
