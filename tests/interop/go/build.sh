#!/usr/bin/env bash
# Builds a Go checker (hotlineverify, or tlogproofcheck) offline: GOPATH mode over Debian's golang-golang-x-mod-dev,
# so no module download is ever attempted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export GO111MODULE=off GOFLAGS=-mod=mod GOPROXY=off GOPATH="$here:/usr/share/gocode" GOCACHE="${GOCACHE:-$here/.cache}"
unset GOFLAGS
out="${1:-$here/hotlineverify}"
pkg="${2:-hotlineverify}"   # or tlogproofcheck
go build -o "$out" "$pkg"
echo "$out"
