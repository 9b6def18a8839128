#!/usr/bin/env bash
# Fetches kubemn's own Open vSwitch into build/ovs, once: Debian 13's
# openvswitch-switch and openvswitch-common (3.5, whose userspace conntrack NATs as
# Linux does; Debian 12's 3.1.0 aborts on it) with the libraries they need and
# Debian 13's own loader, unpacked, never installed: the machine's packages and apt
# sources stay untouched. build/ovs/bin holds one wrapper per command, which runs it
# through that loader (topo/runtime/vswitch.py puts it first on the PATH).
#
# Prints one line and exits 0 when Debian 13's archive cannot be reached: kubemn then
# runs its instance of the system's Open vSwitch (README, "Which Open vSwitch").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OVS=$ROOT/build/ovs
if [ -x "$OVS/bin/ovs-vswitchd" ]; then
    exit 0
fi
say() { echo "kubemn: $*" >&2; }

WORK=$OVS.partial
rm -rf "$WORK" && mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" \
    "$WORK/debs" "$WORK/root" "$WORK/bin"
MIRROR=$("$ROOT/scripts/debian-mirror.sh")
printf 'deb %s trixie main\n' "$MIRROR" > "$WORK/apt/sources.list"
# Dir::State::status=/dev/null: what the machine has installed does not matter here.
APT=(-q -o "Dir::Etc::sourcelist=$WORK/apt/sources.list" -o "Dir::Etc::sourceparts=-"
     -o "Dir::State::Lists=$WORK/apt/lists" -o "Dir::Cache=$WORK/apt/cache"
     -o "Dir::State::status=/dev/null" -o "APT::Get::List-Cleanup=0"
     -o "APT::Sandbox::User=root")
unavailable() {
    say "Debian 13's Open vSwitch cannot be had ($1): using the system's Open vSwitch"
    rm -rf "$WORK"
    exit 0
}
say "fetching Debian 13's Open vSwitch (kubemn's own) from $MIRROR"
apt-get "${APT[@]}" update --error-on=any >"$WORK/apt.log" 2>&1 ||
    unavailable "its archive at $MIRROR is out of reach"

# The libraries the two packages need, and theirs in turn (first alternatives).
libraries() {
    apt-cache "${APT[@]}" depends --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances "$@" 2>/dev/null |
        sed -n 's/^ *|\?\(Pre\)\?Depends: \([^ <]*\).*/\2/p' |
        grep -E '^(lib|zlib1g$)' | sort -u || true
}
PACKAGES=(openvswitch-switch openvswitch-common)
found=() todo=$(libraries "${PACKAGES[@]}")
while [ -n "$todo" ]; do
    found=($(printf '%s\n' "${found[@]}" $todo | sort -u))
    todo=$(comm -13 <(printf '%s\n' "${found[@]}") <(libraries $todo))
done
(cd "$WORK/debs" && apt-get "${APT[@]}" download "${PACKAGES[@]}" "${found[@]}" \
     >>"$WORK/apt.log" 2>&1) || unavailable "apt-get download failed: $(tail -1 "$WORK/apt.log")"
for deb in "$WORK"/debs/*.deb; do
    dpkg-deb -x "$deb" "$WORK/root" || unavailable "$deb does not unpack"
done
rm -rf "$WORK/root/usr/share/doc" "$WORK/root/usr/share/man" "$WORK/root/usr/share/locale"

LIB=$OVS/root/usr/lib/x86_64-linux-gnu
for path in usr/sbin/ovsdb-server usr/lib/openvswitch-switch/ovs-vswitchd \
            usr/bin/ovs-vsctl usr/bin/ovs-ofctl usr/bin/ovs-appctl usr/bin/ovs-dpctl \
            usr/bin/ovsdb-tool usr/bin/ovsdb-client; do
    name=${path##*/}
    printf '#!/bin/sh\n# kubemn: Debian 13'"'"'s %s, through its own loader and libraries\n' \
        "$name" > "$WORK/bin/$name"
    printf 'exec %s --library-path %s --argv0 %s %s "$@"\n' \
        "$LIB/ld-linux-x86-64.so.2" "$LIB" "$name" "$OVS/root/$path" >> "$WORK/bin/$name"
    chmod +x "$WORK/bin/$name"
done
cp "$WORK/root/usr/share/openvswitch/vswitch.ovsschema" "$WORK/vswitch.ovsschema"
rm -rf "$WORK/debs" "$WORK/apt" "$OVS"
mv "$WORK" "$OVS"
if ! version=$("$OVS/bin/ovs-vswitchd" --version 2>&1) || [ -z "$version" ]; then
    say "Debian 13's Open vSwitch does not run here (${version:-no output}): using the system's"
    rm -rf "$OVS"
    exit 0
fi
version=${version%%$'\n'*}
say "its own Open vSwitch is ready: $version, in $OVS"
