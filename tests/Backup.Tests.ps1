BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    $script:fixtures = Join-Path $PSScriptRoot 'fixtures'

    function Get-VolumeFolder([string] $Name) {
        (Invoke-Docker volume inspect $Name | ConvertFrom-Json).Mountpoint
    }

    function New-FidelityVolume([switch] $NoHuge) {
        $name = New-TestVolume (New-TestName 'mvfid')
        $arguments = @("$fixtures/new-fidelity-tree.sh", (Get-VolumeFolder $name))
        if ($NoHuge) { $arguments += '--no-huge' }
        & bash @arguments
        if ($LASTEXITCODE -ne 0) { throw "The fidelity fixture failed in $name." }
        $name
    }

    # One record per entry: path, type, size, mode, owner, mtime, link, content hash, sparse
    # flag and xattrs, read from the host with GNU tools, independently of the module.
    function Get-TreeListing([string] $Folder, [string[]] $Options = @()) {
        $text = & bash "$fixtures/get-tree-listing.sh" $Folder @Options
        if ($LASTEXITCODE -ne 0) { throw "Listing $Folder failed." }
        ($text -join "`n").Split([char]0, [StringSplitOptions]::RemoveEmptyEntries)
    }

    function Compare-Trees([string] $Expected, [string] $Actual, [string[]] $Options = @()) {
        $before = Get-TreeListing $Expected $Options
        $after = Get-TreeListing $Actual $Options
        $before.Count | Should -BeGreaterThan 20
        Compare-Object $before $after | ForEach-Object { "$($_.SideIndicator) $($_.InputObject)" }
    }


}

AfterAll {
    Remove-TestResources
    Remove-TestRepositories
}

Describe 'Round trip to a <Kind> repository' -Tag Backup -ForEach @(
    @{ Kind = 'folder' }
    @{ Kind = 's3' }
) {
    BeforeAll {
        $repository = if ($Kind -eq 's3') { New-TestS3Repository } else { New-TestFolderRepository }
        $source = New-FidelityVolume
        $backup = Backup-MeshVolume -Name $source -Repository $repository -Tag fidelity, $Kind
        $target = New-TestName 'mvrestored'
        $restore = $backup | Restore-MeshVolume -TargetName $target -Confirm:$false
    }

    It 'returns a backup object that describes the volume' {
        $backup.VolumeName | Should -Be $source
        $backup.Id | Should -Match '^\d{8}T\d{6}Z-[0-9a-f]{6}$'
        $backup.ArchiveName | Should -Be "$source/$($backup.Id).tar.zst"
        $backup.ArchiveSha256 | Should -Match '^[0-9a-f]{64}$'
        $backup.FileCount | Should -Be 15
        $backup.ContentSize | Should -BeGreaterThan 9GB
        $backup.Tags | Should -Be @('fidelity', $Kind)
    }

    It 'restores into a new volume' {
        $restore.Name | Should -Be $target
        $restore.CreatedVolume | Should -BeTrue
        $restore.DataPath | Should -Be 'host'
    }

    It 'brings back every entry as it was' {
        Compare-Trees (Get-VolumeFolder $source) (Get-VolumeFolder $target) | Should -BeNullOrEmpty
    }

    It 'keeps hard links as links' {
        $folder = Get-VolumeFolder $target
        $inodes = & stat -c '%i' "$folder/docs/readme.txt" "$folder/data/hard-link-to-readme"
        $inodes[0] | Should -Be $inodes[1]
    }

    It 'keeps the 9 GiB sparse file sparse' {
        $folder = Get-VolumeFolder $target
        (& stat -c '%s' "$folder/data/huge-sparse.img") | Should -Be 9663676416
        [long](& du -k "$folder/data/huge-sparse.img").Split("`t")[0] | Should -BeLessThan 10240
    }

    It 'creates the target with the source volume labels' {
        $labels = (Invoke-Docker volume inspect $target | ConvertFrom-Json).Labels
        $labels.'meshvolume.test' | Should -Be (Get-TestLabelValue)
    }

    It 'lists the backup in the repository' {
        $found = Get-MeshVolumeBackup -Repository $repository -VolumeName $source -Latest
        $found.Id | Should -Be $backup.Id
        $found.ArchiveSha256 | Should -Be $backup.ArchiveSha256
        $found.FileCount | Should -Be $backup.FileCount
        $found.Tags | Should -Be $backup.Tags
        $found.Manifest.Entries.Count | Should -Be 0
        $full = Get-MeshVolumeBackup -Repository $repository -VolumeName $source -Latest -IncludeEntries
        $full.Manifest.Entries.Count | Should -Be $backup.Manifest.Entries.Count
    }
}

