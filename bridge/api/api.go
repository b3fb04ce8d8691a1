// Package api names hero's D-Bus API: the bus name, objects, interfaces, members and errors that
// herod exports and heroctl calls. Both sides use these constants; the introspection data
// (introspection.go) documents every object, property, method and signal for busctl, gdbus and
// d-feet users.
package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// Names on the bus.
const (
	BusName   = "org.hero.Proc1"
	Path      = "/org/hero/Proc1"        // the manager
	Interface = "org.hero.Proc1.Manager" // the manager's interface

	ServicesPath     = Path + "/service" // parent of one object per service
	JobsPath         = Path + "/job"     // parent of one object per kept job
	ServiceInterface = "org.hero.Proc1.Service"
	JobInterface     = "org.hero.Proc1.Job"
)

// The standard interfaces herod implements (D-Bus specification, "Standard Interfaces").
const (
	PropertiesInterface     = "org.freedesktop.DBus.Properties"
	ObjectManagerInterface  = "org.freedesktop.DBus.ObjectManager"
	IntrospectableInterface = "org.freedesktop.DBus.Introspectable"
	PeerInterface           = "org.freedesktop.DBus.Peer"
)

// Methods (members of Interface; Start, Stop, Restart, Kill and ResetFailed are members of
// ServiceInterface too, and ReloadService is its Reload).
const (
	MethodStart           = "Start"
	MethodStartMany       = "StartMany"
	MethodStop            = "Stop"
	MethodStopMany        = "StopMany"
	MethodRestart         = "Restart"
	MethodReloadService   = "ReloadService" // a service's own reload (the Service interface's Reload); Reload reads the configs again
	MethodKill            = "Kill"
	MethodResetFailed     = "ResetFailed"
	MethodReload          = "Reload"
	MethodApply           = "Apply"
	MethodApplyPlan       = "ApplyPlan"
	MethodOperationPlan   = "OperationPlan"
	MethodStatus          = "Status"
	MethodListServices    = "ListServices"
	MethodListUnits       = "ListUnits"
	MethodListJobs        = "ListJobs"
	MethodJobOutput       = "JobOutput"
	MethodJobLog          = "JobLog"
	MethodStopPlan        = "StopPlan"
	MethodStartPlan       = "StartPlan"
	MethodUnitText        = "UnitText"
	MethodGraph           = "Graph"
	MethodValidate        = "Validate"
	MethodEnable          = "Enable"
	MethodDisable         = "Disable"
	MethodGetService      = "GetService"
	MethodGetJob          = "GetJob"
	MethodOperationStatus = "OperationStatus"
)

// Signals.
const (
	SignalJobStarted          = "JobStarted"
	SignalJobFinished         = "JobFinished"
	SignalServiceStateChanged = "ServiceStateChanged"
	SignalOperationProgress   = "OperationProgress"
	SignalOperationFinished   = "OperationFinished"

	// Of the standard interfaces.
	SignalPropertiesChanged = "PropertiesChanged"
	SignalInterfacesAdded   = "InterfacesAdded"
	SignalInterfacesRemoved = "InterfacesRemoved"
)

// Keys of OperationFinished's summary.
const (
	SummaryStarted           = "started"              // as: services the operation started
	SummaryFailed            = "failed"               // as: services it could not start
	SummaryAlreadyRunning    = "already_running"      // b: everything asked for ran already
	SummaryCancelled         = "cancelled"            // u: running jobs a stop ended
	SummaryStoppedDependents = "stopped_dependents"   // as: dependents a stop took down
	SummaryRemovedJobs       = "removed_jobs"         // x: job records remove_jobs deleted
	SummaryRestarted         = "restarted_dependents" // as: dependents a restart started again
	SummaryJobs              = "jobs"                 // a{sx}: the new job of each service started
	SummaryReloaded          = "reloaded"             // as: the services a reload reloaded
	SummaryWarnings          = "warnings"             // as: soft dependencies (wants) a start went without, and why
)

