// Package api names hero's D-Bus API: the bus name, object, interface, members and errors that
// herod exports and heroctl calls. Both sides use these constants; the introspection XML
// (Introspection) documents every member for busctl, gdbus and d-feet users.
package api

// Names on the bus.
const (
	BusName   = "org.hero.Proc1"
	Path      = "/org/hero/Proc1"
	Interface = "org.hero.Proc1.Manager"
)

// Methods (members of Interface).
const (
	MethodStart        = "Start"
	MethodStartMany    = "StartMany"
	MethodStop         = "Stop"
	MethodRestart      = "Restart"
	MethodKill         = "Kill"
	MethodResetFailed  = "ResetFailed"
	MethodReload       = "Reload"
	MethodStatus       = "Status"
	MethodListServices = "ListServices"
	MethodListJobs     = "ListJobs"
	MethodJobOutput    = "JobOutput"
	MethodJobLog       = "JobLog"
	MethodStopPlan     = "StopPlan"
	MethodStartPlan    = "StartPlan"
	MethodUnitText     = "UnitText"
	MethodGraph        = "Graph"
	MethodValidate     = "Validate"
	MethodEnable       = "Enable"
	MethodDisable      = "Disable"
)

// Signals.
const (
	SignalJobStarted          = "JobStarted"
	SignalJobFinished         = "JobFinished"
	SignalServiceStateChanged = "ServiceStateChanged"
	SignalOperationProgress   = "OperationProgress"
	SignalOperationFinished   = "OperationFinished"
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
)

// Errors: D-Bus error names with messages a person can act on.
const (
	ErrNoSuchService   = "org.hero.Proc1.Error.NoSuchService"
	ErrNoSuchJob       = "org.hero.Proc1.Error.NoSuchJob"
	ErrInvalidConfig   = "org.hero.Proc1.Error.InvalidConfig"
	ErrConflictBlocked = "org.hero.Proc1.Error.ConflictBlocked"
	ErrStartFailed     = "org.hero.Proc1.Error.StartFailed"
	ErrNotRunning      = "org.hero.Proc1.Error.NotRunning"
	ErrAccessDenied    = "org.hero.Proc1.Error.AccessDenied"
	ErrInvalidArgument = "org.hero.Proc1.Error.InvalidArgument"
	ErrFailed          = "org.hero.Proc1.Error.Failed"
)

// Mutating methods: only root (or, for a --user daemon, its own user) may call them, enforced by
// the D-Bus policy and again by herod itself.
var Mutating = map[string]bool{
	MethodStart: true, MethodStartMany: true, MethodStop: true, MethodRestart: true,
	MethodKill: true, MethodResetFailed: true, MethodReload: true, MethodEnable: true, MethodDisable: true,
}

// ReadsOutput are the methods that return what services wrote (and UnitText's environment
// values): secrets as much as the journal is, so only root, herod's own user and members of the
// groups that may read the system journal (JournalGroups) get them, enforced by the D-Bus policy
// and again by herod.
var ReadsOutput = map[string]bool{MethodJobOutput: true, MethodJobLog: true}

// JournalGroups may read the system journal (systemd-journald.service(8)), and so services'
// output through herod.
var JournalGroups = []string{"adm", "systemd-journal"}

