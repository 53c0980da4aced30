// droidgate: the operator CLI (dev launcher, status, and later login and setup).
import Shared

let argv = Array(CommandLine.arguments.dropFirst())
let usage = """
Usage: droidgate <command> [options]

Commands:
  up        run the whole stack locally (authd, supervisord, edged) under a dev root
  status    ask each daemon how it is doing (--backend-log: the backend's last output)
  doctor    check the whole installation, each failed check with what to do (--json)
  backend   provider accounts (login, accounts, providers) and backend restart
  droid     register droidgate's models in Droid CLI (install, uninstall, status)
  reload    re-read the config (edged: hand over to a new generation, dropping nothing)
  login     sign in to Factory (WorkOS device flow, --import auth.json, --refresh-token -)
  logout    remove the stored Factory tokens

Options for every command:
  --config PATH   the droidgate config file
  --root DIR      the dev root (default: .droidgate next to the config file, or ./.droidgate)
  -h, --help      help for a command
  --version       print the version

Run 'droidgate <command> --help' for a command's options.
"""

guard let command = argv.first else {
    printError(usage)
    exitProcess(2)
}
let rest = Array(argv.dropFirst())
switch command {
case "up": UpCommand.run(rest)
case "status": StatusCommand.run(rest)
case "doctor": DoctorCommand.run(rest)
case "backend": BackendCommand.run(rest)
case "login": LoginCommand.run(rest)
case "reload": ReloadCommand.run(rest)
case "droid": DroidCommand.run(rest)
case "logout": LoginCommand.logout(rest)
case "-h", "--help", "help": printOut(usage); exitProcess(0)
case "--version": printOut("droidgate \(Droidgate.version)"); exitProcess(0)
default:
    printError("droidgate: unknown command '\(command)'\n\n\(usage)")
    exitProcess(2)
}
