BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    $script:fixtures = Join-Path $PSScriptRoot 'fixtures'
    $script:image = Get-TestImage
    $script:folders = [System.Collections.Generic.List[string]]::new()
    $script:backupCommand = 'MeshVolume.Commands.TestMeshVolumeBackupCommand'
    $script:persistenceCommand = 'MeshVolume.Commands.TestMeshVolumePersistenceCommand'

    function Get-VolumeFolder([string] $Name) {
        (Invoke-Docker volume inspect $Name | ConvertFrom-Json).Mountpoint
    }

    function Get-UnixTime {
        [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    }

    # The engine's own record of a volume's removals since a unix time, which must be a
    # second after the volume was created. It waits a second for the last events. (The
    # engine also reports "create" each time a container mounts an existing volume.)
    function Get-VolumeRemoval([string] $Name, [long] $Since) {
        @(Invoke-Docker events --since $Since --until ((Get-UnixTime) + 1) --filter type=volume --filter "volume=$Name" --filter event=destroy --format '{{.Action}}')
    }

    function New-FidelityVolume {
        $name = New-TestVolume (New-TestName 'mvverify')
        & bash "$fixtures/new-fidelity-tree.sh" (Get-VolumeFolder $name) --no-huge
        if ($LASTEXITCODE -ne 0) { throw "The fidelity fixture failed in $name." }
        $name
    }

    # One record per entry: path, type, size, mode, owner, mtime, link, hash and xattrs.
    # -WithoutRoot leaves out the volume root, whose mtime changes when the sentinel file is
    # written and removed.
    function Get-VolumeListing([string] $Volume, [switch] $WithoutRoot) {
        $text = & bash "$fixtures/get-tree-listing.sh" (Get-VolumeFolder $Volume)
        if ($LASTEXITCODE -ne 0) { throw "Listing $Volume failed." }
        ($text -join "`n").Split([char]0, [StringSplitOptions]::RemoveEmptyEntries) |
            Where-Object { -not ($WithoutRoot -and $_.StartsWith('.|')) }
    }

    function New-FolderRepository {
        $path = Join-Path ([IO.Path]::GetTempPath()) (New-TestName 'mvrepo')
        New-Item -ItemType Directory $path | Out-Null
        $folders.Add($path)
        $path
    }

    function New-S3Repository {
        "s3://$env:MESHVOLUME_TEST_S3_BUCKET/$(New-TestName 'repo')"
    }

    function Get-ScratchVolume([string] $Source) {
        @(& docker volume ls -q --filter 'label=meshvolume.scratch=1') |
            Where-Object { $_ -like "meshvolume-verify-$Source-*" }
    }

    function Get-ProbeContainer([string] $Volume) {
        @(& docker ps -aq --filter 'label=meshvolume.probe=1' --filter "label=meshvolume.volume=$Volume")
    }

    function Get-StartedAt([string] $Container) {
        Invoke-Docker inspect -f '{{.State.StartedAt}}' $Container
    }

    # Rewrites a zstd archive with bytes inside one file's data replaced by as many others,
    # as a change after the backup would: the tar stays valid, only that content differs.
    function Edit-ArchivedContent([string] $Archive, [string] $Find, [string] $Replace) {
        $tar = "$Archive.tar"
        & zstd -q -d -f $Archive -o $tar
        if ($LASTEXITCODE -ne 0) { throw "zstd could not decompress $Archive." }
        $bytes = [IO.File]::ReadAllBytes($tar)
        $at = [Text.Encoding]::Latin1.GetString($bytes).IndexOf($Find, [StringComparison]::Ordinal)
        if ($at -lt 0) { throw "'$Find' is not in $Archive." }
        [Text.Encoding]::Latin1.GetBytes($Replace).CopyTo($bytes, $at)
        [IO.File]::WriteAllBytes($tar, $bytes)
        & zstd -q -f --rm $tar -o $Archive
        if ($LASTEXITCODE -ne 0) { throw "zstd could not compress $tar." }
    }

    function Edit-Manifest([string] $Repository, $Backup, [scriptblock] $Change) {
        $path = Join-Path $Repository $Backup.ManifestName
        $manifest = Get-Content -Raw $path | ConvertFrom-Json
        & $Change $manifest
        $manifest | ConvertTo-Json -Depth 10 | Set-Content -NoNewline $path
    }
}

