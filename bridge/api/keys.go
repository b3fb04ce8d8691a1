package api

// The keys of the dictionaries herod sends, which are also the properties of its objects: a
// service's status (Manager.Status, ListServices; ServiceInterface) and a job (ListJobs, GetJob;
// JobInterface). Both ends of the bus use these names; introspection.go documents each.
const (
	KeyService          = "Service"          // s: the service's name (a job's: the service it is a run of)
	KeyContext          = "Context"          // s
	KeyUnit             = "Unit"             // s: its systemd unit
	KeyDescription      = "Description"      // s
	KeyState            = "State"            // s: hero's state (see bridge/state)
	KeyLoadState        = "LoadState"        // s: systemd's
	KeyActiveState      = "ActiveState"      // s: systemd's
	KeySubState         = "SubState"         // s: systemd's
	KeyBlockedBy        = "BlockedBy"        // s
	KeyRequires         = "Requires"         // as
	KeyAfter            = "After"            // as
	KeyConflicts        = "Conflicts"        // as
	KeyMainPID          = "MainPID"          // u
	KeyRestarts         = "Restarts"         // u
	KeyStartLimitHit    = "StartLimitHit"    // b
	KeyStale            = "Stale"            // b
	KeyProblems         = "Problems"         // as
	KeyWaitingFor       = "WaitingFor"       // as
	KeyWants            = "Wants"            // as
	KeyRequirementsDown = "RequirementsDown" // as
	KeyComesBack        = "ComesBack"        // b
	KeyWaitsFor         = "WaitsFor"         // as
	KeyWaiting          = "Waiting"          // s
	KeyHealth           = "Health"           // s
	KeyCanReload        = "CanReload"        // b: its config sets reload or reload_signal
	KeyEnabled          = "Enabled"          // s
	KeyEnabledBy        = "EnabledBy"        // s
	KeyJobID            = "JobId"            // x: the last job's
	KeyJobPhase         = "JobPhase"         // s: the last job's
	KeyExitCode         = "ExitCode"         // i: -1 if none
	KeySignal           = "Signal"           // s
	KeyResult           = "Result"           // s
	KeyStartedAt        = "StartedAt"        // x: µs since the epoch
	KeyEndedAt          = "EndedAt"          // x: µs since the epoch, 0 while running
	KeyInvocationID     = "InvocationID"     // s
	KeyJobPath          = "JobPath"          // o: the last job's object (service objects only)
	KeyJobs             = "Jobs"             // ao: the kept jobs' objects (service objects only)

	KeyID            = "Id"            // x: a job's id
	KeyPhase         = "Phase"         // s: a job's phase
	KeyServicePath   = "ServicePath"   // o: a job's service object
	KeyOutputPartial = "OutputPartial" // b: a job's kept output is a partial copy, to be completed
)

// ServiceKeys are the properties of a service object, every one always present.
var ServiceKeys = []string{KeyService, KeyContext, KeyUnit, KeyDescription, KeyState, KeyLoadState,
	KeyActiveState, KeySubState, KeyBlockedBy, KeyRequires, KeyAfter, KeyConflicts, KeyMainPID, KeyRestarts,
	KeyStartLimitHit, KeyStale, KeyProblems, KeyWaitingFor, KeyWants, KeyRequirementsDown, KeyComesBack,
	KeyWaitsFor, KeyWaiting, KeyHealth, KeyCanReload, KeyEnabled, KeyEnabledBy, KeyJobID, KeyJobPhase, KeyExitCode, KeySignal, KeyResult, KeyStartedAt,
	KeyEndedAt, KeyInvocationID, KeyJobPath, KeyJobs}

// JobKeys are the properties of a job object, every one always present.
var JobKeys = []string{KeyID, KeyService, KeyContext, KeyUnit, KeyInvocationID, KeyPhase, KeyMainPID,
	KeyExitCode, KeySignal, KeyResult, KeyStartedAt, KeyEndedAt, KeyRestarts, KeyServicePath, KeyOutputPartial}
