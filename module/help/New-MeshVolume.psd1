@{
    Synopsis    = 'Creates a Docker volume, from parameters or from piped definitions.'
    Description = @'
New-MeshVolume creates a volume with a driver, driver options and labels. It takes definitions from the pipeline by property name, so the output of Get-MeshComposeVolume creates the volumes a compose file declares, with the labels compose itself sets, so that docker compose adopts them.

An existing volume is an error, except when a compose definition (one that carries the com.docker.compose.project label) matches it exactly: it is then left as it is and returned. Definitions marked External are only checked for existence.
'@
    Parameters  = @{
        Name          = 'Name of the volume: at least two characters, starting with a letter or digit, then letters, digits, ''_'', ''.'' or ''-''.'
        Driver        = 'Volume driver. Defaults to local.'
        DriverOptions = 'Driver options as a hashtable, such as @{ type = ''nfs''; o = ''addr=10.0.0.5,rw''; device = '':/export'' }.'
        Labels        = 'Labels to set on the volume, as a hashtable.'
        External      = 'Marks the volume as managed elsewhere: it is checked for existence and never created. An error is written when it is missing.'
    }
    Examples    = @(
        @{
            Title   = 'Create a labelled volume'
            Code    = 'New-MeshVolume -Name app_data -Labels @{ owner = ''team-a'' }'
            Remarks = 'Returns the new volume.'
        }
        @{
            Title   = 'Create an NFS-backed volume'
            Code    = 'New-MeshVolume -Name media -DriverOptions @{ type = ''nfs''; o = ''addr=10.0.0.5,rw''; device = '':/export/media'' }'
            Remarks = 'The local driver mounts the NFS export when a container first uses the volume.'
        }
        @{
            Title   = 'Create the volumes of a compose file before the stack exists'
            Code    = 'Get-MeshComposeVolume -Path ./docker-compose.yml | New-MeshVolume -WhatIf'
            Remarks = 'Shows what would be created; run it again without -WhatIf to create them.'
        }
    )
    Inputs      = @(@{ Type = 'System.Management.Automation.PSObject'; Description = 'Objects with Name, Driver, DriverOptions, Labels and External properties, such as the output of Get-MeshComposeVolume.' })
    Outputs     = @(@{ Type = 'MeshVolume.Model.MeshVolumeInfo'; Description = 'The created volume, or the existing one a definition matched.' })
}
