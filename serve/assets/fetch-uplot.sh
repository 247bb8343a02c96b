#!/usr/bin/env bash
# serve/assets/fetch-uplot.sh [VERSION]: fetches uPlot from the npm registry (npm pack: the
# package's own tarball, checked by npm against its published integrity) and replaces the copies
# wb serve embeds: uPlot.iife.min.js, uPlot.min.css and uPlot.LICENSE. It prints their SHA-256
# for UPLOT.md; update the version and checksums there in the same commit. Not run by any build.
set -euo pipefail
version=${1:-1.6.32}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack "uplot@$version" >/dev/null
tar xzf "uplot-$version.tgz"
cp package/dist/uPlot.iife.min.js package/dist/uPlot.min.css "$here/"
cp package/LICENSE "$here/uPlot.LICENSE"
cd "$here"
echo "uPlot $version ($(npm view "uplot@$version" dist.integrity))"
sha256sum uPlot.iife.min.js uPlot.min.css uPlot.LICENSE
