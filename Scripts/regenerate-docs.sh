#!/usr/bin/env bash
# Regenerates the files the tool makes, from a debug build: the model catalog (from the vendor's
# registry and price table shipped with the simulator), the manifest JSON Schema, the shell
# completions and the man page. Tests fail when the committed copies are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product rh-batch >/dev/null
bin="$(swift build --show-bin-path)/rh-batch"
vendor=Sources/RunningHubSimulator/Resources
"$bin" catalog import "$vendor/model-registry.public.json" "$vendor/pricing.public.json" -o Sources/RHBatchCore/Resources/catalog.json
# The catalog is a resource of the binary: build again so the docs come from the new one.
swift build --product rh-batch >/dev/null
"$bin" schema > docs/manifest.schema.json
for shell in bash zsh fish; do
    "$bin" --generate-completion-script "$shell" > "docs/completions/rh-batch.$shell"
done
"$bin" --experimental-dump-help | python3 Scripts/generate-manual.py > docs/rh-batch.1
git status --short docs/ Sources/RHBatchCore/Resources/
