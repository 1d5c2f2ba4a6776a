<#
    Host-side volume reading and writing (HostVolumeReader, HostVolumeWriter) on folders
    under /tmp; no Docker engine needed. Runs as root on Linux, because it sets owners,
    trusted.* attributes and device nodes. Needs setfattr (Debian's attr) and python3, which
    lists the trees independently of the module.
#>

BeforeDiscovery {
    $script:canRun = $IsLinux -and ((& id -u) -eq '0')
}

BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH -Force
    $script:ReaderType = [MeshVolume.Services.HostFileSystem.HostVolumeReader]
    $script:WriterType = [MeshVolume.Services.HostFileSystem.HostVolumeWriter]
    $script:EntryType = [MeshVolume.Services.Archive.ArchiveEntry]
    $script:Base = Join-Path '/tmp' ('meshvolume-test-hostfs-' + [guid]::NewGuid().ToString('n').Substring(0, 8))
    New-Item -ItemType Directory -Path $Base | Out-Null

    # Lists a tree with Python's os.lstat, so the comparison does not rest on the module's
    # own reader. Hard links are shown as the first path of their inode.
    $script:SnapshotScript = Join-Path $Base 'snapshot.py'
    Set-Content -Path $SnapshotScript -Encoding utf8NoBOM -Value @'
import base64, hashlib, json, os, stat, sys
root = sys.argv[1]
entries, first_paths = [], {}
def visit(rel):
    path = os.path.join(root, rel) if rel else root
    st = os.lstat(path)
    item = {'path': rel or '.', 'type': stat.S_IFMT(st.st_mode), 'mode': stat.S_IMODE(st.st_mode),
            'uid': st.st_uid, 'gid': st.st_gid, 'mtime': st.st_mtime_ns, 'blocks': st.st_blocks}
    names = sorted(os.listxattr(path, follow_symlinks=False))
    item['xattrs'] = ';'.join(n + '=' + base64.b64encode(
        os.getxattr(path, n, follow_symlinks=False)).decode() for n in names)
    if not stat.S_ISDIR(st.st_mode):
        item['size'] = st.st_size
        key = (st.st_dev, st.st_ino)
        item['link'] = first_paths.setdefault(key, item['path'])
    if stat.S_ISLNK(st.st_mode):
        item['target'] = os.readlink(path)
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        item['rdev'] = [os.major(st.st_rdev), os.minor(st.st_rdev)]
    if stat.S_ISREG(st.st_mode):
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
        item['sha256'] = digest.hexdigest()
    entries.append(item)
    if stat.S_ISDIR(st.st_mode):
        for name in sorted(os.listdir(path), key=os.fsencode):
            visit(os.path.join(rel, name) if rel else name)
visit('')
print(json.dumps(entries))
'@

    function Get-TreeSnapshot([string] $Root) {
        $json = & python3 $SnapshotScript $Root
        if ($LASTEXITCODE -ne 0) { throw "python3 could not list $Root." }
        return ($json | ConvertFrom-Json)
    }

    function Invoke-Native([string] $Command, [string[]] $Arguments) {
        & $Command @Arguments
        if ($LASTEXITCODE -ne 0) { throw "$Command $($Arguments -join ' ') failed." }
    }

    # Sets owner, mode and mtime in that order: chown clears setuid and setgid.
    function Set-Metadata([string] $Path, [string] $Owner, [string] $Mode, [string] $Mtime) {
        Invoke-Native chown @('-h', $Owner, $Path)
        if ($Mode) { Invoke-Native chmod @($Mode, $Path) }
        Invoke-Native touch @('-h', '-d', $Mtime, $Path)
    }

    # Returns the MeshVolumeException that a script block raises, or $null.
    function Get-MeshException([scriptblock] $Script) {
        try { & $Script } catch {
            $exception = $_.Exception
            while ($exception -and $exception -isnot [MeshVolume.MeshVolumeException]) {
                $exception = $exception.InnerException
            }
            return $exception
        }
        return $null
    }

    # Opens a File entry's content as HostVolumeWriter takes it: the packed data segments
    # for a sparse file, else the whole file.
    function Open-EntryContent($Reader, $Entry) {
        $stream = $Reader.OpenContent($Entry)
        if ($null -ne $Entry.SparseMap) {
            return [MeshVolume.Services.Archive.SparseSegmentStream]::new($stream, $Entry.SparseMap, $false)
        }
        return $stream
    }

    function Copy-HostVolume([string] $Source, [string] $Target) {
        $reader = $ReaderType::new($Source)
        $writer = $WriterType::new($Target)
        try {
            foreach ($entry in $reader.ReadEntries()) {
                $content = $null
                if ($entry.Type -eq 'File') { $content = Open-EntryContent $reader $entry }
                $writer.WriteEntry($entry, $content)
            }
            $writer.Complete()
            $writer.Flush()
        }
        finally {
            $writer.Dispose()
        }
    }

    function Read-HostVolume([string] $Root) {
        $reader = $ReaderType::new($Root)
        foreach ($entry in $reader.ReadEntries()) {
            $hash = $null
            if ($entry.Type -eq 'File') {
                $stream = Open-EntryContent $reader $entry
                try { $hash = (Get-FileHash -InputStream $stream -Algorithm SHA256).Hash }
                finally { $stream.Dispose() }
            }
            [pscustomobject]@{ Entry = $entry; Hash = $hash }
        }
    }

    # PowerShell cannot call the explicit GetEnumerator of a C# iterator, so reflection does.
    function Get-EntryEnumerator($Reader) {
        $sequenceType = [Collections.Generic.IEnumerable[MeshVolume.Services.Archive.ArchiveEntry]]
        $enumerator = $sequenceType.GetMethod('GetEnumerator').Invoke($Reader.ReadEntries(), @())
        Write-Output -NoEnumerate $enumerator
    }

    function New-ArchiveEntry([string] $Path, [string] $Type, [hashtable] $Properties = @{}) {
        $entry = $EntryType::new()
        $entry.Path = $Path
        $entry.Type = $Type
        $entry.Mode = if ($Type -eq 'Directory') { 493 } else { 420 }
        $entry.MtimeNanoseconds = 1000000000000000000
        foreach ($key in $Properties.Keys) { $entry.$key = $Properties[$key] }
        return $entry
    }

    function New-TextStream([string] $Text) {
        return [IO.MemoryStream]::new([Text.Encoding]::UTF8.GetBytes($Text))
    }
}

