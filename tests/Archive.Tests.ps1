<#
    The tar layer is checked against independent readers: GNU tar 1.34 lists and extracts
    what TarArchiveWriter writes (as root, so owners, devices and trusted xattrs come back),
    stat, getfattr and .NET's SHA-256 inspect the result, and zstd and gzip test the
    compressed files. TarArchiveReader reads back the writer's archives, archives made by
    GNU tar in its pax, GNU and older sparse formats, and one from the Docker archive API
    (docker cp) when an engine is reachable. The 8 and 9 GiB cases hash about 25 GiB of
    zeros in total, which takes about a minute on two cores.
#>

BeforeDiscovery {
    function New-RandomBytes([int] $Count, [int] $Seed) {
        $bytes = [byte[]]::new($Count)
        [Random]::new($Seed).NextBytes($bytes)
        return , $bytes
    }

    $utf8 = [Text.Encoding]::UTF8
    $longPrefixPath = 'docs/' + ('p' * 90) + '/' + ('n' * 95) + '.txt'
    $veryLongPath = 'deep/' + ((1..5 | ForEach-Object { "segment$_" + ('x' * 50) }) -join '/') +
        '/leaf-' + ('y' * 60) + '.bin'
    $oddPath = "odd/new`nline back\slash colon:é 🙂.txt"
    $gib = [long]1GB

    # Each case is one archive entry. Content is the whole file, or for a sparse file its
    # data segments one after another; StoredSparse is the map the archive keeps when the
    # writer has to lengthen segments to whole 512-byte blocks.
    $entryCases = @(
        @{ Path = '.'; Type = 'Directory'; Mode = '755'; Mtime = 1700000000111111111 }
        @{ Path = 'docs'; Type = 'Directory'; Mode = '750'; Uid = 1000; Gid = 1000; Mtime = 1700000000222222222 }
        @{
            Path = 'docs/readme.txt'; Mode = '640'; Uid = 1000; Gid = 1000; UserName = 'alice'
            GroupName = 'staff'; Mtime = 1700000001123456789; Content = $utf8.GetBytes("hello world`n")
        }
        @{ Path = 'docs/empty'; Mode = '600'; Mtime = 1700000002000000000; Content = [byte[]]::new(0) }
        @{ Path = $longPrefixPath; Mode = '644'; Mtime = 1700000003300000000; Content = $utf8.GetBytes('prefix split') }
        @{ Path = $veryLongPath; Mode = '644'; Mtime = 1700000004400000000; Content = (New-RandomBytes 70000 1) }
        @{ Path = 'odd'; Type = 'Directory'; Mode = '755'; Mtime = 1700000005000000000 }
        @{ Path = $oddPath; Mode = '644'; Mtime = 1700000005500000001; Content = $utf8.GetBytes('odd name') }
        @{ Path = 'links'; Type = 'Directory'; Mode = '755'; Mtime = 1700000006000000000 }
        @{ Path = 'links/dangling'; Type = 'Symlink'; Mode = '777'; LinkTarget = '../nowhere/at/all'; Mtime = 1700000006100000000 }
        @{ Path = 'links/absolute'; Type = 'Symlink'; Mode = '777'; LinkTarget = '/etc/hostname'; Mtime = 1700000006200000000 }
        @{ Path = 'links/long'; Type = 'Symlink'; Mode = '777'; LinkTarget = ('t/' * 70) + 'target'; Mtime = 1700000006300000000 }
        @{ Path = 'links/unicode'; Type = 'Symlink'; Mode = '777'; LinkTarget = "ziel-ü🙂`nzwei"; Mtime = 1700000006400000000 }
        @{ Path = 'links/hard'; Type = 'HardLink'; Mode = '640'; Uid = 1000; Gid = 1000; LinkTarget = 'docs/readme.txt'; Mtime = 1700000001123456789 }
        @{ Path = 'special'; Type = 'Directory'; Mode = '755'; Mtime = 1700000007000000000 }
        @{ Path = 'special/fifo'; Type = 'Fifo'; Mode = '600'; Mtime = 1700000007100000000 }
        @{ Path = 'special/null'; Type = 'CharDevice'; Mode = '666'; DeviceMajor = 1; DeviceMinor = 3; Mtime = 1700000007200000000 }
        @{ Path = 'special/loop'; Type = 'BlockDevice'; Mode = '660'; DeviceMajor = 7; DeviceMinor = 0; Mtime = 1700000007300000000 }
        @{ Path = 'special/wide'; Type = 'CharDevice'; Mode = '600'; DeviceMajor = 4095; DeviceMinor = 1048575; Mtime = 1700000007400000000 }
        @{ Path = 'owners'; Type = 'Directory'; Mode = '755'; Mtime = 1700000008000000000 }
        @{
            Path = 'owners/big-ids'; Mode = '644'; Uid = 3000000; Gid = 4000000
            UserName = 'a-user-name-longer-than-thirty-two-bytes'; GroupName = 'gruppe-ü'
            Mtime = 1700000008100000000; Content = $utf8.GetBytes('ids')
        }
        @{ Path = 'times'; Type = 'Directory'; Mode = '755'; Mtime = 1700000009000000000 }
        @{ Path = 'times/whole-second'; Mode = '644'; Mtime = 1600000000000000000; Content = $utf8.GetBytes('w') }
        @{ Path = 'times/before-1970'; Mode = '644'; Mtime = -1500000000; Content = $utf8.GetBytes('b') }
        @{ Path = 'times/after-2242'; Mode = '644'; Mtime = 9000000000500000000; Content = $utf8.GetBytes('a') }
        @{
            Path = 'xattrs'; Type = 'Directory'; Mode = '755'; Mtime = 1700000010000000000
            Xattrs = @{ 'user.folder' = $utf8.GetBytes('on a directory') }
        }
        @{
            Path = 'xattrs/file'; Mode = '644'; Mtime = 1700000010100000000; Content = $utf8.GetBytes('x')
            Xattrs = @{
                'user.comment'       = $utf8.GetBytes('hello')
                'user.binary'        = [byte[]](0, 255, 10, 61, 37, 0, 128)
                'user.odd=name%25'   = $utf8.GetBytes('= and % in the name')
                'trusted.meshvolume' = $utf8.GetBytes('trusted namespace')
            }
        }
        @{ Path = 'modes'; Type = 'Directory'; Mode = '755'; Mtime = 1700000011000000000 }
        @{ Path = 'modes/setuid'; Mode = '4755'; Mtime = 1700000011100000000; Content = $utf8.GetBytes('#!/bin/sh') }
        @{ Path = 'modes/sticky'; Type = 'Directory'; Mode = '1777'; Mtime = 1700000011200000000 }
        @{ Path = 'modes/none'; Mode = '0'; Mtime = 1700000011300000000; Content = $utf8.GetBytes('n') }
        @{ Path = 'sparse'; Type = 'Directory'; Mode = '755'; Mtime = 1700000012000000000 }
        @{
            Path = 'sparse/small'; Mode = '644'; Mtime = 1700000012100000000; Size = 64MB
            Sparse = @(, @(0, 4096)) + @(, @(1MB, 8192)) + @(, @(40MB, 1000))
            Content = (New-RandomBytes (4096 + 8192 + 1000) 2)
        }
        @{
            Path = 'sparse/unaligned'; Mode = '644'; Mtime = 1700000012200000000; Size = 10000
            Sparse = @(, @(100, 10)) + @(, @(3000, 5)) + @(, @(3400, 7)) + @(, @(9000, 1000))
            StoredSparse = @(, @(100, 512)) + @(, @(3000, 512)) + @(, @(9000, 1000))
            Content = (New-RandomBytes (10 + 5 + 7 + 1000) 3)
        }
        @{ Path = 'sparse/holes-only'; Mode = '644'; Mtime = 1700000012300000000; Size = 1MB; Sparse = @(); Content = [byte[]]::new(0) }
        @{
            Path = 'sparse/huge'; Mode = '644'; Mtime = 1700000012400000000; Size = 9 * $gib + 5
            Sparse = @(, @(0, 4096)) + @(, @((4 * $gib), 65536)) + @(, @((9 * $gib), 5))
            Content = (New-RandomBytes (4096 + 65536 + 5) 4)
        }
    )
    $defaults = @{
        Type = 'File'; Uid = 0; Gid = 0; UserName = $null; GroupName = $null; LinkTarget = $null
        DeviceMajor = 0; DeviceMinor = 0; Xattrs = $null
    }
    foreach ($case in $entryCases) {
        foreach ($key in $defaults.Keys) {
            if (-not $case.ContainsKey($key)) { $case[$key] = $defaults[$key] }
        }
        $case.Label = $case.Path -replace "`n", '\n'
    }
}

BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH -Force
    $script:None = [Threading.CancellationToken]::None

    function Wait-Task($Task) { $Task.GetAwaiter().GetResult() }

    function Get-Sha256Hex([byte[]] $Bytes) {
        [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($Bytes)).ToLowerInvariant()
    }

    function New-Entry([hashtable] $Properties) {
        return [MeshVolume.Services.Archive.ArchiveEntry]$Properties
    }

    function ConvertTo-SegmentList($Pairs) {
        $list = [Collections.Generic.List[MeshVolume.Services.Archive.SparseSegment]]::new()
        foreach ($pair in $Pairs) { $list.Add([MeshVolume.Services.Archive.SparseSegment]::new($pair[0], $pair[1])) }
        return , $list
    }

    # Builds an ArchiveEntry from a case table as BeforeDiscovery defines them.
    function New-TestEntry($Case) {
        $entry = New-Entry @{
            Path = $Case.Path; Type = $Case.Type; Mode = [Convert]::ToInt32($Case.Mode, 8)
            Uid = $Case.Uid; Gid = $Case.Gid; UserName = $Case.UserName; GroupName = $Case.GroupName
            MtimeNanoseconds = $Case.Mtime; LinkTarget = $Case.LinkTarget
            DeviceMajor = $Case.DeviceMajor; DeviceMinor = $Case.DeviceMinor
        }
        if ($Case.Type -eq 'File') {
            $entry.Size = if ($Case.ContainsKey('Size')) { $Case.Size } else { $Case.Content.Length }
        }
        if ($Case.ContainsKey('Sparse')) { $entry.SparseMap = ConvertTo-SegmentList $Case.Sparse }
        if ($Case.Xattrs) {
            $xattrs = [Collections.Generic.Dictionary[string, byte[]]]::new()
            foreach ($name in $Case.Xattrs.Keys) { $xattrs[$name] = $Case.Xattrs[$name] }
            $entry.Xattrs = $xattrs
        }
        return $entry
    }

    # Writes entries to an archive file and returns the SHA-256 the writer reported per path.
    function Write-TestArchive {
        param(
            [string] $Path,
            [object[]] $Items,
            [MeshVolume.Services.Archive.CompressionMethod] $Compression = 'None',
            [Nullable[int]] $Level = $null,
            [int] $Workers = 0
        )
        $hashes = @{}
        $file = [IO.File]::Create($Path)
        $compressed = [MeshVolume.Services.Archive.ArchiveCompression]::Create($file, $Compression, $Level, $Workers, $false)
        $writer = [MeshVolume.Services.Archive.TarArchiveWriter]::new($compressed)
        try {
            foreach ($item in $Items) {
                $content = if ($item.Content -is [byte[]]) { [IO.MemoryStream]::new($item.Content) } else { $item.Content }
                $hashes[$item.Entry.Path] = Wait-Task $writer.WriteEntryAsync($item.Entry, $content, $None)
            }
            $null = Wait-Task $writer.FinishAsync($None)
        }
        finally {
            $writer.Dispose()
        }
        return $hashes
    }

    # Reads every entry of an archive stream. Content is kept when at most 1 MiB; for a sparse
    # file LogicalSha256 hashes the content with its holes, unless the file is over 1 GiB.
    function Read-TestArchive {
        param([IO.Stream] $Stream, [MeshVolume.Services.Archive.CompressionMethod] $Compression = 'None')
        $decompressed = [MeshVolume.Services.Archive.ArchiveCompression]::OpenRead($Stream, $Compression, $false)
        $reader = [MeshVolume.Services.Archive.TarArchiveReader]::new($decompressed)
        try {
            while ($null -ne ($entry = Wait-Task $reader.ReadNextEntryAsync($None))) {
                $offset = $reader.EntryOffset
                $hashing = [MeshVolume.Services.Archive.HashingStream]::new([IO.Stream]::Null)
                $kept = $null
                if ($reader.Content.Length -le 1MB) {
                    $memory = [IO.MemoryStream]::new()
                    $reader.Content.CopyTo($memory)
                    $kept = $memory.ToArray()
                    $hashing.Write($kept, 0, $kept.Length)
                }
                else {
                    $reader.Content.CopyTo($hashing, 1MB)
                }
                $logical = $null
                if ($null -ne $entry.SparseMap -and $entry.Size -le 1GB) {
                    $packedBytes = $kept
                    if ($null -eq $packedBytes) { $packedBytes = [byte[]]::new(0) }
                    $expanding = [MeshVolume.Services.Archive.SparseExpandingStream]::new(
                        [IO.MemoryStream]::new($packedBytes), $entry.SparseMap, $entry.Size)
                    $logicalHash = [MeshVolume.Services.Archive.HashingStream]::new([IO.Stream]::Null)
                    $expanding.CopyTo($logicalHash, 1MB)
                    $logical = $logicalHash.GetSha256Hex()
                }
                [pscustomobject]@{
                    Entry         = $entry
                    Offset        = $offset
                    Content       = $kept
                    ContentLength = $hashing.ByteCount
                    Sha256        = $hashing.GetSha256Hex()
                    LogicalSha256 = $logical
                }
            }
        }
        finally {
            $reader.Dispose()
        }
    }

    function Read-TestArchiveFile([string] $Path, [MeshVolume.Services.Archive.CompressionMethod] $Compression = 'None') {
        Read-TestArchive -Stream ([IO.File]::OpenRead($Path)) -Compression $Compression
    }

    # Runs a native command and returns its output; throws with stderr when it fails.
    function Invoke-Tool {
        param([string] $Command, [string[]] $Arguments)
        $errorFile = New-TemporaryFile
        try {
            $output = & $Command @Arguments 2> $errorFile.FullName
            $stderr = Get-Content $errorFile.FullName -Raw
            if ($LASTEXITCODE -ne 0) {
                throw "$Command $($Arguments -join ' ') failed with exit code ${LASTEXITCODE}: $stderr"
            }
            if ($stderr) { Write-Warning "$Command wrote to stderr: $stderr" }
            return $output
        }
        finally {
            Remove-Item $errorFile.FullName
        }
    }

    # SHA-256 of a file as lowercase hex, read in 1 MiB blocks by .NET's own SHA-256.
    function Get-FileSha256([string] $Path) {
        $file = [IO.FileStream]::new($Path, 'Open', 'Read', 'Read', 1MB)
        try { return [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($file)).ToLowerInvariant() }
        finally { $file.Dispose() }
    }

    # Joins a volume-relative path to a folder; Join-Path would turn '\' into '/'.
    function Join-TreePath([string] $Root, [string] $Path) {
        return $Root + '/' + $Path
    }

    # Paths below a folder as find prints them, one per entry even when a name has a newline.
    function Get-TreePath([string] $Root) {
        $output = (Invoke-Tool find @($Root, '-mindepth', '1', '-printf', '%P\0')) -join "`n"
        return $output -split "`0" | Where-Object { $_ }
    }

    # stat(1) of a path without following symlinks.
    function Get-PathStat([string] $Path) {
        $fields = (Invoke-Tool stat @('-c', '%F|%a|%u|%g|%s|%b|%.9Y|%t|%T|%i|%h', '--', $Path)) -split '\|'
        [pscustomobject]@{
            Type        = $fields[0]
            Mode        = [Convert]::ToInt32($fields[1], 8)
            Uid         = [long]$fields[2]
            Gid         = [long]$fields[3]
            Size        = [long]$fields[4]
            Allocated   = 512 * [long]$fields[5]
            Mtime       = $fields[6]
            DeviceMajor = [Convert]::ToInt32($fields[7], 16)
            DeviceMinor = [Convert]::ToInt32($fields[8], 16)
            Inode       = $fields[9]
            Links       = [int]$fields[10]
        }
    }

    # Formats nanoseconds since the epoch the way stat -c %.9Y prints them.
    function Format-StatTime([long] $Nanoseconds) {
        $seconds = [long][Math]::Floor([decimal]$Nanoseconds / 1000000000)
        $fraction = $Nanoseconds - $seconds * 1000000000
        if ($seconds -lt 0 -and $fraction -gt 0) {
            # stat prints a negative time as -(|time|): -1.5 s is "-1.500000000".
            return '-{0}.{1:D9}' -f (-($seconds + 1)), (1000000000 - $fraction)
        }
        return '{0}.{1:D9}' -f $seconds, $fraction
    }

    # Extended attributes of a path as name -> byte[], read with getfattr.
    function Get-PathXattrs([string] $Path) {
        $xattrs = @{}
        $lines = Invoke-Tool getfattr @('--absolute-names', '-h', '-d', '-m', '-', '-e', 'hex', '--', $Path)
        foreach ($line in $lines) {
            if ($line -match '^([^#=][^=]*)=0x([0-9a-f]*)$') {
                # getfattr escapes '=', '\' and control characters in names as \ooo (octal).
                $name = [regex]::Replace($Matches[1], '\\([0-7]{3})', { [string][char][Convert]::ToInt32($args[0].Groups[1].Value, 8) })
                $xattrs[$name] = [Convert]::FromHexString($Matches[2])
            }
        }
        return $xattrs
    }

    # Compares archive entries with the files that stat shows below a folder; returns one
    # line per difference.
    function Compare-EntryWithTree {
        param([object[]] $Items, [string] $Root, [bool] $NanosecondTimes)
        foreach ($item in $Items) {
            $entry = $item.Entry
            $stat = Get-PathStat (Join-TreePath $Root $entry.Path)
            $label = $entry.Path -replace "`n", '\n'
            if ($StatTypes[[string]$entry.Type] -notcontains $stat.Type) { "${label}: type $($entry.Type), stat $($stat.Type)" }
            if ($entry.Type -ne 'Symlink' -and $entry.Mode -ne $stat.Mode) { "${label}: mode $($entry.Mode), stat $($stat.Mode)" }
            if ($entry.Uid -ne $stat.Uid -or $entry.Gid -ne $stat.Gid) { "${label}: owner $($entry.Uid):$($entry.Gid), stat $($stat.Uid):$($stat.Gid)" }
            if ($entry.Type -eq 'File' -and $entry.Size -ne $stat.Size) { "${label}: size $($entry.Size), stat $($stat.Size)" }
            $expectedTime = if ($NanosecondTimes) { $stat.Mtime } else { ($stat.Mtime -replace '\.\d+$', '') + '.000000000' }
            if ($entry.Type -ne 'HardLink' -and (Format-StatTime $entry.MtimeNanoseconds) -ne $expectedTime) {
                "${label}: mtime $(Format-StatTime $entry.MtimeNanoseconds), stat $expectedTime"
            }
        }
    }

    $script:StatTypes = @{
        File        = @('regular file', 'regular empty file')
        HardLink    = @('regular file', 'regular empty file')
        Directory   = @('directory')
        Symlink     = @('symbolic link')
        Fifo        = @('fifo')
        CharDevice  = @('character special file')
        BlockDevice = @('block special file')
    }
}

