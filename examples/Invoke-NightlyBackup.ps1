<#
.SYNOPSIS
    Backs up Docker volumes, tests the new backups and applies a retention policy, unattended.
.DESCRIPTION
    Selects the volumes of a compose project (-ComposeProject) or with a label (-Label), backs
    each one up to the repository, restores the newest backup of each into a scratch volume to
    test it, and then removes old backups with -KeepDaily 7 -KeepWeekly 4 -KeepMonthly 6 by
    default. A failure on one volume is logged and the other volumes go on. Retention runs
    only for a volume whose new backup passed its test, so a bad backup never pushes a good
    older one out.

    The repository is an S3 location by default: -Repository, else the MESHVOLUME_REPOSITORY
    environment variable, else s3://<MESHVOLUME_S3_BUCKET>/<host name>. S3 credentials, region
    and endpoint come from the standard AWS sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_REGION, AWS_ENDPOINT_URL_S3, or a profile). The engine comes from -DockerHost or
    DOCKER_HOST.

    Every step is written to a log file, one file per day. The exit code is 0 when every
    volume was backed up, tested and pruned, 1 when anything failed, and 2 when the job could
    not start (bad parameters, module not found, no volumes selected).
.EXAMPLE
    ./Invoke-NightlyBackup.ps1 -ComposeProject shop -Repository s3://backups/host1

    Backs up the volumes of the compose project "shop" to the bucket "backups" under host1/.
.EXAMPLE
    $env:MESHVOLUME_S3_BUCKET = 'backups'
    ./Invoke-NightlyBackup.ps1 -Label 'backup=nightly' -KeepDaily 14

    Backs up the volumes labelled backup=nightly to s3://backups/<host name> and keeps 14
    daily backups.
