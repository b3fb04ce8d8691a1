package unitgen

// A test-only view of the Exec* property struct, so the consistency test can read them.
type ExecCommandForTest = execCommand

// ForTest returns v unchanged; it exists so tests read property values through one door.
func ForTest(v any) any { return v }
