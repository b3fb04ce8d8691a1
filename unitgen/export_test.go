package unitgen

// A test-only view of the Exec* property struct, so the consistency test can read them.
type ExecCommandForTest = execCommand

// EnvFileEntryForTest is the EnvironmentFiles property struct.
type EnvFileEntryForTest = envFileEntry

// ForTest returns v unchanged; it exists so tests read property values through one door.
func ForTest(v any) any { return v }

// ExecLineForTest is the unit-file text of one command, as an Exec*= line carries it (through
// hero-exec when it must).
func ExecLineForTest(argv []string) string {
	b := builder{}
	b.exec("ExecStart", []command{direct(argv, DefaultExecHelper)})
	return b.ds[0].text
}

// AllowListForTest is the (bas) struct of RestrictAddressFamilies and SystemCallFilter.
type AllowListForTest = allowList

// SuccessExitForTest is the (aiai) struct of SuccessExitStatus.
type SuccessExitForTest = successExit
