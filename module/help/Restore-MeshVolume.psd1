@{
    Synopsis    = 'Restores a backup into a volume.'
    Description = @'
Restore-MeshVolume restores a backup, by default the newest of the volume, into the original volume or another one given with -TargetName. A missing target is created with the source volume's driver, options and labels. A target that is not empty is refused unless -Force, which replaces its contents; the archive's SHA-256 is then checked against the manifest before anything is removed. The target must not be in use by a running container.

The archive's SHA-256 is always checked: a changed or damaged archive fails with the error id ArchiveChecksumMismatch, and a volume created for the failed restore is removed again. A failure midway into an existing volume is reported as such (RestoreIncomplete).

Content, empty folders, symlinks, hard links, modes including setuid, setgid and sticky, owners, nanosecond mtimes, any UTF-8 name, long paths, large and sparse files and extended attributes come back as they were when the engine is local; through the engine's archive API, holes of sparse files are written as zeros.
'@
    Parameters  = @{
        VolumeName = 'Volume whose backup to restore. Takes the VolumeName property of Get-MeshVolumeBackup output.'
        Id         = 'Id of the backup to restore; the newest backup of the volume when omitted.'
        TargetName = 'Volume to restore into. Defaults to the backup''s own volume.'
        Force      = 'Replaces the contents of a target volume that is not empty, after checking the archive, and skips the confirmation prompt. -WhatIf still only reports.'
        DataPath   = 'How the volume is written: Auto (default) writes its folder directly when possible, Host requires that, Engine always uses the engine''s archive API.'
    }
    Examples    = @(
        @{
            Title   = 'Restore the newest backup into a new volume'
            Code    = 'Restore-MeshVolume -Repository /srv/backups -VolumeName app_db -TargetName app_db_restored'
            Remarks = 'Creates app_db_restored with the driver, options and labels of app_db.'
        }
        @{
            Title   = 'Put a volume back as it was in a given backup'
            Code    = 'Get-MeshVolumeBackup -Repository s3://backups/host1 -VolumeName app_db -Id 20261204T020000Z-3f9a1c | Restore-MeshVolume -Force'
            Remarks = 'Replaces the current contents of app_db after checking the archive. Stop the containers that use it first.'
        }
    )
    Inputs      = @(@{ Type = 'MeshVolume.Model.MeshVolumeBackupInfo'; Description = 'Backups from Get-MeshVolumeBackup or Backup-MeshVolume, bound by Repository, VolumeName and Id.' })
    Outputs     = @(@{ Type = 'MeshVolume.Model.MeshVolumeRestoreInfo'; Description = 'Name (the target volume), BackupId, SourceVolumeName, Repository, CreatedVolume, ReplacedContents, DataPath, Entries, ContentSize, Duration and Engine.' })
}
