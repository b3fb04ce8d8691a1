package api

import (
	"sort"
	"strings"
)

// The introspection data herod serves: one XML fragment per interface, XML comments documenting
// each member, put together per object by Node. XML forbids "--" inside comments: the comments
// name command-line options without their dashes.

// managerDoc heads the manager's introspection data: what the whole tree holds.
const managerDoc = `
  org.hero.Proc1: hero-systemd's manager. Runs hero services (hero TOML / zinit YAML configs)
  as transient systemd units and keeps a job ledger: one job per run (systemd invocation),
  kept after stop.
  Objects: /org/hero/Proc1 (org.hero.Proc1.Manager, org.freedesktop.DBus.ObjectManager);
  /org/hero/Proc1/service/NAME, one per service (org.hero.Proc1.Service, NAME escaped as
  sd_bus_path_encode does); /org/hero/Proc1/job/ID, one per kept job (org.hero.Proc1.Job).
  Their properties (org.freedesktop.DBus.Properties) announce changes with PropertiesChanged;
  services and jobs that come and go are announced with InterfacesAdded and InterfacesRemoved.
  Methods marked "privileged" change services: root may call them (for a herod of a user, that
  user), and anyone polkit authorizes for the action org.hero.proc1.manage-services (herod asks
  polkit; interactive authentication only for calls that allow it). Others get AccessDenied,
  or org.freedesktop.DBus.Error.InteractiveAuthorizationRequired when polkit would ask them
  to authenticate.
  Errors: org.hero.Proc1.Error.{NoSuchService, NoSuchJob, InvalidConfig, ConflictBlocked,
  StartFailed, NotRunning, NotReloadable, AccessDenied, InvalidArgument, Failed}.
`

