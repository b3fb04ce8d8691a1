package journal

import (
	"time"
)

// Entry is one journal entry.
type Entry struct {
	Cursor string
	Time   time.Time
	Fields map[string]string
}

// systemd's journal message IDs for a unit's run (src/systemd/sd-messages.h).
const (
	MsgUnitStarting   = "7d4958e842da4a758f6c1cdc7b36dcc5"
	MsgUnitStarted    = "39f53479d3a045ac8e11786248231fbf"
	MsgUnitFailedJob  = "be02cf6855d2428ba40df7e9d022f03d" // "Failed to start": the start job failed
	MsgProcessExited  = "98e322203f7a4ed290d09fe03c09fe15" // main (or control) process exited
	MsgUnitFailed     = "d9b373ed55a64feb8242e02dbe79a49c" // "Failed with result ..."
	MsgUnitSucceeded  = "7ad2d189f7e94e70a38c781354912448" // "Deactivated successfully"
	MsgUnitStopping   = "de5b426a63be47a7b6ac3eaac82e2f6f" // a stop job began
	MsgUnitStopped    = "9d1aaa27d60140bd96365438aad20286"
	MsgRestartPlanned = "5eb03494b6584870a536b337290809b3" // "Scheduled restart job"
)

// recordIDs are the message IDs of the manager's records of a run.
var recordIDs = []string{MsgUnitStarting, MsgUnitStarted, MsgUnitFailedJob, MsgProcessExited,
	MsgUnitFailed, MsgUnitSucceeded, MsgUnitStopping, MsgUnitStopped, MsgRestartPlanned}

// Fields names the journal fields that carry a unit and its invocation: the system manager's,
// or a user manager's.
type Fields struct {
	Unit, Invocation       string // in the manager's own messages
	OwnUnit, OwnInvocation string // in lines the unit's processes wrote
}

// FieldsFor returns the fields of the system manager's journal, or (user) a user manager's.
func FieldsFor(user bool) Fields {
	if user {
		return Fields{"USER_UNIT", "USER_INVOCATION_ID", "_SYSTEMD_USER_UNIT", "_SYSTEMD_INVOCATION_ID"}
	}
	return Fields{"UNIT", "INVOCATION_ID", "_SYSTEMD_UNIT", "_SYSTEMD_INVOCATION_ID"}
}