// Introspection is the object's introspection data; XML comments document each member.
const Introspection = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<!--
  org.hero.Proc1: hero-systemd's manager. Runs hero services (hero TOML / zinit YAML configs)
  as transient systemd units and keeps a job ledger: one job per run (systemd invocation),
  kept after stop.
  Methods marked "privileged" need root (or, for herod --user, the daemon's own user).
  Errors: org.hero.Proc1.Error.{NoSuchService, NoSuchJob, InvalidConfig, ConflictBlocked,
  StartFailed, NotRunning, AccessDenied, InvalidArgument, Failed}.
-->
<node>
  <interface name="org.hero.Proc1.Manager">
    <!-- Start(name, replace_existing_jobs): privileged. Queue the start of the service after
         the not yet running services of its requires closure, all at once, dependencies first
         (systemd's After= ordering does the waiting), and return at once: the operation's id,
         the services it will start (start order) and whether the service already runs (then
         nothing is queued and the id is 0). Its progress and result come as
         OperationProgress and OperationFinished signals carrying that id. Refused with
         ConflictBlocked, nothing started, if a service it would start conflicts with a running
         one; NoSuchService, InvalidConfig as named. Prunes each started service's inactive
         jobs. replace_existing_jobs: systemd's job mode replace (true) or fail. -->
    <method name="Start">
      <arg name="name" type="s" direction="in"/>
      <arg name="replace_existing_jobs" type="b" direction="in"/>
      <arg name="operation" type="t" direction="out"/>
      <arg name="services" type="as" direction="out"/>
      <arg name="already_running" type="b" direction="out"/>
    </method>
    <!-- StartMany(names, replace_existing_jobs): privileged. Start several services together,
         like systemctl start A B C: the union of their closures, queued at once. Returns as
         Start (operation 0 when all run already). -->
    <method name="StartMany">
      <arg name="names" type="as" direction="in"/>
      <arg name="replace_existing_jobs" type="b" direction="in"/>
      <arg name="operation" type="t" direction="out"/>
      <arg name="services" type="as" direction="out"/>
    </method>
    <!-- Stop(name, remove_jobs): privileged. Queue the stop of every service with a transitive
         requires chain into the service, most-dependent first, then the service (systemd runs
         the cascade in one transaction), and return at once with the operation's id and the
         services that run and will be stopped (stop order). Jobs are kept; remove_jobs deletes
         the service's own ended ones (not its dependents'). Stopping a stopped service is not
         an error (no services; its OperationFinished reports cancelled 0). -->
    <method name="Stop">
      <arg name="name" type="s" direction="in"/>
      <arg name="remove_jobs" type="b" direction="in"/>
      <arg name="operation" type="t" direction="out"/>
      <arg name="services" type="as" direction="out"/>
    </method>
    <!-- Restart(name): privileged. Cascade stop, then start the service and the dependents that
         were running, as one operation. Returns its id and the services it stops. -->
    <method name="Restart">
      <arg name="name" type="s" direction="in"/>
      <arg name="operation" type="t" direction="out"/>
      <arg name="services" type="as" direction="out"/>
    </method>
    <!-- Kill(name, signal): privileged. Send a signal (1..64) to every process of the service. -->
    <method name="Kill">
      <arg name="name" type="s" direction="in"/>
      <arg name="signal" type="i" direction="in"/>
    </method>
    <!-- ResetFailed(name): privileged. Reset systemd's failed state and start rate limit of the
         service's unit and forget its ended jobs (like systemctl reset-failed). -->
    <method name="ResetFailed">
      <arg name="name" type="s" direction="in"/>
    </method>
    <!-- Enable(names): privileged. herod starts these services whenever it starts (at boot),
         whatever their config's status key says; kept in herod's state, never in the config
         files. Like systemctl enable, it starts nothing now. -->
    <method name="Enable">
      <arg name="names" type="as" direction="in"/>
    </method>
    <!-- Disable(names): privileged. herod leaves these services alone when it starts, whatever
         their config's status key says. It stops nothing now. -->
    <method name="Disable">
      <arg name="names" type="as" direction="in"/>
    </method>
    <!-- Reload(): privileged. Read the config directory again. If any file has a problem, the
         old configs stay in force and InvalidConfig lists every problem. Returns the number of
         services now loaded. Running services keep running; new configs apply at next start. -->
    <method name="Reload">
      <arg name="services" type="u" direction="out"/>
    </method>
    <!-- Status(name): the service's status: Service, Context, Unit, Description, State (running,
         activating, success, failed, stopped, inactive, blocked), LoadState, ActiveState,
         SubState, BlockedBy, Requires, After, Conflicts, MainPID (0 unless running), Restarts
         (systemd's NRestarts), StartLimitHit (systemd refused to restart it), Stale (systemd holds
         a unit of an older definition: the config changed since), Problems (bad-config: why; else
         its new file's problems while its last good definition runs), WaitingFor (blocked: the
         undefined services it must start after), Enabled (enabled:
         herod starts it when it starts; disabled), EnabledBy (heroctl, or config: its status
         key), and of its last
         job: JobId, JobPhase, ExitCode (-1 if none), Signal, Result, StartedAt, EndedAt
         (microseconds since the epoch; 0 while running), InvocationID. -->
    <method name="Status">
      <arg name="name" type="s" direction="in"/>
      <arg name="status" type="a{sv}" direction="out"/>
    </method>
    <!-- ListServices(): the status of every service, sorted by name (keys as Status). -->
    <method name="ListServices">
      <arg name="services" type="aa{sv}" direction="out"/>
    </method>
    <!-- ListJobs(name): the service's jobs, newest first: Id, Service, Context, Unit,
         InvocationID, Phase, MainPID, ExitCode (-1 if none), Signal, Result, StartedAt,
         EndedAt (0 while running), Restarts. -->
    <method name="ListJobs">
      <arg name="name" type="s" direction="in"/>
      <arg name="jobs" type="aa{sv}" direction="out"/>
    </method>
    <!-- JobOutput(name, job_id): the output a job of the service wrote (stdout and stderr,
         one message a line), job_id 0 meaning its latest: from the journal while it runs, its
         kept tail (the last 64 KiB) once it ended. Only for root, herod's own user and members
         of the groups adm and systemd-journal (AccessDenied for others). -->
    <method name="JobOutput">
      <arg name="name" type="s" direction="in"/>
      <arg name="job_id" type="x" direction="in"/>
      <arg name="id" type="x" direction="out"/>
      <arg name="output" type="ay" direction="out"/>
    </method>
    <!-- JobLog(name, job_id, lines): as JobOutput, line by line, the newest "lines" (0: all
         kept): (timestamp in microseconds since the epoch, syslog priority, identifier (the
         service, NAME-health for its health check, systemd for systemd's own messages about
         the run), pid, message). Same access as JobOutput. -->
    <method name="JobLog">
      <arg name="name" type="s" direction="in"/>
      <arg name="job_id" type="x" direction="in"/>
      <arg name="lines" type="u" direction="in"/>
      <arg name="id" type="x" direction="out"/>
      <arg name="entries" type="a(tusus)" direction="out"/>
    </method>
    <!-- StopPlan(name): what Stop would do, touching nothing (heroctl stop --dry-run). -->
    <method name="StopPlan">
      <arg name="name" type="s" direction="in"/>
      <arg name="order" type="as" direction="out"/>
      <arg name="waves" type="aas" direction="out"/>
      <arg name="stopped_dependents" type="as" direction="out"/>
    </method>
    <!-- StartPlan(name): what Start would start, in waves, touching nothing. -->
    <method name="StartPlan">
      <arg name="name" type="s" direction="in"/>
      <arg name="order" type="as" direction="out"/>
      <arg name="waves" type="aas" direction="out"/>
    </method>
    <!-- UnitText(name): the unit file herod generates for the service (heroctl cat). -->
    <method name="UnitText">
      <arg name="name" type="s" direction="in"/>
      <arg name="text" type="s" direction="out"/>
    </method>
    <!-- Graph(): every service and every edge (from, to, kind: requires, after, conflicts). -->
    <method name="Graph">
      <arg name="services" type="as" direction="out"/>
      <arg name="edges" type="a(sss)" direction="out"/>
    </method>
    <!-- Validate(): check the config directory on disk now: every problem as (file, line, key,
         message); line 0 when unknown; none when clean. The configs in force are not changed
         (see Reload). -->
    <method name="Validate">
      <arg name="problems" type="a(siss)" direction="out"/>
    </method>
    <!-- JobStarted: a run of the service began (a start's, or a restart systemd did): a job. -->
    <signal name="JobStarted">
      <arg name="service" type="s"/>
      <arg name="job_id" type="x"/>
    </signal>
    <!-- JobFinished: a job ended; phase is succeeded, failed or cancelled. -->
    <signal name="JobFinished">
      <arg name="service" type="s"/>
      <arg name="job_id" type="x"/>
      <arg name="phase" type="s"/>
    </signal>
    <!-- ServiceStateChanged: a service's state (as in Status) changed. -->
    <signal name="ServiceStateChanged">
      <arg name="service" type="s"/>
      <arg name="state" type="s"/>
    </signal>
    <!-- OperationProgress: a step of operation (a Start, StartMany, Stop or Restart): event is
         started, stopped, failed or skipped for the service; detail says why it failed. -->
    <signal name="OperationProgress">
      <arg name="operation" type="t"/>
      <arg name="service" type="s"/>
      <arg name="event" type="s"/>
      <arg name="job_id" type="x"/>
      <arg name="detail" type="s"/>
    </signal>
    <!-- OperationFinished: operation is over. error is "" on success, else the error's D-Bus
         name (as a method would return it) with message; summary holds started, failed,
         already_running, cancelled, stopped_dependents, removed_jobs, restarted_dependents,
         jobs, as they apply. -->
    <signal name="OperationFinished">
      <arg name="operation" type="t"/>
      <arg name="error" type="s"/>
      <arg name="message" type="s"/>
      <arg name="summary" type="a{sv}"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg name="machine_uuid" type="s" direction="out"/>
    </method>
  </interface>
</node>
`