Describe 'Archive readable without the module' -Tag Backup {
    BeforeAll {
        $repository = New-TestFolderRepository
        $source = New-FidelityVolume -NoHuge
        $backup = Backup-MeshVolume -Name $source -Repository $repository
        $archive = Join-Path $repository $backup.ArchiveName
        $extracted = Join-Path ([IO.Path]::GetTempPath()) (New-TestName 'mvtar')
        New-Item -ItemType Directory $extracted | Out-Null
    }

    AfterAll {
        Remove-Item -Recurse -Force $extracted, $repository -ErrorAction SilentlyContinue
    }

    It 'is listed by zstd and GNU tar' {
        $names = & bash -c "zstd -dc '$archive' | tar -t"
        $LASTEXITCODE | Should -Be 0
        $names | Should -Contain 'docs/readme.txt'
        $names | Should -Contain 'data/nested/deeper/numbers.txt'
    }

    It 'is extracted by GNU tar to the same tree' {
        & bash -c "zstd -dc '$archive' | tar --xattrs --xattrs-include='*' --sparse -xpf - -C '$extracted'"
        $LASTEXITCODE | Should -Be 0
        Compare-Trees (Get-VolumeFolder $source) $extracted | Should -BeNullOrEmpty
    }

    It 'has a manifest whose entries match the archive' {
        $manifest = Get-Content -Raw "$repository/$($backup.ManifestName)" | ConvertFrom-Json
        $manifest.archiveSha256 | Should -Be (Get-FileHash $archive -Algorithm SHA256).Hash.ToLowerInvariant()
        $manifest.archiveSize | Should -Be (Get-Item $archive).Length
        $readme = $manifest.entries | Where-Object path -eq 'docs/readme.txt'
        $readme.sha256 | Should -Be (Get-FileHash "$extracted/docs/readme.txt" -Algorithm SHA256).Hash.ToLowerInvariant()
        $readme.mode | Should -Be '0644'
        ($manifest.entries | Where-Object path -eq 'data/setuid-file').mode | Should -Be '4755'
        ($manifest.entries | Where-Object path -eq 'data/dangling-link').linkTarget | Should -Be '/nonexistent/target'
        ($manifest.entries | Where-Object path -eq 'data/private').uid | Should -Be 1234
    }
}

Describe 'Engine data path' -Tag Backup {
    BeforeAll {
        $repository = New-TestFolderRepository
        $source = New-FidelityVolume -NoHuge
        $hostBackup = Backup-MeshVolume -Name $source -Repository $repository -DataPath Host
        $engineRestored = New-TestName 'mvengine'
        $engineRestore = $hostBackup | Restore-MeshVolume -TargetName $engineRestored -DataPath Engine -Confirm:$false
        $engineBackup = Backup-MeshVolume -Name $source -Repository $repository -DataPath Engine
        $hostRestored = New-TestName 'mvengine'
        $engineBackup | Restore-MeshVolume -TargetName $hostRestored -DataPath Host -Confirm:$false | Out-Null
    }

    It 'records which path moved the data' {
        $hostBackup.Manifest.ReadPath | Should -Be 'host'
        $engineBackup.Manifest.ReadPath | Should -Be 'engine'
        $engineRestore.DataPath | Should -Be 'engine'
    }

    It 'restores through the engine everything but holes' {
        # The engine's archive API writes the holes of sparse files as zeros.
        Compare-Trees (Get-VolumeFolder $source) (Get-VolumeFolder $engineRestored) '--no-blocks' |
            Should -BeNullOrEmpty
    }

    It 'backs up through the engine all but sub-second times, xattrs and holes' {
        # NOTE: Docker's archive API (20.10) sends whole-second mtimes, no extended attributes
        # and sparse files as plain data; the host path keeps all three and is used whenever
        # the engine is local.
        Compare-Trees (Get-VolumeFolder $source) (Get-VolumeFolder $hostRestored) '--seconds', '--no-xattrs', '--no-blocks' |
            Should -BeNullOrEmpty
    }

    It 'leaves no helper container behind' {
        & docker ps -aq --filter 'label=meshvolume.helper' | Should -BeNullOrEmpty
    }
}

