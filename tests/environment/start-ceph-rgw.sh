#!/bin/bash
# Starts a one-node Ceph cluster (one mon, one OSD, one radosgw) with an S3 endpoint on
# 127.0.0.1, creates an S3 user with generated keys and one bucket, and writes the S3
# variables as `export NAME=value` lines to FOLDER/s3.env.
#
# Usage: start-ceph-rgw.sh FOLDER
#   FOLDER contains everything: configuration, data, logs, sockets and pid files. It must not
#   exist or must be empty. Stop the cluster with stop-ceph-rgw.sh FOLDER.
# Settings (environment variables):
#   MESHVOLUME_TEST_CEPH_OBJECTSTORE
#       memstore (default: objects in memory) or bluestore (objects in a sparse file on disk).
#       Measured on a 2-core machine, the cluster starts in about 3 s with memstore and 7 s
#       with bluestore.
#   MESHVOLUME_TEST_CEPH_DEVICE_GIB
#       Size of the OSD's device in GiB (default 8): the maximum memory that memstore takes,
#       or the size of bluestore's sparse file.
#   MESHVOLUME_TEST_CEPH_MGR
#       1 starts a ceph-mgr too. radosgw does not need one (default 0).
#   MESHVOLUME_TEST_CEPH_BUCKET
#       Name of the bucket to create (default meshvolume-test-<random>).
# Needs the Debian packages ceph-mon, ceph-osd, radosgw, uuid-runtime and curl
# (and ceph-mgr with MESHVOLUME_TEST_CEPH_MGR=1).
set -euo pipefail

folder=${1:?usage: start-ceph-rgw.sh FOLDER}
objectstore=${MESHVOLUME_TEST_CEPH_OBJECTSTORE:-memstore}
device_gib=${MESHVOLUME_TEST_CEPH_DEVICE_GIB:-8}
start_mgr=${MESHVOLUME_TEST_CEPH_MGR:-0}
started_at=$(date +%s%N)

log() {
    local elapsed_ms=$(( ($(date +%s%N) - started_at) / 1000000 ))
    printf '[ceph %3d.%ds] %s\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000 / 100)) "$*" >&2
}

fail() {
    echo "start-ceph-rgw.sh: $*" >&2
    exit 1
}

require() {
    local command=$1 package=$2
    command -v "$command" >/dev/null ||
        fail "$command not found: install the Debian package $package"
}

case $objectstore in
    memstore | bluestore) ;;
    *) fail "MESHVOLUME_TEST_CEPH_OBJECTSTORE is '$objectstore': use memstore or bluestore" ;;
esac
if ! [[ $device_gib =~ ^[1-9][0-9]*$ ]]; then
    fail "MESHVOLUME_TEST_CEPH_DEVICE_GIB is '$device_gib': use a whole number of GiB"
fi

require ceph-mon ceph-mon
require monmaptool ceph-base
require ceph ceph-common
require ceph-osd ceph-osd
require radosgw radosgw
require radosgw-admin radosgw
require uuidgen uuid-runtime
require curl curl
if [ "$start_mgr" = 1 ]; then require ceph-mgr ceph-mgr; fi

# Prints a TCP port on 127.0.0.1 that nothing listens on. If another process takes it before
# the daemon binds it, the daemon fails to start and its log says so.
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    fail "no free TCP port found on 127.0.0.1"
}