Describe 'TarArchiveWriter and TarArchiveReader round trip' -Tag Archive -ForEach @(@{ Cases = $entryCases }) {
    BeforeAll {
        $script:archive = Join-Path $TestDrive 'all-cases.tar'
        $items = foreach ($case in $Cases) {
            @{ Entry = New-TestEntry $case; Content = $case.Content }
        }
        $script:writtenHashes = Write-TestArchive -Path $archive -Items $items
    }

    Context 'GNU tar' {
        BeforeAll {
            $script:extracted = Join-Path $TestDrive 'extracted'
            $script:listing = Invoke-Tool tar @('-tvf', $archive)
            $script:numericListing = Invoke-Tool tar @('--numeric-owner', '-tvf', $archive)
            New-Item -ItemType Directory $extracted | Out-Null
            Invoke-Tool tar @('--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', $archive, '-C', $extracted)
        }

        It 'lists one line per entry' {
            $listing.Count | Should -Be $Cases.Count
        }

        It 'lists owner names longer than ustar holds' {
            $listing | Where-Object { $_ -like '*owners/big-ids' } |
                Should -BeLike '*a-user-name-longer-than-thirty-two-bytes/gruppe-ü *'
            $numericListing | Where-Object { $_ -like '*owners/big-ids' } | Should -BeLike '* 3000000/4000000 *'
        }

        It 'lists the logical size of the 9 GiB sparse file' {
            $listing | Where-Object { $_ -like '*sparse/huge' } | Should -BeLike '* 9663676421 *'
        }

        It 'restores the type of <Label>' -ForEach $Cases {
            $stat = Get-PathStat (Join-TreePath $extracted $Path)
            $StatTypes[$Type] | Should -Contain $stat.Type
        }

        It 'restores mode, owner and mtime of <Label>' -ForEach $Cases {
            $stat = Get-PathStat (Join-TreePath $extracted $Path)
            if ($Type -ne 'Symlink') { [Convert]::ToString($stat.Mode, 8) | Should -Be $Mode }
            $stat.Uid | Should -Be ([uint32][int]$Uid)
            $stat.Gid | Should -Be ([uint32][int]$Gid)
            $stat.Mtime | Should -Be (Format-StatTime $Mtime)
        }

        It 'restores the content of <Label>' -ForEach @($Cases | Where-Object { $_.Type -eq 'File' -and $_.Size -le 1GB }) {
            $onDisk = Join-TreePath $extracted $Path
            $expectedSize = if ($_.ContainsKey('Size')) { $Size } else { $Content.Length }
            (Get-PathStat $onDisk).Size | Should -Be $expectedSize
            Get-FileSha256 $onDisk | Should -Be $writtenHashes[$Path]
        }

        # Hashing 9 GiB on disk takes long, so only the data segments and the first block of
        # each hole after them are compared.
        It 'restores the content of <Label>' -ForEach @($Cases | Where-Object { $_.Size -gt 1GB }) {
            $onDisk = Join-TreePath $extracted $Path
            (Get-PathStat $onDisk).Size | Should -Be $Size
            $file = [IO.File]::OpenRead($onDisk)
            try {
                $packed = 0
                foreach ($segment in $Sparse) {
                    $length = [int][Math]::Min([long]$segment[1] + 4096, [long]$Size - $segment[0])
                    $actual = [byte[]]::new($length)
                    $file.Position = $segment[0]
                    $file.ReadExactly($actual, 0, $length)
                    $expected = [byte[]]::new($length)
                    [Array]::Copy($Content, $packed, $expected, 0, $segment[1])
                    $packed += $segment[1]
                    [Convert]::ToHexString($actual) | Should -Be ([Convert]::ToHexString($expected)) -Because "offset $($segment[0])"
                }
            }
            finally {
                $file.Dispose()
            }
        }

        It 'returns the SHA-256 of the content of <Label>' -ForEach @($Cases | Where-Object { $_.Type -eq 'File' -and $_.Size -le 1GB }) {
            $logical = $Content
            if ($_.ContainsKey('Sparse')) {
                $logical = [byte[]]::new($Size)
                $packed = 0
                foreach ($segment in $Sparse) {
                    [Array]::Copy($Content, $packed, $logical, $segment[0], $segment[1])
                    $packed += $segment[1]
                }
            }
            $writtenHashes[$Path] | Should -Be (Get-Sha256Hex $logical)
        }

        It 'keeps the holes of <Label>' -ForEach @($Cases | Where-Object { $_.ContainsKey('Sparse') }) {
            $stat = Get-PathStat (Join-TreePath $extracted $Path)
            $stat.Allocated | Should -BeLessThan (1MB)
        }

        It 'restores the target of <Label>' -ForEach @($Cases | Where-Object { $_.Type -eq 'Symlink' }) {
            $target = Invoke-Tool readlink @('--', (Join-TreePath $extracted $Path))
            ($target -join "`n") | Should -BeExactly $LinkTarget
        }

        It 'restores <Label> as a hard link' -ForEach @($Cases | Where-Object { $_.Type -eq 'HardLink' }) {
            $link = Get-PathStat (Join-TreePath $extracted $Path)
            $target = Get-PathStat (Join-TreePath $extracted $LinkTarget)
            $link.Inode | Should -Be $target.Inode
            $link.Links | Should -Be 2
        }

        It 'restores the device numbers of <Label>' -ForEach @($Cases | Where-Object { $_.Type -like '*Device' }) {
            $stat = Get-PathStat (Join-TreePath $extracted $Path)
            $stat.DeviceMajor | Should -Be $DeviceMajor
            $stat.DeviceMinor | Should -Be $DeviceMinor
        }

        It 'restores the extended attributes of <Label>' -ForEach @($Cases | Where-Object { $_.Xattrs }) {
            $actual = Get-PathXattrs (Join-TreePath $extracted $Path)
            @($actual.Keys | Sort-Object) | Should -Be @($Xattrs.Keys | Sort-Object)
            foreach ($name in $Xattrs.Keys) {
                [Convert]::ToHexString($actual[$name]) | Should -Be ([Convert]::ToHexString($Xattrs[$name])) -Because $name
            }
        }
    }

    Context 'TarArchiveReader' {
        BeforeAll {
            $script:read = @(Read-TestArchiveFile $archive)
            $script:byPath = @{}
            foreach ($item in $read) { $byPath[$item.Entry.Path] = $item }
        }

        It 'reads every entry in order' {
            @($read.Entry.Path) | Should -Be @($Cases.Path)
        }

        It 'reads the metadata of <Label>' -ForEach $Cases {
            $entry = $byPath[$Path].Entry
            $entry.Type | Should -Be $Type
            [Convert]::ToString($entry.Mode, 8) | Should -Be $Mode
            $entry.Uid | Should -Be ([int]$Uid)
            $entry.Gid | Should -Be ([int]$Gid)
            $entry.UserName | Should -Be $UserName
            $entry.GroupName | Should -Be $GroupName
            $entry.MtimeNanoseconds | Should -Be $Mtime
            $entry.LinkTarget | Should -BeExactly $LinkTarget
            $entry.DeviceMajor | Should -Be ([int]$DeviceMajor)
            $entry.DeviceMinor | Should -Be ([int]$DeviceMinor)
        }

        It 'reads the extended attributes of <Label>' -ForEach @($Cases | Where-Object { $_.Xattrs }) {
            $actual = $byPath[$Path].Entry.Xattrs
            @($actual.Keys | Sort-Object) | Should -Be @($Xattrs.Keys | Sort-Object)
            foreach ($name in $Xattrs.Keys) {
                [Convert]::ToHexString($actual[$name]) | Should -Be ([Convert]::ToHexString($Xattrs[$name])) -Because $name
            }
        }

        It 'reads the content of <Label>' -ForEach @($Cases | Where-Object { $_.Type -eq 'File' -and -not $_.ContainsKey('Sparse') }) {
            $item = $byPath[$Path]
            $item.Entry.Size | Should -Be $Content.Length
            $item.Entry.SparseMap | Should -BeNullOrEmpty
            $item.Sha256 | Should -Be (Get-Sha256Hex $Content)
        }

        It 'reads the sparse map and logical content of <Label>' -ForEach @($Cases | Where-Object { $_.ContainsKey('Sparse') }) {
            $item = $byPath[$Path]
            $stored = if ($_.ContainsKey('StoredSparse')) { $StoredSparse } else { $Sparse }
            $item.Entry.Size | Should -Be $Size
            @($item.Entry.SparseMap | ForEach-Object { "$($_.Offset)+$($_.Length)" }) |
                Should -Be @($stored | ForEach-Object { "$($_[0])+$($_[1])" })
            if ($Size -le 1GB) {
                $item.LogicalSha256 | Should -Be $writtenHashes[$Path]
            }
            else {
                $item.Sha256 | Should -Be (Get-Sha256Hex $Content)
            }
        }
    }

    Context '<_> compression' -ForEach @('Zstd', 'Gzip') {
        BeforeAll {
            # The 9 GiB sparse file is left out: hashing its holes again would only cost time.
            $script:method = $_
            $smallCases = @($Cases | Where-Object { -not $_.ContainsKey('Size') -or $_.Size -le 1GB })
            $items = foreach ($case in $smallCases) {
                @{ Entry = New-TestEntry $case; Content = $case.Content }
            }
            $extension = [MeshVolume.Services.Archive.ArchiveCompression]::GetFileExtension($method)
            $script:compressedPath = Join-Path $TestDrive "small-cases$extension"
            Write-TestArchive -Path $compressedPath -Items $items -Compression $method | Out-Null
            $script:uncompressedPath = Join-Path $TestDrive 'small-cases.tar'
            $items = foreach ($case in $smallCases) {
                @{ Entry = New-TestEntry $case; Content = $case.Content }
            }
            Write-TestArchive -Path $uncompressedPath -Items $items | Out-Null
        }

        It 'reads the same entries as from the uncompressed archive' {
            $expected = @(Read-TestArchiveFile $uncompressedPath)
            $compressed = @(Read-TestArchiveFile $compressedPath $method)
            $compressed.Count | Should -Be $expected.Count
            for ($i = 0; $i -lt $expected.Count; $i++) {
                $compressed[$i].Entry.Path | Should -BeExactly $expected[$i].Entry.Path
                $compressed[$i].Sha256 | Should -Be $expected[$i].Sha256 -Because $expected[$i].Entry.Path
                $compressed[$i].Offset | Should -Be $expected[$i].Offset -Because $expected[$i].Entry.Path
            }
        }

        It 'is verified and listed by the command-line tools' {
            $tool = if ($method -eq 'Zstd') { 'zstd' } else { 'gzip' }
            Invoke-Tool $tool @('-q', '-t', $compressedPath)
            $count = Invoke-Tool bash @('-c', "$tool -dc `"`$1`" | tar -tf - | wc -l", '_', $compressedPath)
            $count | Should -Be (Invoke-Tool bash @('-c', 'tar -tf "$1" | wc -l', '_', $uncompressedPath))
        }
    }
}