Describe 'Restore safety' -Tag Backup {
    BeforeAll {
        $repository = New-TestFolderRepository
        $source = New-TestVolume
        Invoke-InVolume $source 'echo original > /data/file; mkdir /data/folder'
        $backup = Backup-MeshVolume -Name $source -Repository $repository
    }

    It 'restores into a new volume without a prompt' {
        $target = New-TestName 'mvnoprompt'
        $result = $backup | Restore-MeshVolume -TargetName $target
        $result.CreatedVolume | Should -BeTrue
    }

    It 'refuses a target that is not empty' {
        $target = New-TestVolume
        Invoke-InVolume $target 'echo precious > /data/keep'
        { $backup | Restore-MeshVolume -TargetName $target -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'RestoreTargetNotEmpty,MeshVolume.Commands.RestoreMeshVolumeCommand'
        Invoke-InVolume $target 'cat /data/keep' | Should -Be 'precious'
    }

    It 'replaces the contents of a target with -Force' {
        $target = New-TestVolume
        Invoke-InVolume $target 'echo stale > /data/stale'
        $backup | Restore-MeshVolume -TargetName $target -Force | Out-Null
        Invoke-InVolume $target 'ls /data' | Should -Be @('file', 'folder')
        Invoke-InVolume $target 'cat /data/file' | Should -Be 'original'
    }

    It 'changes nothing with -WhatIf' {
        $target = New-TestName 'mvwhatif'
        $backup | Restore-MeshVolume -TargetName $target -WhatIf
        & docker volume ls -q --filter "name=^$target$" | Should -BeNullOrEmpty
    }

    It 'rejects a changed archive and removes the volume it created' {
        $damaged = Backup-MeshVolume -Name $source -Repository $repository
        $path = Join-Path $repository $damaged.ArchiveName
        $bytes = [IO.File]::ReadAllBytes($path)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0xFF
        [IO.File]::WriteAllBytes($path, $bytes)
        $target = New-TestName 'mvdamaged'
        { $damaged | Restore-MeshVolume -TargetName $target -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ArchiveChecksumMismatch,MeshVolume.Commands.RestoreMeshVolumeCommand'
        & docker volume ls -q --filter "name=^$target$" | Should -BeNullOrEmpty
    }

    It 'keeps the data of an existing target when the archive was changed' {
        $damaged = Backup-MeshVolume -Name $source -Repository $repository
        $path = Join-Path $repository $damaged.ArchiveName
        $bytes = [IO.File]::ReadAllBytes($path)
        $bytes[$bytes.Length - 20] = $bytes[$bytes.Length - 20] -bxor 0x01
        [IO.File]::WriteAllBytes($path, $bytes)
        $target = New-TestVolume
        Invoke-InVolume $target 'echo precious > /data/keep'
        { $damaged | Restore-MeshVolume -TargetName $target -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'ArchiveChecksumMismatch,MeshVolume.Commands.RestoreMeshVolumeCommand'
        Invoke-InVolume $target 'cat /data/keep' | Should -Be 'precious'
    }
}

Describe 'Volumes with driver options' -Tag Backup {
    BeforeAll {
        $repository = New-TestFolderRepository
        $storage = Join-Path ([IO.Path]::GetTempPath()) (New-TestName 'mvbind')
        New-Item -ItemType Directory $storage | Out-Null
        $source = New-TestName 'mvbind'
        Invoke-Docker volume create --label "meshvolume.test=$(Get-TestLabelValue)" --opt type=none --opt o=bind --opt device=$storage $source | Out-Null
        Set-Content "$storage/db.txt" 'version-1'
        $backup = Backup-MeshVolume -Name $source -Repository $repository
        Set-Content "$storage/db.txt" 'version-2'
    }

    AfterAll {
        Remove-Item -Recurse -Force $storage -ErrorAction SilentlyContinue
    }

    It 'restores a copy without touching the original storage' {
        $copy = New-TestName 'mvcopy'
        $warnings = $null
        $result = $backup | Restore-MeshVolume -TargetName $copy -WarningVariable warnings -WarningAction SilentlyContinue
        $result.CreatedVolume | Should -BeTrue
        Get-Content "$storage/db.txt" | Should -Be 'version-2'
        Invoke-InVolume $copy 'cat /data/db.txt' | Should -Be 'version-1'
        (Invoke-Docker volume inspect $copy | ConvertFrom-Json).Options | Should -BeNullOrEmpty
        "$warnings" | Should -Match 'driver options'
    }

    It 'refuses -Force when the engine cannot empty the storage' {
        { $backup | Restore-MeshVolume -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'RestoreTargetNotEmpty,MeshVolume.Commands.RestoreMeshVolumeCommand'
        Get-Content "$storage/db.txt" | Should -Be 'version-2'
    }
}

Describe 'Backup failures and options' -Tag Backup {
    BeforeAll {
        $repository = New-TestFolderRepository
    }

    It 'reports a missing volume and goes on with the others' {
        $good = New-TestVolume
        $missing = New-TestName 'mvmissing'
        $errors = $null
        $results = @($missing, $good) | Backup-MeshVolume -Repository $repository -ErrorVariable errors -ErrorAction SilentlyContinue
        $results.VolumeName | Should -Be $good
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'VolumeNotFound,MeshVolume.Commands.BackupMeshVolumeCommand'
        $errors[0].TargetObject | Should -Be $missing
    }

    It 'leaves no manifest and no partial archive when cancelled' {
        $volume = New-TestVolume
        Invoke-InVolume $volume 'dd if=/dev/urandom of=/data/big bs=1048576 count=400 2>/dev/null'
        $cancelRepository = New-TestFolderRepository
        $shell = [powershell]::Create()
        $null = $shell.AddScript({
            param($modulePath, $volume, $repository)
            Import-Module $modulePath
            Backup-MeshVolume -Name $volume -Repository $repository -Compression none
        }).AddArgument($env:MESHVOLUME_MODULE_PATH).AddArgument($volume).AddArgument($cancelRepository)
        $handle = $shell.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Get-ChildItem -Recurse -Force $cancelRepository -File) -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 50
        }
        $shell.Stop()
        $shell.Dispose()
        Get-ChildItem -Recurse -Force -File $cancelRepository | Should -BeNullOrEmpty
        @(Get-MeshVolumeBackup -Repository $cancelRepository -VolumeName $volume).Count | Should -Be 0
    }

    It 'stops the running containers for the backup and starts them again' {
        $volume = New-TestVolume
        $container = New-TestContainer -Volume $volume -Start
        $result = Backup-MeshVolume -Name $volume -Repository $repository -StopContainers
        $result.StoppedContainers | Should -Be @($container)
        (Invoke-Docker inspect -f '{{.State.Running}}' $container) | Should -Be 'true'
        [datetime](Invoke-Docker inspect -f '{{.State.StartedAt}}' $container) |
            Should -BeGreaterThan $result.CreatedUtc
    }

    It 'starts the containers again when the backup fails' {
        $volume = New-TestVolume
        $container = New-TestContainer -Volume $volume -Start
        $readOnly = New-TestFolderRepository
        & chattr +i $readOnly 2>$null
        if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because 'chattr is not supported here'; return }
        try {
            { Backup-MeshVolume -Name $volume -Repository $readOnly -StopContainers -ErrorAction Stop } | Should -Throw
        }
        finally { & chattr -i $readOnly }
        (Invoke-Docker inspect -f '{{.State.Running}}' $container) | Should -Be 'true'
    }

    It 'writes gzip and uncompressed archives that tar reads' {
        $volume = New-TestVolume
        Invoke-InVolume $volume 'echo content > /data/file'
        $gzip = Backup-MeshVolume -Name $volume -Repository $repository -Compression gzip
        $plain = Backup-MeshVolume -Name $volume -Repository $repository -Compression none
        $gzip.ArchiveName | Should -BeLike '*.tar.gz'
        $plain.ArchiveName | Should -BeLike '*.tar'
        & tar -tzf (Join-Path $repository $gzip.ArchiveName) | Should -Contain 'file'
        & tar -tf (Join-Path $repository $plain.ArchiveName) | Should -Contain 'file'
    }
}

Describe 'Get-MeshVolumeBackup' -Tag Backup {
    BeforeAll {
        $repository = New-TestFolderRepository
        $volume = New-TestVolume
        $first = Backup-MeshVolume -Name $volume -Repository $repository -Tag daily
        Start-Sleep -Seconds 1.1
        $second = Backup-MeshVolume -Name $volume -Repository $repository -Tag weekly
    }

    It 'lists every backup newest first' {
        (Get-MeshVolumeBackup -Repository $repository -VolumeName $volume).Id | Should -Be @($second.Id, $first.Id)
    }

    It 'returns the newest with -Latest' {
        (Get-MeshVolumeBackup -Repository $repository -VolumeName $volume -Latest).Id | Should -Be $second.Id
    }

    It 'filters by tag' {
        (Get-MeshVolumeBackup -Repository $repository -VolumeName $volume -Tag daily).Id | Should -Be $first.Id
    }

    It 'filters by time window' {
        (Get-MeshVolumeBackup -Repository $repository -VolumeName $volume -Before $second.CreatedUtc.AddMilliseconds(-500)).Id |
            Should -Be $first.Id
    }

    It 'uses MESHVOLUME_REPOSITORY when -Repository is omitted' {
        $env:MESHVOLUME_REPOSITORY = $repository
        try { (Get-MeshVolumeBackup -VolumeName $volume -Latest).Id | Should -Be $second.Id }
        finally { Remove-Item Env:MESHVOLUME_REPOSITORY }
    }

    It 'says so when no repository is given' {
        { Get-MeshVolumeBackup -VolumeName $volume -ErrorAction Stop } |
            Should -Throw -ErrorId 'RepositoryMissing,MeshVolume.Commands.GetMeshVolumeBackupCommand'
    }
}