// ManagerXML is org.hero.Proc1.Manager, at Path.
const ManagerXML = `  <interface name="org.hero.Proc1.Manager">
    <!-- Start(name, replace_existing_jobs): privileged. Queue the start of the service after
         the not yet running services of its requires closure, all at once, dependencies first
         (systemd's After= ordering does the waiting), and return at once: the operation's id,
         the services it will start (start order) and whether the service and everything it
         requires already run (then nothing is queued and the id is 0). Its progress and result come as
         OperationProgress and OperationFinished signals carrying that id. Refused with
         ConflictBlocked, nothing started, if a service it would start conflicts with a running
         one; NoSuchService, InvalidConfig as named. Prunes each started service's inactive
         jobs (herod's own start of what a requirement's outage stopped keeps them). A service
         it only wants (wants) that is undefined, unusable or fails to start fails nothing: the
         summary's warnings name it. replace_existing_jobs: systemd's job mode replace (true) or fail. -->
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
    <!-- StopMany(names, remove_jobs): privileged. Stop several services as one operation:
         each with its cascade, as Stop does, one after the other in the order given (a name
         an earlier cascade took down has nothing left to stop). Returns its id and the
         services that run and will be stopped. -->
    <method name="StopMany">
      <arg name="names" type="as" direction="in"/>
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
    <!-- ReloadService(name): privileged. Ask systemd to reload the running service (its
         ReloadUnit: the config's reload command, or its reload_signal sent to the main process
         only) without a restart: the run, its main process and its job stay. Returns at once
         with the operation's id; OperationProgress says reloaded (or failed) and
         OperationFinished ends it (summary: reloaded), the job being systemd's. Refused, nothing
         done: NoSuchService; NotReloadable when the config sets neither reload nor
         reload_signal, or the unit systemd runs was created before it did (restart it);
         NotRunning when it does not run (or is still starting). The Service interface's
         Reload. (Reload, without a name, reads the config directory again.) -->
    <method name="ReloadService">
      <arg name="name" type="s" direction="in"/>
      <arg name="operation" type="t" direction="out"/>
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
    <!-- Apply(): privileged. Make what runs match the config directory on disk: herod reads and
         validates it (a problem in any file is InvalidConfig, listing every problem, and nothing
         changes), then starts an operation that, holding every service's lock, computes the
         plan, announces it (OperationProgress event "planned"; OperationPlan returns it), loads
         the directory (as Reload) and does exactly that plan: services no file defines any more
         are stopped; every running service whose definition differs from the unit systemd runs
         is stopped with the running services that require it, and all of them start again on
         their new definitions, dependencies first; unchanged services are not touched. A service
         whose new definition fails to start fails only what requires it, and the next Apply
         starts it again. Returns at once with the operation's id; its steps come with
         OperationProgress, its end with OperationFinished (summary: started, failed). -->
    <method name="Apply">
      <arg name="operation" type="t" direction="out"/>
    </method>
    <!-- ApplyPlan(directory): what Apply would do now, changing nothing (not even the loaded
         configs): the directory read and validated as Apply does (InvalidConfig on a problem),
         planned against what runs. directory is "" for herod's config directory; another
         (absolute) directory is planned as if it were herod's, to see what files not yet in
         place would do (privileged, as Apply: it reads that directory as root). The plan is the struct (dry_run, changed: each (service, unit, file, diff,
         dependents), restart, stop, added, updated, removed, unchanged, started, failed)
         documented in docs/dbus-api.md; diff is a unified diff of the unit's text from what runs
         to the config, with environment values only for a caller who may read the file. -->
    <method name="ApplyPlan">
      <arg name="directory" type="s" direction="in"/>
      <arg name="plan" type="(ba(ssssas)asasasasasuasas)" direction="out"/>
    </method>
    <!-- OperationPlan(operation): the plan an Apply operation computed under its locks, once it
         announced it (OperationProgress event "planned"), as ApplyPlan returns one, with started
         and failed filled once it ended. NoSuchOperation for an operation that is not an apply,
         has not planned yet or is too old (herod keeps the last 1024). -->
    <method name="OperationPlan">
      <arg name="operation" type="t" direction="in"/>
      <arg name="plan" type="(ba(ssssas)asasasasasuasas)" direction="out"/>
    </method>
    <!-- Reload(): privileged. Read the config directory again. If any file has a problem, the
         old configs stay in force and InvalidConfig lists every problem. Returns the number of
         services now loaded. Running services keep running; new configs apply at next start. -->
    <method name="Reload">
      <arg name="services" type="u" direction="out"/>
    </method>
    <!-- Status(name): the service's status: Service, Context, Unit, Description, State (running,
         activating, success, failed, stopped, inactive, blocked, bad-config), LoadState, ActiveState,
         SubState, BlockedBy, Requires, After, Conflicts, MainPID (0 unless running), Restarts
         (the automatic restarts that ran: systemd's NRestarts, less a restart its start limit
         refused), StartLimitHit (systemd refused to restart it), Stale (systemd holds
         a unit of an older definition: the config changed since), Problems (bad-config: why; else
         its new file's problems while its last good definition runs), WaitingFor (blocked: the
         undefined services it must start after), Wants, RequirementsDown (while it is down:
         the services it requires that are down too), ComesBack (systemd stopped it when a
         requirement went down, and herod starts it again when its requirements run), WaitsFor
         and Waiting (while it comes back: the requirements that must run again first, and what
         will happen, in words), Health (with a liveness check: healthy, or "unhealthy: N of M
         checks failed (exit status 1)", as its checks said last), CanReload (its config sets
         reload or reload_signal), Enabled (enabled:
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
    <!-- ListUnits(): what 'heroctl list-units' shows of every service, sorted by name, one
         struct each as systemd's own ListUnits answers: (service, unit, description, load
         state, active state, sub state, hero's state, enabled, enabled by, health: as Status's
         Health). A herod before health sent the first nine. A fixed struct
         costs a tenth of ListServices' dictionaries to send and read: use it for overviews of
         thousands of services, ListServices or Status for everything else. -->
    <method name="ListUnits">
      <arg name="units" type="a(ssssssssss)" direction="out"/>
    </method>
    <!-- ListJobs(name): the service's jobs, newest first: Id, Service, Context, Unit,
         InvocationID, Phase, MainPID, ExitCode (-1 if none), Signal, Result, StartedAt,
         EndedAt (0 while running), Restarts, ServicePath, OutputPartial. -->
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
    <!-- StopPlan(name): what Stop would do, touching nothing (the plan of heroctl stop's dry run).
         NoSuchService for a name no file defines; InvalidConfig, with its problems, for a
         bad-config service. -->
    <method name="StopPlan">
      <arg name="name" type="s" direction="in"/>
      <arg name="order" type="as" direction="out"/>
      <arg name="waves" type="aas" direction="out"/>
      <arg name="stopped_dependents" type="as" direction="out"/>
    </method>
    <!-- StartPlan(name): what Start would start, in waves, touching nothing. NoSuchService for
         a name no file defines; InvalidConfig, with its problems (or what it waits for), for a
         bad-config or blocked service, as Start answers. -->
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
         (see Reload). A message quotes its file only to a caller who could read that file (by
         its mode and owner, root always); others get the key as far as it is hero's own
         (other parts "…") and the kind of problem, with every value from the file left out. -->
    <method name="Validate">
      <arg name="problems" type="a(siss)" direction="out"/>
    </method>
    <!-- GetService(name): the object of the service: /org/hero/Proc1/service/NAME, NAME
         escaped as sd_bus_path_encode does (my-db: my_2ddb). NoSuchService for a name the
         config directory does not define. -->
    <method name="GetService">
      <arg name="name" type="s" direction="in"/>
      <arg name="object" type="o" direction="out"/>
    </method>
    <!-- GetJob(id): the object of a kept job: /org/hero/Proc1/job/ID. NoSuchJob for an id
         the ledger does not hold (never recorded, or pruned). -->
    <method name="GetJob">
      <arg name="id" type="x" direction="in"/>
      <arg name="object" type="o" direction="out"/>
    </method>
    <!-- OperationStatus(operation): whether an operation (the id Start, StartMany, Stop,
         StopMany, Restart, ReloadService or Apply returned) is running, finished or unknown
         (never queued by this herod, or one of more than the last 1024 to finish), and, once
         finished, its error, message and summary. A client that missed OperationFinished
         learns the end here. The message is told as the caller may read it: a failed start's
         with the service's last lines, the health check's words and systemd's reason to root
         and members of adm and systemd-journal (as JobOutput), a bad-config service's problems
         quoting the files the caller may read; to anyone else what OperationFinished said. -->
    <method name="OperationStatus">
      <arg name="operation" type="t" direction="in"/>
      <arg name="state" type="s" direction="out"/>
      <arg name="error" type="s" direction="out"/>
      <arg name="message" type="s" direction="out"/>
      <arg name="summary" type="a{sv}" direction="out"/>
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
    <!-- OperationProgress: a step of operation (a Start, StartMany, Stop, StopMany, Restart,
         ReloadService or Apply): event is started, stopped, reloaded, failed (a start) or
         skipped for the service, detail saying why it failed, as every user may read it (signals
         reach every client on the bus): never the service's output; or, for an Apply, planned
         (service empty, detail a summary of the plan) once its plan is there to read
         (OperationPlan), before it acts. -->
    <signal name="OperationProgress">
      <arg name="operation" type="t"/>
      <arg name="service" type="s"/>
      <arg name="event" type="s"/>
      <arg name="job_id" type="x"/>
      <arg name="detail" type="s"/>
    </signal>
    <!-- OperationFinished: operation is over. error is "" on success, else the error's D-Bus
         name (as a method would return it) with message, as every user may read it (a failed
         start says how its run ended, not what the service wrote; OperationStatus tells the
         whole to those allowed); summary holds started, failed, already_running, cancelled,
         stopped_dependents, removed_jobs, restarted_dependents, jobs, reloaded, warnings (the
         soft dependencies a start went without: undefined, unusable, or failed to start, with
         how a failed one's run ended; they fail nothing), as they apply. -->
    <signal name="OperationFinished">
      <arg name="operation" type="t"/>
      <arg name="error" type="s"/>
      <arg name="message" type="s"/>
      <arg name="summary" type="a{sv}"/>
    </signal>
  </interface>
`