Describe 'TarArchiveWriter with a file larger than 8 GiB' -Tag Archive {
    BeforeAll {
        $script:archive = Join-Path $TestDrive 'large.tar.zst'
        $script:largeSize = 8 * [long]1GB + 1000
        $large = New-Entry @{ Path = 'large/zeros.bin'; Type = 'File'; Size = $largeSize; Mode = 420; MtimeNanoseconds = 1700000000000000000 }
        $after = New-Entry @{ Path = 'large/after.txt'; Type = 'File'; Size = 5; Mode = 420; MtimeNanoseconds = 1700000000000000000 }
        # A sparse view with no segments reads as zeros, so no 8 GiB buffer or file is needed.
        $zeros = [MeshVolume.Services.Archive.SparseExpandingStream]::new(
            [IO.Stream]::Null, (ConvertTo-SegmentList @()), $largeSize)
        $script:writtenHashes = Write-TestArchive -Path $archive -Compression Zstd -Items @(
            @{ Entry = $large; Content = $zeros }
            @{ Entry = $after; Content = [Text.Encoding]::ASCII.GetBytes('after') }
        )
    }

    It 'is listed by GNU tar with its size' {
        $listing = Invoke-Tool bash @('-c', 'zstd -dc "$1" | tar -tvf -', '_', $archive)
        $listing[0] | Should -BeLike '* 8589935592 * large/zeros.bin'
        $listing[1] | Should -BeLike '* 5 * large/after.txt'
    }

    It 'reads back with its size, content and the entry after it' {
        $read = @(Read-TestArchiveFile $archive Zstd)
        $read.Count | Should -Be 2
        $read[0].Entry.Size | Should -Be $largeSize
        $read[0].ContentLength | Should -Be $largeSize
        $read[0].Sha256 | Should -Be $writtenHashes['large/zeros.bin']
        [Text.Encoding]::ASCII.GetString($read[1].Content) | Should -Be 'after'
    }
}

