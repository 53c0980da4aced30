# bash completion for droidgate(1): commands, subcommands, each one's flags,
# provider names and daemon names. Needs only bash (bash-completion's helpers
# are not used). Install as /usr/share/bash-completion/completions/droidgate.
# Tests/IntegrationTests/PackagingFilesTests.swift checks it against the code.

_droidgate_providers="claude codex antigravity kimi xai"
_droidgate_daemons="authd supervisord edged"
_droidgate_commands="up status doctor backend droid reload login logout help"
_droidgate_common="--config --root --help"

# The flags of a command ("backend login", "droid install", ...).
_droidgate_flags() {
    case "$1" in
        up) echo "--demo" ;;
        status) echo "--json --backend-log" ;;
        doctor) echo "--json --settings --api-key-file" ;;
        "backend login") echo "--callback-port" ;;
        "backend accounts") echo "--disable --enable --remove" ;;
        "backend providers") echo "--disable --enable" ;;
        "backend log") echo "--lines" ;;
        "droid install") echo "--settings --api-key-file --builtin" ;;
        "droid uninstall") echo "--settings" ;;
        "droid status") echo "--settings --api-key-file" ;;
        login) echo "--import --yes --refresh-token" ;;
    esac
}

_droidgate() {
    local cur prev
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev=""
    ((COMP_CWORD > 0)) && prev="${COMP_WORDS[COMP_CWORD - 1]}"
    COMPREPLY=()

    # The value of the previous flag.
    case "$prev" in
        --config | --settings | --api-key-file | --import)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return 0
            ;;
        --root)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            return 0
            ;;
        --refresh-token)
            COMPREPLY=(-)
            return 0
            ;;
        --callback-port | --lines | --enable | --disable | --remove)
            # Provider names for `backend providers`; account names and numbers are not guessed.
            if [[ "${COMP_WORDS[1]}" == backend && "${COMP_WORDS[2]}" == providers && "$prev" != --remove ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$_droidgate_providers" -- "$cur")
            fi
            return 0
            ;;
    esac

    if ((COMP_CWORD == 1)); then
        mapfile -t COMPREPLY < <(compgen -W "$_droidgate_commands --help --version" -- "$cur")
        return 0
    fi

    # The command, and for backend/droid the subcommand, skipping flags and their values.
    local command="${COMP_WORDS[1]}" sub="" i word
    local -a positional=()
    for ((i = 2; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        case "$word" in
            --config | --root | --settings | --api-key-file | --import | --refresh-token | --callback-port | --lines | --enable | --disable | --remove)
                ((i++))
                ;;
            -*) ;;
            *) positional+=("$word") ;;
        esac
    done

    local words="" flags
    case "$command" in
        backend | droid)
            if ((${#positional[@]} == 0)); then
                if [[ "$command" == backend ]]; then
                    words="login accounts providers restart log"
                else
                    words="install uninstall status"
                fi
                [[ "$cur" == -* ]] && words="--help"
                mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
                return 0
            fi
            sub="${positional[0]}"
            flags="$(_droidgate_flags "$command $sub")"
            # The provider to sign in to.
            if [[ "$command $sub" == "backend login" && ${#positional[@]} -eq 1 && "$cur" != -* ]]; then
                words="$_droidgate_providers"
            fi
            ;;
        reload)
            flags=""
            [[ "$cur" != -* ]] && words="$_droidgate_daemons"
            ;;
        up | status | doctor | login | logout)
            flags="$(_droidgate_flags "$command")"
            ;;
        *)
            return 0
            ;;
    esac
    if [[ "$cur" == -* ]]; then
        words="$flags $_droidgate_common"
    fi
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    return 0
}

complete -F _droidgate droidgate
