# Shared parts of Invoke-Benchmark.ps1 and Measure-Memory.ps1: the data set generator, Docker
# volume helpers, and a runner that measures the wall time and peak RSS of a bash script.
# Linux only: it reads volume folders on the host and runs /usr/bin/time (Debian package time).

Set-StrictMode -Version 3.0

# Label on every volume the benchmark creates; its value is the session id of one benchmark run.
$script:SessionLabel = 'meshvolume.benchmark'

#region Data sets

function Initialize-DataSetGenerator {
    if (-not ('MeshVolumeBenchmark.DataSetWriter' -as [type])) {
        Add-Type -Path (Join-Path $PSScriptRoot 'DataSetGenerator.cs')
    }
}

<#
.SYNOPSIS
    Returns the layout of a named data set; Scale multiplies every size and file count.
.DESCRIPTION
    Mixed (about 1 GiB at Scale 1): 3 random files and 3 log text files of 128 MiB each, and
    20,000 small files of 1 byte to 26 KiB (half text, half random) in nested folders.
    SmallFiles (about 200 MiB): 100,000 files of 0 to 4 KiB (three quarters text).
    Memory (SizeGiB, for Measure-Memory.ps1): 94% random files of 256 MiB, 5% log text and
    1% small files, which is close to incompressible.
#>
function Get-BenchmarkDataSetSpec {
    param(
        [Parameter(Mandatory)] [ValidateSet('Mixed', 'SmallFiles', 'Memory')] [string] $Name,
        [double] $Scale = 1,
        [double] $SizeGiB = 8
    )

    function Scaled([double] $value, [double] $minimum) {
        [math]::Max($minimum, [math]::Round($value * $Scale))
    }

    switch ($Name) {
        'Mixed' {
            [pscustomobject]@{
                Name = $Name
                RandomFiles = 3; RandomFileSize = (Scaled 128MB 64KB)
                TextFiles = 3; TextFileSize = (Scaled 128MB 64KB)
                SmallFiles = (Scaled 20000 10); SmallMinimumSize = 1; SmallMaximumSize = 26KB
                SmallTextShare = 0.5
            }
        }
        'SmallFiles' {
            [pscustomobject]@{
                Name = $Name
                RandomFiles = 0; RandomFileSize = 0
                TextFiles = 0; TextFileSize = 0
                SmallFiles = (Scaled 100000 10); SmallMinimumSize = 0; SmallMaximumSize = 4KB
                SmallTextShare = 0.75
            }
        }
        'Memory' {
            $total = $SizeGiB * 1GB * $Scale
            $randomFiles = [math]::Max(1, [math]::Floor($total * 0.94 / 256MB))
            [pscustomobject]@{
                Name = $Name
                RandomFiles = $randomFiles
                RandomFileSize = [long][math]::Floor($total * 0.94 / $randomFiles)
                TextFiles = 1; TextFileSize = [long]($total * 0.05)
                SmallFiles = [int][math]::Max(10, $total * 0.01 / 13KB)
                SmallMinimumSize = 1; SmallMaximumSize = 26KB; SmallTextShare = 0.5
            }
        }
    }
}

<#
.SYNOPSIS
    Writes a data set into an empty folder and returns its totals and fingerprint.
.DESCRIPTION
    The same Spec and Seed give the same paths and bytes on every machine; the Fingerprint
    (SHA-256 over paths, sizes and contents) shows that. Folders and files belong to the
    user running the script. The data is flushed to disk before the function returns, so
    that writing it back does not slow the first measurement.
#>
function Write-BenchmarkDataSet {
    param(
        [Parameter(Mandatory)] $Spec,
        [Parameter(Mandatory)] [string] $Folder,
        [long] $Seed = 1
    )

    Initialize-DataSetGenerator
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $writer = [MeshVolumeBenchmark.DataSetWriter]::new($Folder, [uint64]$Seed)
    try {
        if ($Spec.RandomFiles -gt 0) {
            $writer.WriteLargeFiles('random', $Spec.RandomFiles, $Spec.RandomFileSize, $false)
        }
        if ($Spec.TextFiles -gt 0) {
            $writer.WriteLargeFiles('text', $Spec.TextFiles, $Spec.TextFileSize, $true)
        }
        if ($Spec.SmallFiles -gt 0) {
            $writer.WriteSmallFiles('small', $Spec.SmallFiles, $Spec.SmallMinimumSize,
                $Spec.SmallMaximumSize, $Spec.SmallTextShare)
        }
        & sync --file-system $Folder
        [pscustomobject]@{
            Name = $Spec.Name
            ContentBytes = $writer.ContentBytes
            FileCount = $writer.FileCount
            Fingerprint = $writer.Fingerprint
            Seed = $Seed
            GenerateSeconds = [math]::Round($watch.Elapsed.TotalSeconds, 1)
        }
    }
    finally {
        $writer.Dispose()
    }
}

