BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force

    # Copies a real backup under another id and time, as if it had been made then: the
    # retention rules only look at times and tags.
    function Copy-BackupAs($Backup, [string] $Folder, [datetime] $Utc, [string[]] $Tags = @()) {
        $id = $Utc.ToString("yyyyMMdd'T'HHmmss'Z'") + '-' + ([guid]::NewGuid().ToString('N').Substring(0, 6))
        $volume = $Backup.VolumeName
        $manifest = Get-Content -Raw (Join-Path $Folder $Backup.ManifestName) | ConvertFrom-Json
        $manifest.id = $id
        $manifest.createdUtc = $Utc.ToString('o')
        $manifest.archiveName = "$volume/$id.tar.zst"
        $manifest.tags = $Tags
        Copy-Item (Join-Path $Folder $Backup.ArchiveName) (Join-Path $Folder "$volume/$id.tar.zst")
        $manifest | ConvertTo-Json -Depth 10 | Set-Content (Join-Path $Folder "$volume/$id.manifest.json")
        $id
    }

}

AfterAll {
    Remove-TestResources
    Remove-TestRepositories
}

Describe 'Remove-MeshVolumeBackup' -Tag RemoveBackup {
    BeforeAll {
        $volume = New-TestVolume
        Invoke-InVolume $volume 'echo data > /data/file'
    }

    BeforeEach {
        $repository = New-TestFolderRepository
        $seed = Backup-MeshVolume -Name $volume -Repository $repository
        # Daily backups at 02:00 UTC over ten days, with a gap, and two on the last day.
        $days = 1, 2, 3, 5, 6, 7, 8, 9, 10
        $ids = foreach ($day in $days) { Copy-BackupAs $seed $repository ([datetime]::new(2026, 11, $day, 2, 0, 0, [DateTimeKind]::Utc)) }
        $ids += Copy-BackupAs $seed $repository ([datetime]::new(2026, 11, 10, 14, 0, 0, [DateTimeKind]::Utc)) -Tags 'keep-me'
        Remove-Item (Join-Path $repository $seed.ManifestName), (Join-Path $repository $seed.ArchiveName)
    }

    It 'keeps the newest backup of each day with -KeepDaily' {
        $result = Remove-MeshVolumeBackup -Repository $repository -VolumeName $volume -KeepDaily 3 -TimeZone UTC -Force
        $result.Count | Should -Be 10
        $kept = $result | Where-Object Keep
        $kept.CreatedUtc.Day | Should -Be @(10, 9, 8)
        ($kept | Select-Object -First 1).Reasons | Should -Be 'daily 2026-11-10'
        ($result | Where-Object { -not $_.Keep }).Removed | Should -Not -Contain $false
        (Get-MeshVolumeBackup -Repository $repository -VolumeName $volume).Count | Should -Be 3
        Get-ChildItem -Recurse -File $repository | Should -HaveCount 6
    }

    It 'removes nothing with -WhatIf and lists the same decisions' {
        $result = Remove-MeshVolumeBackup -Repository $repository -VolumeName $volume -KeepLast 2 -WhatIf
        ($result | Where-Object Keep).Count | Should -Be 2
        ($result | Where-Object Removed).Count | Should -Be 0
        (Get-MeshVolumeBackup -Repository $repository -VolumeName $volume).Count | Should -Be 10
    }

    It 'keeps tagged backups and says why' {
        $result = Remove-MeshVolumeBackup -Repository $repository -VolumeName $volume -KeepTag 'keep-me' -Force
        ($result | Where-Object Keep).Reasons | Should -Be 'tag keep-me'
        (Get-MeshVolumeBackup -Repository $repository -VolumeName $volume).Tags | Should -Be 'keep-me'
    }

    It 'refuses a policy that would remove every backup' {
        { Remove-MeshVolumeBackup -Repository $repository -VolumeName $volume -KeepTag 'no-such-tag' -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'RetentionWouldRemoveAll,MeshVolume.Commands.RemoveMeshVolumeBackupCommand'
        (Get-MeshVolumeBackup -Repository $repository -VolumeName $volume).Count | Should -Be 10
    }

    It 'removes every backup with -AllowRemoveAll' {
        Remove-MeshVolumeBackup -Repository $repository -VolumeName $volume -KeepTag 'no-such-tag' -AllowRemoveAll -Force | Out-Null
        @(Get-MeshVolumeBackup -Repository $repository -VolumeName $volume).Count | Should -Be 0
    }

    It 'removes a piped backup, manifest and archive' {
        $backup = Get-MeshVolumeBackup -Repository $repository -VolumeName $volume -Latest
        $result = $backup | Remove-MeshVolumeBackup -Force
        $result.Removed | Should -BeTrue
        Test-Path (Join-Path $repository $backup.ManifestName) | Should -BeFalse
        Test-Path (Join-Path $repository $backup.ArchiveName) | Should -BeFalse
    }

    It 'finds and removes archives without a manifest' {
        $backup = Get-MeshVolumeBackup -Repository $repository -VolumeName $volume -Latest
        Remove-Item (Join-Path $repository $backup.ManifestName)
        $listed = Remove-MeshVolumeBackup -Repository $repository -Incomplete -WhatIf
        $listed.Id | Should -Be $backup.Id
        $listed.Incomplete | Should -BeTrue
        Test-Path (Join-Path $repository $backup.ArchiveName) | Should -BeTrue
        Remove-MeshVolumeBackup -Repository $repository -Incomplete -Force | Out-Null
        Test-Path (Join-Path $repository $backup.ArchiveName) | Should -BeFalse
    }

    It 'rejects an invalid duration' {
        { Remove-MeshVolumeBackup -Repository $repository -VolumeName $volume -KeepWithin '10x' -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'RetentionPolicyInvalid,MeshVolume.Commands.RemoveMeshVolumeBackupCommand'
    }
}

Describe 'Remove-MeshVolumeBackup on S3' -Tag RemoveBackup {
    It 'applies -KeepLast to the objects in the bucket' {
        $volume = New-TestVolume
        Invoke-InVolume $volume 'echo data > /data/file'
        $repository = "s3://$env:MESHVOLUME_TEST_S3_BUCKET/$(New-TestName 'retention')"
        1..3 | ForEach-Object { Backup-MeshVolume -Name $volume -Repository $repository | Out-Null; Start-Sleep -Milliseconds 1100 }
        $result = Remove-MeshVolumeBackup -Repository $repository -VolumeName $volume -KeepLast 1 -Force
        ($result | Where-Object Removed).Count | Should -Be 2
        $prefix = $repository.Substring(5)
        $objects = & aws s3 ls --recursive "s3://$prefix/" --endpoint-url $env:AWS_ENDPOINT_URL_S3
        $objects | Should -HaveCount 2
        Remove-MeshVolumeBackup -Repository $repository -VolumeName $volume -KeepTag none -AllowRemoveAll -Force | Out-Null
    }
}