AfterAll {
    if ($Base -and (Test-Path $Base)) { & rm -rf -- $Base }
}

Describe 'HostVolumeReader and HostVolumeWriter round trip' -Tag HostFileSystem -Skip:(-not $canRun) {
    BeforeAll {
        $script:Source = Join-Path $Base 'round-trip-source'
        $script:Target = Join-Path $Base 'round-trip-target'
        New-Item -ItemType Directory -Path $Source, $Target | Out-Null
        $emoji = [char]::ConvertFromUtf32(0x1F600)
        $script:SpecialNames = @('with space', "new`nline", 'back\slash', 'colon:name',
            "emoji $emoji", ([string][char]0xE9) * 127)

        Set-Content -Path "$Source/plain.txt" -Value 'hello' -NoNewline
        $random = [byte[]]::new(3MB + 17)
        [Random]::new(42).NextBytes($random)
        [IO.File]::WriteAllBytes("$Source/random.bin", $random)
        New-Item -ItemType File -Path "$Source/empty-file" | Out-Null
        New-Item -ItemType Directory -Path "$Source/empty-dir", "$Source/sticky-dir", "$Source/links" | Out-Null
        # File APIs take a backslash literally; the provider cmdlets would read it as a separator.
        foreach ($name in $SpecialNames) { [IO.File]::WriteAllText("$Source/$name", $name) }

        $deep = $Source
        foreach ($level in 1..3) { $deep = Join-Path $deep (([string]$level) * 200) }
        New-Item -ItemType Directory -Path $deep | Out-Null
        Set-Content -LiteralPath (Join-Path $deep ('f' * 255)) -Value 'deep' -NoNewline
        $script:DeepFile = [IO.Path]::GetRelativePath($Source, (Join-Path $deep ('f' * 255)))

        Invoke-Native ln @("$Source/plain.txt", "$Source/links/second")
        Invoke-Native ln @("$Source/plain.txt", "$Source/links/third")
        Invoke-Native ln @('-s', 'does-not-exist', "$Source/dangling")
        Invoke-Native ln @('-s', '/etc/passwd', "$Source/absolute")
        Invoke-Native mkfifo @("$Source/fifo")
        Invoke-Native mknod @("$Source/null-device", 'c', '1', '3')

        # A 1 GiB file with three 4 KiB data blocks: at 0, at 300 MiB and at the end.
        Invoke-Native truncate @('-s', '1G', "$Source/sparse.img")
        foreach ($block in @(0, 76800, 262143)) {
            Invoke-Native dd @('if=/dev/urandom', "of=$Source/sparse.img", 'bs=4096', 'count=1',
                "seek=$block", 'conv=notrunc', 'status=none')
        }
        Copy-Item "$Source/plain.txt" "$Source/setid-program"

        Set-Metadata "$Source/plain.txt" '1000:1000' '0640' '@981173106.123456789'
        Set-Metadata "$Source/random.bin" '1001:1002' '0600' '@1600000000.000000001'
        Set-Metadata "$Source/setid-program" '1234:5678' '6755' '@1500000000.5'
        Set-Metadata "$Source/fifo" '3:4' '0620' '@1400000000.25'
        Set-Metadata "$Source/null-device" '0:0' '0666' '@1300000000.75'
        Set-Metadata "$Source/dangling" '2000:2001' $null '@1200000000.999999999'
        Set-Metadata "$Source/absolute" '2002:2003' $null '@1100000000.1'
        Set-Metadata "$Source/sparse.img" '65534:65534' '0644' '@1000000000.2'
        Invoke-Native setfattr @('-n', 'user.comment', '-v', 'hello world', "$Source/plain.txt")
        Invoke-Native setfattr @('-n', 'trusted.binary', '-v', '0x00ff01', "$Source/plain.txt")
        Invoke-Native setfattr @('-n', 'security.meshvolume', '-v', 'label', "$Source/random.bin")
        Invoke-Native setfattr @('-n', 'user.folder', '-v', '1', "$Source/empty-dir")
        Invoke-Native setfattr @('-h', '-n', 'trusted.link', '-v', 'x', "$Source/dangling")

        # Folders last, deepest first, because adding children changes their mtime.
        Set-Metadata "$Source/links" '1:1' '0755' '@1700000000.3'
        Set-Metadata "$Source/empty-dir" '1001:1002' '0750' '@1700000001.4'
        Set-Metadata "$Source/sticky-dir" '0:0' '1777' '@1700000002.5'
        Set-Metadata $deep '5:6' '0700' '@1700000003.6'
        Set-Metadata $Source '4321:4322' '0751' '@1700000004.123456789'

        $script:ReadEntries = @(Read-HostVolume $Source)
        Copy-HostVolume $Source $Target
        $script:SourceSnapshot = @(Get-TreeSnapshot $Source)
        $script:TargetSnapshot = @(Get-TreeSnapshot $Target)
        $script:TargetEntries = @(Read-HostVolume $Target)
    }

    It 'reads the root first, then names in byte order, depth first' {
        $paths = $ReadEntries.Entry.Path
        $paths[0] | Should -Be '.'
        $paths | Should -Be $SourceSnapshot.path
    }

    It 'reads file sizes, modes, owners and mtimes' {
        $plain = ($ReadEntries | Where-Object { $_.Entry.Path -eq 'links/second' }).Entry
        $plain.Type | Should -Be 'File'
        $plain.Size | Should -Be 5
        $plain.Mode | Should -Be ([Convert]::ToInt32('640', 8))
        $plain.Uid | Should -Be 1000
        $plain.Gid | Should -Be 1000
        $plain.MtimeNanoseconds | Should -Be 981173106123456789
        $setid = ($ReadEntries | Where-Object { $_.Entry.Path -eq 'setid-program' }).Entry
        $setid.Mode | Should -Be ([Convert]::ToInt32('6755', 8))
    }

    It 'reads every hard link after the first as HardLink' {
        $links = $ReadEntries.Entry | Where-Object { $_.Path -in 'links/second', 'links/third', 'plain.txt' }
        # 'links/second' sorts first of the three, so it carries the content.
        ($links | Where-Object Path -eq 'links/second').Type | Should -Be 'File'
        ($links | Where-Object Path -eq 'links/second').Size | Should -Be 5
        ($links | Where-Object Path -eq 'links/third').Type | Should -Be 'HardLink'
        ($links | Where-Object Path -eq 'links/third').LinkTarget | Should -Be 'links/second'
        ($links | Where-Object Path -eq 'plain.txt').Type | Should -Be 'HardLink'
        ($links | Where-Object Path -eq 'plain.txt').LinkTarget | Should -Be 'links/second'
    }

    It 'reads symlink targets verbatim' {
        ($ReadEntries.Entry | Where-Object Path -eq 'dangling').LinkTarget | Should -Be 'does-not-exist'
        ($ReadEntries.Entry | Where-Object Path -eq 'absolute').LinkTarget | Should -Be '/etc/passwd'
    }

    It 'reads the sparse map of a sparse file' {
        $sparse = ($ReadEntries.Entry | Where-Object Path -eq 'sparse.img')
        $sparse.Size | Should -Be 1GB
        $map = @($sparse.SparseMap | ForEach-Object { '{0}+{1}' -f $_.Offset, $_.Length })
        $map | Should -Be @('0+4096', '314572800+4096', '1073737728+4096')
        ($ReadEntries.Entry | Where-Object Path -eq 'random.bin').SparseMap | Should -BeNullOrEmpty
    }

    It 'reads extended attributes of every namespace' {
        $plain = ($ReadEntries.Entry | Where-Object Path -eq 'plain.txt')
        # plain.txt is a HardLink entry here; its attributes are on the first path.
        $first = ($ReadEntries.Entry | Where-Object Path -eq 'links/second')
        $plain.Type | Should -Be 'HardLink'
        [Text.Encoding]::UTF8.GetString($first.Xattrs['user.comment']) | Should -Be 'hello world'
        [Convert]::ToHexString($first.Xattrs['trusted.binary']) | Should -Be '00FF01'
        $random = ($ReadEntries.Entry | Where-Object Path -eq 'random.bin')
        [Text.Encoding]::UTF8.GetString($random.Xattrs['security.meshvolume']) | Should -Be 'label'
        $dangling = ($ReadEntries.Entry | Where-Object Path -eq 'dangling')
        [Text.Encoding]::UTF8.GetString($dangling.Xattrs['trusted.link']) | Should -Be 'x'
    }

    It 'reads names with special characters and long paths unchanged' {
        foreach ($name in $SpecialNames) {
            $ReadEntries.Entry.Path | Should -Contain $name
        }
        $ReadEntries.Entry.Path | Should -Contain $DeepFile
        [Text.Encoding]::UTF8.GetByteCount($DeepFile) | Should -BeGreaterThan 800
    }

    It 'reads FIFOs and devices without opening them' {
        ($ReadEntries.Entry | Where-Object Path -eq 'fifo').Type | Should -Be 'Fifo'
        $device = ($ReadEntries.Entry | Where-Object Path -eq 'null-device')
        $device.Type | Should -Be 'CharDevice'
        $device.DeviceMajor | Should -Be 1
        $device.DeviceMinor | Should -Be 3
    }

    It 'restores every path with its type' {
        $TargetSnapshot.Count | Should -Be $SourceSnapshot.Count
        $TargetSnapshot.path | Should -Be $SourceSnapshot.path
        $TargetSnapshot.type | Should -Be $SourceSnapshot.type
    }

    It 'restores <Property> of every entry' -ForEach @(
        @{ Property = 'mode' }, @{ Property = 'uid' }, @{ Property = 'gid' },
        @{ Property = 'mtime' }, @{ Property = 'size' }, @{ Property = 'target' },
        @{ Property = 'sha256' }, @{ Property = 'xattrs' }, @{ Property = 'link' },
        @{ Property = 'rdev' }
    ) {
        $differences = for ($i = 0; $i -lt $SourceSnapshot.Count; $i++) {
            $expected = $SourceSnapshot[$i].PSObject.Properties[$Property]
            $actual = $TargetSnapshot[$i].PSObject.Properties[$Property]
            $expectedText = if ($expected) { ($expected.Value | ConvertTo-Json -Compress) } else { '' }
            $actualText = if ($actual) { ($actual.Value | ConvertTo-Json -Compress) } else { '' }
            if ($expectedText -ne $actualText) {
                "$($SourceSnapshot[$i].path): expected $expectedText, got $actualText"
            }
        }
        $differences | Should -BeNullOrEmpty
    }

    It 'keeps the sparse file sparse' {
        $sparse = $TargetSnapshot | Where-Object path -eq 'sparse.img'
        $sparse.size | Should -Be 1GB
        # Three 4 KiB blocks are 24 blocks of 512 bytes; allow for file system metadata.
        $sparse.blocks | Should -BeLessThan 2048
        $usage = (& du --block-size=1 "$Target/sparse.img") -split '\s+' | Select-Object -First 1
        [long]$usage | Should -BeLessThan 1MB
    }

    It 'reads the restored tree as the same entries' {
        $TargetEntries.Count | Should -Be $ReadEntries.Count
        for ($i = 0; $i -lt $ReadEntries.Count; $i++) {
            $expected = $ReadEntries[$i]
            $actual = $TargetEntries[$i]
            $actual.Entry.Path | Should -Be $expected.Entry.Path
            $actual.Entry.Type | Should -Be $expected.Entry.Type
            $actual.Hash | Should -Be $expected.Hash -Because $expected.Entry.Path
            $actualMap = ($actual.Entry.SparseMap | ForEach-Object { "$($_.Offset)+$($_.Length)" }) -join ','
            $expectedMap = ($expected.Entry.SparseMap | ForEach-Object { "$($_.Offset)+$($_.Length)" }) -join ','
            $actualMap | Should -Be $expectedMap -Because $expected.Entry.Path
        }
    }
}

