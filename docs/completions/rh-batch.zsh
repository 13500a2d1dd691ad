#compdef rh-batch

__rh-batch_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__rh-batch_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __rh-batch_complete "${completions[@]:0:-1}"
    fi
}

__rh-batch_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_rh-batch() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'run:Run a manifest: upload, submit, poll, download, write sidecars, index and report.'
            'validate:Check manifests; print file:line:col: error: path: message for every problem.'
            'plan:Expand a manifest into jobs: counts per model, merged and skipped jobs, cost, example paths.'
            'status:Show what an output folder'\''s journal says: done, in flight, failed, unknown, spend.'
            'models:List the models (alias, output, inputs, price), or show one model'\''s fields, limits, defaults and price rule.'
            'view:Write an output folder'\''s report.html (the contact sheet) from its report.json.'
            'merge:Combine the output folders of a manifest'\''s shards into one report, index and dataset.'
            'init:Write a commented starter manifest for a model and a folder of images.'
            'schema:Print the JSON Schema (draft 2020-12) of manifests, generated from the model catalog.'
            'catalog:Keep the model catalog current: update it from the vendor, see which is in use, reset, import.'
            'export-card:Write a Hugging Face dataset card (README.md) for an output folder.'
            'simulator:Run the built-in RunningHub simulator on 127.0.0.1 until interrupted.'
            'inspect:Show a workflow'\''s or AI app'\''s inputs a manifest can set, and a workflows: entry to paste.'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        run|validate|plan|status|models|view|merge|init|schema|catalog|export-card|simulator|inspect|help)
            "_rh-batch_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_rh-batch_run() {
    local -i ret=1
    local -ar arg_specs=(
        ':manifest:_files -g '\''*.yaml *.yml'\'''
        '--simulate[Run against the built-in simulator on a loopback port; no API key needed. --simulate=SCENARIO picks a scenario.]'
        '--scenario[Simulator scenario(s) for --simulate, combined with '\''+'\'' (clean, flaky, ratelimit, moderation, slow, multi, quirky, expire, failing, lagging).]:scenario:'
        '--sim-latency[Simulated task latency for --simulate, MIN\:MAX seconds.]:sim-latency:'
        '*--sim-workflow[A workflow of your own for --simulate\: ID=FILE, FILE an API-format graph exported from ComfyUI (repeatable).]:ID=FILE:'
        '--sim-concurrency-limit[Simulated concurrency limit per key for --simulate.]:sim-concurrency-limit:'
        '(-j --concurrency)'{-j,--concurrency}'[Most tasks in flight at once (overrides the manifest'\''s concurrency).]:concurrency:'
        '(-o --output)'{-o,--output}'[Output folder (overrides the manifest'\''s output).]:output:'
        '--skip-invalid[Skip jobs that do not fit their model instead of refusing the manifest.]'
        '--retry-failed[Run again the jobs that ended failed in an earlier run of this output folder.]'
        '--resubmit-unknown[Resubmit jobs whose earlier submit had an unknown outcome (may bill twice).]'
        '--max-cost[Stop submitting once estimated plus actual spend would pass this amount, in the account'\''s currency (an account billed in another currency than the catalog'\''s counts only what was billed).]:max-cost:'
        '--max-cost-currency[The currency --max-cost is in (default\: the account'\''s). The catalog'\''s currency on an account billed in another makes --max-cost count the catalog'\''s estimates, not what was billed; any other currency stops the run before its first submit.]:code:'
        '--max-coins[Stop submitting once the RH coins of workflow and app jobs (estimate_seconds, then as billed) would pass this.]:max-coins:'
        '--allow-unpriced[With --max-cost, run jobs whose price the catalog does not know; with --max-coins, workflow jobs without estimate_seconds (they count as zero).]'
        '--shard[Run only the jobs whose key falls in shard I of N (0-based), e.g. 0/4. auto/N reads I from the array-job engine (Kubernetes, Slurm, AWS Batch, Cloud Run, Google Batch, PBS Pro, Grid Engine); auto alone also reads N where the engine gives it.]:shard:'
        '--poll-interval[Poll schedule MIN\:MAX seconds\: the first wait and the longest (default 3\:15; 0.25\:2 with --simulate).]:poll-interval:'
        '--task-timeout[Seconds a task may take before it is given up as timeout.]:task-timeout:'
        '--drain-timeout[Seconds the first Ctrl-C waits for tasks in flight before stopping.]:drain-timeout:'
        '--download-concurrency[Downloads at once.]:download-concurrency:'
        '--query-rate[The most queries per second per API key, all its tasks together. Default\: no cap of rh-batch'\''s own; the rate is learnt from the API'\''s rate-limit answers (0 also means no cap).]:query-rate:'
        '--listen[Webhook mode\: receive the service'\''s task-end callbacks on HOST\:PORT (0\: any free port) and poll only as a safety net.]:host\:port:'
        '--webhook-url[With --listen\: the URL the service calls when it reaches the receiver through another address (a proxy, a Kubernetes Service); default http\://HOST\:PORT. The run'\''s secret is added as the last path segment.]:url:'
        '--inputs-by-url[List remote (URL) inputs by URL in metadata.jsonl instead of fetching them into the output folder.]'
        '--max-file-mb[The largest result file accepted, in MB.]:max-file-mb:'
        '--keys-file[API keys of several accounts, one per line (optionally name=KEY; # comments)\: jobs go to whichever key has room. Default\: RH_API_KEYS (comma-separated), else RH_API_KEY.]:file:_files'
        '--ignore-account-limit[Do not ask the API for the key'\''s concurrency limit; learn it from refusals instead.]'
        '--no-progress[No progress display.]'
        '(--quiet -q)'{--quiet,-q}'[Print only the summary.]'
        '(--verbose -v)'{--verbose,-v}'[Log each decision (submit, refusal, learnt limit, query, download, journal sync) to standard error, with the job key and task id.]'
        '--catalog[A model catalog to use instead of the default one\: an rh-batch catalog or the vendor'\''s model-registry.public.json (with pricing.public.json beside it). Default\: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.]:file:_files -g '\''*.json'\'''
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_validate() {
    local -i ret=1
    local -ar arg_specs=(
        '*:manifests:_files -g '\''*.yaml *.yml'\'''
        '--skip-invalid[Skip jobs that do not fit their model instead of reporting them as errors.]'
        '--simulate[Read workflows and apps from the built-in simulator, not the API or the cache.]'
        '*--sim-workflow[With --simulate\: a workflow of your own, ID=FILE (repeatable).]:ID=FILE:'
        '--catalog[A model catalog to use instead of the default one\: an rh-batch catalog or the vendor'\''s model-registry.public.json (with pricing.public.json beside it). Default\: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.]:file:_files -g '\''*.json'\'''
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_plan() {
    local -i ret=1
    local -ar arg_specs=(
        ':manifest:_files -g '\''*.yaml *.yml'\'''
        '--json[Print the plan as JSON.]'
        '--jobs[Print every job as one JSON line\: key, model, prompt, inputs, fields, output path, estimated cost, and the manifest or table line that made it.]'
        '--limit[With --jobs\: print only the first N jobs.]:N:'
        '--skip-invalid[Skip jobs that do not fit their model instead of refusing the manifest.]'
        '--simulate[Read workflows and apps from the built-in simulator, not the API or the cache.]'
        '*--sim-workflow[With --simulate\: a workflow of your own, ID=FILE (repeatable).]:ID=FILE:'
        '--catalog[A model catalog to use instead of the default one\: an rh-batch catalog or the vendor'\''s model-registry.public.json (with pricing.public.json beside it). Default\: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.]:file:_files -g '\''*.json'\'''
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_status() {
    local -i ret=1
    local -ar arg_specs=(
        ':target:_files'
        '(-o --output)'{-o,--output}'[The output folder, when it is not the manifest'\''s.]:output:'
        '--json[Print JSON.]'
        '--catalog[A model catalog to use instead of the default one\: an rh-batch catalog or the vendor'\''s model-registry.public.json (with pricing.public.json beside it). Default\: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.]:file:_files -g '\''*.json'\'''
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_models() {
    local -i ret=1
    local -ar ___output=('image' 'video' 'audio' '3d' 'text')
    local -ar ___input=('image' 'video' 'audio' '3d' 'text')
    local -ar arg_specs=(
        ':name:'
        '--output[Only models that produce this\: image, video, audio, 3d, text.]:output:{__rh-batch_complete "${___output[@]}"}'
        '--input[Only models that take this kind of input file\: image, video, audio.]:input:{__rh-batch_complete "${___input[@]}"}'
        '--json[Print JSON.]'
        '--stats[Print the catalog'\''s source, counts and how long it took to load.]'
        '--catalog[A model catalog to use instead of the default one\: an rh-batch catalog or the vendor'\''s model-registry.public.json (with pricing.public.json beside it). Default\: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.]:file:_files -g '\''*.json'\'''
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_view() {
    local -i ret=1
    local -ar arg_specs=(
        ':folder:_files -/'
        '--open[Open the page once written.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_merge() {
    local -i ret=1
    local -ar arg_specs=(
        '*:folders:_files'
        '(-o --output)'{-o,--output}'[The folder for the merged report.]:output:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_init() {
    local -i ret=1
    local -ar arg_specs=(
        '--model[The model\: alias, endpoint or vendor name (see rh-batch models).]:model:'
        '--images[A folder of input images (PNG, JPG, WEBP as the model accepts).]:images:_files -/'
        '(-o --output)'{-o,--output}'[Write the manifest to this file instead of printing it.]:output:_files -g '\''*.yaml *.yml'\'''
        '--name[The manifest'\''s name (default\: the output file'\''s name, else '\''batch'\'').]:name:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_schema() {
    local -i ret=1
    local -ar arg_specs=(
        '--catalog[A model catalog to use instead of the default one\: an rh-batch catalog or the vendor'\''s model-registry.public.json (with pricing.public.json beside it). Default\: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.]:file:_files -g '\''*.json'\'''
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_catalog() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'update:Fetch the vendor'\''s current model registry and price table and use them from now on.'
            'status:Say which model catalog commands use, where it comes from and when it was fetched.'
            'reset:Forget the updated catalog: commands use the built-in one again.'
            'import:Convert RunningHub'\''s model-registry.public.json (and pricing.public.json) into an rh-batch catalog.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        update|status|reset|import)
            "_rh-batch_catalog_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_rh-batch_catalog_update() {
    local -i ret=1
    local -ar arg_specs=(
        '--from[A folder URL with model-registry.public.json and pricing.public.json in it (default\: the vendor'\''s repository).]:url:'
        '--registry[The registry'\''s URL (with --pricing).]:url:'
        '--pricing[The price table'\''s URL (with --registry).]:url:'
        '--force[Accept a registry that drops most of the models of the catalog in use.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_catalog_status() {
    local -i ret=1
    local -ar arg_specs=(
        '--catalog[A model catalog to use instead of the default one\: an rh-batch catalog or the vendor'\''s model-registry.public.json (with pricing.public.json beside it). Default\: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.]:file:_files -g '\''*.json'\'''
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_catalog_reset() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_catalog_import() {
    local -i ret=1
    local -ar arg_specs=(
        ':registry:_files -g '\''*.json'\'''
        ':pricing:_files -g '\''*.json'\'''
        '(--output -o)'{--output,-o}'[Where to write the catalog.]:output:_files -g '\''*.json'\'''
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_export-card() {
    local -i ret=1
    local -ar arg_specs=(
        ':folder:_files -/'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_simulator() {
    local -i ret=1
    local -ar arg_specs=(
        '--port[The port; 0 picks a free one.]:port:'
        '--host[The loopback address to listen on.]:host:'
        '--scenario[Fault scenarios, combined with '\''+'\'' (e.g. flaky+multi).]:scenario:'
        '--latency[Task latency range in seconds, MIN\:MAX.]:latency:'
        '--concurrency-limit[Most unfinished tasks per key before submits get 421 (default 50, 8 under ratelimit).]:concurrency-limit:'
        '--submits-per-second[Submits per second per key before HTTP 429, under ratelimit.]:submits-per-second:'
        '--queries-per-second[Queries per second per key before HTTP 429 with 1003 (a sliding second); default\: no limit.]:queries-per-second:'
        '--webhook-drop[Share of webhook callbacks never sent (0...1).]:webhook-drop:'
        '--webhook-duplicate[Share of webhook callbacks sent twice (0...1).]:webhook-duplicate:'
        '--webhook-delay[Longest extra delay of a webhook callback in seconds (each a random share of it).]:webhook-delay:'
        '--webhook-forge[Share of webhook callbacks followed by a forged one for a task id never issued (0...1).]:webhook-forge:'
        '--webhook-reorder[Share of webhook callbacks held back until another callback has been sent (0...1).]:webhook-reorder:'
        '--webhook-forge-running[Share of tasks that get a forged success callback (their own task id, a foreign result) while they run (0...1).]:webhook-forge-running:'
        '--seed[Seed of the simulator'\''s random choices.]:seed:'
        '--result-lifetime[Seconds result URLs work under the expire scenario.]:result-lifetime:'
        '--result-side[Long side of result images in pixels.]:result-side:'
        '--result-padding[Bytes of padding added to each result image (for download benchmarks).]:result-padding:'
        '--balance[Account balance in CNY.]:balance:'
        '*--key-limit[A key with a concurrency limit of its own (another account), KEY=N; repeatable.]:key=n:'
        '*--bill[Bill every task of an endpoint this amount instead of the vendor'\''s price table (prices that moved since the catalog was made), ENDPOINT=AMOUNT; repeatable.]:endpoint=amount:'
        '--currency[The account'\''s currency, as accountStatus answers it (CNY, or USD as on the .ai site).]:currency:'
        '*--workflow[A workflow of your own to serve and run beside the built-in ones\: ID=FILE, FILE an API-format graph exported from ComfyUI; repeatable.]:ID=FILE:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_inspect() {
    local -i ret=1
    local -ar _kind=('workflow' 'app')
    local -ar arg_specs=(
        ':kind:{__rh-batch_complete "${_kind[@]}"}'
        ':id:'
        '--simulate[Read workflows and apps from the built-in simulator, not the API or the cache.]'
        '*--sim-workflow[With --simulate\: a workflow of your own, ID=FILE (repeatable).]:ID=FILE:'
        '--json[Print the inputs as JSON.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_rh-batch_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
        '--version[Show the version.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _rh-batch ]]; then
    _rh-batch "${@}"
else
    compdef _rh-batch rh-batch
fi