// ServiceXML is org.hero.Proc1.Service, at ServicePath(NAME) for each service.
const ServiceXML = `  <interface name="org.hero.Proc1.Service">
    <!-- Start(replace_existing_jobs): privileged. Manager.Start of this service. -->
    <method name="Start">
      <arg name="replace_existing_jobs" type="b" direction="in"/>
      <arg name="operation" type="t" direction="out"/>
      <arg name="services" type="as" direction="out"/>
      <arg name="already_running" type="b" direction="out"/>
    </method>
    <!-- Stop(remove_jobs): privileged. Manager.Stop of this service: it and, first, what
         requires it. -->
    <method name="Stop">
      <arg name="remove_jobs" type="b" direction="in"/>
      <arg name="operation" type="t" direction="out"/>
      <arg name="services" type="as" direction="out"/>
    </method>
    <!-- Restart(): privileged. Manager.Restart of this service. -->
    <method name="Restart">
      <arg name="operation" type="t" direction="out"/>
      <arg name="services" type="as" direction="out"/>
    </method>
    <!-- Reload(): privileged. Manager.ReloadService of this service: systemd reloads it
         (its reload command, or reload_signal to its main process) without a restart. -->
    <method name="Reload">
      <arg name="operation" type="t" direction="out"/>
    </method>
    <!-- Kill(signal): privileged. Manager.Kill: send a signal (1..64) to every process of
         the service. -->
    <method name="Kill">
      <arg name="signal" type="i" direction="in"/>
    </method>
    <!-- ResetFailed(): privileged. Manager.ResetFailed of this service. -->
    <method name="ResetFailed"/>
    <!-- Service: the service's name (its config file's stem). -->
    <property name="Service" type="s" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <!-- Context: its context: the group of services whose slice is hero-CONTEXT.slice. -->
    <property name="Context" type="s" access="read"/>
    <!-- Unit: its systemd unit, hero-CONTEXT-NAME.service. -->
    <property name="Unit" type="s" access="read"/>
    <!-- Description: its config's description. -->
    <property name="Description" type="s" access="read"/>
    <!-- State: running, activating, success, failed, stopped, inactive, blocked or bad-config: derived from
         its unit in systemd and its last job, as Manager.Status reports it. -->
    <property name="State" type="s" access="read"/>
    <!-- LoadState: systemd's LoadState of the unit (not-found while systemd has not loaded it). -->
    <property name="LoadState" type="s" access="read"/>
    <!-- ActiveState: systemd's ActiveState of the unit (active, activating, deactivating,
         inactive, failed). -->
    <property name="ActiveState" type="s" access="read"/>
    <!-- SubState: systemd's SubState of the unit (running, exited, dead, auto-restart, ...). -->
    <property name="SubState" type="s" access="read"/>
    <!-- BlockedBy: the running service it conflicts with while State is blocked; empty
         otherwise. -->
    <property name="BlockedBy" type="s" access="read"/>
    <!-- Requires: the services it requires (started first; stopping one stops it). -->
    <property name="Requires" type="as" access="read"/>
    <!-- After: the services it is only ordered after. -->
    <property name="After" type="as" access="read"/>
    <!-- Conflicts: the services that may not run at the same time. -->
    <property name="Conflicts" type="as" access="read"/>
    <!-- MainPID: its main process while it runs; 0 otherwise. -->
    <property name="MainPID" type="u" access="read"/>
    <!-- Restarts: the automatic restarts that ran since hero started it (systemd's NRestarts,
         less a restart its start limit refused: the same count as its last job's Restarts). -->
    <property name="Restarts" type="u" access="read"/>
    <!-- StartLimitHit: systemd refused to start it again: its start limit was hit (ResetFailed
         clears it). -->
    <property name="StartLimitHit" type="b" access="read"/>
    <!-- Stale: systemd holds a unit of an older definition (the config changed since it was
         created); Start, Restart and Apply replace it with the new one. -->
    <property name="Stale" type="b" access="read"/>
    <!-- Problems: while bad-config, why (its file's problems, or the dependency that is
         bad-config or undefined); else its new file's problems while its last good definition
         runs. Every user reads it: it quotes a file only when every user may read that file
         (else as Validate tells those who may not). -->
    <property name="Problems" type="as" access="read"/>
    <!-- WaitingFor: while blocked, the undefined services it must start after. -->
    <property name="WaitingFor" type="as" access="read"/>
    <!-- Wants: its soft dependencies (started first; their ends never touch it). -->
    <property name="Wants" type="as" access="read"/>
    <!-- RequirementsDown: while it is not running, the services it requires that are down too
         (failed, stopped, or waiting for systemd's restart): why it cannot run. -->
    <property name="RequirementsDown" type="as" access="read"/>
    <!-- ComesBack: systemd stopped it because a requirement went down; herod starts it again as
         soon as its requirements run again (kept in herod's ledger: a restart of herod forgets
         nothing). A stop on purpose ends it. -->
    <property name="ComesBack" type="b" access="read"/>
    <!-- WaitsFor: while it comes back, the requirements (of its whole requires closure) that are
         down and that herod does not start itself: what must run again first. -->
    <property name="WaitsFor" type="as" access="read"/>
    <!-- Waiting: while it comes back, what will happen, in words: "waiting for db (down: failed,
         start limit hit: systemd does not restart it; 'heroctl start db' does): herod starts it
         when db runs again". Empty otherwise. -->
    <property name="Waiting" type="s" access="read"/>
    <!-- Health: for a service with a liveness check, what its checks said last (systemd's
         StatusText of its unit, set by the check loop): "healthy", or "unhealthy: 2 of 3 checks
         failed: LAST LINE". After a run its watchdog ended, what they said last. Empty without
         a liveness check, or before its first check. -->
    <property name="Health" type="s" access="read"/>
    <!-- CanReload: its config sets reload (a command) or reload_signal, so Reload (heroctl
         reload) makes it read its configuration again without a restart while it runs. Reload
         still refuses with NotReloadable while systemd runs a unit made before the config set
         one (Stale: Restart or Apply first). -->
    <property name="CanReload" type="b" access="read"/>
    <!-- Enabled: enabled (herod starts it whenever herod starts) or disabled. -->
    <property name="Enabled" type="s" access="read"/>
    <!-- EnabledBy: who decided Enabled: heroctl (Enable, Disable) or config (its status key). -->
    <property name="EnabledBy" type="s" access="read"/>
    <!-- JobId: its last job's id; 0 when it has none. -->
    <property name="JobId" type="x" access="read"/>
    <!-- JobPhase: its last job's phase: pending, running, succeeded, failed or cancelled; empty
         without a job. -->
    <property name="JobPhase" type="s" access="read"/>
    <!-- ExitCode: its last job's exit status; -1 if none (running, or killed by a signal). -->
    <property name="ExitCode" type="i" access="read"/>
    <!-- Signal: the signal that killed its last job's main process (SIGKILL, ...); empty if
         none. -->
    <property name="Signal" type="s" access="read"/>
    <!-- Result: systemd's Result of its last job (success, exit-code, signal, timeout,
         start-limit-hit, ...). -->
    <property name="Result" type="s" access="read"/>
    <!-- StartedAt: when its last job started, in microseconds since the epoch; 0 without a job. -->
    <property name="StartedAt" type="x" access="read"/>
    <!-- EndedAt: when its last job ended, in microseconds since the epoch; 0 while it runs. -->
    <property name="EndedAt" type="x" access="read"/>
    <!-- InvocationID: systemd's InvocationID of its last job's run (hex). -->
    <property name="InvocationID" type="s" access="read"/>
    <!-- JobPath: its last job's object; / when it has none. -->
    <property name="JobPath" type="o" access="read"/>
    <!-- Jobs: the objects of its kept jobs, newest first. -->
    <property name="Jobs" type="ao" access="read"/>
  </interface>
`

