#!/usr/bin/env bash
# Installs the jenkins-trigger release binary for this runner into the tool
# cache and prints its path. The binary action (binary/action.yml) runs it;
# binary/install_test.go runs it against a local server.
#
# It reads the runner's own variables, RUNNER_OS (Linux, macOS, Windows),
# RUNNER_ARCH (X64, ARM64) and RUNNER_TOOL_CACHE, and optionally:
#   JENKINS_TRIGGER_VERSION       the release tag to install; by default the
#                                 tag of the image that ../action.yml runs,
#                                 which release.yml keeps equal to the tag
#   JENKINS_TRIGGER_REPO          owner/name whose GitHub releases hold the
#                                 binaries; by default the image's owner/name
#   JENKINS_TRIGGER_DOWNLOAD_URL  where the releases are, by default
#                                 https://github.com/<repo>/releases/download;
#                                 the assets are read at <url>/<tag>/<asset>
#
# The binary is kept at <tool cache>/jenkins-trigger/<version>/<arch>/ only
# once its SHA-256 matched the release's SHA256SUMS, and is checked against
# that sum again on every later use. Written for bash 3.2 (macOS' /bin/bash)
# and Git Bash on Windows.
set -euo pipefail

die() {
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    printf '::error title=jenkins-trigger install::%s\n' "$*" >&2
  else
    printf 'jenkins-trigger install: %s\n' "$*" >&2
  fi
  exit 1
}

log() { printf '%s\n' "$*" >&2; }

lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

# fetch URL FILE downloads with curl, or wget where curl is missing. A
# redirect must stay on https (GitHub sends release assets to its CDN).
fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --proto-redir '=https' \
      --retry 3 --connect-timeout 30 --output "$2" "$1" ||
      die "could not download $1"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --tries=3 --timeout=30 --output-document="$2" "$1" ||
      die "could not download $1"
  else
    die "neither curl nor wget is installed: one is needed to download $1"
  fi
}

# sha256 FILE prints the file's SHA-256 in lower-case hex. The file is read
# from stdin so that no tool escapes a Windows path in its output.
sha256() {
  local sum
  if command -v sha256sum >/dev/null 2>&1; then
    sum=$(sha256sum <"$1")
  elif command -v shasum >/dev/null 2>&1; then
    sum=$(shasum -a 256 <"$1")
  elif command -v openssl >/dev/null 2>&1; then
    sum=$(openssl dgst -sha256 -r <"$1")
  else
    die "none of sha256sum, shasum or openssl is installed: one is needed to verify the download"
  fi
  lower "${sum%% *}"
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The image line of action.yml, e.g. docker://ghcr.io/owner/jenkins-trigger:v1.2.3,
# names the release this copy of the actions belongs to.
version=${JENKINS_TRIGGER_VERSION:-}
repo=${JENKINS_TRIGGER_REPO:-}
if [ -z "$version" ] || [ -z "$repo" ]; then
  image=$(sed -n 's/^[[:space:]]*image:[[:space:]]*docker:\/\/ghcr\.io\/\([^[:space:]]*\)[[:space:]]*$/\1/p' "$here/../action.yml" 2>/dev/null || true)
  case $image in
  */*:*) ;;
  *) die "cannot tell which release to install: $here/../action.yml names no ghcr.io image; set JENKINS_TRIGGER_VERSION and JENKINS_TRIGGER_REPO" ;;
  esac
  [ -n "$version" ] || version=${image##*:}
  [ -n "$repo" ] || repo=${image%:*}
fi
case $version in
*/* | *..* | '') die "JENKINS_TRIGGER_VERSION \"$version\" is not a release tag such as v1.2.3" ;;
esac
base=${JENKINS_TRIGGER_DOWNLOAD_URL:-https://github.com/$repo/releases/download}
base=${base%/}

case ${RUNNER_OS:-} in
Linux) os=linux ;;
macOS) os=darwin ;;
Windows) os=windows ;;
*) die "no release binary for runner OS \"${RUNNER_OS:-}\" (RUNNER_OS): there are Linux, macOS and Windows ones" ;;
esac
case ${RUNNER_ARCH:-} in
X64) arch=amd64 ;;
ARM64) arch=arm64 ;;
*) die "no release binary for runner architecture \"${RUNNER_ARCH:-}\" (RUNNER_ARCH): there are X64 and ARM64 ones" ;;
esac
ext=
[ "$os" = windows ] && ext=.exe
asset=jenkins-trigger_${os}_${arch}${ext}

cache=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}
if command -v cygpath >/dev/null 2>&1; then
  cache=$(cygpath -u "$cache")
fi
# The tool-cache layout of @actions/tool-cache: <tool>/<semver>/<arch>, and
# <arch>.complete once the directory is whole.
dir=$cache/jenkins-trigger/${version#v}/$(lower "$RUNNER_ARCH")
bin=$dir/jenkins-trigger$ext

if [ -f "$dir.complete" ] && [ -f "$bin" ] && [ -f "$bin.sha256" ]; then
  if [ "$(sha256 "$bin")" = "$(cat "$bin.sha256")" ]; then
    log "jenkins-trigger $version ($os/$arch) from the tool cache: $bin"
    printf '%s\n' "$bin"
    exit 0
  fi
  log "the cached $bin does not match its checksum any more: downloading it again"
  rm -f "$dir.complete"
fi

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

log "downloading $asset of jenkins-trigger $version from $base/$version/"
fetch "$base/$version/SHA256SUMS" "$tmp/SHA256SUMS"
fetch "$base/$version/$asset" "$tmp/$asset"

# A line of SHA256SUMS is "<hex>  <name>" ("*<name>" in binary mode).
want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
[ -n "$want" ] || die "SHA256SUMS of $version has no line for $asset"
want=$(lower "$want")
case $want in
*[!0-9a-f]*) die "SHA256SUMS of $version has no single SHA-256 for $asset" ;;
esac
[ ${#want} -eq 64 ] || die "SHA256SUMS of $version has no single SHA-256 for $asset"
got=$(sha256 "$tmp/$asset")
if [ "$got" != "$want" ]; then
  die "checksum mismatch for $asset of $version: SHA256SUMS says $want, the download is $got; not installed"
fi

chmod +x "$tmp/$asset"
printf '%s\n' "$want" >"$bin.sha256"
mv -f "$tmp/$asset" "$bin"
: >"$dir.complete"
log "jenkins-trigger $version ($os/$arch) installed: $bin (sha256 $want)"
printf '%s\n' "$bin"