AfterAll {
    $scratch = @(& docker volume ls -q --filter 'label=meshvolume.scratch=1') |
        Where-Object { $_ -like 'meshvolume-verify-mvverify-*' -or $_ -like 'meshvolume-verify-mvtest-*' }
    if ($scratch) { & docker volume rm -f @scratch 2>&1 | Out-Null }
    $probes = & docker ps -aq --filter 'label=meshvolume.probe=1'
    foreach ($probe in $probes) {
        $volume = & docker inspect -f '{{index .Config.Labels "meshvolume.volume"}}' $probe
        if ($volume -like 'mvverify-*' -or $volume -like 'mvtest-*') { & docker rm -f $probe 2>&1 | Out-Null }
    }
    Remove-TestResources
    foreach ($folder in $folders) { Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue }
}

Describe 'Test-MeshVolumeBackup on a <Kind> repository' -Tag Verify -ForEach @(
    @{ Kind = 'folder' }
    @{ Kind = 's3' }
) {
    BeforeAll {
        $repository = if ($Kind -eq 's3') { New-S3Repository } else { New-FolderRepository }
        $source = New-FidelityVolume
        $backup = Backup-MeshVolume -Name $source -Repository $repository
        $result = $backup | Test-MeshVolumeBackup -ErrorVariable testErrors
    }

    AfterAll {
        Get-MeshVolumeBackup -Repository $repository | Remove-MeshVolumeBackup -Force | Out-Null
    }

    It 'passes a good backup' {
        $result | Should -BeOfType MeshVolume.Model.MeshVolumeBackupTestInfo
        $result.Passed | Should -BeTrue
        $result.Mismatches | Should -BeNullOrEmpty
        $result.ArchiveChecksumValid | Should -BeTrue
        $testErrors | Should -BeNullOrEmpty
    }

    It 'describes the backup it tested' {
        $result.VolumeName | Should -Be $source
        $result.Id | Should -Be $backup.Id
        $result.Repository | Should -Be $backup.Repository
    }

    It 'checks every entry of the manifest' {
        $result.EntriesChecked | Should -Be $backup.Manifest.Entries.Count
        $result.EntriesChecked | Should -BeGreaterThan 20
    }

    It 'compares every attribute through the folder' {
        $result.DataPath | Should -Be 'host'
        $result.Compared | Should -Contain 'content sha256'
        $result.Compared | Should -Contain 'mtime'
        $result.Compared | Should -Contain 'xattrs'
        $result.Compared | Should -Contain 'sparse holes'
        $result.Note | Should -BeNullOrEmpty
    }

    It 'removes the scratch volume' {
        $result.ScratchVolume | Should -BeLike "meshvolume-verify-$source-*"
        $result.ScratchVolumeKept | Should -BeFalse
        Get-ScratchVolume $source | Should -BeNullOrEmpty
    }

    It 'tests the newest backup by volume name' {
        $byName = Test-MeshVolumeBackup -Repository $repository -VolumeName $source
        $byName.Id | Should -Be $backup.Id
        $byName.Passed | Should -BeTrue
    }
}

Describe 'Backup altered after the fact' -Tag Verify {
    BeforeAll {
        $repository = New-FolderRepository
        $source = New-FidelityVolume
        $backup = Backup-MeshVolume -Name $source -Repository $repository
        $archive = Join-Path $repository $backup.ArchiveName

        # numbers.txt holds the lines 1 to 20000, so this pattern occurs once, in its data.
        Edit-ArchivedContent $archive "`n10000`n10001`n" "`n99999`n10001`n"
        $result = $backup | Test-MeshVolumeBackup -ErrorVariable testErrors -ErrorAction SilentlyContinue
    }

    It 'is still a valid tar archive' {
        $names = & bash -c "zstd -dc '$archive' | tar -t"
        $LASTEXITCODE | Should -Be 0
        $names | Should -Contain 'data/nested/deeper/numbers.txt'
    }

    It 'fails with the changed path named' {
        $result.Passed | Should -BeFalse
        $changed = @($result.Mismatches | Where-Object Path -eq 'data/nested/deeper/numbers.txt')
        $changed.Count | Should -Be 1
        $changed[0].Difference | Should -Be 'content sha256 differs'
    }

    It 'names the archive checksum as well' {
        $result.ArchiveChecksumValid | Should -BeFalse
        $archiveMismatch = @($result.Mismatches | Where-Object Path -eq $backup.ArchiveName)
        $archiveMismatch.Count | Should -Be 1
        $archiveMismatch[0].Difference | Should -Be 'archive sha256 differs from the manifest'
    }

    It 'names no other path' {
        $result.Mismatches.Count | Should -Be 2
        $result.EntriesChecked | Should -Be $backup.Manifest.Entries.Count
    }

    It 'writes a BackupVerificationFailed error with the result' {
        $testErrors.Count | Should -Be 1
        $testErrors[0].FullyQualifiedErrorId | Should -Be "BackupVerificationFailed,$backupCommand"
        $testErrors[0].Exception.Message | Should -Match 'data/nested/deeper/numbers\.txt: content sha256 differs'
        $testErrors[0].TargetObject.Id | Should -Be $backup.Id
    }

    It 'returns $false with -Quiet' {
        $verdict = $backup | Test-MeshVolumeBackup -Quiet -ErrorVariable quietErrors
        $verdict | Should -BeOfType [bool]
        $verdict | Should -BeFalse
        $quietErrors | Should -BeNullOrEmpty
    }

    It 'removes the scratch volume of a failed test' {
        Get-ScratchVolume $source | Should -BeNullOrEmpty
    }
}

