#!/usr/bin/env bash
# Builds the Docker Engine the acceptance harness runs (dockerd and docker-proxy of moby v2, i.e.
# Docker 29) from Go source, through the Go module proxy alone. Debian bookworm's docker.io is
# 20.10: it looks a container's numeric "uid:gid" user up by name in the host's passwd when an
# upload carries an owner, so the real `pulumi up` fails at the first owned upload; every Docker
# since 25 resolves numeric ids. containerd and runc stay Debian's (dockerd starts containerd itself).
#
#   toolchain/docker/build.sh     build (or reuse); links .docker-bin; prints the bin folder last
#
# Like the Pulumi engine: a user-level cache folder keyed by this folder's files and the Go version,
# so another clone on the machine (CI's) reuses a finished build; warm, it costs a second.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
command -v go >/dev/null || { echo "toolchain/docker: building dockerd needs Go >= 1.21 on PATH" >&2; exit 1; }
cache_root=${PROMSHIELD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/promshield}
version=$(sed -n 's#^require github.com/moby/moby/v2 \(v[^ ]*\).*#\1#p' "$here/go.mod")
key=$( (cd "$here" && find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; go env GOVERSION) \
  | sha256sum | cut -c1-12)
out="$cache_root/docker-engine/$version-$key"
log() { printf '[toolchain/docker %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [ ! -e "$out/.complete" ]; then
  log "building dockerd $version into $out (cold: about 3-6 min on 2 cores)"
  started=$SECONDS
  rm -rf "$out.partial" && mkdir -p "$out.partial/bin"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$here/." "$work/"
  (
    cd "$work"
    export CGO_ENABLED=0 GOFLAGS=-mod=mod
    ldflags="-s -w -X github.com/moby/moby/v2/dockerversion.Version=${version#v}"
    ldflags+=" -X github.com/moby/moby/v2/dockerversion.GitCommit=moby-$version"
    go build -trimpath -tags "netgo osusergo" -ldflags "$ldflags" -o "$out.partial/bin/" \
      github.com/moby/moby/v2/cmd/dockerd github.com/moby/moby/v2/cmd/docker-proxy
  )
  "$out.partial/bin/dockerd" --version >/dev/null
  touch "$out.partial/.complete"
  rm -rf "$out" && mv "$out.partial" "$out"
  log "done in $((SECONDS - started)) s"
else
  log "reusing $out"
fi
ln -sfn "$out/bin" "$repo/.docker-bin"
echo "$out/bin"