// Errors: D-Bus error names with messages a person can act on.
const (
	ErrNoSuchService = "org.hero.Proc1.Error.NoSuchService"
	ErrNoSuchJob     = "org.hero.Proc1.Error.NoSuchJob"
	// ErrNoSuchOperation: OperationPlan of an operation that is not an apply, has not planned
	// yet, or was forgotten.
	ErrNoSuchOperation = "org.hero.Proc1.Error.NoSuchOperation"
	ErrInvalidConfig   = "org.hero.Proc1.Error.InvalidConfig"
	ErrConflictBlocked = "org.hero.Proc1.Error.ConflictBlocked"
	ErrStartFailed     = "org.hero.Proc1.Error.StartFailed"
	ErrNotRunning      = "org.hero.Proc1.Error.NotRunning"
	ErrNotReloadable   = "org.hero.Proc1.Error.NotReloadable"
	ErrAccessDenied    = "org.hero.Proc1.Error.AccessDenied"
	ErrInvalidArgument = "org.hero.Proc1.Error.InvalidArgument"
	ErrFailed          = "org.hero.Proc1.Error.Failed"

	// ErrInteractiveAuthorizationRequired is the D-Bus specification's error for a call polkit
	// would allow after the caller authenticates, made without the
	// ALLOW_INTERACTIVE_AUTHORIZATION flag.
	ErrInteractiveAuthorizationRequired = "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
	ErrUnknownObject                    = "org.freedesktop.DBus.Error.UnknownObject"
	ErrUnknownInterface                 = "org.freedesktop.DBus.Error.UnknownInterface"
	ErrUnknownProperty                  = "org.freedesktop.DBus.Error.UnknownProperty"
	ErrPropertyReadOnly                 = "org.freedesktop.DBus.Error.PropertyReadOnly"
)

// PolkitAction is the polkit action that lets a caller other than root use the Mutating
// methods (packaging/polkit/org.hero.proc1.policy).
const PolkitAction = "org.hero.proc1.manage-services"

// InteractiveAuthTimeout bounds how long herod waits for polkit while a person authenticates
// (the call carries ALLOW_INTERACTIVE_AUTHORIZATION); heroctl waits that long for such a call.
const InteractiveAuthTimeout = 2 * time.Minute

// Mutating methods change services: root (or, for a herod of a user, that user) may call them,
// and anyone polkit authorizes for PolkitAction. herod itself decides; the D-Bus policy lets
// every caller send them.
var Mutating = map[string]bool{
	MethodStart: true, MethodStartMany: true, MethodStop: true, MethodStopMany: true, MethodRestart: true,
	MethodKill: true, MethodResetFailed: true, MethodReload: true, MethodReloadService: true, MethodApply: true, MethodEnable: true, MethodDisable: true,
}

// ReadsOutput are the methods that return what services wrote (and UnitText's environment
// values): secrets as much as the journal is, so only root, herod's own user and members of the
// groups that may read the system journal (JournalGroups) get them, enforced by the D-Bus policy
// and again by herod.
var ReadsOutput = map[string]bool{MethodJobOutput: true, MethodJobLog: true}

// JournalGroups may read the system journal (systemd-journald.service(8)), and so services'
// output through herod.
var JournalGroups = []string{"adm", "systemd-journal"}

// ServicePath is the object path of a service: its name escaped as sd_bus_path_encode(3) does
// (every byte but ASCII letters and digits, and a leading digit, becomes _XX in lower-case hex):
// "my-db" is /org/hero/Proc1/service/my_2ddb.
func ServicePath(name string) string { return ServicesPath + "/" + unitgen.BusPathLabel(name) }

// ServiceName is the service an object path under ServicesPath names.
func ServiceName(path string) (string, bool) {
	label, ok := strings.CutPrefix(path, ServicesPath+"/")
	if !ok || label == "" || strings.Contains(label, "/") {
		return "", false
	}
	return unitgen.ParseBusPathLabel(label)
}

// JobPath is the object path of a job: its id in decimal.
func JobPath(id int64) string { return JobsPath + "/" + strconv.FormatInt(id, 10) }

// JobID is the job an object path under JobsPath names.
func JobID(path string) (int64, bool) {
	label, ok := strings.CutPrefix(path, JobsPath+"/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(label, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != label {
		return 0, false
	}
	return id, true
}

// UnitRow is one service in ListUnits' answer, a D-Bus struct (ssssssssss) in this field order.
type UnitRow struct {
	Service, Unit, Description       string
	LoadState, ActiveState, SubState string // systemd's, as the unit has them
	State                            string // hero's: running, failed, blocked, ...
	Enabled, EnabledBy               string // enabled or disabled; by heroctl or config
	Health                           string // a liveness check's last word (Status's Health); "" without one
}