Describe 'Test-MeshVolumeBackup options' -Tag Verify {
    BeforeAll {
        $repository = New-FolderRepository
        $source = New-FidelityVolume
        $backup = Backup-MeshVolume -Name $source -Repository $repository
    }

    It 'returns $true with -Quiet' {
        $verdict = @($backup | Test-MeshVolumeBackup -Quiet)
        $verdict.Count | Should -Be 1
        $verdict[0] | Should -BeOfType [bool]
        $verdict[0] | Should -BeTrue
    }

    It 'keeps the scratch volume with -KeepScratchVolume' {
        $result = $backup | Test-MeshVolumeBackup -KeepScratchVolume
        try {
            $result.Passed | Should -BeTrue
            $result.ScratchVolumeKept | Should -BeTrue
            Get-ScratchVolume $source | Should -Be $result.ScratchVolume
            $labels = (Invoke-Docker volume inspect $result.ScratchVolume | ConvertFrom-Json).Labels
            $labels.'meshvolume.scratch' | Should -Be '1'
            Invoke-InVolume $result.ScratchVolume 'cat /data/docs/readme.txt' | Should -Be 'plain text'
        }
        finally { Invoke-Docker volume rm $result.ScratchVolume | Out-Null }
    }

    It 'compares what the engine path keeps with -DataPath Engine' {
        $result = $backup | Test-MeshVolumeBackup -DataPath Engine
        $result.Passed | Should -BeTrue
        $result.DataPath | Should -Be 'engine'
        $result.Compared | Should -Contain 'mtime (seconds)'
        $result.Compared | Should -Not -Contain 'xattrs'
        $result.Compared | Should -Not -Contain 'sparse holes'
        $result.Note | Should -Match 'whole seconds'
        Get-ScratchVolume $source | Should -BeNullOrEmpty
    }

    It 'names entries that differ from the manifest' {
        $edited = Backup-MeshVolume -Name $source -Repository $repository
        Edit-Manifest $repository $edited {
            param($manifest)
            ($manifest.entries | Where-Object path -eq 'data/private').mode = '0640'
            $manifest.entries += [pscustomobject]@{ path = 'docs/lost.txt'; type = 'file'; mode = '0644' }
            $manifest.entries = @($manifest.entries | Where-Object path -ne 'docs/co:lon.txt')
        }
        $result = Get-MeshVolumeBackup -Repository $repository -VolumeName $source -Id $edited.Id |
            Test-MeshVolumeBackup -ErrorAction SilentlyContinue
        $result.Passed | Should -BeFalse
        $result.ArchiveChecksumValid | Should -BeTrue
        ($result.Mismatches | ForEach-Object { "$_" }) | Should -Be @(
            'data/private: mode 0640 != 0600'
            'docs/co:lon.txt: unexpected entry'
            'docs/lost.txt: missing'
        )
    }

    It 'reports a backup that does not exist' {
        $missing = New-TestName 'mvmissing'
        $verdict = Test-MeshVolumeBackup -Repository $repository -VolumeName $missing -Quiet -ErrorVariable missingErrors -ErrorAction SilentlyContinue
        $verdict | Should -BeFalse
        $missingErrors[0].FullyQualifiedErrorId | Should -Be "BackupNotFound,$backupCommand"
    }
}

