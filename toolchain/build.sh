#!/usr/bin/env bash
# Builds the real Pulumi engine from Go source: the CLI, the Python language host (with its two
# Python helper scripts) and the resource providers the program uses, then installs the providers
# as plugins into a project-local PULUMI_HOME. Nothing is downloaded but Go modules through the Go
# module proxy. `make deps` runs it when no `pulumi` is on PATH (PROMSHIELD_BUILD_PULUMI=1 forces it).
#
#   toolchain/build.sh            build (or reuse) and install; prints the bin folder last
#
# The finished binaries live in a user-level cache folder keyed by the recipe (this folder's files
# and the Go version), so another clone on the same machine (CI's) reuses them; Go's own module and
# build caches (~/go/pkg/mod, ~/.cache/go-build) are user-level already. The checkout gets two
# git-ignored links: .pulumi-bin (the binaries; the Makefile puts it on PATH) and .pulumi-home.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=toolchain/versions.env
source "$here/versions.env"
# shellcheck source=/dev/null
[ ! -e "$here/providers/versions.env" ] || source "$here/providers/versions.env"

command -v go >/dev/null || { echo "toolchain: no pulumi on PATH, and building one needs Go >= 1.21 on PATH (it then" \
  "fetches the Go that engine/go.mod names through the module proxy; Debian bookworm's golang-go 1.19 is too old)" >&2; exit 1; }
cache_root=${PROMSHIELD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/promshield}
go_version=$(go env GOVERSION)
# docker/ is the harness's Docker Engine, keyed by its own script: not part of this key.
key=$( (cd "$here" && find . -path ./docker -prune -o -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$go_version") \
  | sha256sum | cut -c1-12)
out="$cache_root/pulumi-engine/v$PULUMI_VERSION-$key"
bin="$out/bin"
log() { printf '[toolchain %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [ ! -e "$out/.complete" ]; then
  log "building the Pulumi engine v$PULUMI_VERSION into $out (cold: about 25-40 min on 2 cores)"
  rm -rf "$out.partial" && mkdir -p "$out.partial/bin"
  started=$SECONDS
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$here/engine/." "$work/"
  (
    cd "$work"
    export CGO_ENABLED=0 GOFLAGS=-mod=mod
    log "downloading Go modules for the CLI and the language host"
    go mod download
    ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
    log "compiling pulumi (the CLI)"
    go build -trimpath -ldflags "$ldflags" -o "$out.partial/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    log "compiling pulumi-language-python"
    go build -trimpath -ldflags "$ldflags" -o "$out.partial/bin/pulumi-language-python" ./language-python
    sdk=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
    install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$out.partial/bin/"
    install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$out.partial/bin/"
  )
  log "engine compiled in $((SECONDS - started)) s"
  if [ -x "$here/providers/build.sh" ]; then
    "$here/providers/build.sh" "$out.partial/bin"
  fi
  "$out.partial/bin/pulumi" version >/dev/null
  touch "$out.partial/.complete"
  rm -rf "$out" && mv "$out.partial" "$out"
  log "done in $((SECONDS - started)) s"
else
  log "reusing $out"
fi

ln -sfn "$bin" "$repo/.pulumi-bin"
home="$repo/.pulumi-home"
mkdir -p "$home"
export PULUMI_HOME="$home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
for provider in "$bin"/pulumi-resource-*; do
  [ -e "$provider" ] || continue
  name=${provider##*/pulumi-resource-}
  [ "$name" != pulumi-python ] || continue
  version_var="PROVIDER_${name^^}_VERSION"
  version=${!version_var:?"toolchain/providers/versions.env names no $version_var"}
  if [ ! -e "$home/plugins/resource-$name-v$version/.installed-from" ] \
     || [ "$(cat "$home/plugins/resource-$name-v$version/.installed-from")" != "$provider" ]; then
    log "installing plugin resource $name v$version"
    "$bin/pulumi" plugin install resource "$name" "$version" --file "$provider" --reinstall >/dev/null
    echo "$provider" > "$home/plugins/resource-$name-v$version/.installed-from"
  fi
done
echo "$bin"
