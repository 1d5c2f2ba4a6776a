@{
    Synopsis    = 'Proves that backups restore: restores each into a scratch volume and compares every entry with its manifest.'
    Description = @'
Test-MeshVolumeBackup restores a backup, by default the newest of the volume, into a new scratch volume named meshvolume-verify-VOLUME-RANDOM with the label meshvolume.scratch=1. The scratch volume always uses the local driver without options, whatever the backup's driver was, so that options such as an NFS export or a bind device never point it at the source volume's storage. The restore is the one Restore-MeshVolume runs, archive SHA-256 check included.

The restored volume is then read back and every entry is compared with the manifest: type, size, SHA-256 of the content, mode, owner, modification time and symlink target, hard links as groups, and, where the data path keeps them, extended attributes and the holes of sparse files. Each difference is one mismatch with the path and what differed, manifest value first, such as "mode 0644 != 0600", "content sha256 differs", "missing" or "unexpected entry". The scratch volume is removed afterwards, also when the test fails, unless -KeepScratchVolume is given.

When the engine is local, the scratch volume is written and read through its folder, which keeps every attribute. Through the engine's archive API (a remote engine, or -DataPath Engine) modification times come back in whole seconds and without extended attributes, and sparse files are written without their holes: those attributes are then compared to the second or not at all, and the result's Compared and Note properties say so.

An archive that was changed after the backup fails the restore with ArchiveChecksumMismatch. The test then reads the archive once more without that check, compares each entry and its content hash with the manifest, and names the entries that changed. A damaged archive that cannot be read to its end is reported up to the damage.

Each backup gives one result object. A failed verdict is also written as an error with the id BackupVerificationFailed, whose target is the result, so a scheduled task can fail on it. With -Quiet only $true or $false is returned for each backup, and a failed verdict is not written as an error.
'@
    Parameters  = @{
        VolumeName        = 'Volume whose backup to test. Takes the VolumeName property of Get-MeshVolumeBackup and Backup-MeshVolume output, and the Name property of Get-MeshVolume output.'
        Id                = 'Id of the backup to test; the newest backup of the volume when omitted.'
        DataPath          = 'How the scratch volume is written and read back: Auto (default) uses its folder when the engine is local, Host requires that, Engine always uses the engine''s archive API, which compares fewer attributes.'
        KeepScratchVolume = 'Leaves the scratch volume in place for a look; its name is in the ScratchVolume property. Remove it with Remove-MeshVolume.'
        Quiet             = 'Returns only $true (the backup passed) or $false (it failed or could not be tested) for each backup, and writes no BackupVerificationFailed error.'
    }
    Examples    = @(
        @{
            Title   = 'Back up and test in one pipeline'
            Code    = 'Get-MeshVolume -Name ''app_*'' | Backup-MeshVolume -Repository s3://backups/host1 | Test-MeshVolumeBackup'
            Remarks = 'Each new backup binds to Test-MeshVolumeBackup by Repository, VolumeName and Id.'
        }
        @{
            Title   = 'Fail a scheduled task when the newest backup does not restore'
            Code    = 'if (-not (Test-MeshVolumeBackup -Repository /srv/backups -VolumeName app_db -Quiet)) { exit 1 }'
            Remarks = 'Tests the newest backup of app_db and returns only $true or $false.'
        }
        @{
            Title   = 'See what differs and keep the restored copy'
            Code    = '$result = Test-MeshVolumeBackup -Repository /srv/backups -VolumeName app_db -Id 20261204T020000Z-3f9a1c -KeepScratchVolume; $result.Mismatches'
            Remarks = 'Lists each mismatch with its path; the scratch volume named in $result.ScratchVolume stays for inspection.'
        }
    )
    Inputs      = @(@{ Type = 'MeshVolume.Model.MeshVolumeBackupInfo'; Description = 'Backups from Get-MeshVolumeBackup or Backup-MeshVolume, bound by Repository, VolumeName and Id.' })
    Outputs     = @(
        @{ Type = 'MeshVolume.Model.MeshVolumeBackupTestInfo'; Description = 'VolumeName, Id, Repository, CreatedUtc, Passed, EntriesChecked, Mismatches (Path, Difference), ArchiveChecksumValid, ScratchVolume, ScratchVolumeKept, DataPath, Compared, Note, Duration and Engine.' }
        @{ Type = 'System.Boolean'; Description = 'With -Quiet, one value for each backup.' }
    )
    Notes       = @'
The test needs room for one more copy of the backup's content on the engine, and reads the content twice: once to restore it and once to compare it. The progress record counts both passes.
'@
}
