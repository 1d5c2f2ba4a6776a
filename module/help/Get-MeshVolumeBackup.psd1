@{
    Synopsis    = 'Lists the backups in a repository.'
    Description = @'
Get-MeshVolumeBackup reads the manifests of a folder or S3 repository and returns one object per backup, newest first for each volume. Filter by volume name (wildcards), id, time window and tags; -Latest returns only the newest matching backup of each volume. Archives without a manifest (from interrupted runs) are not backups and are not listed.

The output pipes into Restore-MeshVolume and Test-MeshVolumeBackup, which bind Repository, VolumeName and Id by property name.
'@
    Parameters  = @{
        VolumeName = 'Names of the volumes whose backups to list. Wildcards are allowed. All volumes when omitted.'
        Id         = 'Id of one backup, such as 20261204T174023Z-3f9a1c.'
        Latest     = 'Returns only the newest matching backup of each volume.'
        After      = 'Returns backups made at or after this time.'
        Before     = 'Returns backups made before this time.'
        Tag        = 'Returns backups that carry every one of these tags.'
        IncludeEntries = 'Reads each manifest whole, so Manifest.Entries lists every file of the backup. Without it only the part before the entry list is read, which keeps listing fast for volumes with many files.'
    }
    Examples    = @(
        @{
            Title   = 'The newest backup of each volume'
            Code    = 'Get-MeshVolumeBackup -Repository s3://backups/host1 -Latest'
            Remarks = 'One row per volume, with time, archive size and file count.'
        }
        @{
            Title   = 'Backups of the last week with a tag'
            Code    = 'Get-MeshVolumeBackup -Repository /srv/backups -VolumeName ''app_*'' -After (Get-Date).AddDays(-7) -Tag nightly'
            Remarks = 'Times are compared in UTC.'
        }
        @{
            Title   = 'Restore the newest backup into a new volume'
            Code    = 'Get-MeshVolumeBackup -Repository /srv/backups -VolumeName app_db -Latest | Restore-MeshVolume -TargetName app_db_copy'
            Remarks = 'The backup object carries its repository, volume name and id to Restore-MeshVolume.'
        }
    )
    Inputs      = @(@{ Type = 'System.String'; Description = 'Volume names and ids by property name.' })
    Outputs     = @(@{ Type = 'MeshVolume.Model.MeshVolumeBackupInfo'; Description = 'The backups with their manifest; see Backup-MeshVolume for the properties.' })
}
