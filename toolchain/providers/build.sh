#!/usr/bin/env bash
# Builds the Pulumi resource provider plugins from the Go source vendored in
# this folder; dependencies come through the Go module proxy (go build).
#
#   toolchain/providers/build.sh OUTDIR [command|tls|random|docker ...]
#
# Writes OUTDIR/pulumi-resource-<name> (default: all four) and a stamp
# OUTDIR/.pulumi-resource-<name>.stamp holding the hash of its recipe (the
# vendored source, the patch, its versions.env lines, this script, the Go
# version); a binary whose stamp matches is not rebuilt. Builds run in a
# temporary copy (nothing is written inside the repository) with the
# default Go module and build caches, so a rebuild is fast.
# Each new binary is started once: it must print its gRPC port and wait.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { echo "[providers] $*"; }
die() { echo "[providers] ERROR: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 OUTDIR [command|tls|random|docker ...]"
outdir=$1; shift
names=("$@"); [ ${#names[@]} -gt 0 ] || names=(command tls random docker)
command -v go >/dev/null || die "go not found on PATH"
# shellcheck source=versions.env
. "$here/versions.env"
mkdir -p "$outdir"; outdir=$(cd "$outdir" && pwd)

# go.sum holds every hash these builds need: no checksum-database lookup.
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"

work=""
trap '[ -z "$work" ] || rm -rf "$work"' EXIT

recipe_hash() { # name
    {
        (cd "$here" && find "$1" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
        grep "^PROVIDER_${1^^}_" "$here/versions.env"
        sha256sum < "$here/build.sh"
        go version
        echo "GOOS=$(go env GOOS) GOARCH=$(go env GOARCH)"
    } | sha256sum | cut -d' ' -f1
}

fetch_module() { # module version h1-sum dest: a writable copy of a module from the proxy
    local json dir sum
    log "  fetching $1@$2"
    # Not in any go.sum: skip the checksum database (not reachable here) for
    # this one module and check the pinned hash instead.
    json=$(cd "$work" && GOFLAGS= GONOSUMDB="$1" go mod download -json "$1@$2") \
        || die "go mod download $1@$2 failed: $json"
    dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    sum=$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    [ "$sum" = "$3" ] || die "$1@$2: hash $sum, expected $3"
    [ -d "$dir" ] || die "$1@$2: no module directory in: $json"
    cp -R "$dir" "$4"; chmod -R u+w "$4"
}

smoke_test() { # binary: a plugin prints its port on stdout, then serves
    local bin=$1 out pid port="" i
    out=$(mktemp)
    "$bin" >"$out" 2>"$out.err" </dev/null & pid=$!
    for i in $(seq 1 60); do
        port=$(head -n1 "$out" 2>/dev/null || true)
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    if [[ "$port" =~ ^[0-9]+$ ]]; then
        rm -f "$out" "$out.err"; log "  started: listening on port $port, stopped"
    else
        cat "$out" "$out.err" >&2; rm -f "$out" "$out.err"
        die "$(basename "$bin") did not print a port number"
    fi
}

build_one() { # name
    local name=$1 version pkg module tags="" bin stamp hash start
    case $name in
        command) version=$PROVIDER_COMMAND_VERSION module=github.com/pulumi/pulumi-command/provider ;;
        tls)     version=$PROVIDER_TLS_VERSION     module=github.com/pulumi/pulumi-tls/provider/v5 ;;
        random)  version=$PROVIDER_RANDOM_VERSION  module=github.com/pulumi/pulumi-random/provider/v4 ;;
        docker)  version=$PROVIDER_DOCKER_VERSION  module=github.com/pulumi/pulumi-docker/provider/v5
                 tags=no_compose ;;  # as pulumi-docker's own Makefile builds it
        *) die "unknown provider '$name' (command, tls, random, docker)" ;;
    esac
    pkg=./cmd/pulumi-resource-$name
    bin=$outdir/pulumi-resource-$name
    stamp=$outdir/.pulumi-resource-$name.stamp
    hash=$(recipe_hash "$name")
    if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
        log "$name $version: up to date ($bin)"; return
    fi
    log "building $name $version ..."
    start=$(date +%s)
    work=$(mktemp -d "${TMPDIR:-/tmp}/promshield-provider-$name.XXXXXX")
    cp -R "$here/$name/." "$work/"
    chmod -R u+w "$work"
    if [ -f "$work/promshield.patch" ]; then
        (cd "$work" && patch -p1 --quiet --forward < promshield.patch) \
            || die "$name: promshield.patch does not apply"
    fi
    if [ "$name" = docker ]; then  # provider/go.mod: replace <upstream> => ../upstream
        fetch_module "$PROVIDER_DOCKER_UPSTREAM_MODULE" "$PROVIDER_DOCKER_UPSTREAM_VERSION" \
            "$PROVIDER_DOCKER_UPSTREAM_SUM" "$work/upstream"
        for p in "$work"/patches/*.patch; do
            (cd "$work/upstream" && patch -p1 --quiet --forward < "$p") \
                || die "$name: $(basename "$p") does not apply to upstream"
        done
    fi
    cd "$work/provider"
    if [ -f "$pkg/generate.go" ]; then
        # schema-embed.json (go:embed): the committed schema.json with "version" set,
        # written by the provider's own generator (go:generate in main.go).
        log "  $name: schema-embed.json for version $version"
        (cd "$pkg" && VERSION=$version go run ./generate.go)
        [ -s "$pkg/schema-embed.json" ] || die "$name: schema-embed.json not generated"
    fi
    log "  $name: go build $pkg"
    go build -trimpath ${tags:+-tags "$tags"} \
        -ldflags "-s -w -X $module/pkg/version.Version=$version" \
        -o "$work/pulumi-resource-$name" "$pkg"
    cd "$here"
    smoke_test "$work/pulumi-resource-$name"
    mv -f "$work/pulumi-resource-$name" "$bin"
    echo "$hash" > "$stamp"
    rm -rf "$work"; work=""
    log "$name $version: built in $(( $(date +%s) - start ))s -> $bin"
}

for n in "${names[@]}"; do build_one "$n"; done
