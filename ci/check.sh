#!/bin/bash
# What CI runs on a fresh Debian 12 machine: install what is missing, build,
# then the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-deps.sh
make -j"$(nproc)"
make check
