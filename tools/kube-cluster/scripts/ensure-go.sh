#!/usr/bin/env bash
# Prints the directory of a `go` that can build tools/kube-cluster, for PATH. It is the machine's own
# Go when that is at least the `go` line of the go.mod files (GOTOOLCHAIN=local: the build never
# switches toolchains behind the user's back); else the toolchain the `toolchain` line names, fetched
# once from the Go module proxy (golang.org/toolchain, as `go` itself fetches toolchains), checked
# against the SHA-256 pinned below and unpacked into /usr/local/go-toolchains/. Debian's golang-go
# is too old (bookworm: 1.19) for Kubernetes' modules and cannot switch toolchains by itself.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
go_mod="$here/go/kubernetes/go.mod"
required="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$go_mod")"
toolchain="$(sed -n 's/^toolchain \(go[0-9.]*\)$/\1/p' "$go_mod")"
# SHA-256 of golang.org/toolchain@v0.0.1-$toolchain.linux-amd64.zip (its go.sum line:
# h1:ZOmGe1OnfREDMIdb1Qi4G9JSuDPBLGExZMQ4nis1RXM=). Change both lines together.
pinned_toolchain=go1.26.8
pinned_sha256=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7

new_enough() { # $1: a go binary
  local version
  version="$(GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null | sed 's/^go//')" || return 1
  [ -n "$version" ] && [ "$(printf '%s\n%s\n' "$required" "$version" | sort -V | head -1)" = "$required" ]
}

for candidate in "$(command -v go || true)" /usr/local/go/bin/go "/usr/local/go-toolchains/$toolchain/bin/go"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && new_enough "$candidate"; then
    dirname "$candidate"
    exit 0
  fi
done

if [ "$toolchain" != "$pinned_toolchain" ]; then
  echo "ensure-go: go.mod asks for $toolchain but this script pins $pinned_toolchain's checksum" >&2
  exit 1
fi
if [ "$(uname -m)" != x86_64 ] || [ "$(uname -s)" != Linux ]; then
  echo "ensure-go: no Go >= $required on this machine; install one (https://go.dev/dl/)" >&2
  exit 1
fi
command -v unzip >/dev/null || {
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends unzip >&2
}

proxy="${GOPROXY:-https://proxy.golang.org}"
proxy="${proxy%%,*}"
module="golang.org/toolchain@v0.0.1-$toolchain.linux-amd64"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "ensure-go: fetching $module from $proxy" >&2
curl -fsSL --retry 3 -o "$work/toolchain.zip" "$proxy/golang.org/toolchain/@v/v0.0.1-$toolchain.linux-amd64.zip"
echo "$pinned_sha256  $work/toolchain.zip" | sha256sum --check --quiet >&2
unzip -q "$work/toolchain.zip" -d "$work/unpacked"
# Module zips keep no file modes: make the programs executable, as `go` does for the toolchains it fetches.
chmod +x "$work/unpacked/$module/bin/"* "$work/unpacked/$module/pkg/tool/"*/*
mkdir -p /usr/local/go-toolchains
rm -rf "/usr/local/go-toolchains/$toolchain"
mv "$work/unpacked/$module" "/usr/local/go-toolchains/$toolchain"
echo "/usr/local/go-toolchains/$toolchain/bin"
