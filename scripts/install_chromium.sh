#!/bin/sh
# Debian's chromium for the report's browser tests (tests/report/); make test runs this.
# Nothing to do when it is there; otherwise apt-get (as root, or through sudo), one line if neither works.
set -eu
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "make test needs Debian's chromium package: apt-get install chromium (as root)" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || {
  $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium >/dev/null
} || { echo "could not install chromium with apt-get: install Debian's chromium package" >&2; exit 1; }
