#!/usr/bin/env bash
# make cluster-test: a real Slurm run on this machine. Starts munged,
# slurmctld and slurmd (one node, 2 CPUs) from Debian's slurm-wlm with a
# private configuration in a temporary directory, then
#   1. submits examples/slurm/partial.sbatch as a 4-task job array and
#      examples/slurm/merge.sbatch with --dependency=afterok on it, and checks
#      the merged model against a single-machine spca fit (1e-12 relative);
#   2. submits examples/slurm/fit-checkpoint.sbatch, sends its batch shell
#      USR1 as the time limit would (scancel --batch --signal=USR1), checks
#      that it was checkpointed and requeued, and that the resumed job writes
#      the same model bytes as an uninterrupted fit.
# Needs root (it installs slurm-wlm and munge with apt-get when missing, and
# runs the daemons). Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
PYTHON=${PYTHON:-/usr/bin/python3}

if [ "$(id -u)" != 0 ]; then echo "cluster-test: run as root (it starts munged, slurmctld and slurmd)" >&2; exit 1; fi
missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "cluster-test: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$GO" build -o bin/spca ./cmd/spca
"$GO" build -o bin/spca-bench ./bench
SPCA=$ROOT/bin/spca

W=$(mktemp -d /tmp/spca-cluster.XXXXXX)
chmod 755 "$W"
pids=()
cleanup() {
  for f in "$W"/slurmd.pid "$W"/slurmctld.pid "$W"/munged.pid; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  rm -rf "$W"
}
trap cleanup EXIT

# munge: a fresh key and socket of our own.
mkdir -p "$W/munge"
dd if=/dev/urandom of="$W/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$W/munge"; chmod 400 "$W/munge/munge.key"
munged --force --key-file="$W/munge/munge.key" --socket="$W/munge/socket" \
  --pid-file="$W/munged.pid" --log-file="$W/munged.log" --seed-file="$W/munge/seed"
export MUNGE_SOCKET=$W/munge/socket

HOST=$(hostname -s)
mkdir -p "$W/state" "$W/spool" "$W/jobs"
cat > "$W/slurm.conf" <<CONF
ClusterName=spcatest
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$W/munge/socket
CredType=cred/munge
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmdTimeout=60
MinJobAge=600
NodeName=$HOST CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$W/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)' && break
  sleep 1
done
sinfo

# wait_job ID: until the job (every task of an array) has left the queue.
wait_job() {
  for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 1
  done
  echo "cluster-test: job $1 did not finish" >&2; exit 1
}
job_state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }

DATA=$W/data
mkdir -p "$DATA/parts"
bin/spca-bench gen images --rows 40000 --out "$DATA/images.h5"
START=$(date +%s)

echo "== 1. job array of 4 partials, then a dependent merge"
cd "$W/jobs"
array=$(sbatch --parsable --array=0-3 --cpus-per-task=1 \
  --export=ALL,SPCA="$SPCA",INPUT="$DATA/images.h5",SHARDS=4,PARTS="$DATA/parts" \
  "$ROOT/examples/slurm/partial.sbatch")
merge=$(sbatch --parsable --dependency=afterok:"$array" \
  --export=ALL,SPCA="$SPCA",PARTS="$DATA/parts",MODEL="$DATA/merged.h5",K=20 \
  "$ROOT/examples/slurm/merge.sbatch")
echo "submitted array job $array and merge job $merge (afterok:$array)"
wait_job "$array"; wait_job "$merge"
cat spca-partial-*.out
cat "spca-merge-$merge.out"
[ "$(job_state "$merge")" = COMPLETED ] || { echo "merge job: $(job_state "$merge")"; cat "$W"/slurmctld.log | tail -20; exit 1; }
"$SPCA" fit "$DATA/images.h5" -k 20 --model "$DATA/single.h5" >/dev/null
"$PYTHON" - "$DATA/merged.h5" "$DATA/single.h5" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
worst = 0.0
for name in ("components", "explained_variance", "explained_variance_ratio", "singular_values", "mean"):
    x, y = a[name][()], b[name][()]
    rel = np.linalg.norm(x - y) / np.linalg.norm(y)
    worst = max(worst, rel)
    print(f"  {name:26s} relative difference {rel:.3g}")
assert a.attrs["n_samples"] == b.attrs["n_samples"] == 40000
print(f"merged model vs single-machine fit: worst relative difference {worst:.3g}", "OK" if worst <= 1e-12 else "FAIL")
sys.exit(0 if worst <= 1e-12 else 1)
PY

echo "== 2. checkpointed fit: USR1 as at the time limit, requeue, resume"
"$SPCA" fit "$DATA/images.h5" -k 20 --block-rows 500 --model "$DATA/ref.h5" >/dev/null
fit=$(sbatch --parsable \
  --export=ALL,SPCA="$SPCA",INPUT="$DATA/images.h5",MODEL="$DATA/resumed.h5",CKPT="$DATA/ckpt",K=20,BLOCK_ROWS=500,SPCA_TEST_BLOCK_DELAY=60ms \
  "$ROOT/examples/slurm/fit-checkpoint.sbatch")
echo "submitted fit job $fit"
# spca's first line on stderr says its signal handlers are in place.
for _ in $(seq 120); do grep -q "checkpoints in" "spca-fit-$fit.out" 2>/dev/null && break; sleep 0.25; done
sleep 1.5
scancel --batch --signal=USR1 "$fit"
echo "sent USR1 to the batch shell of job $fit"
for _ in $(seq 120); do
  grep -q "requeueing" "spca-fit-$fit.out" 2>/dev/null && break; sleep 0.5
done
grep -q "requeueing" "spca-fit-$fit.out" || { echo "job $fit was not requeued"; cat "spca-fit-$fit.out"; exit 1; }
# The requeued job waits for its begin time; let it run without the delay.
scontrol update JobId="$fit" StartTime=now >/dev/null 2>&1 || true
for _ in $(seq 600); do [ -f "$DATA/resumed.h5" ] && [ "$(job_state "$fit")" = COMPLETED ] && break; sleep 1; done
cat "spca-fit-$fit.out"
cmp "$DATA/ref.h5" "$DATA/resumed.h5"
echo "resumed model == uninterrupted fit, byte for byte: OK"
echo "cluster-test: passed in $(( $(date +%s) - START )) s after setup"