// JobXML is org.hero.Proc1.Job, at JobPath(ID) for each kept job.
const JobXML = `  <interface name="org.hero.Proc1.Job">
    <!-- Id: the job's id. -->
    <property name="Id" type="x" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <!-- Service: the service it is a run of. -->
    <property name="Service" type="s" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <!-- Context: the service's context when it ran. -->
    <property name="Context" type="s" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <!-- Unit: the unit it ran as. -->
    <property name="Unit" type="s" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <!-- InvocationID: systemd's InvocationID of the run (hex); empty while pending. -->
    <property name="InvocationID" type="s" access="read"/>
    <!-- Phase: pending (a start created it, systemd has not started the run yet), running,
         succeeded, failed or cancelled (stopped on request). -->
    <property name="Phase" type="s" access="read"/>
    <!-- MainPID: the run's main process. -->
    <property name="MainPID" type="u" access="read"/>
    <!-- ExitCode: its exit status; -1 if none (running, or killed by a signal). -->
    <property name="ExitCode" type="i" access="read"/>
    <!-- Signal: the signal that killed its main process; empty if none. -->
    <property name="Signal" type="s" access="read"/>
    <!-- Result: systemd's Result of the run (success, exit-code, signal, timeout, ...). -->
    <property name="Result" type="s" access="read"/>
    <!-- StartedAt: when it started (while pending: when it was created), in microseconds since
         the epoch. -->
    <property name="StartedAt" type="x" access="read"/>
    <!-- EndedAt: when it ended, in microseconds since the epoch; 0 while it runs. -->
    <property name="EndedAt" type="x" access="read"/>
    <!-- Restarts: systemd's NRestarts when it began: 0 for a start, n for the n-th automatic
         restart. -->
    <property name="Restarts" type="u" access="read"/>
    <!-- ServicePath: the object of its service. -->
    <property name="ServicePath" type="o" access="read">
      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
    </property>
    <!-- OutputPartial: its kept output was copied while journald still read the run's output
         (a flood ends long before journald has written it): what journald had then. herod
         copies it again until journald has read the run's output to its end, then keeps
         exactly its last 64 KiB and this turns false. -->
    <property name="OutputPartial" type="b" access="read"/>
  </interface>
`

