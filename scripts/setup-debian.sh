#!/bin/sh
# Installs the system libraries Strata links (OpenH264, x264, libswscale) and ffmpeg,
# which the interoperability tests use. Safe to run again.
set -eu
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y \
    libopenh264-dev libx264-dev libswscale-dev libavutil-dev ffmpeg pkg-config