Describe 'HostVolumeReader with untrusted contents' -Tag HostFileSystem -Skip:(-not $canRun) {
    BeforeAll {
        $script:Outside = Join-Path $Base 'reader-outside'
        New-Item -ItemType Directory -Path $Outside | Out-Null
        Set-Content -Path "$Outside/secret.txt" -Value 'secret'
    }

    It 'reports symlinks to /etc and outside folders without reading them' {
        $root = Join-Path $Base 'reader-symlinks'
        New-Item -ItemType Directory -Path $root | Out-Null
        Invoke-Native ln @('-s', '/etc', "$root/etc-link")
        Invoke-Native ln @('-s', $Outside, "$root/outside-link")
        Invoke-Native ln @('-s', '../../..', "$root/up-link")
        $entries = @(Read-HostVolume $root).Entry
        $entries.Path | Should -Be @('.', 'etc-link', 'outside-link', 'up-link')
        $entries[1].Type | Should -Be 'Symlink'
        $entries[1].LinkTarget | Should -Be '/etc'
        $entries[2].LinkTarget | Should -Be $Outside
        $entries[3].LinkTarget | Should -Be '../../..'
    }

    It 'keeps reading a folder that is swapped for a symlink mid-walk' {
        $root = Join-Path $Base 'reader-swap-open'
        New-Item -ItemType Directory -Path "$root/d" | Out-Null
        Set-Content -Path "$root/d/inner.txt" -Value 'inner'
        $reader = $ReaderType::new($root)
        $enumerator = Get-EntryEnumerator $reader
        try {
            $null = $enumerator.MoveNext()
            $null = $enumerator.MoveNext()
            $enumerator.Current.Path | Should -Be 'd'
            # The reader holds d open now: swap it for a symlink to a folder outside.
            Rename-Item "$root/d" 'd-moved'
            Invoke-Native ln @('-s', $Outside, "$root/d")
            $rest = while ($enumerator.MoveNext()) { $enumerator.Current.Path }
        }
        finally {
            $enumerator.Dispose()
        }
        @($rest) | Should -Be @('d/inner.txt')
    }

    It 'reports a folder swapped for a symlink before it is opened as the symlink' {
        $root = Join-Path $Base 'reader-swap-listed'
        New-Item -ItemType Directory -Path "$root/d" | Out-Null
        Set-Content -Path "$root/d/inner.txt" -Value 'inner'
        $reader = $ReaderType::new($root)
        $enumerator = Get-EntryEnumerator $reader
        try {
            $null = $enumerator.MoveNext()
            # The root is listed; d is not opened yet.
            Rename-Item "$root/d" 'd-moved'
            Invoke-Native ln @('-s', $Outside, "$root/d")
            $rest = @(while ($enumerator.MoveNext()) { $enumerator.Current })
        }
        finally {
            $enumerator.Dispose()
        }
        $rest.Count | Should -Be 1
        $rest[0].Path | Should -Be 'd'
        $rest[0].Type | Should -Be 'Symlink'
        $rest[0].LinkTarget | Should -Be $Outside
    }

    It 'rejects a name that is not valid UTF-8' {
        $root = Join-Path $Base 'reader-latin1'
        New-Item -ItemType Directory -Path "$root/sub" | Out-Null
        Invoke-Native bash @('-c', 'touch "$1/sub/caf$(printf ''\351'')"', 'bash', $root)
        $exception = Get-MeshException { @(Read-HostVolume $root) }
        $exception.ErrorId | Should -Be 'FileNameNotUtf8'
        $exception.Message | Should -BeLike "*'caf\xE9'*'sub'*"
    }

    It 'skips a socket with a warning' {
        $root = Join-Path $Base 'reader-socket'
        New-Item -ItemType Directory -Path $root | Out-Null
        Invoke-Native python3 @('-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', "$root/app.sock")
        $warnings = [Collections.Generic.List[string]]::new()
        $reader = $ReaderType::new($root, [Action[string]] { param($message) $warnings.Add($message) })
        $paths = @($reader.ReadEntries()).Path
        $paths | Should -Be @('.')
        $warnings.Count | Should -Be 1
        $warnings[0] | Should -BeLike "*socket 'app.sock'*"
        $reader.Warnings.Count | Should -Be 1
    }

    It 'refuses content after the enumeration moved on' {
        $root = Join-Path $Base 'reader-stale'
        New-Item -ItemType Directory -Path $root | Out-Null
        Set-Content -Path "$root/a.txt" -Value 'a'
        Set-Content -Path "$root/b.txt" -Value 'b'
        $reader = $ReaderType::new($root)
        $entries = @($reader.ReadEntries())
        { $reader.OpenContent($entries[1]) } | Should -Throw '*not available*'
    }
}

