#!/bin/bash

__rh-batch_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__rh-batch_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__rh-batch_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__rh-batch_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_rh-batch() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __rh-batch_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    run|validate|plan|status|models|view|merge|init|schema|catalog|export-card|simulator|inspect|help)
        # Offer subcommand argument completions
        "_rh-batch_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'run validate plan status models view merge init schema catalog export-card simulator inspect help' -- "${cur}"))
        ;;
    esac
}

_rh-batch_run() {
    repeating_flags=()
    non_repeating_flags=(--simulate --skip-invalid --retry-failed --resubmit-unknown --allow-unpriced --inputs-by-url --ignore-account-limit --no-progress --quiet -q --verbose -v --version -h --help)
    repeating_options=(--sim-workflow)
    non_repeating_options=(--scenario --sim-latency --sim-concurrency-limit -j --concurrency -o --output --max-cost --max-cost-currency --max-coins --shard --poll-interval --task-timeout --drain-timeout --download-concurrency --query-rate --listen --webhook-url --max-file-mb --keys-file --catalog)
    __rh-batch_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--scenario')
        return
        ;;
    '--sim-latency')
        return
        ;;
    '--sim-workflow')
        return
        ;;
    '--sim-concurrency-limit')
        return
        ;;
    '-j'|'--concurrency')
        return
        ;;
    '-o'|'--output')
        return
        ;;
    '--max-cost')
        return
        ;;
    '--max-cost-currency')
        return
        ;;
    '--max-coins')
        return
        ;;
    '--shard')
        return
        ;;
    '--poll-interval')
        return
        ;;
    '--task-timeout')
        return
        ;;
    '--drain-timeout')
        return
        ;;
    '--download-concurrency')
        return
        ;;
    '--query-rate')
        return
        ;;
    '--listen')
        return
        ;;
    '--webhook-url')
        return
        ;;
    '--max-file-mb')
        return
        ;;
    '--keys-file')
        __rh-batch_add_completions -f
        return
        ;;
    '--catalog')
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __rh-batch_add_completions -o plusdirs -fX '!*.@(yaml|yml)'
        return
        ;;
    esac
}

_rh-batch_validate() {
    repeating_flags=()
    non_repeating_flags=(--skip-invalid --simulate --version -h --help)
    repeating_options=(--sim-workflow)
    non_repeating_options=(--catalog)
    __rh-batch_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--sim-workflow')
        return
        ;;
    '--catalog')
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __rh-batch_add_completions -o plusdirs -fX '!*.@(yaml|yml)'
        return
        ;;
    esac
}

_rh-batch_plan() {
    repeating_flags=()
    non_repeating_flags=(--json --jobs --skip-invalid --simulate --version -h --help)
    repeating_options=(--sim-workflow)
    non_repeating_options=(--limit --catalog)
    __rh-batch_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--limit')
        return
        ;;
    '--sim-workflow')
        return
        ;;
    '--catalog')
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __rh-batch_add_completions -o plusdirs -fX '!*.@(yaml|yml)'
        return
        ;;
    esac
}

_rh-batch_status() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(-o --output --catalog)
    __rh-batch_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        return
        ;;
    '--catalog')
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __rh-batch_add_completions -f
        return
        ;;
    esac
}

_rh-batch_models() {
    repeating_flags=()
    non_repeating_flags=(--json --stats --version -h --help)
    repeating_options=()
    non_repeating_options=(--output --input --catalog)
    __rh-batch_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--output')
        __rh-batch_add_completions -W 'image'$'\n''video'$'\n''audio'$'\n''3d'$'\n''text'
        return
        ;;
    '--input')
        __rh-batch_add_completions -W 'image'$'\n''video'$'\n''audio'$'\n''3d'$'\n''text'
        return
        ;;
    '--catalog')
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac
}

_rh-batch_view() {
    repeating_flags=()
    non_repeating_flags=(--open --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __rh-batch_offer_flags_options 1

    # Offer positional completions
    case "${positional_number}" in
    1)
        __rh-batch_add_completions -d
        return
        ;;
    esac
}

_rh-batch_merge() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(-o --output)
    __rh-batch_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        __rh-batch_add_completions -d
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __rh-batch_add_completions -f
        return
        ;;
    esac
}

_rh-batch_init() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--model --images -o --output --name)
    __rh-batch_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--model')
        return
        ;;
    '--images')
        __rh-batch_add_completions -d
        return
        ;;
    '-o'|'--output')
        __rh-batch_add_completions -o plusdirs -fX '!*.@(yaml|yml)'
        return
        ;;
    '--name')
        return
        ;;
    esac
}

_rh-batch_schema() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--catalog)
    __rh-batch_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--catalog')
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac
}

_rh-batch_catalog() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __rh-batch_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    update|status|reset|import)
        # Offer subcommand argument completions
        "_rh-batch_catalog_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'update status reset import' -- "${cur}"))
        ;;
    esac
}

_rh-batch_catalog_update() {
    repeating_flags=()
    non_repeating_flags=(--force --version -h --help)
    repeating_options=()
    non_repeating_options=(--from --registry --pricing)
    __rh-batch_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--from')
        return
        ;;
    '--registry')
        return
        ;;
    '--pricing')
        return
        ;;
    esac
}

_rh-batch_catalog_status() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--catalog)
    __rh-batch_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--catalog')
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac
}

_rh-batch_catalog_reset() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __rh-batch_offer_flags_options 0
}

_rh-batch_catalog_import() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--output -o)
    __rh-batch_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--output'|'-o')
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    2)
        __rh-batch_add_completions -o plusdirs -fX '!*.@(json)'
        return
        ;;
    esac
}

_rh-batch_export-card() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __rh-batch_offer_flags_options 1

    # Offer positional completions
    case "${positional_number}" in
    1)
        __rh-batch_add_completions -d
        return
        ;;
    esac
}

_rh-batch_simulator() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--key-limit --bill --workflow)
    non_repeating_options=(--port --host --scenario --latency --concurrency-limit --submits-per-second --queries-per-second --webhook-drop --webhook-duplicate --webhook-delay --webhook-forge --webhook-reorder --webhook-forge-running --seed --result-lifetime --result-side --result-padding --balance --currency)
    __rh-batch_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--port')
        return
        ;;
    '--host')
        return
        ;;
    '--scenario')
        return
        ;;
    '--latency')
        return
        ;;
    '--concurrency-limit')
        return
        ;;
    '--submits-per-second')
        return
        ;;
    '--queries-per-second')
        return
        ;;
    '--webhook-drop')
        return
        ;;
    '--webhook-duplicate')
        return
        ;;
    '--webhook-delay')
        return
        ;;
    '--webhook-forge')
        return
        ;;
    '--webhook-reorder')
        return
        ;;
    '--webhook-forge-running')
        return
        ;;
    '--seed')
        return
        ;;
    '--result-lifetime')
        return
        ;;
    '--result-side')
        return
        ;;
    '--result-padding')
        return
        ;;
    '--balance')
        return
        ;;
    '--key-limit')
        return
        ;;
    '--bill')
        return
        ;;
    '--currency')
        return
        ;;
    '--workflow')
        return
        ;;
    esac
}

_rh-batch_inspect() {
    repeating_flags=()
    non_repeating_flags=(--simulate --json --version -h --help)
    repeating_options=(--sim-workflow)
    non_repeating_options=()
    __rh-batch_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--sim-workflow')
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __rh-batch_add_completions -W 'workflow'$'\n''app'
        return
        ;;
    esac
}

_rh-batch_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __rh-batch_offer_flags_options -1
}

complete -o filenames -F _rh-batch rh-batch
