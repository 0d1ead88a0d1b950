#!/bin/sh
# The comparison tools of bench_dedup.py / bench_dedup_scale.py, each in its own venv beside the
# benchmarks (gitignored), installed from PyPI so that a run can be repeated:
#   benchmarks/.venv-textdedup  text-dedup (needs Python 3.12: pyenv's 3.12.1 by default)
#   benchmarks/.venv-datatrove  datatrove and the extras its MinHash and sentence dedup import
# Usage: sh benchmarks/setup_bench_envs.sh [textdedup|datatrove ...]   (both when none is named)
# PY312 / PY311 override the interpreters.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PY312=${PY312:-$HOME/.pyenv/versions/3.12.1/bin/python3.12}
PY311=${PY311:-$HOME/.pyenv/versions/3.11.7/bin/python3.11}
which_envs=${*:-textdedup datatrove}
for env in $which_envs; do
  case $env in
    textdedup)
      "$PY312" -m venv "$HERE/.venv-textdedup"
      "$HERE/.venv-textdedup/bin/pip" install --quiet 'text-dedup==0.4.1' psutil  # psutil: bench_dedup.py's _common
      "$HERE/.venv-textdedup/bin/python" -c "import text_dedup, importlib.metadata as m; print('text-dedup', m.version('text-dedup'))"
      ;;
    datatrove)
      "$PY311" -m venv "$HERE/.venv-datatrove"
      "$HERE/.venv-datatrove/bin/pip" install --quiet 'datatrove==0.10.1' regex 'xxhash<4' nltk spacy tokenizers orjson psutil
      "$HERE/.venv-datatrove/bin/python" -c "import datatrove, importlib.metadata as m; print('datatrove', m.version('datatrove'))"
      ;;
    *) echo "unknown environment $env (textdedup, datatrove)" >&2; exit 2 ;;
  esac
done