Describe 'HostVolumeWriter with unsafe archive paths' -Tag HostFileSystem -Skip:(-not $canRun) {
    BeforeEach {
        $script:Outside = Join-Path $Base ('writer-outside-' + [guid]::NewGuid().ToString('n').Substring(0, 6))
        $script:Volume = Join-Path $Base ('writer-volume-' + [guid]::NewGuid().ToString('n').Substring(0, 6))
        New-Item -ItemType Directory -Path $Outside, $Volume | Out-Null
        Set-Content -Path "$Outside/target.txt" -Value 'original'
        $script:Writer = $WriterType::new($Volume)
    }

    AfterEach {
        $Writer.Dispose()
    }

    It 'rejects a path through a symlink from the archive' {
        $Writer.WriteEntry((New-ArchiveEntry 'a' 'Symlink' @{ LinkTarget = $Outside }), $null)
        $entry = New-ArchiveEntry 'a/x' 'File' @{ Size = 5 }
        $exception = Get-MeshException { $Writer.WriteEntry($entry, (New-TextStream 'pwned')) }
        $exception.ErrorId | Should -Be 'ArchivePathUnsafe'
        $exception.Message | Should -BeLike "*'a' is a symlink*"
        "$Outside/x" | Should -Not -Exist
        (Get-ChildItem $Outside).Name | Should -Be @('target.txt')
    }

    It 'rejects <Path>' -ForEach @(
        @{ Path = '../x' }, @{ Path = 'a/../../x' }, @{ Path = '/tmp/x' }, @{ Path = 'a//x' }
    ) {
        $entry = New-ArchiveEntry $Path 'File' @{ Size = 1 }
        $exception = Get-MeshException { $Writer.WriteEntry($entry, (New-TextStream 'x')) }
        $exception.ErrorId | Should -Be 'ArchivePathUnsafe'
        (Get-ChildItem -Force $Volume) | Should -BeNullOrEmpty
        "$Base/x" | Should -Not -Exist
    }

    It 'rejects a hard link whose target goes through a symlink' {
        $Writer.WriteEntry((New-ArchiveEntry 'etc' 'Symlink' @{ LinkTarget = '/etc' }), $null)
        $entry = New-ArchiveEntry 'passwd' 'HardLink' @{ LinkTarget = 'etc/passwd' }
        $exception = Get-MeshException { $Writer.WriteEntry($entry, $null) }
        $exception.ErrorId | Should -Be 'ArchivePathUnsafe'
        "$Volume/passwd" | Should -Not -Exist
    }

    It 'replaces a symlink at the name of a file without following it' {
        Invoke-Native ln @('-s', "$Outside/target.txt", "$Volume/c")
        $Writer.WriteEntry((New-ArchiveEntry 'c' 'File' @{ Size = 3 }), (New-TextStream 'new'))
        Get-Content "$Outside/target.txt" | Should -Be 'original'
        (Get-Item "$Volume/c").LinkType | Should -BeNullOrEmpty
        Get-Content "$Volume/c" -Raw | Should -Be 'new'
    }

    It 'writes into the folder it holds open when that folder is swapped for a symlink' {
        $Writer.WriteEntry((New-ArchiveEntry 'd' 'Directory'), $null)
        $Writer.WriteEntry((New-ArchiveEntry 'd/y' 'File' @{ Size = 1 }), (New-TextStream 'y'))
        Rename-Item "$Volume/d" 'd-moved'
        Invoke-Native ln @('-s', $Outside, "$Volume/d")
        $Writer.WriteEntry((New-ArchiveEntry 'd/z' 'File' @{ Size = 1 }), (New-TextStream 'z'))
        "$Outside/z" | Should -Not -Exist
        "$Volume/d-moved/z" | Should -Exist
    }

    It 'rejects a folder that became a symlink when it applies folder metadata' {
        $Writer.WriteEntry((New-ArchiveEntry 'e' 'Directory'), $null)
        Remove-Item "$Volume/e"
        Invoke-Native ln @('-s', $Outside, "$Volume/e")
        $before = (Get-Item $Outside).UnixFileMode
        $exception = Get-MeshException { $Writer.Complete() }
        $exception.ErrorId | Should -Be 'ArchivePathUnsafe'
        (Get-Item $Outside).UnixFileMode | Should -Be $before
    }

    It 'rejects content shorter than the entry size' {
        $entry = New-ArchiveEntry 'short' 'File' @{ Size = 10 }
        $exception = Get-MeshException { $Writer.WriteEntry($entry, (New-TextStream 'abc')) }
        $exception.ErrorId | Should -Be 'ArchiveCorrupt'
    }
}