// ObjectManagerXML is org.freedesktop.DBus.ObjectManager, at Path: the service and job objects.
const ObjectManagerXML = `  <interface name="org.freedesktop.DBus.ObjectManager">
    <!-- GetManagedObjects(): every service and job object with its interfaces and their
         properties (as Properties.GetAll returns them). -->
    <method name="GetManagedObjects">
      <arg name="objects" type="a{oa{sa{sv}}}" direction="out"/>
    </method>
    <!-- InterfacesAdded: an object appeared: a service a reload added, a job a run created. -->
    <signal name="InterfacesAdded">
      <arg name="object" type="o"/>
      <arg name="interfaces" type="a{sa{sv}}"/>
    </signal>
    <!-- InterfacesRemoved: an object went: a service a reload removed, a job pruned (a start
         prunes the service's ended jobs, at most 100 ended jobs are kept per service, stop
         with remove_jobs and ResetFailed delete them). -->
    <signal name="InterfacesRemoved">
      <arg name="object" type="o"/>
      <arg name="interfaces" type="as"/>
    </signal>
  </interface>
`

// PropertiesXML is org.freedesktop.DBus.Properties, on every service and job object.
const PropertiesXML = `  <interface name="org.freedesktop.DBus.Properties">
    <!-- Get(interface_name, property_name): one property's value. -->
    <method name="Get">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <!-- GetAll(interface_name): every property of the interface (of all, when empty). -->
    <method name="GetAll">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="properties" type="a{sv}" direction="out"/>
    </method>
    <!-- Set(interface_name, property_name, value): refused: every property is read-only. -->
    <method name="Set">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="in"/>
    </method>
    <!-- PropertiesChanged: properties of the object changed; changed_properties holds their
         new values. -->
    <signal name="PropertiesChanged">
      <arg name="interface_name" type="s"/>
      <arg name="changed_properties" type="a{sv}"/>
      <arg name="invalidated_properties" type="as"/>
    </signal>
  </interface>
`

