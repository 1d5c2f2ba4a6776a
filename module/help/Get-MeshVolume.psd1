@{
    Synopsis    = 'Lists Docker volumes with their size, labels and the containers that use them.'
    Description = @'
Get-MeshVolume lists the volumes of a Docker engine. Each result carries the driver, scope, mountpoint, driver options, labels, creation time, the size in bytes from the engine's disk-usage API (empty where the driver cannot tell), the containers that mount the volume with their state, and the engine it came from.

Filter by name with wildcards, by label, or by compose project. The output binds by property name to Backup-MeshVolume, Remove-MeshVolume and the other volume cmdlets.
'@
    Parameters  = @{
        Name           = 'Names of the volumes to list. Wildcards are allowed. A name without wildcards that matches nothing is reported as an error.'
        Label          = 'Label filters: ''key'' matches any value, ''key=value'' one value. A volume must match every filter.'
        ComposeProject = 'Lists the volumes of this docker-compose project, found by the com.docker.compose.project label that compose sets.'
        NoSize         = 'Skips the disk-usage query, which walks every volume and can be slow on engines with many large volumes. SizeBytes is then empty.'
    }
    Examples    = @(
        @{
            Title   = 'List every volume'
            Code    = 'Get-MeshVolume'
            Remarks = 'Shows name, driver, size, creation time and the containers using each volume.'
        }
        @{
            Title   = 'Find the large volumes of a compose project'
            Code    = 'Get-MeshVolume -ComposeProject shop | Where-Object SizeBytes -gt 1GB | Sort-Object SizeBytes -Descending'
            Remarks = 'Filters on the size in bytes, which every result carries.'
        }
        @{
            Title   = 'Volumes by name and label on another engine'
            Code    = 'Get-MeshVolume -Name ''app_*'' -Label ''tier=db'' -DockerHost tcp://docker01:2376'
            Remarks = 'Wildcards and label filters combine; TLS is taken from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.'
        }
    )
    Inputs      = @(@{ Type = 'System.String'; Description = 'Volume names, by value or by the Name property.' })
    Outputs     = @(@{ Type = 'MeshVolume.Model.MeshVolumeInfo'; Description = 'Name, Driver, Scope, Mountpoint, DriverOptions, Labels, CreatedUtc, SizeBytes, Containers (Id, Name, State, Destination, ReadOnly), Engine and ComposeProject.' })
}