Describe 'TarArchiveReader on archives from GNU tar' -Tag Archive -ForEach @(
    @{ Format = 'posix'; Arguments = @('--posix', '--xattrs', '--xattrs-include=*', '--sparse'); NanosecondTimes = $true; Xattrs = $true }
    @{ Format = 'gnu'; Arguments = @('--format=gnu', '--sparse'); NanosecondTimes = $false; Xattrs = $false }
    @{ Format = 'posix sparse 0.1'; Arguments = @('--posix', '--sparse', '--sparse-version=0.1'); NanosecondTimes = $true; Xattrs = $false }
    @{ Format = 'posix sparse 0.0'; Arguments = @('--posix', '--sparse', '--sparse-version=0.0'); NanosecondTimes = $true; Xattrs = $false }
) {
    BeforeAll {
        $script:source = Join-Path $TestDrive 'source'
        $script:archive = Join-Path $TestDrive "gnu-$($Format -replace '\W', '-').tar"
        $longName = 'dir/' + ('l' * 120) + '/' + ('m' * 150) + '.txt'
        $tree = @'
set -e
mkdir -p "$1" && cd "$1"
mkdir -p dir/sub "dir/$(printf 'l%.0s' $(seq 120))"
printf 'hello\n' > dir/file.txt
printf 'long\n' > "$2"
printf 'odd\n' > "dir/new
line é🙂.txt"
ln -s ../dir/file.txt dir/sub/relative
ln -s "/$(printf 't%.0s' $(seq 150))/dangling" dir/sub/long-target
ln dir/file.txt dir/hard
mkfifo dir/fifo
mknod dir/null c 1 3
truncate -s 32M dir/sparse
printf 'start' | dd of=dir/sparse conv=notrunc status=none
printf 'middle' | dd of=dir/sparse bs=1M seek=9 conv=notrunc status=none
printf 'end' | dd of=dir/sparse bs=1 seek=33554429 conv=notrunc status=none
truncate -s 1M dir/sparse-tail
printf 'x' | dd of=dir/sparse-tail conv=notrunc status=none
setfattr -n user.comment -v hello dir/file.txt
setfattr -n 'user.odd=name%' -v 0x00ff0a dir/file.txt
chown 1234:5678 dir/file.txt
chmod 4750 dir/file.txt
touch -h -d '2021-02-03 04:05:06.123456789' dir/sub/relative
touch -d '2021-02-03 04:05:06.987654321' dir/file.txt dir/sub "$2"
'@
        Invoke-Tool bash @('-c', $tree, '_', $source, $longName)
        Invoke-Tool tar (@('-cf', $archive) + $Arguments + @('-C', $source, '.'))
        $script:read = @(Read-TestArchiveFile $archive)
    }

    It 'reads every file system entry (<Format>)' {
        $expected = @(Get-TreePath $source | Sort-Object)
        @($read.Entry.Path | Where-Object { $_ -ne '.' } | Sort-Object) | Should -Be $expected
    }

    It 'reads type, mode, owner, size and mtime as stat shows them (<Format>)' {
        Compare-EntryWithTree -Items $read -Root $source -NanosecondTimes $NanosecondTimes |
            Should -BeNullOrEmpty
    }

    It 'reads link targets (<Format>)' {
        $relative = $read | Where-Object { $_.Entry.Path -eq 'dir/sub/relative' }
        $relative.Entry.Type | Should -Be 'Symlink'
        $relative.Entry.LinkTarget | Should -Be '../dir/file.txt'
        $long = $read | Where-Object { $_.Entry.Path -eq 'dir/sub/long-target' }
        $long.Entry.LinkTarget | Should -Be ('/' + ('t' * 150) + '/dangling')
        $hardLinks = @($read | Where-Object { $_.Entry.Type -eq 'HardLink' })
        $hardLinks.Count | Should -Be 1
        @($hardLinks[0].Entry.Path, $hardLinks[0].Entry.LinkTarget) | Sort-Object | Should -Be @('dir/file.txt', 'dir/hard')
    }

    It 'reads file content (<Format>)' {
        $mismatches = foreach ($item in $read | Where-Object { $_.Entry.Type -eq 'File' }) {
            $expected = Get-FileSha256 (Join-TreePath $source $item.Entry.Path)
            $actual = if ($item.Entry.SparseMap) { $item.LogicalSha256 } else { $item.Sha256 }
            if ($actual -ne $expected) { "$($item.Entry.Path): $actual, expected $expected" }
        }
        $mismatches | Should -BeNullOrEmpty
    }

    It 'reads sparse files as sparse (<Format>)' {
        $sparse = $read | Where-Object { $_.Entry.Path -eq 'dir/sparse' }
        $sparse.Entry.Size | Should -Be 32MB
        $sparse.Entry.SparseMap.Count | Should -BeGreaterOrEqual 3
        $sparse.ContentLength | Should -BeLessThan 1MB
        $tail = $read | Where-Object { $_.Entry.Path -eq 'dir/sparse-tail' }
        $tail.Entry.Size | Should -Be 1MB
        $tail.Entry.SparseMap | Should -Not -BeNullOrEmpty
    }

    It 'reads extended attributes when they were archived (<Format>)' {
        $file = $read | Where-Object { $_.Entry.Path -eq 'dir/file.txt' }
        if (-not $Xattrs) {
            $file.Entry.Xattrs | Should -BeNullOrEmpty
            return
        }
        $expected = Get-PathXattrs (Join-TreePath $source 'dir/file.txt')
        @($file.Entry.Xattrs.Keys | Sort-Object) | Should -Be @($expected.Keys | Sort-Object)
        [Convert]::ToHexString($file.Entry.Xattrs['user.odd=name%']) | Should -Be '00FF0A'
    }

    It 'reads device numbers (<Format>)' {
        $device = $read | Where-Object { $_.Entry.Path -eq 'dir/null' }
        $device.Entry.Type | Should -Be 'CharDevice'
        $device.Entry.DeviceMajor | Should -Be 1
        $device.Entry.DeviceMinor | Should -Be 3
    }
}

