#!/bin/sh
# Refresh constraints.txt: resolve the newest versions the package's ranges allow, with every
# extra, in a throwaway venv, and write them as exact pins. Run `make lock`, then `make test`;
# commit constraints.txt only if the suite passes with it.
set -eu
PYTHON=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --upgrade pip
"$tmp/venv/bin/python" -m pip install --quiet '.[test,bench,service,spark]'
{
  echo "# The exact versions \`make test\` last passed with (pip constraints; \`make lock\` refreshes them)."
  echo "# Made with $("$tmp/venv/bin/python" --version) on $(uname -m) by scripts/lock.sh."
  "$tmp/venv/bin/python" -m pip freeze --exclude reprints | grep -v '^-e '
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) pins"
