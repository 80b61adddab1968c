#!/usr/bin/env bash
# The repository tests itself: clone the committed tree into an empty temporary folder, with
# nothing beside it, and run `make test` there. (Not part of `make test`, which it runs.)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
git clone --quiet "$src" "$dir/clone"
cd "$dir/clone"
make test