Describe 'Test-MeshVolumePersistence restart check' -Tag Verify {
    It 'passes on a named volume with a probe container' {
        $volume = New-TestVolume
        Invoke-InVolume $volume 'echo kept > /data/file'
        $result = Test-MeshVolumePersistence -VolumeName $volume -Image $image
        $result.Passed | Should -BeTrue
        $result.FailedStep | Should -BeNullOrEmpty
        $result.Drill | Should -Be 'None'
        $result.Steps.Name | Should -Be @('Start probe container', 'Write sentinel', 'Restart probe container', 'Read sentinel')
        $result.Steps.Passed | Should -Not -Contain $false
        $result.SentinelPath | Should -Match '^/meshvolume-probe/\.meshvolume-sentinel-[0-9a-f]{16}$'
    }

    It 'cleans up the sentinel and the probe' {
        $volume = New-TestVolume
        $result = Test-MeshVolumePersistence -VolumeName $volume -Image $image
        $result.SentinelRemoved | Should -BeTrue
        Invoke-InVolume $volume 'ls -A /data' | Should -BeNullOrEmpty
        Get-ProbeContainer $volume | Should -BeNullOrEmpty
    }

    It 'fails at the step Read sentinel on a tmpfs volume' {
        $volume = New-TestName
        Invoke-Docker volume create --label meshvolume.test=1 --opt type=tmpfs --opt device=tmpfs $volume | Out-Null
        $result = Test-MeshVolumePersistence -VolumeName $volume -Image $image -ErrorVariable checkErrors -ErrorAction SilentlyContinue
        $result.Passed | Should -BeFalse
        $result.FailedStep | Should -Be 'Read sentinel'
        ($result.Steps | Where-Object Name -eq 'Read sentinel').Detail | Should -Match 'is missing after the restart'
        $checkErrors.Count | Should -Be 1
        $checkErrors[0].FullyQualifiedErrorId | Should -Be "PersistenceCheckFailed,$persistenceCommand"
        $checkErrors[0].Exception.Message | Should -Match "failed at the step 'Read sentinel'"
        Get-ProbeContainer $volume | Should -BeNullOrEmpty
    }

    It 'restarts a named container' {
        $volume = New-TestVolume
        $container = New-TestContainer -Volume $volume -Start
        $startedBefore = Get-StartedAt $container
        $result = Test-MeshVolumePersistence -VolumeName $volume -Container $container
        $result.Passed | Should -BeTrue
        $result.Container | Should -Be $container
        $result.SentinelPath | Should -BeLike '/data/.meshvolume-sentinel-*'
        $result.Steps.Name | Should -Be @('Write sentinel', 'Restart container', 'Read sentinel')
        Invoke-Docker inspect -f '{{.State.Running}}' $container | Should -Be 'true'
        Get-StartedAt $container | Should -Not -Be $startedBefore
        Invoke-InVolume $volume 'ls -A /data' | Should -BeNullOrEmpty
    }

    It 'rejects a container that is not running' {
        $volume = New-TestVolume
        $container = New-TestContainer -Volume $volume
        { Test-MeshVolumePersistence -VolumeName $volume -Container $container -ErrorAction Stop } |
            Should -Throw -ErrorId "ContainerNotRunning,$persistenceCommand"
    }

    It 'rejects a container that does not mount the volume' {
        $volume = New-TestVolume
        $container = New-TestContainer -Volume (New-TestVolume) -Start
        { Test-MeshVolumePersistence -VolumeName $volume -Container $container -ErrorAction Stop } |
            Should -Throw -ErrorId "VolumeNotMounted,$persistenceCommand"
    }
}

