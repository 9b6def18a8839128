#!/usr/bin/env bash
# Installs what kubemn needs when it is missing, and skips what is there:
# Debian packages, the Python virtual environment, and kubemn's own Open vSwitch.
# Used by `make run-topology` and `make test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
# busybox, nginx-light and redis-server are what pods of those images run;
# openvswitch-switch is the fallback when kubemn's own cannot be fetched; gcc,
# musl-tools and linux-libc-dev build kubemn's pause and pod sandbox
# (scripts/build-native.sh); chromium and chromium-driver are the real browser the
# browser view's tests drive (headless); openssh-server, openssh-client and sudo are
# what Mininet Cluster Edition needs on each server (the simulated servers run
# their own sshd; the machine's own ssh service is not started).
APT_PACKAGES=(openvswitch-switch mininet iproute2 ethtool iputils-ping curl iperf3
              tcpdump dnsutils netcat-openbsd procps graphviz python3-venv openssl
              nftables busybox nginx-light redis-server gcc musl-tools linux-libc-dev
              chromium chromium-driver openssh-server openssh-client sudo)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "kubemn: installing Debian packages: ${missing[*]}"
    apt-get update -q
    # nginx, redis and sshd must not start on the machine itself (they would listen
    # on all its addresses), nor Open vSwitch (kubemn runs its own daemons): Debian's
    # policy-rc.d tells their install scripts not to.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        trap 'rm -f "$policy"' EXIT
        printf '#!/bin/sh\n# kubemn: no service starts while packages install\nexit 101\n' > "$policy"
        chmod +x "$policy"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    # Nor at the machine's next boot, where systemd runs services.
    if [ -d /run/systemd/system ]; then
        for pair in nginx-light:nginx redis-server:redis-server \
                    openvswitch-switch:openvswitch-switch openssh-server:ssh; do
            package=${pair%%:*} service=${pair##*:}
            case " ${missing[*]} " in
                *" $package "*) systemctl disable -q "$service" || true ;;
            esac
        done
    fi
fi

# The venv sees Debian's mininet (with mnexec) through --system-site-packages.
stamp="$VENV/.kubemn-requirements"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s requirements.txt "$stamp"; then
    echo "kubemn: preparing the Python environment in $VENV"
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements.txt
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
    cp requirements.txt "$stamp"
fi

# kubemn's own Open vSwitch (Debian 13's, unpacked into build/ovs; each run starts its
# own daemons): the system's openvswitch-switch above is only the fallback.
scripts/fetch-ovs.sh

# kubemn's native programs (the pause image's process, the pods' sandbox), built from
# services/apps/native and topo/runtime/native.
scripts/build-native.sh
