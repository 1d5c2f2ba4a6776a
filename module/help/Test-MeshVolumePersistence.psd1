@{
    Synopsis    = 'Checks that data in a volume survives a container restart and, optionally, a backup, removal and restore.'
    Description = @'
Test-MeshVolumePersistence runs the check that operators do by hand. It writes a sentinel file of 4096 random bytes at the root of the volume, restarts the container that uses it (-Container) or a probe container made from a local image (-Image), and reads the file back. The file is written and read through the engine's archive API, so the container needs no shell or other program for it. A volume whose data does not survive a restart, such as one created with the driver options type=tmpfs device=tmpfs, fails at the step "Read sentinel".

With -Repository it then runs a drill. The volume is backed up to the repository, removed or emptied, and restored from that backup. The restored volume is compared entry by entry with the backup's manifest before the container starts again, because the application may change the data once it runs. Then the container starts on the restored data and the sentinel is read once more. The backup stays in the repository, tagged persistence-check.

What "removed" means follows Docker's rules. The engine removes a volume only when no container, running or stopped, references it, and a container can drop a mount only by being created again, which this cmdlet never does. So with a probe container the volume really goes: the probe is removed, then the volume, and the restore creates it again with the backup's driver, options and labels. With -Container the container is stopped and the volume's contents are removed and restored from the backup in place, through the volume's folder on this host. That needs a local engine and a volume without driver options; otherwise the drill is refused. Either way the drill is refused while containers other than the one named use the volume.

The drill replaces the volume's data, so it asks for confirmation (ConfirmImpact High) unless -Confirm:$false is given, and -WhatIf shows it without doing anything. The restart check alone asks only under -Confirm, -WhatIf or a $ConfirmPreference of Medium or Low. -ScratchCopy runs the drill without touching the volume: the backup is restored into a scratch volume, compared with its manifest, and the sentinel is read there.

The result lists each step with its name, verdict, duration and detail. The first failed step ends the run, and the verdict fails; it is also written as an error with the id PersistenceCheckFailed that names the step. However the run ends, the sentinel file is removed (from the volume's folder when the engine is local, else with rm in a running container), probe containers and scratch volumes are removed, and a container that was stopped is started again. The exception: when the drill fails after it started emptying the volume, the container stays stopped, because the volume may hold only part of the backup; a warning says how to restore it.
'@
    Parameters  = @{
        VolumeName  = 'Volume to check. Takes the Name property of Get-MeshVolume output.'
        Container   = 'Running container that mounts the volume read-write. It is stopped and started again, twice with an in-place drill.'
        Image       = 'Image for a probe container that mounts the volume at /meshvolume-probe, with no network. The image must be on the engine already: it is never pulled.'
        Command     = 'Long-running program of the probe container and its arguments, such as ''sleep'', ''3600''. Defaults to sleep 86400, which busybox, Debian and Alpine images have.'
        ScratchCopy = 'Runs the drill on a scratch copy restored from the backup, leaving the volume and its container alone. Needs -Repository.'
        Repository  = 'Repository for the drill''s backup: a folder path or s3://bucket/prefix. Without it no drill runs; MESHVOLUME_REPOSITORY is not used here, so that a drill never starts unasked.'
        Confirm     = 'Asks for confirmation before the restart check, and before the drill even without this switch.'
    }
    Examples    = @(
        @{
            Title   = 'Check a volume with a probe container'
            Code    = 'Test-MeshVolumePersistence -VolumeName app_data -Image busybox:latest'
            Remarks = 'Writes a sentinel through a probe, restarts the probe and reads the sentinel back.'
        }
        @{
            Title   = 'Restart the application container and run the full drill'
            Code    = 'Test-MeshVolumePersistence -VolumeName app_db -Container app_db_1 -Repository /srv/backups -Confirm:$false'
            Remarks = 'Stops app_db_1, backs app_db up, replaces its contents from the backup, compares them with the manifest, starts app_db_1 and checks the sentinel.'
        }
        @{
            Title   = 'Run the drill on a copy'
            Code    = 'Test-MeshVolumePersistence -VolumeName app_db -Container app_db_1 -Repository s3://backups/host1 -ScratchCopy'
            Remarks = 'Restarts app_db_1 once, then tests the new backup on a scratch volume; app_db is not replaced.'
        }
        @{
            Title   = 'See what the drill would do'
            Code    = 'Test-MeshVolumePersistence -VolumeName app_data -Image busybox:latest -Repository /srv/backups -WhatIf'
            Remarks = 'Prints both operations and changes nothing.'
        }
    )
    Inputs      = @(@{ Type = 'System.String'; Description = 'Volume names, by the VolumeName or Name property.' })
    Outputs     = @(@{ Type = 'MeshVolume.Model.MeshVolumePersistenceInfo'; Description = 'VolumeName, Container, ProbeImage, Passed, FailedStep, Steps (Name, Passed, Duration, Detail), Drill (None, InPlace or ScratchCopy), SentinelPath, SentinelRemoved, Repository, BackupId, Duration and Engine.' })
    Notes       = @'
Writing and removing the sentinel file changes the modification time of the volume's root folder. A container is stopped with its own stop timeout; a probe container is stopped after one second, because its idle program ignores the stop signal.
'@
}
