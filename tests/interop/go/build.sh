#!/usr/bin/env bash
# Builds the Go verifier offline: GOPATH mode over Debian's golang-golang-x-mod-dev,
# so no module download is ever attempted.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export GO111MODULE=off GOFLAGS=-mod=mod GOPROXY=off GOPATH="$here:/usr/share/gocode" GOCACHE="${GOCACHE:-$here/.cache}"
unset GOFLAGS
out="${1:-$here/hotlineverify}"
go build -o "$out" hotlineverify
echo "$out"
