#!/usr/bin/env bash
# Maintainer tool (not used by build.sh): re-vendors a provider's Go source
# from a local git mirror into toolchain/providers/<name>/, verbatim.
#
#   import.sh command|tls|random|docker GITDIR REV
#
# GITDIR is a clone or bare mirror of github.com/pulumi/pulumi-<name>,
# REV the release tag or commit (the vN.N.N tag, not sdk/vN.N.N: those
# commits have no provider/ folder).
# Only build inputs are copied: tests, test data and the tfgen command are
# left out. Local changes live in <name>/promshield.patch, never in the
# vendored files; record REV in versions.env and <name>/NOTICE.md.
set -euo pipefail
name=$1 gitdir=$2 rev=$3
here=$(cd "$(dirname "$0")" && pwd)
dest=$here/$name
rm -rf "$dest/provider" "$dest/upstream" "$dest/patches"
mkdir -p "$dest"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
git -C "$gitdir" archive "$rev" provider LICENSE | tar -x -C "$tmp"
if git -C "$gitdir" cat-file -e "$rev:COPYRIGHT" 2>/dev/null; then
    git -C "$gitdir" archive "$rev" COPYRIGHT | tar -x -C "$tmp"
fi
find "$tmp/provider" \( -name '*_test.go' -o -name testdata -o -name tests \
    -o -name test-programs -o -name 'pulumi-tfgen-*' \) -prune -exec rm -rf {} +
mv "$tmp/provider" "$dest/provider"
cp "$tmp/LICENSE" "$dest/LICENSE"
[ -f "$tmp/COPYRIGHT" ] && cp "$tmp/COPYRIGHT" "$dest/COPYRIGHT"
if [ "$name" = docker ]; then
    # pulumi-docker's own patches to its upstream (the `upstream` submodule);
    # build.sh fetches the upstream module itself from the Go module proxy.
    git -C "$gitdir" archive "$rev" patches | tar -x -C "$dest"
fi
echo "vendored $name at $(git -C "$gitdir" rev-parse "$rev^{commit}") into $dest"
