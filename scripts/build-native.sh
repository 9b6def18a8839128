#!/usr/bin/env bash
# Builds kubemn's small native programs into build/native, each again only when its
# folder's sources or headers changed: an image's (services/apps/native/*.c) and the
# kubelet's runtime's (topo/runtime/native/*.c). Run by install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/native
for source in services/apps/native/*.c topo/runtime/native/*.c; do
    program=build/native/$(basename "$source" .c)
    newer=$(find "$(dirname "$source")" -maxdepth 1 -name '*.[ch]' -newer "$program" 2>/dev/null || true)
    if [ ! -x "$program" ] || [ -n "$newer" ]; then
        # Static, as the real pause is: no loader or shared libraries to map, 80 KiB a
        # process where a dynamic one costs 120 KiB and coreutils' sleep 170 KiB.
        cc -O2 -static -Wall -Werror -o "$program.tmp" "$source"
        mv "$program.tmp" "$program"
    fi
done
