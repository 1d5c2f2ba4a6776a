@{
    Synopsis    = 'Removes backups from a repository: given ones, by a retention policy, or incomplete leftovers.'
    Description = @'
Remove-MeshVolumeBackup removes piped backups, or applies a retention policy to the backups of each volume: -KeepLast, -KeepHourly, -KeepDaily, -KeepWeekly, -KeepMonthly, -KeepYearly, -KeepWithin and -KeepTag. For the same backup times, policy and time zone it keeps what restic 0.14's forget keeps: the newest backup in each hour, day, ISO week, month or year that has a backup, counting only those that have one. Buckets are counted in the machine's time zone unless -TimeZone names another.

Every backup considered is returned, kept or removed, with the rules that keep it. -WhatIf removes nothing and returns the same list. A policy that would remove every backup of a volume is refused unless -AllowRemoveAll is given.

A backup is removed manifest first, then archive, so a removal that stops halfway never leaves something that looks like a good backup. -Incomplete finds archives without a manifest (from interrupted backups or removals) and manifests without an archive, and removes them.
'@
    Parameters  = @{
        VolumeName     = 'Volumes whose backups to consider; wildcards allowed. All volumes of the repository when omitted (policy and -Incomplete).'
        Id             = 'Id of the backup to remove, such as 20261204T174023Z-3f9a1c. Takes the Id property of Get-MeshVolumeBackup output.'
        KeepLast       = 'Keeps this many of the newest backups.'
        KeepHourly     = 'Keeps the newest backup of each of this many hours that have a backup.'
        KeepDaily      = 'Keeps the newest backup of each of this many days that have a backup.'
        KeepWeekly     = 'Keeps the newest backup of each of this many ISO weeks (Monday to Sunday) that have a backup.'
        KeepMonthly    = 'Keeps the newest backup of each of this many months that have a backup.'
        KeepYearly     = 'Keeps the newest backup of each of this many years that have a backup.'
        KeepWithin     = 'Keeps every backup made within this duration before the newest backup: a number and a unit, combined, such as 10d, 2w3d, 1y6m or 36h (y years, m months, w weeks, d days, h hours).'
        KeepTag        = 'Keeps backups that carry every tag of one value; tags in a value are separated by commas (''prod,db''), several values are alternatives.'
        TimeZone       = 'Time zone whose hours, days, weeks, months and years the rules count in, such as UTC or Europe/Berlin. Defaults to the machine''s.'
        AllowRemoveAll = 'Allows a policy to remove every backup of a volume; without it such a policy is refused with the error id RetentionWouldRemoveAll.'
        Incomplete     = 'Removes archives without a manifest and manifests without an archive instead of applying a policy.'
        Force          = 'Removes without asking for confirmation. -WhatIf still only reports.'
    }
    Examples    = @(
        @{
            Title   = 'See what a policy would remove'
            Code    = 'Remove-MeshVolumeBackup -Repository ./backups -KeepDaily 7 -KeepWeekly 4 -KeepMonthly 6 -WhatIf'
            Remarks = 'Lists every backup with Keep and the reasons, and removes nothing.'
        }
        @{
            Title   = 'Apply a policy to one volume in a scheduled task'
            Code    = 'Remove-MeshVolumeBackup -Repository s3://backups/host1 -VolumeName app_db -KeepLast 3 -KeepWithin 14d -Force'
            Remarks = '-Force skips the confirmation prompt, which an unattended job cannot answer.'
        }
        @{
            Title   = 'Remove one backup'
            Code    = 'Get-MeshVolumeBackup -Repository ./backups -VolumeName app_db -Id 20261204T020000Z-3f9a1c | Remove-MeshVolumeBackup -Force'
            Remarks = 'Deletes the manifest, then the archive.'
        }
        @{
            Title   = 'Clean up after interrupted backups'
            Code    = 'Remove-MeshVolumeBackup -Repository ./backups -Incomplete -WhatIf'
            Remarks = 'Lists archives that have no manifest; run it without -WhatIf to remove them.'
        }
    )
    Inputs      = @(@{ Type = 'MeshVolume.Model.MeshVolumeBackupInfo'; Description = 'Backups by Repository, VolumeName and Id.' })
    Outputs     = @(@{ Type = 'MeshVolume.Model.MeshVolumeBackupRetentionInfo'; Description = 'VolumeName, Id, CreatedUtc, Tags, Keep, Reasons, Removed, Incomplete, Repository, ArchiveName and ManifestName for each backup considered.' })
}
