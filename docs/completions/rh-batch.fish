function __rh-batch_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __rh-batch_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __rh-batch_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __rh-batch_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __rh-batch_parse_tokens -S
    set -l unparsed_tokens (__rh-batch_tokens -pc)
    switch $unparsed_tokens[1]
    case 'rh-batch'
        __rh-batch_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'run'
            __rh-batch_parse_subcommand 1 'simulate' 'scenario=' 'sim-latency=' 'sim-workflow=+' 'sim-concurrency-limit=' 'j/concurrency=' 'o/output=' 'skip-invalid' 'retry-failed' 'resubmit-unknown' 'max-cost=' 'max-cost-currency=' 'max-coins=' 'allow-unpriced' 'shard=' 'poll-interval=' 'task-timeout=' 'drain-timeout=' 'download-concurrency=' 'query-rate=' 'listen=' 'webhook-url=' 'inputs-by-url' 'max-file-mb=' 'keys-file=' 'ignore-account-limit' 'no-progress' 'q/quiet' 'v/verbose' 'catalog=' 'version' 'h/help'
        case 'validate'
            __rh-batch_parse_subcommand -r 1 'skip-invalid' 'simulate' 'sim-workflow=+' 'catalog=' 'version' 'h/help'
        case 'plan'
            __rh-batch_parse_subcommand 1 'json' 'jobs' 'limit=' 'skip-invalid' 'simulate' 'sim-workflow=+' 'catalog=' 'version' 'h/help'
        case 'status'
            __rh-batch_parse_subcommand 1 'o/output=' 'json' 'catalog=' 'version' 'h/help'
        case 'models'
            __rh-batch_parse_subcommand 1 'output=' 'input=' 'json' 'stats' 'catalog=' 'version' 'h/help'
        case 'view'
            __rh-batch_parse_subcommand 1 'open' 'version' 'h/help'
        case 'merge'
            __rh-batch_parse_subcommand -r 1 'o/output=' 'version' 'h/help'
        case 'init'
            __rh-batch_parse_subcommand 0 'model=' 'images=' 'o/output=' 'name=' 'version' 'h/help'
        case 'schema'
            __rh-batch_parse_subcommand 0 'catalog=' 'version' 'h/help'
        case 'catalog'
            __rh-batch_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'update'
                __rh-batch_parse_subcommand 0 'from=' 'registry=' 'pricing=' 'force' 'version' 'h/help'
            case 'status'
                __rh-batch_parse_subcommand 0 'catalog=' 'version' 'h/help'
            case 'reset'
                __rh-batch_parse_subcommand 0 'version' 'h/help'
            case 'import'
                __rh-batch_parse_subcommand 2 'o/output=' 'version' 'h/help'
            end
        case 'export-card'
            __rh-batch_parse_subcommand 1 'version' 'h/help'
        case 'simulator'
            __rh-batch_parse_subcommand 0 'port=' 'host=' 'scenario=' 'latency=' 'concurrency-limit=' 'submits-per-second=' 'queries-per-second=' 'webhook-drop=' 'webhook-duplicate=' 'webhook-delay=' 'webhook-forge=' 'webhook-reorder=' 'webhook-forge-running=' 'seed=' 'result-lifetime=' 'result-side=' 'result-padding=' 'balance=' 'key-limit=+' 'bill=+' 'currency=' 'workflow=+' 'version' 'h/help'
        case 'inspect'
            __rh-batch_parse_subcommand 2 'simulate' 'sim-workflow=+' 'json' 'version' 'h/help'
        case 'help'
            __rh-batch_parse_subcommand -r 1 'version'
        end
    end
end