#endregion

#region Processes

<#
.SYNOPSIS
    Quotes a string for bash, so that it stays one word whatever it contains.
#>
function ConvertTo-BashLiteral([string] $Text) {
    "'" + $Text.Replace("'", "'\''") + "'"
}

<#
.SYNOPSIS
    Returns the bash command line that starts a new pwsh process like the current one.
.DESCRIPTION
    A dotnet tool runs pwsh as 'dotnet pwsh.dll'; an installed pwsh is its own executable.
#>
function Get-PwshCommandLine {
    $executable = [Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($executable) -eq 'dotnet') {
        return "$(ConvertTo-BashLiteral $executable) $(ConvertTo-BashLiteral "$PSHOME/pwsh.dll")"
    }
    ConvertTo-BashLiteral $executable
}

# Runs in a new pwsh: imports the module, runs one cmdlet with the parameters from
# MVBENCH_PARAMETERS (JSON), and prints the timings and the cmdlet's output as one JSON line.
$script:ChildScript = @'
$ErrorActionPreference = 'Stop'
$watch = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module $env:MVBENCH_MODULE
$importSeconds = $watch.Elapsed.TotalSeconds
$parameters = ConvertFrom-Json $env:MVBENCH_PARAMETERS -AsHashtable
$watch.Restart()
$result = & $env:MVBENCH_COMMAND @parameters
[pscustomobject]@{
    ImportSeconds = $importSeconds
    CmdletSeconds = $watch.Elapsed.TotalSeconds
    Id = $result.Id
    ArchiveName = $result.ArchiveName
    ArchiveSize = $result.ArchiveSize
    DataPath = $result.DataPath
} | ConvertTo-Json -Compress
'@

<#
.SYNOPSIS
    Returns bash lines that run one MeshVolume cmdlet in a new pwsh process.
.DESCRIPTION
    The process prints one JSON line: ImportSeconds (Import-Module), CmdletSeconds (the
    cmdlet), and Id, ArchiveName, ArchiveSize and DataPath from the cmdlet's output.
    Parameters must convert to JSON and back, such as strings, numbers and booleans.
#>
function Get-MeshVolumeCommandLine {
    param(
        [Parameter(Mandatory)] [string] $ModulePath,
        [Parameter(Mandatory)] [string] $Command,
        [Parameter(Mandatory)] [hashtable] $Parameters
    )

    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script:ChildScript))
    $json = $Parameters | ConvertTo-Json -Compress
    "export MVBENCH_MODULE=$(ConvertTo-BashLiteral $ModulePath)`n" +
        "export MVBENCH_COMMAND=$(ConvertTo-BashLiteral $Command)`n" +
        "export MVBENCH_PARAMETERS=$(ConvertTo-BashLiteral $json)`n" +
        "$(Get-PwshCommandLine) -NoProfile -NonInteractive -EncodedCommand $encoded"
}

<#
.SYNOPSIS
    Runs a bash script and returns its wall time, peak RSS, standard output and error output.
.DESCRIPTION
    The script runs under /usr/bin/time with 'set -euo pipefail'. PeakRssBytes is the
    maximum resident set size that /usr/bin/time reports, which is that of the largest single
    process the script started (Linux keeps the maximum over a process and its waited-for
    children). Processes that the Docker engine starts, such as a container's tar, are not
    its children and are not counted. Throws when the script exits with an error.
#>
function Invoke-MeasuredCommand {
    param(
        [Parameter(Mandatory)] [string] $Script,
        [Parameter(Mandatory)] [string] $Description
    )

    $folder = [System.IO.Directory]::CreateTempSubdirectory('mvbench-run.').FullName
    try {
        $timeFile = Join-Path $folder 'time'
        $outputFile = Join-Path $folder 'stdout'
        $errorFile = Join-Path $folder 'stderr'
        $fullScript = "exec >$(ConvertTo-BashLiteral $outputFile) " +
            "2>$(ConvertTo-BashLiteral $errorFile)`nset -euo pipefail`n$Script"

        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        & /usr/bin/time --format '%M' --output $timeFile bash -c $fullScript
        $exitCode = $LASTEXITCODE
        $watch.Stop()

        $errors = Get-Content $errorFile -Raw -ErrorAction Ignore
        Assert-NotInterrupted $exitCode $Description
        if ($exitCode -ne 0) {
            $tail = ($errors -split "`n" | Where-Object { $_ } | Select-Object -Last 5) -join ' | '
            throw "$Description failed with exit code ${exitCode}: $tail"
        }

        # With a non-zero exit, time writes a status line first; the last line is the number.
        $peakKilobytes = [long](Get-Content $timeFile -Tail 1).Trim()
        [pscustomobject]@{
            Seconds = $watch.Elapsed.TotalSeconds
            PeakRssBytes = $peakKilobytes * 1024
            Output = Get-Content $outputFile -Raw -ErrorAction Ignore
            Errors = $errors
        }
    }
    finally {
        Remove-Item $folder -Recurse -Force -ErrorAction Ignore
    }
}

