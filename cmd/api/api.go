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
	MethodStopPlan     = "StopPlan"
	MethodStartPlan    = "StartPlan"
	MethodUnitText     = "UnitText"
	MethodGraph        = "Graph"
	MethodValidate     = "Validate"
)

// Signals.
const (
	SignalJobStarted          = "JobStarted"
	SignalJobFinished         = "JobFinished"
	SignalServiceStateChanged = "ServiceStateChanged"
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
	MethodKill: true, MethodResetFailed: true, MethodReload: true,
}

// Introspection is the object's introspection data; XML comments document each member.
const Introspection = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<!--
  org.hero.Proc1: hero-systemd's manager. Runs hero services (hero TOML / zinit YAML configs)
  as transient systemd units and keeps a job ledger: one job per run, kept after stop.
  Methods marked "privileged" need root (or, for herod --user, the daemon's own user).
  Errors: org.hero.Proc1.Error.{NoSuchService, NoSuchJob, InvalidConfig, ConflictBlocked,
  StartFailed, NotRunning, AccessDenied, InvalidArgument, Failed}.
-->
<node>
  <interface name="org.hero.Proc1.Manager">
    <!-- Start(name, replace_existing_jobs): privileged. Start the service after the not yet
         running services of its requires closure (wave by wave). Blocked with ConflictBlocked,
         nothing started, if a service it would start conflicts with a running one. Prunes each
         started service's inactive jobs. Returns what was started (dependencies first) and
         whether the service was already running. -->
    <method name="Start">
      <arg name="name" type="s" direction="in"/>
      <arg name="replace_existing_jobs" type="b" direction="in"/>
      <arg name="started" type="as" direction="out"/>
      <arg name="already_running" type="b" direction="out"/>
    </method>
    <!-- StartMany(names, replace_existing_jobs): privileged. Start several services together,
         like systemctl start A B C: the union of their closures, in parallel waves. -->
    <method name="StartMany">
      <arg name="names" type="as" direction="in"/>
      <arg name="replace_existing_jobs" type="b" direction="in"/>
      <arg name="started" type="as" direction="out"/>
    </method>
    <!-- Stop(name, remove_jobs): privileged. Stop every service with a transitive requires
         chain into the service, most-dependent first, then the service. Jobs are kept;
         remove_jobs deletes the service's own (not its dependents'). Stopping a stopped
         service is not an error (cancelled 0). -->
    <method name="Stop">
      <arg name="name" type="s" direction="in"/>
      <arg name="remove_jobs" type="b" direction="in"/>
      <arg name="ok" type="b" direction="out"/>
      <arg name="cancelled" type="u" direction="out"/>
      <arg name="stopped_dependents" type="as" direction="out"/>
    </method>
    <!-- Restart(name): privileged. Cascade stop, then start the service and the dependents that
         were running. Returns what was started again. -->
    <method name="Restart">
      <arg name="name" type="s" direction="in"/>
      <arg name="started" type="as" direction="out"/>
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
    <!-- Reload(): privileged. Read the config directory again. If any file has a problem, the
         old configs stay in force and InvalidConfig lists every problem. Returns the number of
         services now loaded. Running services keep running; new configs apply at next start. -->
    <method name="Reload">
      <arg name="services" type="u" direction="out"/>
    </method>
    <!-- Status(name): the service's status: Service, Context, Unit, Description, State (running,
         activating, success, failed, stopped, inactive, blocked), LoadState, ActiveState,
         SubState, BlockedBy, Requires, After, Conflicts, MainPID (0 unless running), and of its
         last job: JobId, JobPhase, ExitCode (-1 if none), Signal, Result, StartedAt, EndedAt
         (microseconds since the epoch; 0 while running). -->
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
    <!-- JobOutput(name, job_id): the kept output (the last 64 KiB of stdout+stderr) of a job of
         the service; job_id 0 means its latest job. Live while the job runs. -->
    <method name="JobOutput">
      <arg name="name" type="s" direction="in"/>
      <arg name="job_id" type="x" direction="in"/>
      <arg name="id" type="x" direction="out"/>
      <arg name="output" type="ay" direction="out"/>
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
    <!-- JobStarted: a job's unit was started and is up. -->
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
