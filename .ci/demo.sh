#!/usr/bin/env bash
# `make demo` (the README's first command). Placeholder: the lead replaces the body after bootstrap.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cc_bootstrap
echo "demo not written yet"
exit 1