Describe 'TarArchiveReader on an archive from the Docker archive API' -Tag Archive {
    BeforeDiscovery {
        $dockerMissing = $null -eq (Get-Command docker -ErrorAction SilentlyContinue) -or -not $env:DOCKER_HOST
        if (-not $dockerMissing) {
            docker image inspect meshvolume-test/busybox:latest *> $null
            $dockerMissing = $LASTEXITCODE -ne 0
        }
    }

    BeforeAll {
        $suffix = [Guid]::NewGuid().ToString('n').Substring(0, 8)
        $script:volume = "meshvolume-archive-$suffix"
        $script:container = "meshvolume-archive-$suffix"
        $script:archive = Join-Path $TestDrive 'docker.tar'
        $script:extracted = Join-Path $TestDrive 'docker-extracted'
        if (-not $dockerMissing) {
            $populate = @'
set -e
cd /data
mkdir -p dir/sub "dir/$(printf 'l%.0s' $(seq 1 120))"
printf 'hello\n' > dir/file.txt
printf 'long\n' > "dir/$(printf 'l%.0s' $(seq 1 120))/$(printf 'm%.0s' $(seq 1 150)).txt"
printf 'odd\n' > "dir/new
line é🙂.txt"
ln -s ../file.txt dir/sub/relative
ln -s "/$(printf 't%.0s' $(seq 1 150))/dangling" dir/sub/long-target
ln dir/file.txt dir/hard
mkfifo dir/fifo
dd if=/dev/urandom of=dir/random.bin bs=1024 count=3000 2>/dev/null
chown 1234:5678 dir/file.txt
chmod 4750 dir/file.txt
touch -d '2021-02-03 04:05:06' dir/file.txt
'@
            Invoke-Tool docker @('volume', 'create', '--label', 'meshvolume.test=1', $volume) | Out-Null
            Invoke-Tool docker @('run', '--rm', '--network', 'none', '--log-driver', 'none', '--label', 'meshvolume.test=1',
                '-v', "${volume}:/data", 'meshvolume-test/busybox:latest', 'sh', '-c', $populate) | Out-Null
            Invoke-Tool docker @('create', '--name', $container, '--network', 'none', '--label', 'meshvolume.test=1',
                '-v', "${volume}:/data", 'meshvolume-test/busybox:latest', 'true') | Out-Null
            # docker cp CONTAINER:PATH - streams GET /containers/{id}/archive unchanged.
            Invoke-Tool bash @('-c', 'docker cp "$1:/data" - > "$2"', '_', $container, $archive)
            New-Item -ItemType Directory $extracted | Out-Null
            Invoke-Tool tar @('--numeric-owner', '-xpf', $archive, '-C', $extracted)
            $script:read = @(Read-TestArchiveFile $archive)
        }
    }

    AfterAll {
        if (-not $dockerMissing) {
            docker rm -f $container *> $null
            docker volume rm -f $volume *> $null
        }
    }

    It 'reads the same entries as GNU tar' -Skip:$dockerMissing {
        $expected = @(Get-TreePath $extracted | Sort-Object)
        @($read.Entry.Path | Sort-Object) | Should -Be $expected
    }

    It 'reads type, mode, owner, size and mtime as GNU tar extracts them' -Skip:$dockerMissing {
        Compare-EntryWithTree -Items $read -Root $extracted -NanosecondTimes $true | Should -BeNullOrEmpty
    }

    It 'reads content, links and long names' -Skip:$dockerMissing {
        $file = $read | Where-Object { $_.Entry.Path -eq 'data/dir/file.txt' }
        [Text.Encoding]::ASCII.GetString($file.Content) | Should -Be "hello`n"
        $file.Entry.Mode | Should -Be ([Convert]::ToInt32('4750', 8))
        $file.Entry.Uid | Should -Be 1234
        $file.Entry.MtimeNanoseconds | Should -Be 1612325106000000000
        $random = $read | Where-Object { $_.Entry.Path -eq 'data/dir/random.bin' }
        $random.Sha256 | Should -Be (Get-FileSha256 (Join-TreePath $extracted 'data/dir/random.bin'))
        ($read | Where-Object { $_.Entry.Path -eq 'data/dir/sub/long-target' }).Entry.LinkTarget |
            Should -Be ('/' + ('t' * 150) + '/dangling')
        ($read | Where-Object { $_.Entry.Path -like "data/dir/new`nline*" }).Entry.Type | Should -Be 'File'
        $hardLink = $read | Where-Object { $_.Entry.Type -eq 'HardLink' }
        @($hardLink.Entry.Path, $hardLink.Entry.LinkTarget) | Sort-Object | Should -Be @('data/dir/file.txt', 'data/dir/hard')
    }
}

