package unitgen

// Test-only views of the Exec* property structs, so the consistency test can read them.
type (
	ExecCommandForTest   = execCommand
	ExecCommandExForTest = execCommandEx
)

// ForTest returns v unchanged; it exists so tests read property values through one door.
func ForTest(v any) any { return v }
