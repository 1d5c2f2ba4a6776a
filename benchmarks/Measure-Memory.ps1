<#
.SYNOPSIS
    Backs up large, nearly incompressible volumes with Backup-MeshVolume and reports the peak
    RSS of the pwsh process, to check the target of less than 250 MB.
.DESCRIPTION
    For each size in -SizeGiB it creates a volume, fills it from -Seed (94% random bytes in
    files of 256 MiB, 5% log text, 1% small files), backs it up to a folder in a new pwsh
    process under /usr/bin/time, and reports the wall time and the peak RSS of that process.
    -Restore also restores each backup into a new volume, and -S3 also backs up to S3.
    Everything the script creates is removed at the end.

    Disk space: about twice the volume size (volume and archive), three times with -Restore.
    With -S3 and no S3 server configured, it starts the test Ceph radosgw with its objects on
    disk (MESHVOLUME_TEST_CEPH_OBJECTSTORE=bluestore) and a device large enough for the
    largest archive, unless those variables are already set.
.EXAMPLE
    ./benchmarks/Measure-Memory.ps1 -SizeGiB 1, 8

    Backs up a 1 GiB and an 8 GiB volume and prints the peak RSS of each backup.
#>
[CmdletBinding()]
param(
    # Module manifest to measure; defaults to the build output.
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/MeshVolume/MeshVolume.psd1'),

    # Volume sizes in GiB; '1,8' in one argument counts as two sizes, for pwsh -File callers.
    [string[]] $SizeGiB = @('1', '8'),

    # Also restores each backup into a new volume and measures that process.
    [switch] $Restore,

    # Also backs up to S3 (the test environment's bucket) and measures that process.
    [switch] $S3,

    # Seed of the data set generator.
    [long] $Seed = 1,

    # Folder for the backup repository; it should be on the disk of the volumes.
    [string] $WorkFolder = '/tmp',

    # Peak RSS limit in MB (1,000,000 bytes) that the table checks against.
    [double] $LimitMB = 250,

    # JSON file for the results; defaults to benchmarks/results/memory-<time>.json.
    [string] $JsonPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot 'BenchmarkTools.psm1') -Force
Import-Module (Join-Path $PSScriptRoot '../tests/TestEnvironment.psm1') -Force

$ModulePath = (Resolve-Path $ModulePath).Path
if (-not $JsonPath) {
    $timestamp = Get-Date -Format 'yyyyMMdd-HHmmss'
    $JsonPath = Join-Path $PSScriptRoot "results/memory-$timestamp.json"
}
$SizeGiB = @($SizeGiB -split ',' | Where-Object { $_ } | ForEach-Object {
        $size = 0.0
        $parsed = [double]::TryParse($_, [Globalization.NumberStyles]::Float,
            [Globalization.CultureInfo]::InvariantCulture, [ref] $size)
        if (-not $parsed -or $size -le 0) { throw "-SizeGiB $_ is not a positive number of GiB." }
        $size
    })
$sessionId = [guid]::NewGuid().ToString('N').Substring(0, 8)
$sessionFolder = Join-Path $WorkFolder "mvmem-$sessionId"
$s3Prefix = "meshvolume-memory-$sessionId"
$results = [System.Collections.Generic.List[object]]::new()
# Debian's awscli, when installed, rather than another copy earlier on the PATH.
$awsCommand = if (Test-Path /usr/bin/aws) { '/usr/bin/aws' } else { 'aws' }