Describe 'TarArchiveReader on damaged archives' -Tag Archive {
    BeforeAll {
        # Layout: first.txt header at 0 and data to 1536, then a pax header (the long name) at
        # 1536 with its records at 2048, the ustar header at 2560, and last.txt after that.
        function Get-ArchiveBytes([MeshVolume.Services.Archive.CompressionMethod] $Compression = 'None') {
            $path = Join-Path $TestDrive "valid-$Compression.tar"
            $items = @(
                @{ Entry = New-Entry @{ Path = 'first.txt'; Type = 'File'; Size = 600; Mode = 420 }; Content = [byte[]]::new(600) }
                @{ Entry = New-Entry @{ Path = 'long/' + ('n' * 200); Type = 'File'; Size = 3; Mode = 420 }; Content = [byte[]](1, 2, 3) }
                @{ Entry = New-Entry @{ Path = 'last.txt'; Type = 'File'; Size = 5000; Mode = 420 }; Content = [byte[]]::new(5000) }
            )
            Write-TestArchive -Path $path -Items $items -Compression $Compression | Out-Null
            return , [IO.File]::ReadAllBytes($path)
        }

        # Returns the MeshVolumeException that reading the bytes raised, or null.
        function Get-ReadFailure([byte[]] $Bytes, [MeshVolume.Services.Archive.CompressionMethod] $Compression = 'None') {
            try {
                Read-TestArchive -Stream ([IO.MemoryStream]::new($Bytes)) -Compression $Compression | Out-Null
                return $null
            }
            catch {
                $exception = $_.Exception
                while ($exception -and $exception -isnot [MeshVolume.MeshVolumeException]) { $exception = $exception.InnerException }
                if (-not $exception) { throw }
                return $exception
            }
        }

        $script:valid = Get-ArchiveBytes
        $script:validZstd = Get-ArchiveBytes Zstd
        $script:validGzip = Get-ArchiveBytes Gzip
    }

    It 'reads the undamaged archives' {
        Get-ReadFailure $valid | Should -BeNullOrEmpty
        Get-ReadFailure $validZstd Zstd | Should -BeNullOrEmpty
        Get-ReadFailure $validGzip Gzip | Should -BeNullOrEmpty
    }

    It 'reports a flipped header byte with its offset' {
        $bytes = $valid.Clone()
        $bytes[1536 + 10] = $bytes[1536 + 10] -bxor 0x20
        $failure = Get-ReadFailure $bytes
        $failure.ErrorId | Should -Be 'ArchiveCorrupt'
        $failure.ToErrorRecord($null).FullyQualifiedErrorId | Should -Be 'ArchiveCorrupt'
        $failure.Message | Should -BeLike '*byte 1536 *checksum*'
        $failure.Message | Should -BeLike "*after entry 'first.txt'*"
    }

    It 'reports an archive cut inside entry data' {
        $failure = Get-ReadFailure $valid[0..($valid.Length - 3000)]
        $failure.ErrorId | Should -Be 'ArchiveCorrupt'
        $failure.Message | Should -BeLike "*entry 'last.txt'*truncated*"
    }

    It 'reports an archive without its end-of-archive blocks' {
        $failure = Get-ReadFailure $valid[0..($valid.Length - 1025)]
        $failure.ErrorId | Should -Be 'ArchiveCorrupt'
        $failure.Message | Should -BeLike '*end-of-archive*'
    }

    It 'reports an archive cut inside a header block' {
        $failure = Get-ReadFailure $valid[0..(1536 + 100)]
        $failure.ErrorId | Should -Be 'ArchiveCorrupt'
        $failure.Message | Should -BeLike '*byte 1536 *inside a header block*'
    }

    It 'reports a malformed pax record' {
        $bytes = $valid.Clone()
        [char]$bytes[2048] | Should -Match '\d'
        $bytes[2048] = [byte][char]'9'
        $bytes[2049] = [byte][char]'9'
        $failure = Get-ReadFailure $bytes
        $failure.ErrorId | Should -Be 'ArchiveCorrupt'
        $failure.Message | Should -BeLike '*pax*'
    }

    It 'reports a cut zstd archive' {
        $failure = Get-ReadFailure $validZstd[0..($validZstd.Length - 20)] Zstd
        $failure.ErrorId | Should -Be 'ArchiveCorrupt'
    }

    It 'reports damaged zstd data' {
        $bytes = $validZstd.Clone()
        $bytes[$bytes.Length - 30] = $bytes[$bytes.Length - 30] -bxor 0xFF
        $failure = Get-ReadFailure $bytes Zstd
        $failure.ErrorId | Should -Be 'ArchiveCorrupt'
    }

    It 'reports damaged gzip data' {
        $bytes = $validGzip.Clone()
        $bytes[20] = $bytes[20] -bxor 0xFF
        $bytes[21] = $bytes[21] -bxor 0xFF
        $failure = Get-ReadFailure $bytes Gzip
        $failure.ErrorId | Should -Be 'ArchiveCorrupt'
    }
}

Describe 'TarArchiveWriter input checks' -Tag Archive {
    BeforeAll {
        function Invoke-WriteEntry([MeshVolume.Services.Archive.ArchiveEntry] $Entry, [byte[]] $Content) {
            $writer = [MeshVolume.Services.Archive.TarArchiveWriter]::new([IO.MemoryStream]::new())
            try { Wait-Task $writer.WriteEntryAsync($Entry, [IO.MemoryStream]::new($Content), $None) }
            finally { $writer.Dispose() }
        }

        # Runs an action and returns the exception it raised, unwrapped from PowerShell's
        # MethodInvocationException, or null.
        function Get-InnerException([scriptblock] $Action) {
            try { $null = & $Action; return $null }
            catch {
                $exception = $_.Exception
                while ($exception.InnerException -and $exception -is [Management.Automation.MethodInvocationException]) {
                    $exception = $exception.InnerException
                }
                return $exception
            }
        }
    }

    It 'reports a file that ends before its size with BackupFailed' {
        $failure = Get-InnerException { Invoke-WriteEntry (New-Entry @{ Path = 'shrunk'; Type = 'File'; Size = 10 }) ([byte[]](1, 2, 3)) }
        $failure.ErrorId | Should -Be 'BackupFailed'
        $failure.Message | Should -BeLike "*'shrunk' ended after 3 of 10 bytes*"
    }

    It 'reads no more than the size of a file that grew' {
        $output = [IO.MemoryStream]::new()
        $writer = [MeshVolume.Services.Archive.TarArchiveWriter]::new($output, $true)
        $entry = New-Entry @{ Path = 'grown'; Type = 'File'; Size = 2 }
        $hash = Wait-Task $writer.WriteEntryAsync($entry, [IO.MemoryStream]::new([byte[]](7, 8, 9)), $None)
        $null = Wait-Task $writer.FinishAsync($None)
        $writer.Dispose()
        $hash | Should -Be (Get-Sha256Hex ([byte[]](7, 8)))
        $output.Length | Should -Be (512 + 512 + 1024)
    }

    It 'rejects <Case>' -ForEach @(
        @{ Case = 'an absolute path'; Entry = @{ Path = '/etc/passwd'; Type = 'File' } }
        @{ Case = 'a NUL in the path'; Entry = @{ Path = "a`0b"; Type = 'File' } }
        @{ Case = 'a symlink without target'; Entry = @{ Path = 'link'; Type = 'Symlink' } }
        @{ Case = 'overlapping sparse segments'; Entry = @{ Path = 's'; Type = 'File'; Size = 100 }; Sparse = @(@(0, 50), @(40, 10)) }
        @{ Case = 'a sparse segment past the size'; Entry = @{ Path = 's'; Type = 'File'; Size = 100 }; Sparse = @(, @(90, 20)) }
        @{ Case = 'a sparse map on a directory'; Entry = @{ Path = 'd'; Type = 'Directory' }; Sparse = @(, @(0, 1)) }
    ) {
        $entry = New-Entry $Entry
        if ($_.ContainsKey('Sparse')) { $entry.SparseMap = ConvertTo-SegmentList $Sparse }
        $failure = Get-InnerException { Invoke-WriteEntry $entry ([byte[]]::new(0)) }
        $failure | Should -BeOfType [ArgumentException]
    }

    It 'writes no end-of-archive blocks when disposed unfinished' {
        $output = [IO.MemoryStream]::new()
        $writer = [MeshVolume.Services.Archive.TarArchiveWriter]::new($output, $true)
        $entry = New-Entry @{ Path = 'a'; Type = 'File'; Size = 1 }
        $null = Wait-Task $writer.WriteEntryAsync($entry, [IO.MemoryStream]::new([byte[]](1)), $None)
        $writer.Dispose()
        $output.Length | Should -Be 1024
        $failure = Get-InnerException { Read-TestArchive -Stream ([IO.MemoryStream]::new($output.ToArray())) }
        $failure.ErrorId | Should -Be 'ArchiveCorrupt'
    }
}