Describe 'HostVolumeWriter entry order' -Tag HostFileSystem -Skip:(-not $canRun) {
    BeforeEach {
        $script:Volume = Join-Path $Base ('writer-order-' + [guid]::NewGuid().ToString('n').Substring(0, 6))
        New-Item -ItemType Directory -Path $Volume | Out-Null
        $script:Writer = $WriterType::new($Volume)
    }

    AfterEach {
        $Writer.Dispose()
    }

    It 'creates missing parent folders' {
        $Writer.WriteEntry((New-ArchiveEntry 'p/q/file' 'File' @{ Size = 1 }), (New-TextStream 'x'))
        $Writer.WriteEntry((New-ArchiveEntry 'p' 'Directory' @{ Mode = 448; Uid = 7 }), $null)
        $Writer.Complete()
        Get-Content "$Volume/p/q/file" -Raw | Should -Be 'x'
        [int](Get-Item "$Volume/p").UnixFileMode | Should -Be 448
        (& stat -c '%u' "$Volume/p") | Should -Be '7'
        "$Volume/p/q" | Should -Exist
    }

    It 'replaces an earlier entry of the same path' {
        $Writer.WriteEntry((New-ArchiveEntry 'f' 'File' @{ Size = 3 }), (New-TextStream 'old'))
        $Writer.WriteEntry((New-ArchiveEntry 'f' 'Symlink' @{ LinkTarget = 'elsewhere' }), $null)
        (Get-Item "$Volume/f").LinkTarget | Should -Be 'elsewhere'
    }

    It 'rejects a file where a folder exists' {
        $Writer.WriteEntry((New-ArchiveEntry 'd' 'Directory'), $null)
        $exception = Get-MeshException {
            $Writer.WriteEntry((New-ArchiveEntry 'd' 'File' @{ Size = 1 }), (New-TextStream 'x'))
        }
        $exception.ErrorId | Should -Be 'RestoreFailed'
        $exception.Message | Should -BeLike "*folder of that name exists*"
    }
}

Describe 'HostVolumeWriter.ClearVolume' -Tag HostFileSystem -Skip:(-not $canRun) {
    It 'empties the volume without following symlinks' {
        $outside = Join-Path $Base 'clear-outside'
        $volume = Join-Path $Base 'clear-volume'
        New-Item -ItemType Directory -Path "$outside/keep", "$volume/a/b/c" | Out-Null
        Set-Content -Path "$outside/keep/file.txt" -Value 'keep'
        Set-Content -Path "$volume/a/b/c/file.txt" -Value 'remove'
        Invoke-Native ln @('-s', $outside, "$volume/link")
        Invoke-Native ln @('-s', "$outside/keep", "$volume/a/link")
        Invoke-Native mkfifo @("$volume/a/fifo")
        Invoke-Native chmod @('0500', "$volume/a/b")
        $WriterType::ClearVolume($volume)
        (Get-ChildItem -Force $volume) | Should -BeNullOrEmpty
        "$volume" | Should -Exist
        Get-Content "$outside/keep/file.txt" | Should -Be 'keep'
    }
}
