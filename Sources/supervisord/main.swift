// supervisord: owns the cli-proxy-api child — its config, its process, its health.
import IPC
import Lifecycle
import Shared

// Before any thread exists: SIGTERM/SIGINT/SIGHUP stay pending until the
// signal thread takes them, so none is lost during start-up.
SignalHandlers.blockEarly()
// Not dumpable: the backend runs as our user and under our syscall filter, which allows
// pidfd_getfd (for ListenerHold); without this it could take our IPC sockets with it. No
// core dumps either (this process holds the backend key). The child is dumpable again
// after its exec, so supervisord can still read its /proc entries and hold its listener.
do { try Processes.forbidCoreDumps() } catch {
    printError("supervisord: \(error)")
    exitProcess(1)
}

let arguments = DaemonArguments.parse(
    Array(CommandLine.arguments.dropFirst()), name: "supervisord",
    summary: "Runs the cli-proxy-api backend for droidgate, keeps it healthy, and reports its state over IPC.",
    flagHelp: [("--keep-backend", "leave the backend running when supervisord stops (default under systemd)"),
               ("--stop-backend", "stop the backend when supervisord stops (default otherwise)")])
let config = arguments.loadConfigOrExit(name: "supervisord")
let host = DaemonHost(name: .supervisord, arguments: arguments, config: config, listenFDs: ListenFDs.takeFromEnvironment())

// Under systemd (INVOCATION_ID set) a supervisord restart must not restart the backend.
let keepBackend = arguments.flags.contains("--keep-backend")
    || (Environment.get("INVOCATION_ID") != nil && !arguments.flags.contains("--stop-backend"))

let files = BackendFiles(dir: Environment.get("STATE_DIRECTORY") ?? config.paths.backendStateDir)
let supervisor: Supervisor
do {
    // Under the unit set nothing supervisord writes is out of the backend's
    // reach (same user): a restart recognises the backend by its cgroup.
    let adoption: BackendAdoption.Source = Environment.get("INVOCATION_ID") != nil
        ? .ownServiceCgroup : .identityFile(config.paths.runtimeDir + "/" + BackendIdentity.fileName)
    supervisor = try Supervisor(config: config.backend, files: files, adoption: adoption)
} catch {
    Log.error("supervisord: cannot prepare the backend state dir \(files.dir): \(error)")
    exitProcess(1)
}
supervisor.start()
host.run(ops: SupervisorOps.table(host: host, supervisor: supervisor),
         readyStatus: "supervising the backend (\(config.backend.command), port \(config.backend.port))",
         reload: { supervisor.post(.reload($0.backend)) },
         beforeStop: { supervisor.prepareStop(keepBackend: keepBackend) },
         stop: { supervisor.shutdown(keepBackend: keepBackend) })