Describe 'Archive stream helpers' -Tag Archive {
    BeforeAll {
        $script:data = [byte[]]::new(3MB + 17)
        [Random]::new(7).NextBytes($data)
        $script:dataSha = Get-Sha256Hex $data
    }

    It 'HashingStream hashes and counts what is written through it' {
        $target = [IO.MemoryStream]::new()
        $hashing = [MeshVolume.Services.Archive.HashingStream]::new($target, $true)
        $hashing.Write($data, 0, 1000)
        Wait-Task $hashing.WriteAsync($data, 1000, $data.Length - 1000, $None)
        $hashing.GetSha256Hex() | Should -Be $dataSha
        $hashing.ByteCount | Should -Be $data.Length
        $target.Length | Should -Be $data.Length
        { $hashing.Write($data, 0, 1) } | Should -Throw
    }

    It 'HashingStream hashes and counts what is read through it' {
        $hashing = [MeshVolume.Services.Archive.HashingStream]::new([IO.MemoryStream]::new($data))
        $hashing.CopyTo([IO.Stream]::Null, 100000)
        $hashing.GetSha256Hex() | Should -Be $dataSha
        $hashing.ByteCount | Should -Be $data.Length
    }

    It 'CountingStream counts reads and writes' {
        $counting = [MeshVolume.Services.Archive.CountingStream]::new([IO.MemoryStream]::new())
        $counting.Write($data, 0, 1234)
        $counting.BytesWritten | Should -Be 1234
        $counting.BytesRead | Should -Be 0
        $reading = [MeshVolume.Services.Archive.CountingStream]::new([IO.MemoryStream]::new($data))
        $reading.CopyTo([IO.Stream]::Null)
        $reading.BytesRead | Should -Be $data.Length
    }

    It 'BackgroundWriteStream writes everything in order' {
        $target = [IO.MemoryStream]::new()
        $background = [MeshVolume.Services.Archive.BackgroundWriteStream]::new($target, 4096, 2, $true)
        for ($offset = 0; $offset -lt $data.Length; $offset += 1000) {
            $background.Write($data, $offset, [Math]::Min(1000, $data.Length - $offset))
        }
        $background.Flush()
        $target.Length | Should -Be $data.Length
        $background.Dispose()
        Get-Sha256Hex $target.ToArray() | Should -Be $dataSha
    }

    It 'BackgroundWriteStream raises a failure of the inner stream' {
        $readOnly = [IO.MemoryStream]::new([byte[]]::new(10), $false)
        $background = [MeshVolume.Services.Archive.BackgroundWriteStream]::new($readOnly, 4096, 2, $true)
        $background.Write($data, 0, 5000)
        { $background.Flush() } | Should -Throw '*not*writ*'
        { $background.Write($data, 0, 10) } | Should -Throw '*not*writ*'
        { $background.Dispose() } | Should -Not -Throw
    }

    It 'maps <Method> to <Extension> and <Name>' -ForEach @(
        @{ Method = 'Zstd'; Extension = '.tar.zst'; Name = 'zstd' }
        @{ Method = 'Gzip'; Extension = '.tar.gz'; Name = 'gzip' }
        @{ Method = 'None'; Extension = '.tar'; Name = 'none' }
    ) {
        [MeshVolume.Services.Archive.ArchiveCompression]::GetFileExtension($Method) | Should -Be $Extension
        [MeshVolume.Services.Archive.ArchiveCompression]::ToManifestName($Method) | Should -Be $Name
        $parsed = [MeshVolume.Services.Archive.CompressionMethod]::None
        [MeshVolume.Services.Archive.ArchiveCompression]::TryParseManifestName($Name.ToUpperInvariant(), [ref]$parsed) | Should -BeTrue
        $parsed | Should -Be $Method
        [MeshVolume.Services.Archive.ArchiveCompression]::TryGetMethodFromFileName("vol-20261204T174023Z$Extension", [ref]$parsed) | Should -BeTrue
        $parsed | Should -Be $Method
    }

    It 'rejects unknown names and extensions' {
        $parsed = [MeshVolume.Services.Archive.CompressionMethod]::None
        [MeshVolume.Services.Archive.ArchiveCompression]::TryParseManifestName('1', [ref]$parsed) | Should -BeFalse
        [MeshVolume.Services.Archive.ArchiveCompression]::TryParseManifestName('bzip2', [ref]$parsed) | Should -BeFalse
        [MeshVolume.Services.Archive.ArchiveCompression]::TryGetMethodFromFileName('backup.tar.bz2', [ref]$parsed) | Should -BeFalse
    }

    It 'round-trips zstd level <Level> with <Workers> workers, and zstd -d agrees' -ForEach @(
        @{ Level = 1; Workers = 0 }
        @{ Level = 3; Workers = 2 }
        @{ Level = 19; Workers = 0 }
        @{ Level = -5; Workers = 0 }
    ) {
        $path = Join-Path $TestDrive "data-$Level-$Workers.zst"
        $file = [IO.File]::Create($path)
        $stream = [MeshVolume.Services.Archive.ArchiveCompression]::Create($file, 'Zstd', $Level, $Workers, $false)
        $stream.Write($data, 0, $data.Length)
        $stream.Dispose()
        Invoke-Tool zstd @('-q', '-t', $path)
        (Invoke-Tool bash @('-c', 'zstd -dc "$1" | sha256sum', '_', $path)) | Should -BeLike "$dataSha *"
        $reading = [MeshVolume.Services.Archive.HashingStream]::new(
            [MeshVolume.Services.Archive.ArchiveCompression]::OpenRead([IO.File]::OpenRead($path), 'Zstd', $false))
        $reading.CopyTo([IO.Stream]::Null)
        $reading.GetSha256Hex() | Should -Be $dataSha
        $reading.Dispose()
    }

    It 'rejects zstd level <_>' -ForEach @(0, 23) {
        { [MeshVolume.Services.Archive.ArchiveCompression]::Create([IO.MemoryStream]::new(), 'Zstd', $_, 0, $false) } |
            Should -Throw
    }

    It 'round-trips gzip level <_>, and gzip -d agrees' -ForEach @(0, 1, 6, 9) {
        $path = Join-Path $TestDrive "data-$_.gz"
        $file = [IO.File]::Create($path)
        $stream = [MeshVolume.Services.Archive.ArchiveCompression]::Create($file, 'Gzip', $_, 0, $false)
        $stream.Write($data, 0, $data.Length)
        $stream.Dispose()
        (Invoke-Tool bash @('-c', 'gzip -dc "$1" | sha256sum', '_', $path)) | Should -BeLike "$dataSha *"
        $reading = [MeshVolume.Services.Archive.HashingStream]::new(
            [MeshVolume.Services.Archive.ArchiveCompression]::OpenRead([IO.File]::OpenRead($path), 'Gzip', $false))
        $reading.CopyTo([IO.Stream]::Null)
        $reading.GetSha256Hex() | Should -Be $dataSha
        $reading.Dispose()
    }

    It 'SparseSegmentStream feeds a sparse file from disk to the writer' {
        $source = Join-Path $TestDrive 'disk-sparse'
        Invoke-Tool bash @('-c', 'truncate -s 20M "$1" && printf abc | dd of="$1" bs=1M seek=5 conv=notrunc status=none', '_', $source)
        $segments = ConvertTo-SegmentList @(, @(5MB, 4096))
        $file = [IO.File]::OpenRead($source)
        $content = [MeshVolume.Services.Archive.SparseSegmentStream]::new($file, $segments)
        $content.Length | Should -Be 4096
        $archive = Join-Path $TestDrive 'disk-sparse.tar'
        $entry = New-Entry @{ Path = 'disk-sparse'; Type = 'File'; Size = 20MB; Mode = 420; SparseMap = $segments }
        $hashes = Write-TestArchive -Path $archive -Items @(@{ Entry = $entry; Content = $content })
        $content.Dispose()
        $hashes['disk-sparse'] | Should -Be (Get-FileSha256 $source)
        $target = Join-Path $TestDrive 'disk-sparse-extracted'
        New-Item -ItemType Directory $target | Out-Null
        Invoke-Tool tar @('-xf', $archive, '-C', $target)
        Get-FileSha256 (Join-TreePath $target 'disk-sparse') | Should -Be $hashes['disk-sparse']
        (Get-PathStat (Join-TreePath $target 'disk-sparse')).Allocated | Should -BeLessThan 100KB
    }
}
