#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine (Debian 12: slurm-wlm 22.05 + munge).
#
#   sudo scripts/ci-slurm.sh          # install (if needed), configure, start; idempotent
#   sudo scripts/ci-slurm.sh stop     # stop the daemons this script started
#
# Used by tests/test_slurm.py (marked `slurm`) and by CI. Needs root (apt-get, daemons).
# No systemd needed: the daemons are started directly. No accounting database: slurm.conf
# sets accounting_storage/none and MinJobAge=600, so finished jobs stay visible to
# `squeue` for 10 minutes, which is what the Snakemake SLURM executor then queries
# (profiles/slurm sets `slurm-status-command: squeue`).
set -euo pipefail

CONF_DIR=/etc/slurm
STATE=/var/spool/slurmctld
SPOOL=/var/spool/slurmd
LOGS=/var/log/slurm
HOST=$(hostname -s)

stop() {
    for d in slurmd slurmctld; do
        [ -f "/run/$d.pid" ] && kill "$(cat "/run/$d.pid")" 2>/dev/null || true
        rm -f "/run/$d.pid"
    done
    [ -f /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
}

if [ "${1:-start}" = stop ]; then
    stop
    exit 0
fi

# 1. packages (a no-op when installed)
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null \
        || ! command -v slurmd >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

# 2. munge: a key and a running daemon (as the munge user, as Debian's unit does)
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.1; done
fi

# 3. slurm.conf for one node: this host, its CPUs and memory
CPUS=$(nproc)
MEM=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
install -d "$CONF_DIR" "$STATE" "$SPOOL" "$LOGS"
cat >"$CONF_DIR/slurm.conf.new" <<EOF
# Written by fisherlab scripts/ci-slurm.sh: a single-node test cluster.
ClusterName=fisherlab
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
# no cgroups in a container: track processes by their parent, bind no tasks
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
# no accounting database: finished jobs stay in slurmctld (and squeue) for MinJobAge s
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=600
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
changed=1
if cmp -s "$CONF_DIR/slurm.conf.new" "$CONF_DIR/slurm.conf"; then changed=0; fi
mv "$CONF_DIR/slurm.conf.new" "$CONF_DIR/slurm.conf"

running() { [ -f "/run/$1.pid" ] && kill -0 "$(cat "/run/$1.pid")" 2>/dev/null; }
if [ "$changed" = 1 ]; then stop_slurm=1; else stop_slurm=0; fi
if [ "$stop_slurm" = 1 ]; then
    for d in slurmd slurmctld; do running "$d" && kill "$(cat "/run/$d.pid")" || true; done
    sleep 1
fi

# 4. the daemons (each daemonises itself and writes its pid file)
running slurmctld || /usr/sbin/slurmctld
running slurmd || /usr/sbin/slurmd

# 5. wait until the node accepts jobs
for _ in $(seq 60); do
    state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null || true)
    case "$state" in idle*|mixed*|allocated*) break ;; esac
    sleep 0.5
done
state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null || true)
case "$state" in
    idle*|mixed*|allocated*) ;;
    *) scontrol update nodename="$HOST" state=resume 2>/dev/null || true; sleep 1
       state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null || true) ;;
esac
case "$state" in
    idle*|mixed*|allocated*) echo "slurm: node $HOST is $state ($CPUS CPUs, ${MEM} MB)" ;;
    *) echo "slurm: node $HOST did not come up (state '$state'); see $LOGS/" >&2; exit 1 ;;
esac
