#!/usr/bin/env bash
# Prints the machine's own Debian mirror URI, from its deb822 or one-line apt sources
# (deb.debian.org if it names none): where kubemn's private apt configurations
# (scripts/fetch-ovs.sh, conformance/build.sh) fetch from.
mirror=$(sed -n 's/^URIs: *\(\S*debian\)\/\?$/\1/p' /etc/apt/sources.list.d/*.sources \
             2>/dev/null | head -1)
if [ -z "$mirror" ]; then
    mirror=$(sed -n 's/^deb \+\(\S*debian\)\/\? \+[a-z-]\+ .*/\1/p' /etc/apt/sources.list \
                 2>/dev/null | head -1)
fi
echo "${mirror:-http://deb.debian.org/debian}"
