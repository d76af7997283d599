#!/usr/bin/env bash
# Installs the Debian packages the tests and the service need, when they are missing:
# Chromium for page and video-room tests, CJK fonts for agreement PDFs, poppler for reading
# PDFs back, node and npm for the TypeScript client check. Safe to run again; does nothing
# when everything is present.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
# node and npm: the test that compiles a TypeScript client generated from the OpenAPI.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
