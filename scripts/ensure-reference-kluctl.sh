#!/usr/bin/env bash
# Builds (once per machine) the reference Kluctl v2.28.2 that the parity suite runs side by side with
# ours, and prints its path. The build script and its source tarballs live outside this repository
# (the shared folder next to the checkout); KS_REFERENCE_KLUCTL_SRC names that folder explicitly, and
# KS_REFERENCE_KLUCTL names a ready binary. A cold build takes 10-12 minutes on 2 cores.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bin=${KS_REFERENCE_KLUCTL:-$HOME/.cache/kluctl-serverless/kluctl-2.28.2/bin/kluctl}
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
for src in "${KS_REFERENCE_KLUCTL_SRC:-}" "$ROOT/../shared/reference-kluctl" /work/shared/reference-kluctl; do
  [ -n "$src" ] && [ -x "$src/build.sh" ] || continue
  echo "[ensure-reference-kluctl] building the reference Kluctl from $src (first run on this machine; 10-12 min)" >&2
  exec "$src/build.sh"
done
echo "[ensure-reference-kluctl] no reference Kluctl: set KS_REFERENCE_KLUCTL to a kluctl v2.28.2 binary or" \
  "KS_REFERENCE_KLUCTL_SRC to the folder holding reference-kluctl/build.sh" >&2
exit 1