function Invoke-MeasuredCmdlet([string] $Command, [hashtable] $Parameters, [string] $Description,
    [double] $Size, $Data) {
    $commandText = Get-MeshVolumeCommandLine -ModulePath $ModulePath -Command $Command `
        -Parameters $Parameters
    $measured = Invoke-MeasuredCommand -Script $commandText -Description $Description
    $child = $measured.Output | ConvertFrom-Json
    $row = [pscustomobject][ordered]@{
        SizeGiB = $Size
        Operation = $Description
        ContentBytes = $Data.ContentBytes
        Seconds = [math]::Round($measured.Seconds, 2)
        MBps = [math]::Round($Data.ContentBytes / 1e6 / $measured.Seconds, 1)
        PeakRssMB = [math]::Round($measured.PeakRssBytes / 1e6)
        BelowLimit = $measured.PeakRssBytes -lt $LimitMB * 1e6
        ArchiveBytes = $child.ArchiveSize
    }
    Write-Host ("  $Description -> $($row.Seconds) s, $($row.MBps) MB/s, peak RSS " +
        "$($row.PeakRssMB) MB")
    $results.Add($row)
    $child
}

$savedCephVariables = @{}
$environment = $null
try {
    if ($S3 -and -not $env:MESHVOLUME_TEST_S3_BUCKET) {
        # memstore would keep every object in memory, so store them in a sparse file instead.
        $largest = [math]::Ceiling(($SizeGiB | Measure-Object -Maximum).Maximum)
        $cephDefaults = @{
            MESHVOLUME_TEST_CEPH_OBJECTSTORE = 'bluestore'
            MESHVOLUME_TEST_CEPH_DEVICE_GIB = "$([math]::Max(8, 2 * $largest + 4))"
        }
        foreach ($name in $cephDefaults.Keys) {
            $savedCephVariables[$name] = [Environment]::GetEnvironmentVariable($name)
            if (-not $savedCephVariables[$name]) {
                [Environment]::SetEnvironmentVariable($name, $cephDefaults[$name])
            }
        }
    }
    $environment = Start-MeshTestEnvironment -Docker -S3:$S3
    New-Item -ItemType Directory -Path $sessionFolder | Out-Null
    $loadBefore = Get-LoadAverage

    foreach ($size in $SizeGiB) {
        $sizeText = $size.ToString([Globalization.CultureInfo]::InvariantCulture)
        $name = "mvmem-$sessionId-$($sizeText.Replace('.', '-'))g"
        Write-Host "Volume $name`: generating $size GiB"
        $volume = New-BenchmarkVolume -Name $name -SessionId $sessionId
        $spec = Get-BenchmarkDataSetSpec -Name Memory -SizeGiB $size
        $data = Write-BenchmarkDataSet -Spec $spec -Folder $volume.Mountpoint -Seed $Seed
        Write-Host ("  $($data.FileCount) files, $([math]::Round($data.ContentBytes / 1e6)) MB " +
            "in $($data.GenerateSeconds) s")

        $repository = Join-Path $sessionFolder $name
        $parameters = @{ Name = $name; Repository = $repository }
        $backup = Invoke-MeasuredCmdlet 'Backup-MeshVolume' $parameters 'Backup to a folder' `
            $size $data
        if ($S3) {
            $s3Repository = "s3://$env:MESHVOLUME_TEST_S3_BUCKET/$s3Prefix"
            $parameters = @{ Name = $name; Repository = $s3Repository }
            Invoke-MeasuredCmdlet 'Backup-MeshVolume' $parameters 'Backup to S3' $size $data |
                Out-Null
            & $awsCommand s3 rm "$s3Repository/" --recursive --only-show-errors `
                --endpoint-url $env:AWS_ENDPOINT_URL_S3 2>&1 | Out-Null
        }
        if ($Restore) {
            $parameters = @{
                VolumeName = $name; Id = $backup.Id; Repository = $repository
                TargetName = "$name-restored"; Confirm = $false
            }
            Invoke-MeasuredCmdlet 'Restore-MeshVolume' $parameters 'Restore from a folder' `
                $size $data | Out-Null
        }

        # Frees the disk before the next, larger volume.
        Remove-BenchmarkVolume -SessionId $sessionId | Out-Null
        Remove-Item $repository -Recurse -Force
    }

    Write-Host ''
    Write-Host "| Volume | Operation | MB/s | Peak RSS MB | < $LimitMB MB |"
    Write-Host '|---|---|--:|--:|---|'
    foreach ($row in $results) {
        Write-Host ("| $($row.SizeGiB) GiB ($([math]::Round($row.ContentBytes / 1e6)) MB) | " +
            "$($row.Operation) | $($row.MBps) | $($row.PeakRssMB) | " +
            "$(if ($row.BelowLimit) { 'yes' } else { 'no' }) |")
    }
    $loadAfter = Get-LoadAverage
    Write-Host "Load average before $($loadBefore -join ', '), after $($loadAfter -join ', ')."
    $folder = Split-Path $JsonPath
    if ($folder -and -not (Test-Path $folder)) { New-Item -ItemType Directory $folder | Out-Null }
    [ordered]@{
        Finished = (Get-Date).ToUniversalTime().ToString('o')
        LoadAverageBefore = $loadBefore; LoadAverageAfter = $loadAfter
        Seed = $Seed; LimitMB = $LimitMB; Results = $results
    } | ConvertTo-Json -Depth 4 | Set-Content -Path $JsonPath -Encoding utf8
    Write-Host "Results: $JsonPath"
}
finally {
    Remove-BenchmarkVolume -SessionId $sessionId | Out-Null
    Remove-Item $sessionFolder -Recurse -Force -ErrorAction Ignore
    if ($S3 -and $env:MESHVOLUME_TEST_S3_BUCKET) {
        & $awsCommand s3 rm "s3://$env:MESHVOLUME_TEST_S3_BUCKET/$s3Prefix/" --recursive `
            --endpoint-url $env:AWS_ENDPOINT_URL_S3 --only-show-errors 2>&1 | Out-Null
    }
    if ($environment) { Stop-MeshTestEnvironment $environment }
    foreach ($name in $savedCephVariables.Keys) {
        [Environment]::SetEnvironmentVariable($name, $savedCephVariables[$name])
    }
}
