#!/usr/bin/env bash
# Prints the path of a working Python X.Y interpreter (argument: 3.11, 3.12 or 3.13), or fails saying
# where it looked. Order: $PYTHON3_12 (etc.), pythonX.Y on PATH, pyenv's versions, /usr/bin.
# "Working" means it runs: a pyenv shim for a version that is installed but not selected does not.
set -euo pipefail
v="${1:?usage: find_python.sh 3.11|3.12|3.13}"
var="PYTHON${v/./_}"
candidates=()
[ -n "${!var:-}" ] && candidates+=("${!var}")
candidates+=("python$v")
root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
for d in "$root"/versions/"$v".*; do
  [ -x "$d/bin/python$v" ] && candidates+=("$d/bin/python$v")
done
candidates+=("/usr/bin/python$v" "/usr/local/bin/python$v")
for c in "${candidates[@]}"; do
  if out="$("$c" -c 'import sys, venv; print("%d.%d" % sys.version_info[:2], sys.executable)' 2>/dev/null)" \
     && [ "${out%% *}" = "$v" ]; then
    echo "${out#* }"
    exit 0
  fi
done
echo "find_python.sh: no working Python $v interpreter (looked at \$$var, python$v on PATH, $root/versions/$v.*, /usr/bin, /usr/local/bin); install it (e.g. apt-get install python$v python$v-venv, or pyenv install $v) or set $var" >&2
exit 1
