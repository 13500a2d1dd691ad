#!/usr/bin/env bash
# Regenerates the files in docs/ that the tool makes, from a debug build: the manifest JSON Schema,
# the shell completions and the man page. Tests fail when the committed copies are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product rh-batch >/dev/null
bin="$(swift build --show-bin-path)/rh-batch"
"$bin" schema > docs/manifest.schema.json
for shell in bash zsh fish; do
    "$bin" --generate-completion-script "$shell" > "docs/completions/rh-batch.$shell"
done
"$bin" --experimental-dump-help | python3 Scripts/generate-manual.py > docs/rh-batch.1
git status --short docs/
