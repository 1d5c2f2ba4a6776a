<#
.SYNOPSIS
    The main job end to end: back up a volume with real data to a folder, restore it into a
    new volume, and show that both hold the same files.
.DESCRIPTION
    build.ps1 Demo runs this after building the module and making sure an engine answers
    (it starts a private one when none does). The volume is filled by a container made from
    the test image; the comparison lists every entry of both volumes from inside containers,
    independently of the module.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $Repository = (Join-Path ([System.IO.Path]::GetTempPath()) 'meshvolume-demo-repository'),
    [string] $Image = $(if ($env:MESHVOLUME_TEST_IMAGE) { $env:MESHVOLUME_TEST_IMAGE } else { 'meshvolume-test/busybox:latest' })
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$suffix = [guid]::NewGuid().ToString('N').Substring(0, 6)
$source = "meshvolume-demo-$suffix"
$restored = "meshvolume-demo-$suffix-restored"

function Invoke-InVolume([string] $Volume, [string] $Script) {
    $output = & docker run --rm --network none --log-driver none -v "${Volume}:/data" $Image sh -c $Script 2>&1
    if ($LASTEXITCODE -ne 0) { throw "The container on '$Volume' failed: $output" }
    $output
}

# Every entry with type, size, mode, owner, mtime and content hash, sorted: the same text for
# two volumes means the same files.
$listing = 'cd /data && find . | sort | while IFS= read -r p; do ' +
    'if [ -f "$p" ] && [ ! -L "$p" ]; then h=$(sha256sum "$p" | cut -c1-16); else h=-; fi; ' +
    'echo "$(stat -c "%F %s %a %u:%g %Y" "$p") $h $p $(readlink "$p")"; done'

try {
    Write-Host "Creating the volume $source with real data"
    New-MeshVolume -Name $source -Labels @{ 'meshvolume.demo' = '1'; app = 'demo' } | Out-Null
    Invoke-InVolume $source @'
set -e
cd /data
mkdir -p app/config app/logs 'empty folder' 'names with spaces'
for i in $(seq 1 200); do echo "line $i of the application log" >> app/logs/app.log; done
dd if=/dev/urandom of=app/blob.bin bs=1048576 count=8 2>/dev/null
printf 'port=8080\nmode=production\n' > app/config/settings.ini
echo 'hello' > 'names with spaces/a file: with colon.txt'
ln -s config/settings.ini app/settings-link
ln -s /nowhere/dangling app/dangling-link
ln app/config/settings.ini app/config/settings-hardlink.ini
chown -R 1000:1000 app/logs
chmod 4755 app/blob.bin
chmod 1777 'empty folder'
'@ | Out-Null

    Write-Host "Backing up $source to $Repository"
    $backup = Backup-MeshVolume -Name $source -Repository $Repository -Tag demo
    $backup | Format-List Id, VolumeName, Repository, ArchiveName, Compression, ArchiveSize, ContentSize, FileCount, Duration

    Write-Host "Restoring into the new volume $restored"
    $restore = $backup | Restore-MeshVolume -TargetName $restored -Confirm:$false
    $restore | Format-List Name, BackupId, SourceVolumeName, CreatedVolume, DataPath, Entries, Duration

    $before = Invoke-InVolume $source $listing
    $after = Invoke-InVolume $restored $listing
    $differences = Compare-Object $before $after
    Get-MeshVolume -Name $source, $restored | Format-Table
    if ($differences) {
        $differences | Format-Table -AutoSize | Out-String | Write-Host
        throw "The restored volume differs from the original in $(@($differences).Count) line(s)."
    }
    Write-Host "Both volumes hold the same $(@($before).Count) entries (type, size, mode, owner, mtime, content)."
    Write-Host "FileCount counts regular files; Entries also counts folders, links and the volume root."
    Write-Host "The backup stays in $Repository; remove it with Remove-MeshVolumeBackup or delete the folder."
}
finally {
    foreach ($volume in $source, $restored) {
        & docker volume rm -f $volume 2>&1 | Out-Null
    }
}