Describe 'Test-MeshVolumePersistence drill' -Tag Verify {
    BeforeAll {
        $repository = New-FolderRepository
    }

    It 'removes and restores the volume with a probe' {
        $volume = New-FidelityVolume
        $before = Get-VolumeListing $volume -WithoutRoot
        Start-Sleep -Seconds 1
        $since = Get-UnixTime
        $result = Test-MeshVolumePersistence -VolumeName $volume -Image $image -Repository $repository -Confirm:$false
        $result.Passed | Should -BeTrue
        $result.Drill | Should -Be 'InPlace'
        $result.Steps.Name | Should -Be @(
            'Start probe container', 'Write sentinel', 'Restart probe container', 'Read sentinel',
            'Back up volume', 'Remove volume', 'Restore volume', 'Compare with manifest',
            'Start probe container', 'Read sentinel after restore')
        Get-VolumeRemoval $volume $since | Should -Be @('destroy')
        (Invoke-Docker volume inspect $volume | ConvertFrom-Json).Labels.'meshvolume.test' | Should -Be (Get-TestLabelValue)
        Compare-Object $before (Get-VolumeListing $volume -WithoutRoot) | Should -BeNullOrEmpty
        Get-ProbeContainer $volume | Should -BeNullOrEmpty
    }

    It 'leaves its backup in the repository' {
        $volume = New-TestVolume
        Invoke-InVolume $volume 'echo kept > /data/file'
        $result = Test-MeshVolumePersistence -VolumeName $volume -Image $image -Repository $repository -Confirm:$false
        $backup = Get-MeshVolumeBackup -Repository $repository -VolumeName $volume -Tag persistence-check -IncludeEntries
        $backup.Id | Should -Be $result.BackupId
        $backup.Manifest.Entries.Path | Should -Contain 'file'
        Invoke-InVolume $volume 'ls -A /data' | Should -Be 'file'
    }

    It 'empties and restores the volume of a named container' {
        $volume = New-FidelityVolume
        $container = New-TestContainer -Volume $volume -Start
        $before = Get-VolumeListing $volume -WithoutRoot
        $started = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        $result = Test-MeshVolumePersistence -VolumeName $volume -Container $container -Repository $repository -Confirm:$false
        $result.Passed | Should -BeTrue
        $result.Steps.Name | Should -Be @(
            'Write sentinel', 'Restart container', 'Read sentinel', 'Stop container',
            'Back up volume', 'Clear and restore volume', 'Compare with manifest',
            'Start container', 'Read sentinel after restore')
        Compare-Object $before (Get-VolumeListing $volume -WithoutRoot) | Should -BeNullOrEmpty

        # A restore cannot set ctime, so a file with a new ctime was written again.
        [long](& stat -c '%Z' "$(Get-VolumeFolder $volume)/docs/readme.txt") |
            Should -BeGreaterOrEqual $started
        Invoke-Docker inspect -f '{{.State.Running}}' $container | Should -Be 'true'
    }

    It 'refuses while another container uses the volume' {
        $volume = New-TestVolume
        Invoke-InVolume $volume 'echo kept > /data/file'
        $container = New-TestContainer -Volume $volume -Start
        New-TestContainer -Volume $volume | Out-Null
        $startedBefore = Get-StartedAt $container
        { Test-MeshVolumePersistence -VolumeName $volume -Container $container -Repository $repository -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId "VolumeInUse,$persistenceCommand"
        Get-StartedAt $container | Should -Be $startedBefore
        Invoke-InVolume $volume 'ls -A /data' | Should -Be 'file'
    }

    It 'runs on a scratch copy with -ScratchCopy' {
        $volume = New-FidelityVolume
        $container = New-TestContainer -Volume $volume -Start
        Start-Sleep -Seconds 1
        $since = Get-UnixTime
        $result = Test-MeshVolumePersistence -VolumeName $volume -Container $container -Repository $repository -ScratchCopy
        $result.Passed | Should -BeTrue
        $result.Drill | Should -Be 'ScratchCopy'
        $result.Steps.Name | Should -Be @(
            'Write sentinel', 'Restart container', 'Read sentinel', 'Back up volume',
            'Test backup on scratch copy', 'Read sentinel from scratch copy')
        Get-VolumeRemoval $volume $since | Should -BeNullOrEmpty
        Get-ScratchVolume $volume | Should -BeNullOrEmpty
    }

    It 'changes nothing with -WhatIf' {
        $volume = New-FidelityVolume
        $container = New-TestContainer -Volume $volume -Start
        $whatIfRepository = New-FolderRepository
        $before = Get-VolumeListing $volume
        $startedBefore = Get-StartedAt $container
        Start-Sleep -Seconds 1
        $since = Get-UnixTime
        $output = Test-MeshVolumePersistence -VolumeName $volume -Container $container -Repository $whatIfRepository -WhatIf
        $output | Should -BeNullOrEmpty
        Get-StartedAt $container | Should -Be $startedBefore
        Compare-Object $before (Get-VolumeListing $volume) | Should -BeNullOrEmpty
        Get-VolumeRemoval $volume $since | Should -BeNullOrEmpty
        Get-ChildItem -Recurse -File $whatIfRepository | Should -BeNullOrEmpty
    }

    It 'creates no probe with -WhatIf' {
        $volume = New-TestVolume
        Test-MeshVolumePersistence -VolumeName $volume -Image $image -Repository $repository -WhatIf |
            Should -BeNullOrEmpty
        Get-ProbeContainer $volume | Should -BeNullOrEmpty
        Invoke-InVolume $volume 'ls -A /data' | Should -BeNullOrEmpty
    }
}