# Prints COUNT random upper-case hex characters.
random_hex() {
    local count=$1 text=""
    while [ ${#text} -lt "$count" ]; do text+=$(uuidgen -r | tr -d '-'); done
    echo "${text:0:$count}" | tr 'a-f' 'A-F'
}

# Runs COMMAND every half second until it succeeds or SECONDS pass.
wait_for() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$(( $(date +%s) + seconds ))
    until "$@" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            fail "timed out after ${seconds}s waiting for $what; see the logs in $folder/log"
        fi
        sleep 0.5
    done
}

mkdir -p "$folder"
folder=$(cd "$folder" && pwd)
if [ -n "$(ls -A "$folder")" ]; then fail "$folder is not empty"; fi
mkdir -p "$folder"/{mon,osd,mgr,rgw,log,run}

fsid=$(uuidgen)
mon_port=$(free_port)
rgw_port=$(free_port)
while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(free_port); done
config=$folder/ceph.conf

# Authentication is off inside the cluster: only this machine reaches it, and S3 requests
# are still checked against the user's keys by radosgw.
cat >"$config" <<EOF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
keyring = /dev/null
run_dir = $folder/run
pid_file = $folder/run/\$name.pid
log_file = $folder/log/\$name.log
admin_socket = $folder/run/\$name.asok
mon_data = $folder/mon/\$id
osd_data = $folder/osd/\$id
mgr_data = $folder/mgr/\$id
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 4
osd_pool_default_pgp_num = 4
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
# The monitor commits map changes once a second by default. Each pool that radosgw creates
# waits for such a commit, so a shorter interval starts radosgw several seconds sooner.
paxos_propose_interval = 0.1
paxos_min_wait = 0.01

[osd]
osd_objectstore = $objectstore
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1
bluestore_block_path = $folder/osd/\$id/block.file
bluestore_block_create = true
bluestore_block_size = $((device_gib * 1024 * 1024 * 1024))
bluestore_fsck_on_mount = false
memstore_device_bytes = $((device_gib * 1024 * 1024 * 1024))

[client]
# Command-line clients such as ceph and radosgw-admin may run many at a time, so they get no
# admin socket and no log file.
admin_socket =
log_file =

[client.rgw.a]
admin_socket = $folder/run/\$name.asok
log_file = $folder/log/\$name.log
# radosgw requests a secure connection to the monitor by default, which needs cephx.
ms_mon_client_mode = crc
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_data = $folder/rgw
rgw_thread_pool_size = 32
rgw_enable_usage_log = false
rgw_dynamic_resharding = false
EOF
export CEPH_CONF=$config
log "configuration written to $config ($objectstore, mon port $mon_port, S3 port $rgw_port)"

monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$folder/monmap" \
    >/dev/null
ceph-mon --mkfs -i a --monmap "$folder/monmap"
ceph-mon -i a
wait_for 60 "the Ceph monitor" timeout 10 ceph mon stat
log "monitor answers"

if [ "$start_mgr" = 1 ]; then
    ceph-mgr -i x
    log "manager started"
fi

osd_uuid=$(uuidgen)
osd_id=$(ceph osd new "$osd_uuid")
mkdir -p "$folder/osd/$osd_id"
ceph-osd -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$folder/log/osd-mkfs.log" 2>&1 ||
    fail "ceph-osd --mkfs failed; see $folder/log/osd-mkfs.log"
ceph-osd -i "$osd_id"
osd_is_up() { ceph osd stat 2>/dev/null | grep -q ' 1 up'; }
wait_for 120 "OSD $osd_id to come up" osd_is_up
log "OSD $osd_id is up"

# radosgw returns once it has daemonized, after it reached the cluster.
timeout 120 radosgw -n client.rgw.a ||
    fail "radosgw did not start; see $folder/log/client.rgw.a.log"
endpoint=http://127.0.0.1:$rgw_port
wait_for 120 "radosgw on $endpoint" curl -sf -o /dev/null "$endpoint/"
log "radosgw answers on $endpoint"

access_key=MV$(random_hex 18)
secret_key=$(random_hex 40)
radosgw-admin user create --uid=meshvolume-test --display-name="MeshVolume tests" \
    --access-key="$access_key" --secret-key="$secret_key" >/dev/null
bucket=${MESHVOLUME_TEST_CEPH_BUCKET:-meshvolume-test-$(random_hex 8 | tr 'A-F' 'a-f')}
region=us-east-1
# S3 requires the payload's SHA-256 in a header, which curl 7.88 signs but does not add.
empty_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
curl -sSf -o /dev/null -X PUT -H "x-amz-content-sha256: $empty_sha256" \
    --aws-sigv4 "aws:amz:$region:s3" --user "$access_key:$secret_key" "$endpoint/$bucket" ||
    fail "creating the bucket $bucket on $endpoint failed"
log "S3 user and bucket $bucket created"

cat >"$folder/s3.env" <<EOF
export AWS_ACCESS_KEY_ID=$access_key
export AWS_SECRET_ACCESS_KEY=$secret_key
export AWS_REGION=$region
export AWS_DEFAULT_REGION=$region
export AWS_ENDPOINT_URL_S3=$endpoint
export MESHVOLUME_TEST_S3_BUCKET=$bucket
EOF
log "S3 variables written to $folder/s3.env"