function __rh-batch_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __rh-batch_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __rh-batch_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __rh-batch_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__rh-batch_tokens -p)
    if test -z "$(__rh-batch_tokens -t)"
        set -l index (count (__rh-batch_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'rh-batch' -f
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'run' -d 'Run a manifest: upload, submit, poll, download, write sidecars, index and report.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'validate' -d 'Check manifests; print file:line:col: error: path: message for every problem.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'plan' -d 'Expand a manifest into jobs: counts per model, merged and skipped jobs, cost, example paths.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'status' -d 'Show what an output folder\'s journal says: done, in flight, failed, unknown, spend.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'models' -d 'List the models (alias, output, inputs, price), or show one model\'s fields, limits, defaults and price rule.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'view' -d 'Write an output folder\'s report.html (the contact sheet) from its report.json.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'merge' -d 'Combine the output folders of a manifest\'s shards into one report, index and dataset.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'init' -d 'Write a commented starter manifest for a model and a folder of images.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'schema' -d 'Print the JSON Schema (draft 2020-12) of manifests, generated from the model catalog.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'catalog' -d 'Keep the model catalog current: update it from the vendor, see which is in use, reset, import.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'export-card' -d 'Write a Hugging Face dataset card (README.md) for an output folder.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'simulator' -d 'Run the built-in RunningHub simulator on 127.0.0.1 until interrupted.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'inspect' -d 'Show a workflow\'s or AI app\'s inputs a manifest can set, and a workflows: entry to paste.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch run" -eq 1' -fa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" simulate' -l 'simulate' -d 'Run against the built-in simulator on a loopback port; no API key needed. --simulate=SCENARIO picks a scenario.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" scenario' -l 'scenario' -d 'Simulator scenario(s) for --simulate, combined with \'+\' (clean, flaky, ratelimit, moderation, slow, multi, quirky, expire, failing, lagging).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" sim-latency' -l 'sim-latency' -d 'Simulated task latency for --simulate, MIN:MAX seconds.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run"' -l 'sim-workflow' -d 'A workflow of your own for --simulate: ID=FILE, FILE an API-format graph exported from ComfyUI (repeatable).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" sim-concurrency-limit' -l 'sim-concurrency-limit' -d 'Simulated concurrency limit per key for --simulate.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" concurrency j' -s 'j' -l 'concurrency' -d 'Most tasks in flight at once (overrides the manifest\'s concurrency).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" o output' -s 'o' -l 'output' -d 'Output folder (overrides the manifest\'s output).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" skip-invalid' -l 'skip-invalid' -d 'Skip jobs that do not fit their model instead of refusing the manifest.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" retry-failed' -l 'retry-failed' -d 'Run again the jobs that ended failed in an earlier run of this output folder.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" resubmit-unknown' -l 'resubmit-unknown' -d 'Resubmit jobs whose earlier submit had an unknown outcome (may bill twice).'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" max-cost' -l 'max-cost' -d 'Stop submitting once estimated plus actual spend would pass this amount, in the account\'s currency (an account billed in another currency than the catalog\'s counts only what was billed).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" max-cost-currency' -l 'max-cost-currency' -d 'The currency --max-cost is in (default: the account\'s). The catalog\'s currency on an account billed in another makes --max-cost count the catalog\'s estimates, not what was billed; any other currency stops the run before its first submit.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" max-coins' -l 'max-coins' -d 'Stop submitting once the RH coins of workflow and app jobs (estimate_seconds, then as billed) would pass this.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" allow-unpriced' -l 'allow-unpriced' -d 'With --max-cost, run jobs whose price the catalog does not know; with --max-coins, workflow jobs without estimate_seconds (they count as zero).'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" shard' -l 'shard' -d 'Run only the jobs whose key falls in shard I of N (0-based), e.g. 0/4. auto/N reads I from the array-job engine (Kubernetes, Slurm, AWS Batch, Cloud Run, Google Batch, PBS Pro, Grid Engine); auto alone also reads N where the engine gives it.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" poll-interval' -l 'poll-interval' -d 'Poll schedule MIN:MAX seconds: the first wait and the longest (default 3:15; 0.25:2 with --simulate).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" task-timeout' -l 'task-timeout' -d 'Seconds a task may take before it is given up as timeout.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" drain-timeout' -l 'drain-timeout' -d 'Seconds the first Ctrl-C waits for tasks in flight before stopping.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" download-concurrency' -l 'download-concurrency' -d 'Downloads at once.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" query-rate' -l 'query-rate' -d 'The most queries per second per API key, all its tasks together. Default: no cap of rh-batch\'s own; the rate is learnt from the API\'s rate-limit answers (0 also means no cap).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" listen' -l 'listen' -d 'Webhook mode: receive the service\'s task-end callbacks on HOST:PORT (0: any free port) and poll only as a safety net.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" webhook-url' -l 'webhook-url' -d 'With --listen: the URL the service calls when it reaches the receiver through another address (a proxy, a Kubernetes Service); default http://HOST:PORT. The run\'s secret is added as the last path segment.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" inputs-by-url' -l 'inputs-by-url' -d 'List remote (URL) inputs by URL in metadata.jsonl instead of fetching them into the output folder.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" max-file-mb' -l 'max-file-mb' -d 'The largest result file accepted, in MB.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" keys-file' -l 'keys-file' -d 'API keys of several accounts, one per line (optionally name=KEY; # comments): jobs go to whichever key has room. Default: RH_API_KEYS (comma-separated), else RH_API_KEY.' -rF
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" ignore-account-limit' -l 'ignore-account-limit' -d 'Do not ask the API for the key\'s concurrency limit; learn it from refusals instead.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" no-progress' -l 'no-progress' -d 'No progress display.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" q quiet' -l 'quiet' -s 'q' -d 'Print only the summary.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" v verbose' -l 'verbose' -s 'v' -d 'Log each decision (submit, refusal, learnt limit, query, download, journal sync) to standard error, with the job key and task id.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" catalog' -l 'catalog' -d 'A model catalog to use instead of the default one: an rh-batch catalog or the vendor\'s model-registry.public.json (with pricing.public.json beside it). Default: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch run" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch validate" -ge 1' -fa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch validate" skip-invalid' -l 'skip-invalid' -d 'Skip jobs that do not fit their model instead of reporting them as errors.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch validate" simulate' -l 'simulate' -d 'Read workflows and apps from the built-in simulator, not the API or the cache.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch validate"' -l 'sim-workflow' -d 'With --simulate: a workflow of your own, ID=FILE (repeatable).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch validate" catalog' -l 'catalog' -d 'A model catalog to use instead of the default one: an rh-batch catalog or the vendor\'s model-registry.public.json (with pricing.public.json beside it). Default: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch validate" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch validate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch plan" -eq 1' -fa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch plan" json' -l 'json' -d 'Print the plan as JSON.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch plan" jobs' -l 'jobs' -d 'Print every job as one JSON line: key, model, prompt, inputs, fields, output path, estimated cost, and the manifest or table line that made it.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch plan" limit' -l 'limit' -d 'With --jobs: print only the first N jobs.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch plan" skip-invalid' -l 'skip-invalid' -d 'Skip jobs that do not fit their model instead of refusing the manifest.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch plan" simulate' -l 'simulate' -d 'Read workflows and apps from the built-in simulator, not the API or the cache.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch plan"' -l 'sim-workflow' -d 'With --simulate: a workflow of your own, ID=FILE (repeatable).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch plan" catalog' -l 'catalog' -d 'A model catalog to use instead of the default one: an rh-batch catalog or the vendor\'s model-registry.public.json (with pricing.public.json beside it). Default: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch plan" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch plan" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch status" -eq 1' -F
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch status" o output' -s 'o' -l 'output' -d 'The output folder, when it is not the manifest\'s.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch status" json' -l 'json' -d 'Print JSON.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch status" catalog' -l 'catalog' -d 'A model catalog to use instead of the default one: an rh-batch catalog or the vendor\'s model-registry.public.json (with pricing.public.json beside it). Default: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch status" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch models" output' -l 'output' -d 'Only models that produce this: image, video, audio, 3d, text.' -rfka 'image video audio 3d text'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch models" input' -l 'input' -d 'Only models that take this kind of input file: image, video, audio.' -rfka 'image video audio 3d text'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch models" json' -l 'json' -d 'Print JSON.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch models" stats' -l 'stats' -d 'Print the catalog\'s source, counts and how long it took to load.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch models" catalog' -l 'catalog' -d 'A model catalog to use instead of the default one: an rh-batch catalog or the vendor\'s model-registry.public.json (with pricing.public.json beside it). Default: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch models" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch models" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch view" -eq 1' -fa '(__rh-batch_complete_directories)'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch view" open' -l 'open' -d 'Open the page once written.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch view" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch view" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch merge" -ge 1' -F
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch merge" o output' -s 'o' -l 'output' -d 'The folder for the merged report.' -rfa '(__rh-batch_complete_directories)'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch merge" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch merge" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch init" model' -l 'model' -d 'The model: alias, endpoint or vendor name (see rh-batch models).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch init" images' -l 'images' -d 'A folder of input images (PNG, JPG, WEBP as the model accepts).' -rfa '(__rh-batch_complete_directories)'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch init" o output' -s 'o' -l 'output' -d 'Write the manifest to this file instead of printing it.' -rfa '(set -l exts \'yaml\' \'yml\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch init" name' -l 'name' -d 'The manifest\'s name (default: the output file\'s name, else \'batch\').' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch init" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch init" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch schema" catalog' -l 'catalog' -d 'A model catalog to use instead of the default one: an rh-batch catalog or the vendor\'s model-registry.public.json (with pricing.public.json beside it). Default: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch schema" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch schema" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch catalog" -eq 1' -fa 'update' -d 'Fetch the vendor\'s current model registry and price table and use them from now on.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch catalog" -eq 1' -fa 'status' -d 'Say which model catalog commands use, where it comes from and when it was fetched.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch catalog" -eq 1' -fa 'reset' -d 'Forget the updated catalog: commands use the built-in one again.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch catalog" -eq 1' -fa 'import' -d 'Convert RunningHub\'s model-registry.public.json (and pricing.public.json) into an rh-batch catalog.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog update" from' -l 'from' -d 'A folder URL with model-registry.public.json and pricing.public.json in it (default: the vendor\'s repository).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog update" registry' -l 'registry' -d 'The registry\'s URL (with --pricing).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog update" pricing' -l 'pricing' -d 'The price table\'s URL (with --registry).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog update" force' -l 'force' -d 'Accept a registry that drops most of the models of the catalog in use.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog update" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog update" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog status" catalog' -l 'catalog' -d 'A model catalog to use instead of the default one: an rh-batch catalog or the vendor\'s model-registry.public.json (with pricing.public.json beside it). Default: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog status" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog reset" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog reset" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch catalog import" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch catalog import" -eq 2' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog import" o output' -l 'output' -s 'o' -d 'Where to write the catalog.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'json\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog import" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch catalog import" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch export-card" -eq 1' -fa '(__rh-batch_complete_directories)'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch export-card" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch export-card" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" port' -l 'port' -d 'The port; 0 picks a free one.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" host' -l 'host' -d 'The loopback address to listen on.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" scenario' -l 'scenario' -d 'Fault scenarios, combined with \'+\' (e.g. flaky+multi).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" latency' -l 'latency' -d 'Task latency range in seconds, MIN:MAX.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" concurrency-limit' -l 'concurrency-limit' -d 'Most unfinished tasks per key before submits get 421 (default 50, 8 under ratelimit).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" submits-per-second' -l 'submits-per-second' -d 'Submits per second per key before HTTP 429, under ratelimit.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" queries-per-second' -l 'queries-per-second' -d 'Queries per second per key before HTTP 429 with 1003 (a sliding second); default: no limit.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" webhook-drop' -l 'webhook-drop' -d 'Share of webhook callbacks never sent (0...1).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" webhook-duplicate' -l 'webhook-duplicate' -d 'Share of webhook callbacks sent twice (0...1).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" webhook-delay' -l 'webhook-delay' -d 'Longest extra delay of a webhook callback in seconds (each a random share of it).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" webhook-forge' -l 'webhook-forge' -d 'Share of webhook callbacks followed by a forged one for a task id never issued (0...1).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" webhook-reorder' -l 'webhook-reorder' -d 'Share of webhook callbacks held back until another callback has been sent (0...1).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" webhook-forge-running' -l 'webhook-forge-running' -d 'Share of tasks that get a forged success callback (their own task id, a foreign result) while they run (0...1).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" seed' -l 'seed' -d 'Seed of the simulator\'s random choices.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" result-lifetime' -l 'result-lifetime' -d 'Seconds result URLs work under the expire scenario.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" result-side' -l 'result-side' -d 'Long side of result images in pixels.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" result-padding' -l 'result-padding' -d 'Bytes of padding added to each result image (for download benchmarks).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" balance' -l 'balance' -d 'Account balance in CNY.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator"' -l 'key-limit' -d 'A key with a concurrency limit of its own (another account), KEY=N; repeatable.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator"' -l 'bill' -d 'Bill every task of an endpoint this amount instead of the vendor\'s price table (prices that moved since the catalog was made), ENDPOINT=AMOUNT; repeatable.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" currency' -l 'currency' -d 'The account\'s currency, as accountStatus answers it (CNY, or USD as on the .ai site).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator"' -l 'workflow' -d 'A workflow of your own to serve and run beside the built-in ones: ID=FILE, FILE an API-format graph exported from ComfyUI; repeatable.' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch simulator" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_positional "rh-batch inspect" -eq 1' -fka 'workflow app'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch inspect" simulate' -l 'simulate' -d 'Read workflows and apps from the built-in simulator, not the API or the cache.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch inspect"' -l 'sim-workflow' -d 'With --simulate: a workflow of your own, ID=FILE (repeatable).' -rfka ''
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch inspect" json' -l 'json' -d 'Print the inputs as JSON.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch inspect" version' -l 'version' -d 'Show the version.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch inspect" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'rh-batch' -n '__rh-batch_should_offer_completions_for_flags_or_options "rh-batch help" version' -l 'version' -d 'Show the version.'
