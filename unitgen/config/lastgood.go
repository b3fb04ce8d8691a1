package config

// KeepLastGood is the set to run after a reload: next, except that a service whose new file has
// problems, and which was usable in last, keeps last's definition, so a typo never takes a
// running service away (nor, through requires, its dependents). The problems of its new file
// stay reported (Pending) until the file is fixed.
func KeepLastGood(next, last *Set) *Set {
	if last == nil {
		return next
	}
	var parsed []Parsed
	pending := map[string]Problems{}
	for _, s := range next.Services {
		if len(next.ownProblems(s.Name)) > 0 && last.Usable(s.Name) {
			parsed = append(parsed, Parsed{File: last.ByName[s.Name].File, Service: last.ByName[s.Name]})
			pending[s.Name] = next.Problems(s.Name)
			continue
		}
		parsed = append(parsed, Parsed{File: s.File, Service: s, Problems: next.ownProblems(s.Name)})
	}
	merged, _ := Assemble(parsed)
	merged.pending = pending
	return merged
}