// IntrospectableXML and PeerXML are on every object.
const (
	IntrospectableXML = `  <interface name="org.freedesktop.DBus.Introspectable">
    <!-- Introspect(): this data. -->
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
`
	PeerXML = `  <interface name="org.freedesktop.DBus.Peer">
    <!-- Ping(): answers at once. -->
    <method name="Ping"/>
    <!-- GetMachineId(): the machine's id. -->
    <method name="GetMachineId">
      <arg name="machine_uuid" type="s" direction="out"/>
    </method>
  </interface>
`
)

// Docs head the introspection data of the objects other than the manager.
const (
	ServicesDoc = `
  /org/hero/Proc1/service: one child object per service (org.hero.Proc1.Service); Manager's
  GetService names a service's.
`
	JobsDoc = `
  /org/hero/Proc1/job: one child object per kept job (org.hero.Proc1.Job); Manager's GetJob
  names a job's.
`
	serviceDoc = `
  A hero service (org.hero.Proc1.Service): its state and its last job as properties, which
  announce their changes with PropertiesChanged, and the methods that act on it.
`
	jobDoc = `
  A job (org.hero.Proc1.Job): one run of a service, kept in herod's ledger after it ended.
`
)

// Introspection is the manager's introspection data (Path).
var Introspection = Node(managerDoc, []string{ManagerXML, ObjectManagerXML, IntrospectableXML, PeerXML}, []string{"service", "job"})

// ServiceNode and JobNode are the introspection data of a service's and a job's object.
var (
	ServiceNode = Node(serviceDoc, []string{ServiceXML, PropertiesXML, IntrospectableXML, PeerXML}, nil)
	JobNode     = Node(jobDoc, []string{JobXML, PropertiesXML, IntrospectableXML, PeerXML}, nil)
)

// Interfaces are hero's own interfaces and the standard ones it implements, in the order the
// manual documents them.
var Interfaces = []string{ManagerXML, ServiceXML, JobXML, ObjectManagerXML, PropertiesXML}

// Node is an object's introspection data: doc as its leading comment, its interfaces, and its
// child nodes (sorted; busctl tree follows them).
func Node(doc string, interfaces, children []string) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
`)
	if doc != "" {
		b.WriteString("<!--" + doc + "-->\n")
	}
	b.WriteString("<node>\n")
	for _, i := range interfaces {
		b.WriteString(i)
	}
	sorted := append([]string(nil), children...)
	sort.Strings(sorted)
	for _, c := range sorted {
		b.WriteString(`  <node name="` + c + `"/>` + "\n")
	}
	b.WriteString("</node>\n")
	return b.String()
}
