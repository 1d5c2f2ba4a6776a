<#
.SYNOPSIS
    Measures Backup-MeshVolume and Restore-MeshVolume against the usual alternatives, prints
    the results as Markdown tables and writes the same figures as JSON.
.DESCRIPTION
    Generates a reproducible data set in a new Docker volume (from -Seed), then in each of
    -Runs rounds backs it up with every method and restores every backup into a new, empty
    volume. Every MeshVolume measurement runs in a new pwsh process, and every measurement
    reports the wall time and the peak RSS of the largest process it started.

    Methods (the -Method names):
      MeshVolume        Backup-MeshVolume / Restore-MeshVolume with a folder repository
      MeshVolumeEngine  the same with -DataPath Engine (through the engine's archive API)
      HostTar           tar | zstd -3 -T0 on the host, and zstd -dc | tar -x: the machine's limit
      DockerRunLog      docker run IMAGE tar | zstd, with the engine's default log driver
      DockerRunNoLog    the same with --log-driver none
      DockerCp          docker cp CONTAINER:/data - | zstd, and zstd -dc | docker cp -
      Restic            restic's first backup of the volume's folder, and restic restore
      MeshVolumeS3      Backup-MeshVolume / Restore-MeshVolume with an s3:// repository
      AwsCopy           aws s3 cp of MeshVolume's finished archive up, and down to a file
      AwsStream         tar | zstd | aws s3 cp -, and aws s3 cp - | zstd -dc | tar -x

    Fairness: every method writes its archive to the same disk and flushes it (MeshVolume and
    restic call fsync themselves; the shell pipelines end with 'sync FILE'). Every restore
    goes into a new, empty volume and ends with 'sync --file-system' on the volumes' file
    system before the clock stops. Nothing is dropped from the page cache for any method: the
    data set and the archives are read while they are cached.

    No volume is removed before the last measurement, because ext4 without a journal skips
    inodes freed in the last 60 to 360 seconds when it creates files, which made a restore of
    100,000 files take 21 s instead of 3.3 s one minute after 900,000 files were removed. To
    bound the disk space, the files of 1 MiB and more in a restored volume are deleted once
    the restore has been checked, which frees few inodes. A full run needs about 15 GB free
    on the disk of the volumes.

    Needs Linux, root (to write volume folders), docker, tar, zstd and /usr/bin/time, and for
    some methods restic and aws (Debian awscli). It starts the test environment of
    tests/TestEnvironment.psm1 (a Docker engine, the test image and Ceph radosgw S3) unless
    DOCKER_HOST and the S3 variables already point to servers that respond.
.EXAMPLE
    ./benchmarks/Invoke-Benchmark.ps1 -ModulePath ./out/MeshVolume/MeshVolume.psd1

    The full benchmark: both data sets, 3 rounds each.
.EXAMPLE
    ./benchmarks/Invoke-Benchmark.ps1 -Scale 0.05 -Runs 1 -Method MeshVolume, HostTar

    A quick check on a data set of about 50 MB.
#>
[CmdletBinding()]
param(
    # Module manifest to measure; defaults to the build output.
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/MeshVolume/MeshVolume.psd1'),

    # Data sets to measure: Mixed (about 1 GiB) and SmallFiles (100,000 small files).
    [string[]] $DataSet = @('Mixed', 'SmallFiles'),

    # Rounds of measurements; the tables show the median, the minimum and the maximum.
    [ValidateRange(1, 50)]
    [int] $Runs = 3,

    # Multiplies every file size and file count of the data sets, such as 0.05 for a quick run.
    [ValidateRange(0.0001, 100)]
    [double] $Scale = 1,

    # Seed of the data set generator; the same seed gives the same files.
    [long] $Seed = 1,

    # Methods to measure (wildcards allowed); see the description for the names. Here and in
    # -DataSet, 'a,b' in one argument counts as two names, for pwsh -File callers.
    [string[]] $Method = '*',

    # Folder for archives and restic repositories; it should be on the disk of the volumes.
    [string] $WorkFolder = '/tmp',

    # JSON file for the results; defaults to benchmarks/results/benchmark-<time>.json.
    [string] $JsonPath,

    # Image for the docker run and docker cp methods.
    [string] $Image
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot 'BenchmarkTools.psm1') -Force

$AllMethods = @(
    @{ Id = 'MeshVolume'; Group = 'Folder'
        Backup = 'Backup-MeshVolume (folder)'; Restore = 'Restore-MeshVolume (folder)' }
    @{ Id = 'MeshVolumeEngine'; Group = 'Folder'
        Backup = 'Backup-MeshVolume -DataPath Engine'
        Restore = 'Restore-MeshVolume -DataPath Engine' }
    @{ Id = 'HostTar'; Group = 'Folder'
        Backup = 'tar | zstd on the host (limit)'
        Restore = 'zstd -dc | tar -x on the host (limit)' }
    @{ Id = 'DockerRunLog'; Group = 'Folder'
        Backup = 'docker run tar | zstd (LOGDRIVER log)'
        Restore = 'zstd -dc | docker run -i tar -x (LOGDRIVER log)' }
    @{ Id = 'DockerRunNoLog'; Group = 'Folder'
        Backup = 'docker run --log-driver none tar | zstd'
        Restore = 'zstd -dc | docker run -i --log-driver none tar -x' }
    @{ Id = 'DockerCp'; Group = 'Folder'
        Backup = 'docker cp | zstd (archive API)'
        Restore = 'zstd -dc | docker cp - (archive API)' }
    @{ Id = 'Restic'; Group = 'Folder'
        Backup = 'restic backup (first)'; Restore = 'restic restore' }
    @{ Id = 'MeshVolumeS3'; Group = 'S3'
        Backup = 'Backup-MeshVolume (S3)'; Restore = 'Restore-MeshVolume (S3)' }
    @{ Id = 'AwsCopy'; Group = 'S3'
        Backup = 'aws s3 cp of the finished archive'; Restore = 'aws s3 cp down to a file' }
    @{ Id = 'AwsStream'; Group = 'S3'
        Backup = 'tar | zstd | aws s3 cp -'; Restore = 'aws s3 cp - | zstd -dc | tar -x' }
)
# The method each group's ratios are relative to.
$ReferenceMethod = @{ Folder = 'MeshVolume'; S3 = 'MeshVolumeS3' }
# Quotes a path or argument for the bash lines of a measurement: & $Quote $path.
$Quote = ${function:ConvertTo-BashLiteral}

#region Settings and checks

function Resolve-MethodSelection {
    $selected = @($AllMethods | Where-Object {
            $id = $_.Id
            @($Method | Where-Object { $id -like $_ }).Count -gt 0
        })
    if ($selected.Count -eq 0) {
        throw ("No method matches -Method $($Method -join ', '). Use the names that " +
            "Get-Help $PSCommandPath lists.")
    }
    $ids = $selected.Id
    if ('AwsCopy' -in $ids -and 'MeshVolume' -notin $ids) {
        # AwsCopy uploads the archive that Backup-MeshVolume wrote to the folder.
        Write-Host ('AwsCopy uploads the archive of the MeshVolume method, so MeshVolume is ' +
            'measured too.')
        $selected = @($AllMethods | Where-Object { $_.Id -eq 'MeshVolume' -or $_.Id -in $ids })
    }

    $missing = @{}
    foreach ($tool in 'docker', 'tar', 'zstd', 'bash', 'sync', '/usr/bin/time') {
        if (-not (Get-Command $tool -CommandType Application -ErrorAction Ignore)) {
            throw "$tool not found: the benchmark needs docker, tar, zstd, bash and /usr/bin/time."
        }
    }
    if (-not (Get-Command restic -CommandType Application -ErrorAction Ignore)) {
        $missing['Restic'] = 'restic is not installed (Debian package restic)'
    }
    if (-not $script:AwsCommand) {
        foreach ($id in 'AwsCopy', 'AwsStream') {
            $missing[$id] = 'aws is not installed (Debian package awscli)'
        }
    }
    foreach ($item in @($selected)) {
        if ($missing.ContainsKey($item.Id)) {
            Write-Warning "Skipping $($item.Id): $($missing[$item.Id])."
            $selected = @($selected | Where-Object Id -ne $item.Id)
        }
    }
    $selected
}

function Get-ToolVersions {
    [ordered]@{
        Kernel = (& uname -r)
        Processors = [Environment]::ProcessorCount
        # The first line of /proc/meminfo is 'MemTotal: N kB', N in KiB.
        MemoryGiB = [math]::Round((Get-Content /proc/meminfo -TotalCount 1).Split(' ',
                [StringSplitOptions]::RemoveEmptyEntries)[1] / 1MB, 1)
        PowerShell = $PSVersionTable.PSVersion.ToString()
        DockerEngine = (& docker version --format '{{.Server.Version}}' 2>$null)
        DockerLogDriver = $script:LogDriver
        Tar = (& tar --version | Select-Object -First 1)
        Zstd = (& zstd --version)
        Restic = if (Get-Command restic -ErrorAction Ignore) { & restic version }
        Aws = if ($script:AwsCommand) { (& $script:AwsCommand --version 2>&1) -join ' ' }
    }
}

#endregion

#region Measurements

function Get-MeshVolumeScript([string] $Command, [hashtable] $Parameters) {
    Get-MeshVolumeCommandLine -ModulePath $ModulePath -Command $Command -Parameters $Parameters
}

function Get-AwsArguments {
    "--endpoint-url $(ConvertTo-BashLiteral $env:AWS_ENDPOINT_URL_S3) --only-show-errors"
}

function Get-S3Url([string] $Key) {
    "s3://$env:MESHVOLUME_TEST_S3_BUCKET/$Key"
}

function New-HelperContainer([string] $Volume) {
    Invoke-Checked docker @('container', 'create', '--network', 'none', '--label',
        "meshvolume.benchmark=$SessionId", '--volume', "${Volume}:/data", $Image, 'true')
}

# Returns the bash lines of one backup and what its restore needs: Archive (a file), Key (an
# S3 object), Repository, and Container (a helper container to remove afterwards).
function Get-BackupCommand($Context, [string] $Id, [string] $Folder) {
    $source = $Context.Source
    $volumeFolder = & $Quote $source.Mountpoint
    $archive = Join-Path $Folder 'archive.tar.zst'
    $flushArchive = "sync $(& $Quote $archive)"
    $zstd = "zstd -3 -T0 -q -c > $(& $Quote $archive)"
    $result = [pscustomobject]@{
        Text = $null; Artifact = @{ Archive = $archive }; Container = $null
    }

    switch ($Id) {
        { $_ -in 'MeshVolume', 'MeshVolumeEngine', 'MeshVolumeS3' } {
            $repository = $Folder
            if ($Id -eq 'MeshVolumeS3') {
                $repository = Get-S3Url "$($Context.S3Prefix)/meshvolume"
            }
            $parameters = @{ Name = $source.Name; Repository = $repository }
            if ($Id -eq 'MeshVolumeEngine') { $parameters.DataPath = 'Engine' }
            $result.Text = Get-MeshVolumeScript 'Backup-MeshVolume' $parameters
            $result.Artifact.Repository = $repository
        }
        'HostTar' {
            $result.Text = "tar -C $volumeFolder -cf - . | $zstd`n$flushArchive"
        }
        { $_ -in 'DockerRunLog', 'DockerRunNoLog' } {
            $logOption = if ($Id -eq 'DockerRunNoLog') { '--log-driver none ' } else { '' }
            $mount = & $Quote "$($source.Name):/data"
            $result.Text = "docker run --rm --network none $logOption-v $mount " +
                "$(& $Quote $Image) tar -C /data -cf - . | $zstd`n$flushArchive"
        }
        'DockerCp' {
            $result.Container = New-HelperContainer $source.Name
            $result.Text = "docker cp $(& $Quote "$($result.Container):/data") - | $zstd`n" +
                $flushArchive
        }
        'Restic' {
            $repository = Join-Path $Folder 'repository'
            $result.Artifact.Repository = $repository
            Invoke-Checked restic @('init', '--quiet', '--repo', $repository,
                '--cache-dir', $Context.ResticCache) | Out-Null
            # Backing up '.' from inside the folder makes the snapshot's root the volume root.
            $result.Text = "cd $volumeFolder`nrestic backup --quiet --repo " +
                "$(& $Quote $repository) --cache-dir $(& $Quote $Context.ResticCache) ."
        }
        'AwsCopy' {
            $upload = $Context.Artifacts['MeshVolume'].ArchivePath
            if (-not $upload) {
                throw ('The MeshVolume backup of this round failed, so there is no archive to ' +
                    'upload.')
            }
            $key = "$($Context.S3Prefix)/aws/archive.tar.zst"
            $result.Artifact = @{ Archive = $upload; Key = $key }
            $result.Text = "$script:AwsCommand s3 cp $(& $Quote $upload) " +
                "$(& $Quote (Get-S3Url $key)) $(Get-AwsArguments)"
        }
        'AwsStream' {
            $key = "$($Context.S3Prefix)/stream/archive.tar.zst"
            $result.Artifact = @{ Key = $key }
            $result.Text = "tar -C $volumeFolder -cf - . | zstd -3 -T0 -q -c | " +
                "$script:AwsCommand s3 cp - $(& $Quote (Get-S3Url $key)) $(Get-AwsArguments)"
        }
    }
    $result
}

# Returns the size of what a backup stored: the archive file, the S3 object or the restic
# repository.
function Get-ArchiveBytes([string] $Id, $Artifact, $Child) {
    switch ($Id) {
        { $_ -like 'MeshVolume*' } { return $Child.ArchiveSize }
        'Restic' {
            return (Get-ChildItem $Artifact.Repository -Recurse -File |
                    Measure-Object Length -Sum).Sum
        }
        'AwsStream' {
            return [long](& $script:AwsCommand s3api head-object --query ContentLength `
                    --bucket $env:MESHVOLUME_TEST_S3_BUCKET --key $Artifact.Key `
                    --endpoint-url $env:AWS_ENDPOINT_URL_S3 --output text)
        }
        default { return (Get-Item $Artifact.Archive).Length }
    }
}

function Invoke-Backup($Context, [string] $Id) {
    $folder = Join-Path $Context.RunFolder $Id
    New-Item -ItemType Directory -Path $folder | Out-Null
    $command = Get-BackupCommand $Context $Id $folder
    try {
        $measured = Invoke-MeasuredCommand -Script $command.Text -Description "The $Id backup"
    }
    finally {
        if ($command.Container) { & docker container rm --force $command.Container *> $null }
    }

    $sample = New-Sample $measured
    $child = $null
    if ($Id -like 'MeshVolume*') {
        $child = $measured.Output | ConvertFrom-Json
        $sample.ImportSeconds = $child.ImportSeconds
        $sample.CmdletSeconds = $child.CmdletSeconds
        $command.Artifact.BackupId = $child.Id
        if ($Id -ne 'MeshVolumeS3') {
            $command.Artifact.ArchivePath = Join-Path $folder $child.ArchiveName
        }
    }
    $sample.ArchiveBytes = Get-ArchiveBytes $Id $command.Artifact $child
    $Context.Artifacts[$Id] = $command.Artifact
    $sample
}

# Returns the bash lines of one restore into the volume TargetName, and the helper container
# to remove afterwards. Every restore into a volume ends with a flush of its file system.
function Get-RestoreCommand($Context, [string] $Id, $Artifact, [string] $TargetName) {
    $flush = "sync --file-system $(& $Quote $Context.VolumesRoot)"
    $archive = if ($Artifact.ContainsKey('Archive')) { & $Quote $Artifact.Archive }
    $result = [pscustomobject]@{ Text = $null; Container = $null }
    $target = $null
    if ($Id -notlike 'MeshVolume*' -and $Id -ne 'AwsCopy') {
        $target = & $Quote (New-BenchmarkVolume -Name $TargetName -SessionId $SessionId).Mountpoint
    }

    switch ($Id) {
        { $_ -in 'MeshVolume', 'MeshVolumeEngine', 'MeshVolumeS3' } {
            $parameters = @{
                VolumeName = $Context.Source.Name; Id = $Artifact.BackupId
                Repository = $Artifact.Repository; TargetName = $TargetName; Confirm = $false
            }
            if ($Id -eq 'MeshVolumeEngine') { $parameters.DataPath = 'Engine' }
            $result.Text = (Get-MeshVolumeScript 'Restore-MeshVolume' $parameters) + "`n$flush"
        }
        'HostTar' {
            $result.Text = "zstd -dc $archive | tar -C $target -xf -`n$flush"
        }
        { $_ -in 'DockerRunLog', 'DockerRunNoLog' } {
            $logOption = if ($Id -eq 'DockerRunNoLog') { '--log-driver none ' } else { '' }
            $result.Text = "zstd -dc $archive | docker run -i --rm --network none $logOption" +
                "-v $(& $Quote "${TargetName}:/data") $(& $Quote $Image) tar -C /data -xf -`n" +
                $flush
        }
        'DockerCp' {
            # The archive's entries start with data/, the folder the volume is mounted on.
            $result.Container = New-HelperContainer $TargetName
            $result.Text = "zstd -dc $archive | docker cp - " +
                "$(& $Quote "$($result.Container):/")`n$flush"
        }
        'Restic' {
            $repository = & $Quote $Artifact.Repository
            $result.Text = "restic restore latest --quiet --repo $repository " +
                "--cache-dir $(& $Quote $Context.ResticCache) --target $target`n$flush"
        }
        'AwsCopy' {
            $download = & $Quote (Join-Path $Context.RunFolder 'aws-download.tar.zst')
            $result.Text = "$script:AwsCommand s3 cp $(& $Quote (Get-S3Url $Artifact.Key)) " +
                "$download $(Get-AwsArguments)`nsync $download"
        }
        'AwsStream' {
            $result.Text = "$script:AwsCommand s3 cp $(& $Quote (Get-S3Url $Artifact.Key)) - " +
                "$(Get-AwsArguments) | zstd -dc | tar -C $target -xf -`n$flush"
        }
    }
    $result
}

function Invoke-Restore($Context, [string] $Id) {
    $artifact = $Context.Artifacts[$Id]
    if (-not $artifact) {
        throw "The $Id backup of this round failed, so there is nothing to restore."
    }
    $targetName = "$($Context.Source.Name)-r$($Context.Run)-$($Id.ToLowerInvariant())"
    $command = Get-RestoreCommand $Context $Id $artifact $targetName
    try {
        $measured = Invoke-MeasuredCommand -Script $command.Text -Description "The $Id restore"
    }
    finally {
        if ($command.Container) { & docker container rm --force $command.Container *> $null }
    }

    $sample = New-Sample $measured
    if ($Id -like 'MeshVolume*') {
        $child = $measured.Output | ConvertFrom-Json
        $sample.ImportSeconds = $child.ImportSeconds
        $sample.CmdletSeconds = $child.CmdletSeconds
        $sample.DataPath = $child.DataPath
    }

    if ($Id -eq 'AwsCopy') {
        $download = Join-Path $Context.RunFolder 'aws-download.tar.zst'
        $expected = (Get-Item $artifact.Archive).Length
        $actual = (Get-Item $download).Length
        Remove-Item $download
        if ($actual -ne $expected) { throw "aws s3 cp downloaded $actual bytes of $expected." }
    }
    else {
        $folder = Get-VolumeMountpoint $targetName
        Assert-RestoredVolume $Context $folder $Id
        Remove-LargeFiles $folder
    }
    $sample
}

function New-Sample($Measured) {
    [ordered]@{
        Seconds = [math]::Round($Measured.Seconds, 3)
        PeakRssBytes = $Measured.PeakRssBytes
        ArchiveBytes = $null
        ImportSeconds = $null
        CmdletSeconds = $null
        DataPath = $null
        LoadAverage = (Get-LoadAverage)[0]
    }
}

# Compares the number of files and their total size with the data set, outside the timing.
function Assert-RestoredVolume($Context, [string] $Folder, [string] $Id) {
    $totals = & bash -c "find $(ConvertTo-BashLiteral $Folder) -type f -printf '%s\n' |
        awk '{ n++; s += `$1 } END { printf `"%d %d`", n, s }'"
    $count, $bytes = $totals -split ' '
    $data = $Context.Data
    if ([long]$count -ne $data.FileCount -or [long]$bytes -ne $data.ContentBytes) {
        throw ("The $Id restore is incomplete: $count files, $bytes bytes; the data set has " +
            "$($data.FileCount) files, $($data.ContentBytes) bytes.")
    }
}

# Frees the disk space of a checked restore while deleting only a few inodes: the volume
# itself stays until the end of the benchmark.
function Remove-LargeFiles([string] $Folder) {
    & find $Folder -type f -size +1M -delete
    if ($LASTEXITCODE -ne 0) { Write-Warning "Could not delete the large files in $Folder." }
}

function Remove-S3Prefix([string] $Prefix) {
    if (-not $script:S3Ready) { return }
    & $script:AwsCommand s3 rm (Get-S3Url "$Prefix/") --recursive `
        --endpoint-url $env:AWS_ENDPOINT_URL_S3 --only-show-errors 2>&1 | Out-Null
}

#endregion

#region One data set

function Invoke-DataSet([string] $Name) {
    $spec = Get-BenchmarkDataSetSpec -Name $Name -Scale $Scale
    $sourceName = "mvbench-$SessionId-$($Name.ToLowerInvariant())"
    Write-Host "Data set ${Name}: generating into the volume $sourceName"
    $source = New-BenchmarkVolume -Name $sourceName -SessionId $SessionId
    $data = Write-BenchmarkDataSet -Spec $spec -Folder $source.Mountpoint -Seed $Seed
    Write-Host ("  $($data.FileCount) files, $([math]::Round($data.ContentBytes / 1e6, 1)) MB, " +
        "in $($data.GenerateSeconds) s; fingerprint $($data.Fingerprint.Substring(0, 16))")

    $results = [ordered]@{}
    foreach ($operation in 'Backup', 'Restore') {
        foreach ($item in $SelectedMethods) {
            $results["$operation/$($item.Id)"] = [ordered]@{
                Operation = $operation; Method = $item.Id; Group = $item.Group
                Label = $item[$operation].Replace('LOGDRIVER', $LogDriver)
                Samples = [System.Collections.Generic.List[object]]::new()
                Errors = [System.Collections.Generic.List[string]]::new()
            }
        }
    }

    for ($run = 1; $run -le $Runs; $run++) {
        $context = [pscustomobject]@{
            Run = $run; Source = $source; Data = $data
            VolumesRoot = Split-Path (Split-Path $source.Mountpoint)
            RunFolder = Join-Path $SessionFolder "$Name-$run"
            ResticCache = Join-Path $SessionFolder 'restic-cache'
            S3Prefix = "meshvolume-benchmark-$SessionId/$Name-$run"
            Artifacts = @{}
        }
        New-Item -ItemType Directory -Path $context.RunFolder | Out-Null
        try {
            foreach ($operation in 'Backup', 'Restore') {
                foreach ($item in $SelectedMethods) {
                    Invoke-OneMeasurement $context $operation $item.Id $results
                }
            }
        }
        finally {
            Remove-Item $context.RunFolder -Recurse -Force -ErrorAction Ignore
            Remove-S3Prefix $context.S3Prefix
        }
    }

    [ordered]@{
        Name = $Name
        ContentBytes = $data.ContentBytes
        FileCount = $data.FileCount
        Seed = $Seed
        Scale = $Scale
        Fingerprint = $data.Fingerprint
        Targets = $null
        Results = @(Get-Summary $data $results.Values)
    }
}

function Invoke-OneMeasurement($Context, [string] $Operation, [string] $Id, $Results) {
    $entry = $Results["$Operation/$Id"]
    $text = "  round $($Context.Run) ${Operation}: $($entry.Label)"
    try {
        if ($Operation -eq 'Backup') {
            $sample = Invoke-Backup $Context $Id
        }
        else {
            $sample = Invoke-Restore $Context $Id
        }
        $entry.Samples.Add($sample)
        $rate = $Context.Data.ContentBytes / 1e6 / $sample.Seconds
        $peak = [math]::Round($sample.PeakRssBytes / 1e6)
        Write-Host ("$text -> $($sample.Seconds.ToString('0.00')) s, " +
            "$($rate.ToString('0.0')) MB/s, peak RSS $peak MB")
    }
    catch [System.OperationCanceledException] {
        throw
    }
    catch {
        $entry.Errors.Add("round $($Context.Run): $($_.Exception.Message)")
        Write-Warning "$text failed: $($_.Exception.Message)"
    }
}

function Get-Summary($Data, $Entries) {
    $rows = foreach ($entry in $Entries) {
        $row = [ordered]@{
            Operation = $entry.Operation; Method = $entry.Method; Group = $entry.Group
            Label = $entry.Label; Runs = $entry.Samples.Count
            MedianSeconds = $null; MinSeconds = $null; MaxSeconds = $null
            MedianMBps = $null; MinMBps = $null; MaxMBps = $null; RatioToMeshVolume = $null
            ArchiveBytes = $null; PeakRssBytes = $null
            Samples = @($entry.Samples); Errors = @($entry.Errors)
        }
        if ($entry.Samples.Count -gt 0) {
            $seconds = [double[]]@($entry.Samples | ForEach-Object { $_.Seconds })
            $megabytes = $Data.ContentBytes / 1e6
            $row.MedianSeconds = [math]::Round((Get-Median $seconds), 3)
            $row.MinSeconds = ($seconds | Measure-Object -Minimum).Minimum
            $row.MaxSeconds = ($seconds | Measure-Object -Maximum).Maximum
            $row.MedianMBps = [math]::Round($megabytes / $row.MedianSeconds, 1)
            $row.MinMBps = [math]::Round($megabytes / $row.MaxSeconds, 1)
            $row.MaxMBps = [math]::Round($megabytes / $row.MinSeconds, 1)
            $archives = @($entry.Samples | Where-Object { $null -ne $_.ArchiveBytes } |
                    ForEach-Object { [double]$_.ArchiveBytes })
            if ($archives) { $row.ArchiveBytes = [long](Get-Median $archives) }
            $row.PeakRssBytes = ($entry.Samples | ForEach-Object { $_.PeakRssBytes } |
                    Measure-Object -Maximum).Maximum
        }
        [pscustomobject]$row
    }
    foreach ($row in $rows) {
        $reference = $rows | Where-Object {
            $_.Operation -eq $row.Operation -and $_.Method -eq $ReferenceMethod[$row.Group]
        }
        if ($reference -and $reference.MedianMBps -and $row.MedianMBps) {
            $row.RatioToMeshVolume = [math]::Round($row.MedianMBps / $reference.MedianMBps, 2)
        }
    }
    $rows
}

#endregion

#region Report

function Get-Row($Rows, [string] $Operation, [string] $Id) {
    $Rows | Where-Object { $_.Operation -eq $Operation -and $_.Method -eq $Id -and $_.MedianMBps }
}

function Get-TargetChecks($DataSetResult) {
    $rows = $DataSetResult.Results
    $checks = [System.Collections.Generic.List[object]]::new()
    function Add-Check([string] $Target, $Row, $Limit, [double] $Share, [string] $LimitName) {
        if (-not $Row -or -not $Limit) { return }
        $goal = $Limit.MedianMBps * $Share
        $checks.Add([pscustomobject][ordered]@{
                Target = $Target
                MeasuredMBps = $Row.MedianMBps
                GoalMBps = [math]::Round($goal, 1)
                Basis = $LimitName
                Met = $Row.MedianMBps -ge $goal
            })
    }

    $backup = Get-Row $rows 'Backup' 'MeshVolume'
    $restore = Get-Row $rows 'Restore' 'MeshVolume'
    Add-Check 'Backup to a folder >= 70% of the host limit' $backup `
        (Get-Row $rows 'Backup' 'HostTar') 0.7 '70% of tar | zstd on the host'
    Add-Check 'Restore from a folder >= restic restore' $restore `
        (Get-Row $rows 'Restore' 'Restic') 1 'restic restore'
    Add-Check 'Restore from a folder >= half the host limit' $restore `
        (Get-Row $rows 'Restore' 'HostTar') 0.5 '50% of zstd -dc | tar -x on the host'
    Add-Check 'Backup to S3 >= 90% of aws s3 cp' (Get-Row $rows 'Backup' 'MeshVolumeS3') `
        (Get-Row $rows 'Backup' 'AwsCopy') 0.9 '90% of aws s3 cp of the archive'

    $meshRows = @($rows | Where-Object { $_.Method -like 'MeshVolume*' -and $_.PeakRssBytes })
    if ($meshRows) {
        $peak = ($meshRows | Measure-Object PeakRssBytes -Maximum).Maximum
        $checks.Add([pscustomobject][ordered]@{
                Target = 'Peak memory of the pwsh process < 250 MB'
                MeasuredMB = [math]::Round($peak / 1e6)
                GoalMB = 250
                Basis = 'maximum over every MeshVolume measurement'
                Met = $peak -lt 250e6
            })
    }
    $checks
}

function Format-Number($Value, [string] $Format = '0.0') {
    if ($null -eq $Value) { return '-' }
    ([double]$Value).ToString($Format, [Globalization.CultureInfo]::InvariantCulture)
}

function ConvertTo-MarkdownCell([string] $Text) {
    $Text.Replace('|', '\|')
}

function Format-ResultTable($DataSetResult) {
    '| Operation | Method | MB/s (median) | MB/s (min-max) | vs MeshVolume | Archive MB | ' +
        'Peak RSS MB |'
    '|---|---|--:|--:|--:|--:|--:|'
    foreach ($row in $DataSetResult.Results) {
        $rate = 'failed'
        $spread = '-'
        if ($row.MedianMBps) {
            $rate = Format-Number $row.MedianMBps
            $spread = "$(Format-Number $row.MinMBps)-$(Format-Number $row.MaxMBps)"
        }
        $archive = if ($null -ne $row.ArchiveBytes) { Format-Number ($row.ArchiveBytes / 1e6) '0' }
        else { '-' }
        $rss = if ($row.PeakRssBytes) { Format-Number ($row.PeakRssBytes / 1e6) '0' } else { '-' }
        "| $($row.Operation) | $(ConvertTo-MarkdownCell $row.Label) | $rate | $spread | " +
            "$(Format-Number $row.RatioToMeshVolume '0.00') | $archive | $rss |"
    }
}

# The wall time of a MeshVolume measurement split into starting pwsh (until the child script
# runs, and its exit), Import-Module, and the cmdlet itself.
function Format-TimingTable($DataSetResult) {
    $rows = @($DataSetResult.Results | Where-Object {
            $_.Method -like 'MeshVolume*' -and $_.MedianMBps
        })
    if (-not $rows) { return }

    '| MeshVolume (medians) | wall s | pwsh start s | Import-Module s | cmdlet s |'
    '|---|--:|--:|--:|--:|'
    foreach ($row in $rows) {
        $import = Get-Median ([double[]]@($row.Samples | ForEach-Object { $_.ImportSeconds }))
        $cmdlet = Get-Median ([double[]]@($row.Samples | ForEach-Object { $_.CmdletSeconds }))
        $start = $row.MedianSeconds - $import - $cmdlet
        "| $($row.Operation): $($row.Label) | $(Format-Number $row.MedianSeconds '0.00') | " +
            "$(Format-Number $start '0.00') | $(Format-Number $import '0.00') | " +
            "$(Format-Number $cmdlet '0.00') |"
    }
}

function Format-TargetTable($DataSetResult) {
    if (-not $DataSetResult.Targets) { return }

    '| Target | Measured | Goal | Met |'
    '|---|--:|--:|---|'
    foreach ($check in $DataSetResult.Targets) {
        if ($check.PSObject.Properties['MeasuredMB']) {
            $measured = "$($check.MeasuredMB) MB"
            $goal = "< $($check.GoalMB) MB"
        }
        else {
            $measured = "$(Format-Number $check.MeasuredMBps) MB/s"
            $goal = "$(Format-Number $check.GoalMBps) MB/s ($(ConvertTo-MarkdownCell $check.Basis))"
        }
        $met = if ($check.Met) { 'yes' } else { 'no' }
        "| $($check.Target) | $measured | $goal | $met |"
    }
}

function Format-MarkdownReport($Report) {
    foreach ($set in $Report.DataSets) {
        ''
        "### $($set.Name): $(Format-Number ($set.ContentBytes / 1e6) '0') MB in " +
            "$($set.FileCount) files, $($Report.Settings.Runs) runs"
        ''
        Format-ResultTable $set
        ''
        Format-TimingTable $set
        ''
        Format-TargetTable $set
        foreach ($row in @($set.Results | Where-Object { $_.Errors.Count -gt 0 })) {
            foreach ($message in $row.Errors) { "- $($row.Operation) $($row.Method) $message" }
        }
    }
}

#endregion

#region Main

$ModulePath = (Resolve-Path $ModulePath -ErrorAction Stop).Path
$Method = @($Method -split ',' | Where-Object { $_ })
$DataSet = @($DataSet -split ',' | Where-Object { $_ })
foreach ($name in $DataSet) {
    if ($name -notin 'Mixed', 'SmallFiles') {
        throw "-DataSet $name is not a data set: use Mixed, SmallFiles or both."
    }
}
if (-not $IsLinux) { throw 'The benchmark reads volume folders on the host, which needs Linux.' }
if (-not $Image) {
    $Image = if ($env:MESHVOLUME_TEST_IMAGE) { $env:MESHVOLUME_TEST_IMAGE }
    else { 'meshvolume-test/busybox:latest' }
}
$script:AwsCommand = if (Test-Path /usr/bin/aws) { '/usr/bin/aws' }
else {
    (Get-Command aws -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source
}
$SelectedMethods = @(Resolve-MethodSelection)
$needS3 = @($SelectedMethods | Where-Object Group -eq 'S3').Count -gt 0
$SessionId = [guid]::NewGuid().ToString('N').Substring(0, 8)
$SessionFolder = Join-Path $WorkFolder "mvbench-$SessionId"
$script:S3Ready = $false
if (-not $JsonPath) {
    $timestamp = Get-Date -Format 'yyyyMMdd-HHmmss'
    $JsonPath = Join-Path $PSScriptRoot "results/benchmark-$timestamp.json"
}

$savedPassword = $env:RESTIC_PASSWORD
$environment = $null
Import-Module (Join-Path $PSScriptRoot '../tests/TestEnvironment.psm1') -Force
try {
    try {
        $environment = Start-MeshTestEnvironment -Docker -S3:$needS3
        $script:S3Ready = $needS3
    }
    catch {
        if (-not $needS3) { throw }
        Write-Warning "S3 is not available, so the S3 methods are skipped: $($_.Exception.Message)"
        $SelectedMethods = @($SelectedMethods | Where-Object Group -ne 'S3')
        $environment = Start-MeshTestEnvironment -Docker
    }
    $script:LogDriver = & docker info --format '{{.LoggingDriver}}'
    # restic reads the repository password from this variable; the repositories are temporary.
    $env:RESTIC_PASSWORD = "mvbench-$SessionId"
    New-Item -ItemType Directory -Path $SessionFolder | Out-Null

    $started = Get-Date
    $loadBefore = Get-LoadAverage
    Write-Host ("Benchmark $SessionId`: $($SelectedMethods.Count) methods, $Runs runs, scale " +
        "$Scale, load average $($loadBefore -join ', ')")
    $dataSets = foreach ($name in $DataSet) {
        $result = Invoke-DataSet $name
        $result.Targets = @(Get-TargetChecks $result)
        $result
    }

    $report = [ordered]@{
        Started = $started.ToUniversalTime().ToString('o')
        Finished = (Get-Date).ToUniversalTime().ToString('o')
        LoadAverageBefore = $loadBefore
        LoadAverageAfter = Get-LoadAverage
        Machine = Get-ToolVersions
        Settings = [ordered]@{
            Runs = $Runs; Scale = $Scale; Seed = $Seed
            Image = $Image; Module = $ModulePath
            PageCache = 'nothing dropped for any method'
            Flush = 'sync FILE after each archive; sync --file-system after each restore'
            Removal = 'volumes removed only after the last measurement'
            Units = 'MB = 1,000,000 bytes; MB/s = data set content bytes / wall seconds'
        }
        DataSets = @($dataSets)
    }
    $folder = Split-Path $JsonPath
    if ($folder -and -not (Test-Path $folder)) { New-Item -ItemType Directory $folder | Out-Null }
    $report | ConvertTo-Json -Depth 8 | Set-Content -Path $JsonPath -Encoding utf8

    Write-Host ((Format-MarkdownReport $report) -join "`n")
    Write-Host ''
    Write-Host ("Load average before $($loadBefore -join ', '), after " +
        "$($report.LoadAverageAfter -join ', '). Results: $JsonPath")
}
finally {
    Remove-BenchmarkVolume -SessionId $SessionId | Out-Null
    Remove-Item $SessionFolder -Recurse -Force -ErrorAction Ignore
    Remove-S3Prefix "meshvolume-benchmark-$SessionId"
    if ($null -eq $savedPassword) { Remove-Item Env:RESTIC_PASSWORD -ErrorAction Ignore }
    else { $env:RESTIC_PASSWORD = $savedPassword }
    if ($environment) { Stop-MeshTestEnvironment $environment }
}

#endregion
