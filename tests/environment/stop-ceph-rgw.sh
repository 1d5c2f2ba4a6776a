#!/bin/bash
# Stops the Ceph daemons that start-ceph-rgw.sh started in FOLDER, by the PIDs in their pid
# files, waits until each has exited and removes FOLDER.
#
# Usage: stop-ceph-rgw.sh FOLDER
set -uo pipefail

folder=${1:?usage: stop-ceph-rgw.sh FOLDER}
if [ ! -d "$folder" ]; then exit 0; fi

# Prints whether PID still runs a Ceph daemon, so that a PID reused by another program is
# never signalled.
is_ceph_daemon() {
    local pid=$1 name
    name=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    case $name in ceph-mon | ceph-osd | ceph-mgr | radosgw) return 0 ;; *) return 1 ;; esac
}

pids=()
for pid_file in "$folder"/run/*.pid; do
    [ -f "$pid_file" ] || continue
    pid=$(cat "$pid_file")
    if [[ $pid =~ ^[0-9]+$ ]] && is_ceph_daemon "$pid"; then pids+=("$pid"); fi
done

# radosgw first, the monitor last, so that no daemon waits on one that is already gone.
for pid in "${pids[@]}"; do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = radosgw ] && kill -TERM "$pid" 2>/dev/null
done
for pid in "${pids[@]}"; do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ceph-mon ] || kill -TERM "$pid" 2>/dev/null
done
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done

deadline=$(( $(date +%s) + 20 ))
for pid in "${pids[@]}"; do
    while is_ceph_daemon "$pid"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "stop-ceph-rgw.sh: PID $pid did not exit after SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null
            sleep 0.2
            continue
        fi
        sleep 0.1
    done
done

rm -rf "$folder"