#>
[CmdletBinding(DefaultParameterSetName = 'ComposeProject')]
param(
    # Compose project whose volumes to back up (the com.docker.compose.project label).
    [Parameter(Mandatory, ParameterSetName = 'ComposeProject')]
    [string] $ComposeProject,

    # Label filters such as 'backup=nightly' or 'backup'; a volume must match all of them.
    # pwsh -File passes one value, so give several filters with pwsh -Command.
    [Parameter(Mandatory, ParameterSetName = 'Label')]
    [string[]] $Label,

    # Folder path or s3://bucket/prefix.
    [string] $Repository = $env:MESHVOLUME_REPOSITORY,

    # Bucket used when no repository is given; the prefix is the host name.
    [string] $Bucket = $env:MESHVOLUME_S3_BUCKET,

    # S3 endpoint URL for S3-compatible servers; the AWS_ENDPOINT_URL_S3 variable also works.
    [string] $Endpoint,

    # Docker engine, such as unix:///var/run/docker.sock; the default is DOCKER_HOST.
    [string] $DockerHost,

    [ValidateRange(1, 1000)] [int] $KeepDaily = 7,
    [ValidateRange(0, 1000)] [int] $KeepWeekly = 4,
    [ValidateRange(0, 1000)] [int] $KeepMonthly = 6,

    # Folder of the daily log files.
    [string] $LogFolder,

    # Log files older than this many days are deleted.
    [ValidateRange(1, 3650)] [int] $LogRetentionDays = 30,

    # Module name or path to MeshVolume.psd1.
    [string] $ModulePath = 'MeshVolume'
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Continue'
$onWindows = [Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT

if (-not $LogFolder) {
    $LogFolder = if ($onWindows) {
        Join-Path $env:ProgramData 'MeshVolume\Logs'
    }
    else {
        '/var/log/meshvolume'
    }
}
New-Item -ItemType Directory -Path $LogFolder -Force | Out-Null
$logFile = Join-Path $LogFolder ('nightly-backup-{0:yyyyMMdd}.log' -f (Get-Date))

function Write-BackupLog([string] $Level, [string] $Message) {
    $line = '{0:yyyy-MM-ddTHH:mm:sszzz} {1,-5} {2}' -f (Get-Date), $Level, $Message
    Add-Content -Path $logFile -Value $line -Encoding UTF8
    Write-Host $line
}

function Write-ErrorLog([string] $Step, [string] $VolumeName, $ErrorRecords) {
    $records = @($ErrorRecords | Where-Object { $_ })
    if ($records.Count -eq 0) {
        Write-BackupLog 'ERROR' "$Step of '$VolumeName' returned nothing and reported no error."
    }
    foreach ($record in $records) {
        Write-BackupLog 'ERROR' ("{0} of '{1}' failed: {2} ({3})" -f
            $Step, $VolumeName, $record.Exception.Message, $record.FullyQualifiedErrorId)
    }
}

Write-BackupLog 'INFO' "Nightly backup started on $([Environment]::MachineName)."
Get-ChildItem -Path $LogFolder -Filter 'nightly-backup-*.log' |
    Where-Object LastWriteTime -LT (Get-Date).AddDays(-$LogRetentionDays) |
    Remove-Item -ErrorAction SilentlyContinue

if (-not $Repository) {
    if (-not $Bucket) {
        Write-BackupLog 'ERROR' ('No repository given. Pass -Repository, or set ' +
            'MESHVOLUME_REPOSITORY or MESHVOLUME_S3_BUCKET.')
        exit 2
    }
    $Repository = 's3://{0}/{1}' -f $Bucket, [Environment]::MachineName.ToLowerInvariant()
}

try {
    Import-Module $ModulePath -ErrorAction Stop
}
catch {
    Write-BackupLog 'ERROR' "The module '$ModulePath' could not be loaded: $($_.Exception.Message)"
    exit 2
}

# Parameters that every MeshVolume cmdlet with such a parameter receives.
if ($DockerHost) { $PSDefaultParameterValues['*-MeshVolume*:DockerHost'] = $DockerHost }
if ($Endpoint) { $PSDefaultParameterValues['*-MeshVolume*:Endpoint'] = $Endpoint }

$selection = if ($ComposeProject) {
    @{ ComposeProject = $ComposeProject }
}
else {
    @{ Label = $Label }
}
try {
    $volumes = @(Get-MeshVolume @selection -NoSize -ErrorAction Stop)
}
catch {
    Write-BackupLog 'ERROR' "Listing the volumes failed: $($_.Exception.Message)"
    exit 2
}
if ($volumes.Count -eq 0) {
    $filter = ($selection.GetEnumerator() | ForEach-Object { "-$($_.Key) $($_.Value)" }) -join ' '
    Write-BackupLog 'ERROR' "No volume matches $filter; nothing was backed up."
    exit 2
}
Write-BackupLog 'INFO' ("Backing up {0} volume(s) to {1}: {2}" -f
    $volumes.Count, $Repository, (($volumes | ForEach-Object Name) -join ', '))

$failed = New-Object System.Collections.Generic.List[string]
foreach ($volume in $volumes) {
    $name = $volume.Name

    # Backup. Non-terminating errors land in $stepErrors; terminating ones in the catch.
    $stepErrors = $null
    $backup = $null
    try {
        $backup = $volume | Backup-MeshVolume -Repository $Repository `
            -ErrorAction Continue -ErrorVariable stepErrors
    }
    catch {
        $stepErrors = @($_)
    }
    if ($stepErrors -or -not $backup) {
        Write-ErrorLog 'Backup' $name $stepErrors
        $failed.Add($name)
        continue
    }
    Write-BackupLog 'INFO' "Backed up '$name' as $($backup.Id)."

    # Test: restore the newest backup into a scratch volume and compare it with its manifest.
    $stepErrors = $null
    $verdict = $null
    try {
        $verdict = Get-MeshVolumeBackup -Repository $Repository -VolumeName $name -Latest `
            -ErrorAction Continue -ErrorVariable stepErrors |
            Test-MeshVolumeBackup -ErrorAction Continue -ErrorVariable +stepErrors
    }
    catch {
        $stepErrors = @($_)
    }
    if ($stepErrors -or -not $verdict -or -not $verdict.Passed) {
        if ($verdict -and -not $stepErrors) {
            $details = $verdict.PSObject.Properties |
                Where-Object { $_.Value -isnot [Collections.ICollection] } |
                ForEach-Object { "$($_.Name)=$($_.Value)" }
            Write-BackupLog 'ERROR' ("The newest backup of '{0}' failed its test: {1}" -f
                $name, ($details -join '; '))
        }
        else {
            Write-ErrorLog 'Test' $name $stepErrors
        }
        Write-BackupLog 'WARN' "Retention skipped for '$name' because its new backup is untested."
        $failed.Add($name)
        continue
    }
    Write-BackupLog 'INFO' "The newest backup of '$name' restored and matched its manifest."

    # Retention. -Confirm:$false because nobody can answer a prompt in a scheduled job.
    $stepErrors = $null
    try {
        $decisions = @(Remove-MeshVolumeBackup -Repository $Repository -VolumeName $name `
            -KeepDaily $KeepDaily -KeepWeekly $KeepWeekly -KeepMonthly $KeepMonthly `
            -Confirm:$false -ErrorAction Continue -ErrorVariable stepErrors)
    }
    catch {
        $stepErrors = @($_)
    }
    if ($stepErrors) {
        Write-ErrorLog 'Retention' $name $stepErrors
        $failed.Add($name)
        continue
    }
    $removed = @($decisions | Where-Object { $_.PSObject.Properties['Keep'] -and -not $_.Keep })
    Write-BackupLog 'INFO' ("Retention for '{0}': {1} backup(s) considered, {2} removed." -f
        $name, $decisions.Count, $removed.Count)
}

if ($failed.Count -gt 0) {
    Write-BackupLog 'ERROR' ("Nightly backup finished with failures on {0} of {1} volume(s): {2}" -f
        $failed.Count, $volumes.Count, ($failed -join ', '))
    exit 1
}
Write-BackupLog 'INFO' "Nightly backup finished: $($volumes.Count) volume(s) backed up and tested."
exit 0
