<#
.SYNOPSIS
    Measures how fast TarArchiveWriter with compression turns mixed file data into an archive.
.DESCRIPTION
    Builds about SizeMB of mixed content (a third random bytes, a third log-like text, a third
    database-like pages that are mostly zeros) as 4 MiB files, then writes them with
    TarArchiveWriter through ArchiveCompression into /dev/null, once per worker count
    (workers apply to zstd only; -Compression None shows the cost of tar and SHA-256 alone).
    The source is memory, or files in /dev/shm with -Source Shm, so no disk is involved.
    Prints MB/s of input (1 MB = 10^6 bytes), the compressed size and the CPU time the
    process used, which shows how many cores the work kept busy.
.EXAMPLE
    dotnet pwsh -NoProfile -File benchmarks/Measure-ArchiveThroughput.ps1 -ModulePath out/MeshVolume/MeshVolume.psd1
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $SizeMB = 1024,
    [int[]] $Workers = @(0, 2),
    [int] $Level = 3,
    [ValidateSet('Zstd', 'Gzip', 'None')] [string] $Compression = 'Zstd',
    [ValidateSet('Memory', 'Shm')] [string] $Source = 'Memory'
)

$ErrorActionPreference = 'Stop'
Import-Module (Resolve-Path $ModulePath).Path
$fileSize = 4MB
$fileCount = [int][Math]::Ceiling($SizeMB * 1MB / $fileSize)
$none = [Threading.CancellationToken]::None

# Three kinds of content, each one 4 MiB buffer that the files share.
$random = [byte[]]::new($fileSize)
[Random]::new(1).NextBytes($random)
$text = [Text.StringBuilder]::new()
$line = 0
while ($text.Length -lt $fileSize) {
    [void]$text.AppendFormat('2026-12-04T17:{0:D2}:{1:D2}.{2:D3}Z INFO request id={3} path=/api/v1/items/{4} status=200 ms={5}',
        [int][Math]::Floor($line / 60) % 60, $line % 60, $line % 1000, $line * 7919, $line % 5000, $line % 97).Append("`n")
    $line++
}
$textBytes = [Text.Encoding]::ASCII.GetBytes($text.ToString().Substring(0, $fileSize))
$pages = [byte[]]::new($fileSize)
$generator = [Random]::new(2)
for ($page = 0; $page -lt $fileSize; $page += 8192) {
    # Each 8 KiB page: a 600-byte random record area, the rest zeros.
    $record = [byte[]]::new(600)
    $generator.NextBytes($record)
    [Array]::Copy($record, 0, $pages, $page, 600)
}
$contents = @($random, $textBytes, $pages)

$shmFolder = $null
if ($Source -eq 'Shm') {
    $shmFolder = Join-Path '/dev/shm' "meshvolume-bench-$([Guid]::NewGuid().ToString('n').Substring(0, 8))"
    New-Item -ItemType Directory $shmFolder | Out-Null
    for ($i = 0; $i -lt $fileCount; $i++) {
        [IO.File]::WriteAllBytes((Join-Path $shmFolder "file-$i"), $contents[$i % 3])
    }
}

try {
    foreach ($workerCount in $Workers) {
        $output = [IO.File]::OpenWrite('/dev/null')
        $counting = [MeshVolume.Services.Archive.CountingStream]::new($output)
        $compressionLevel = if ($Compression -eq 'Gzip') { 6 } else { $Level }
        $compressed = [MeshVolume.Services.Archive.ArchiveCompression]::Create(
            $counting, $Compression, $compressionLevel, $workerCount, $false)
        $writer = [MeshVolume.Services.Archive.TarArchiveWriter]::new($compressed)
        $process = [Diagnostics.Process]::GetCurrentProcess()
        $cpuBefore = $process.TotalProcessorTime
        $clock = [Diagnostics.Stopwatch]::StartNew()
        for ($i = 0; $i -lt $fileCount; $i++) {
            $entry = [MeshVolume.Services.Archive.ArchiveEntry]@{
                Path = "data/file-$i"; Type = 'File'; Size = $fileSize; Mode = 420
                MtimeNanoseconds = 1700000000000000000
            }
            $content = if ($shmFolder) {
                [IO.FileStream]::new((Join-Path $shmFolder "file-$i"), 'Open', 'Read', 'Read', 1, $false)
            }
            else {
                [IO.MemoryStream]::new($contents[$i % 3], $false)
            }
            [void]$writer.WriteEntryAsync($entry, $content, $none).GetAwaiter().GetResult()
            $content.Dispose()
        }
        [void]$writer.FinishAsync($none).GetAwaiter().GetResult()
        $writer.Dispose()
        $clock.Stop()
        $process.Refresh()
        $inputBytes = [double]$fileCount * $fileSize
        [pscustomobject]@{
            Source      = $Source
            Compression = $Compression
            Level       = $compressionLevel
            Workers     = $workerCount
            InputMB     = [Math]::Round($inputBytes / 1e6)
            OutputMB    = [Math]::Round($counting.BytesWritten / 1e6)
            Seconds     = [Math]::Round($clock.Elapsed.TotalSeconds, 2)
            MBps        = [Math]::Round($inputBytes / 1e6 / $clock.Elapsed.TotalSeconds)
            CpuSeconds  = [Math]::Round(($process.TotalProcessorTime - $cpuBefore).TotalSeconds, 2)
        }
    }
}
finally {
    if ($shmFolder) { Remove-Item $shmFolder -Recurse -Force }
}
