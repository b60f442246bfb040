#!/usr/bin/env bash
# Times `spca fit` against NumPy's chunked float64 Gram + eigh on the same
# .npy file, alternating, REPS times each, and prints each run and the
# median ratio. usage: bench/fit_vs_numpy.sh FILE.npy [K] [REPS]
set -euo pipefail
file=$1; k=${2:-10}; reps=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
spca=${SPCA:-$here/../bin/spca}
py=${PYTHON:-/usr/bin/python3}
s=(); n=()
for i in $(seq "$reps"); do
  t=$("$spca" fit "$file" -k "$k" --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  u=$("$py" "$here/peers/numpy_gram.py" "$file" "$k" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  echo "run $i: spca ${t}s  numpy ${u}s"
  s+=("$t"); n+=("$u")
done
"$py" - "${s[*]}" "${n[*]}" <<'PY'
import statistics, sys
s = [float(v) for v in sys.argv[1].split()]
n = [float(v) for v in sys.argv[2].split()]
ms, mn = statistics.median(s), statistics.median(n)
print(f"median: spca {ms:.2f}s  numpy {mn:.2f}s  numpy/spca = {mn/ms:.2f}x")
PY
