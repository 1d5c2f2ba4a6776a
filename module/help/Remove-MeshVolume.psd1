@{
    Synopsis    = 'Removes Docker volumes that no container uses.'
    Description = @'
Remove-MeshVolume deletes volumes and all their data. A volume that any container mounts, running or stopped, is refused with an error that names those containers. It asks for confirmation unless -Force or -Confirm:$false is given; -WhatIf removes nothing.

Names are taken literally: wildcards are not expanded, so that a pattern cannot remove more than meant. Pipe Get-MeshVolume output to remove by pattern after looking at the list.
'@
    Parameters  = @{
        Name  = 'Names of the volumes to remove.'
        Force = 'Removes without asking for confirmation. It does not remove volumes in use, and -WhatIf still only reports.'
    }
    Examples    = @(
        @{
            Title   = 'See what would be removed'
            Code    = 'Get-MeshVolume -Name ''test_*'' | Remove-MeshVolume -WhatIf'
            Remarks = 'Lists each removal without doing it.'
        }
        @{
            Title   = 'Remove a volume without a prompt'
            Code    = 'Remove-MeshVolume -Name old_cache -Force'
            Remarks = 'Fails with the error id VolumeInUse when a container still mounts it.'
        }
    )
    Inputs      = @(@{ Type = 'System.String'; Description = 'Volume names, by value or by the Name property.' })
    Outputs     = @(@{ Type = 'None'; Description = 'Nothing; -Verbose reports each removal.' })
}
