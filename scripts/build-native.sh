#!/usr/bin/env bash
# Builds kubemn's small native programs into build/native, each again only when its
# folder's sources or headers (or this script) changed: an image's
# (services/apps/native/*.c) and the kubelet's runtime's (topo/runtime/native/*.c).
# Run by install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/native
# Static against musl, as small as the real pause (about 40 KiB): no loader or
# shared libraries to map, and none of glibc's start-up, which asks the CPU for its
# caches instruction by instruction (CPUID: a trap to the hypervisor in a virtual
# machine; 0.57 ms of CPU a start here against musl's 0.04, for each of the two
# programs every pod starts, and the pause of every pause container). The kernel's
# headers (linux/, asm/) are Debian's, beside musl's own.
headers=build/native/kernel-headers
mkdir -p "$headers"
ln -sfn /usr/include/linux "$headers/linux"
ln -sfn /usr/include/asm-generic "$headers/asm-generic"
ln -sfn "/usr/include/$(gcc -print-multiarch)/asm" "$headers/asm"
for source in services/apps/native/*.c topo/runtime/native/*.c; do
    program=build/native/$(basename "$source" .c)
    newer=$(find "$(dirname "$source")" "$0" -maxdepth 1 \( -name '*.[ch]' -o -name "$(basename "$0")" \) \
            -newer "$program" 2>/dev/null || true)
    if [ ! -x "$program" ] || [ -n "$newer" ]; then
        musl-gcc -O2 -static -Wall -Werror -isystem "$headers" -o "$program.tmp" "$source"
        mv "$program.tmp" "$program"
    fi
done
