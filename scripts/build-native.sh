#!/usr/bin/env bash
# Builds kubemn's small native programs (services/apps/native/*.c) into
# build/native, each again only when its source changed. Run by install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/native
for source in services/apps/native/*.c; do
    program=build/native/$(basename "$source" .c)
    if [ ! -x "$program" ] || [ "$source" -nt "$program" ]; then
        cc -O2 -Wall -Werror -o "$program.tmp" "$source"
        mv "$program.tmp" "$program"
    fi
done
