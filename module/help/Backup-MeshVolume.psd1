@{
    Synopsis    = 'Backs up Docker volumes into a folder or S3 repository as a tar archive and a manifest.'
    Description = @'
Backup-MeshVolume streams each volume into a compressed tar archive (zstd by default) in a repository and writes a JSON manifest beside it: the volume's name, driver, options and labels, the engine, the UTC time, the archive's size and SHA-256, and every entry with its type, size, mode, owner, mtime, link target and content SHA-256. The manifest is written last, so an interrupted backup never looks like a good one; a failed or cancelled backup leaves no partial archive.

Objects are named VOLUME/YYYYMMDDTHHMMSSZ-XXXXXX.tar.zst and .manifest.json, so they sort by time. GNU tar with zstd reads the archives without the module.

When the engine runs on this machine and the volume is a plain local one, the volume's folder is read directly, never following a link out of it; otherwise the engine's archive API is used on a helper container that is created, never started, and removed afterwards. -StopContainers stops the running containers that use the volume for the duration and starts them again afterwards, also when the backup fails.

With many volumes piped in, one that fails is reported as an error naming it and the others go on.
'@
    Parameters  = @{
        Name             = 'Names of the volumes to back up. Takes the Name property of Get-MeshVolume output.'
        Compression      = 'Archive compression: Zstd (default, .tar.zst), Gzip (.tar.gz) or None (.tar).'
        CompressionLevel = 'Compression level: 1-19 for zstd (default 3), 1-9 for gzip (default 6).'
        Tag              = 'Tags recorded in the manifest, for Get-MeshVolumeBackup -Tag and retention rules.'
        StopContainers   = 'Stops the running containers that use the volume for the backup and starts them again afterwards, whatever happens. The output lists them in StoppedContainers.'
        SizeBytes        = 'Size of the volume in bytes, taken from piped Get-MeshVolume output; used only to show progress as a percentage.'
        DataPath         = 'How the volume is read: Auto (default) reads its folder directly when possible, Host requires that, Engine always uses the engine''s archive API. The archive and manifest are the same either way, except that the engine path does not see extended attributes.'
    }
    Examples    = @(
        @{
            Title   = 'Back up one volume to a folder'
            Code    = 'Backup-MeshVolume -Name app_db -Repository /srv/backups'
            Remarks = 'Writes app_db/<time>-<id>.tar.zst and its manifest under /srv/backups.'
        }
        @{
            Title   = 'Back up a compose stack to S3, stopping its containers'
            Code    = 'Get-MeshVolume -ComposeProject shop | Backup-MeshVolume -Repository s3://backups/host1 -StopContainers -Tag nightly'
            Remarks = 'Credentials come from the AWS credential chain; -Endpoint selects an S3-compatible server.'
        }
        @{
            Title   = 'Back up to an S3-compatible server with gzip'
            Code    = 'Backup-MeshVolume -Name media -Repository s3://archive/media -Endpoint http://127.0.0.1:7480 -Compression Gzip'
            Remarks = 'Path-style addressing and request checksums that Ceph and MinIO accept are the defaults for custom endpoints.'
        }
    )
    Inputs      = @(@{ Type = 'System.String'; Description = 'Volume names, by value or by the Name property.' })
    Outputs     = @(@{ Type = 'MeshVolume.Model.MeshVolumeBackupInfo'; Description = 'The backup: Id, VolumeName, CreatedUtc, Repository, ArchiveName, ManifestName, Compression, ArchiveSize, ArchiveSha256, ContentSize, FileCount, Tags, Driver, DriverOptions, Labels, Engine, StoppedContainers, Duration and the whole Manifest.' })
}
