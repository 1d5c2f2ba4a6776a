#!/bin/bash
# Stops the Ceph daemons that start-ceph-rgw.sh started in FOLDER, by the PIDs in their pid
# files, waits until each has exited and removes FOLDER.
#
# Usage: stop-ceph-rgw.sh FOLDER
set -uo pipefail

folder=${1:?usage: stop-ceph-rgw.sh FOLDER}
if [ ! -d "$folder" ]; then exit 0; fi

# Returns success while PID is a running (not zombie) Ceph daemon, so that a PID reused by
# another program is never signalled. A daemon that has exited stays a zombie until PID 1
# reaps it, which some init processes do only every few seconds.
is_ceph_daemon() {
    local pid=$1 stat state
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    state=${stat##*) }
    state=${state%% *}
    [ "$state" != Z ] || return 1
    case $(cat "/proc/$pid/comm" 2>/dev/null) in
        ceph-mon | ceph-osd | ceph-mgr | radosgw) return 0 ;;
        *) return 1 ;;
    esac
}

pids=()
for pid_file in "$folder"/run/*.pid; do
    [ -f "$pid_file" ] || continue
    pid=$(cat "$pid_file")
    if [[ $pid =~ ^[0-9]+$ ]] && is_ceph_daemon "$pid"; then pids+=("$pid"); fi
done

# Stops each PID given and waits until it has exited, sending SIGKILL after 20 seconds.
stop_and_wait() {
    local pid
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null; done
    local deadline=$(( $(date +%s) + 20 ))
    for pid in "$@"; do
        while is_ceph_daemon "$pid"; do
            if [ "$(date +%s)" -ge "$deadline" ]; then
                echo "stop-ceph-rgw.sh: PID $pid did not exit after SIGTERM; sending SIGKILL" >&2
                kill -KILL "$pid" 2>/dev/null
            fi
            sleep 0.05
        done
    done
}

# Stops the daemons called NAME among the PIDs found above.
stop_daemons() {
    local name=$1 pid matching=()
    for pid in "${pids[@]}"; do
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then matching+=("$pid"); fi
    done
    stop_and_wait "${matching[@]}"
}

# radosgw first, then the OSD and the manager, and the monitor last: radosgw waits on its
# requests to the OSD while it shuts down, and every daemon talks to the monitor.
stop_daemons radosgw
stop_daemons ceph-osd
stop_daemons ceph-mgr
stop_daemons ceph-mon

rm -rf "$folder"