<#
.SYNOPSIS
    Runs a native command and throws with its error output when it fails.
#>
function Invoke-Checked {
    param([Parameter(Mandatory)] [string] $Command, [string[]] $Arguments)

    $output = & $Command @Arguments 2>&1
    Assert-NotInterrupted $LASTEXITCODE "'$Command $($Arguments -join ' ')'"
    if ($LASTEXITCODE -ne 0) {
        throw "'$Command $($Arguments -join ' ')' failed with exit code ${LASTEXITCODE}: " +
            (($output | Select-Object -Last 5) -join ' | ')
    }
    $output | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] }
}

<#
.SYNOPSIS
    Throws OperationCanceledException when a command ended by SIGINT or SIGTERM.
.DESCRIPTION
    Ctrl+C reaches the whole process group, so the command being measured ends with exit
    code 130 (or 143 for SIGTERM) while pwsh keeps running the script. Callers let this
    exception through, so that the benchmark stops instead of recording a failed run.
#>
function Assert-NotInterrupted([int] $ExitCode, [string] $Description) {
    if ($ExitCode -eq 130 -or $ExitCode -eq 143) {
        throw [System.OperationCanceledException]::new(
            "$Description was interrupted (exit code $ExitCode); the benchmark stops.")
    }
}

function Get-LoadAverage {
    # The first three fields of /proc/loadavg: the 1, 5 and 15 minute load averages.
    $fields = (Get-Content /proc/loadavg -Raw).Split(' ')
    [double[]] @($fields[0], $fields[1], $fields[2])
}

#endregion

#region Docker volumes

<#
.SYNOPSIS
    Creates a local volume labelled with the session id and returns its name and host folder.
#>
function New-BenchmarkVolume {
    param(
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [string] $SessionId
    )

    Invoke-Checked docker @('volume', 'create', '--label', "$script:SessionLabel=$SessionId",
        $Name) | Out-Null
    $mountpoint = Invoke-Checked docker @('volume', 'inspect', '--format', '{{.Mountpoint}}',
        $Name)
    if (-not (Test-Path -LiteralPath $mountpoint -PathType Container)) {
        Invoke-Checked docker @('volume', 'rm', $Name) | Out-Null
        throw ("The folder $mountpoint of the volume $Name is not on this machine: the " +
            'benchmark needs a Docker engine that runs here, and root to write the folder.')
    }
    [pscustomobject]@{ Name = $Name; Mountpoint = "$mountpoint" }
}

function Get-VolumeMountpoint([string] $Name) {
    Invoke-Checked docker @('volume', 'inspect', '--format', '{{.Mountpoint}}', $Name)
}

<#
.SYNOPSIS
    Removes the containers and volumes that carry the session's label. Returns the number of
    volumes removed.
#>
function Remove-BenchmarkVolume {
    param([Parameter(Mandatory)] [string] $SessionId)

    $filter = "label=$script:SessionLabel=$SessionId"
    $containers = @(& docker container ls --all --quiet --filter $filter)
    if ($containers) { & docker container rm --force @containers *> $null }
    $volumes = @(& docker volume ls --quiet --filter $filter | Where-Object { $_ })
    foreach ($volume in $volumes) {
        & docker volume rm --force $volume *> $null
        if ($LASTEXITCODE -ne 0) { Write-Warning "Could not remove the volume $volume." }
    }
    $volumes.Count
}

#endregion

#region Statistics

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $middle = [math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { return $sorted[$middle] }
    ($sorted[$middle - 1] + $sorted[$middle]) / 2
}

#endregion

Export-ModuleMember -Function Get-BenchmarkDataSetSpec, Write-BenchmarkDataSet,
    ConvertTo-BashLiteral, Get-PwshCommandLine, Get-MeshVolumeCommandLine,
    Invoke-MeasuredCommand, Invoke-Checked, Get-LoadAverage, New-BenchmarkVolume,
    Get-VolumeMountpoint, Remove-BenchmarkVolume, Get-Median
