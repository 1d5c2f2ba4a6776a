@{
    Synopsis    = 'Reads the volumes and the services'' mounts of a docker-compose project.'

    Description = @'
Get-MeshComposeVolume reads one or more compose files the way docker-compose 1.29 does and
returns the volumes of the top-level volumes section, resolved to the names, drivers, driver
options and labels that compose would create them with. Pipe them to New-MeshVolume to create
the volumes before the first `docker compose up`: compose then uses them as its own.

With -Mount it returns the mounts of the services instead: every entry of their volumes lists
(short syntax SOURCE:TARGET:MODE and long syntax) and of their tmpfs lists, with the type,
source, target, read-only flag, bind options and tmpfs size in bytes and mode.

The files are merged in order, later files overriding earlier ones. Variables are substituted
in each file before the merge: $VAR, ${VAR}, ${VAR:-default} (default when unset or empty),
${VAR-default} (default when unset), ${VAR:?message} (error when unset or empty),
${VAR?message} (error when unset), and $$ for a literal dollar sign. The variables come from
the environment file and the process environment, which wins. YAML anchors, aliases, merge
keys (<<) and x- extension fields work as in compose.

Errors name the file, the line and the column: broken YAML, a value of the wrong type, a
required variable that is not set, and a service that uses a volume the volumes section does
not declare.
'@

    Parameters  = @{
        Path            = @'
Compose files of one project, in order: later files override earlier ones. Wildcards are
allowed. Without it the cmdlet uses the files in the COMPOSE_FILE environment variable
(separated by COMPOSE_PATH_SEPARATOR, else by the platform's path separator), else
docker-compose.yml, docker-compose.yaml, compose.yml or compose.yaml in the current folder or
the nearest parent that has one, together with its override file (docker-compose.override.yml
and the like). A folder given here means its default compose file and override file, without
looking in its parents. Files and folders piped in by their FullName property are read as one
project each.
'@
        ProjectName     = @'
Project name, which prefixes the names of volumes without a name field (PROJECT_KEY) and goes
into the com.docker.compose.project label. As in docker-compose 1.29 it is lowercased and
every character other than a-z, 0-9, - and _ is removed. Defaults to COMPOSE_PROJECT_NAME from
the process environment or the environment file, else to the name of the folder of the first
file.
'@
        EnvironmentFile = @'
File of KEY=VALUE lines whose variables are substituted into the compose files. Defaults to
.env beside the first compose file, which may be absent; a file given here must exist.
Variables of the process environment win over the file's.
'@
        Mount           = 'Returns the services'' mounts (ComposeMountInfo) instead of the top-level volumes.'
        Service         = 'With -Mount, returns only the mounts of the services whose names match one of these wildcard patterns.'
    }

    Examples    = @(
        @{
            Title   = 'List the volumes of the project in the current folder'
            Code    = 'Get-MeshComposeVolume'
            Remarks = 'Reads docker-compose.yml (and docker-compose.override.yml when present) from the current folder or its parents and shows each volume''s key, Docker volume name, driver and driver options.'
        }
        @{
            Title   = 'Create the volumes of a project before starting it'
            Code    = @'
Get-MeshComposeVolume -Path ./docker-compose.yml, ./docker-compose.prod.yml -ProjectName shop |
    New-MeshVolume -WhatIf
'@
            Remarks = 'Shows which volumes New-MeshVolume would create, with the labels compose sets itself. External volumes are only checked for existence. Remove -WhatIf to create them.'
        }
        @{
            Title   = 'Find the bind mounts of every service'
            Code    = 'Get-MeshComposeVolume -Mount | Where-Object Type -eq bind | Format-Table Service, Source, Target, ReadOnly'
            Remarks = 'Source is the absolute host path: compose paths that start with ./ or ~ are resolved.'
        }
        @{
            Title   = 'List the volumes of every project under a folder'
            Code    = 'Get-ChildItem -Path /srv/stacks -Directory | Get-MeshComposeVolume | Format-Table Project, Key, Name, Driver'
            Remarks = 'Each folder is read as its own project, named after the folder as compose names it.'
        }
        @{
            Title   = 'Show the Docker volume names that one service uses'
            Code    = 'Get-MeshComposeVolume -Mount -Service db | Where-Object VolumeName | Select-Object Target, VolumeName'
            Remarks = 'VolumeName is the name of the volume on the engine, such as shop_dbdata, for named volumes; anonymous volumes, binds and tmpfs mounts have none.'
        }
        @{
            Title   = 'Read a file that takes its variables from another environment file'
            Code    = 'Get-MeshComposeVolume -Path ./compose.yml -EnvironmentFile ./staging.env -Verbose'
            Remarks = 'Variables that are not set become empty strings, with a warning, as in compose.'
        }
    )

    Inputs      = @(
        @{
            Type        = 'System.String'
            Description = 'Paths of compose files, by the property name FullName (as Get-ChildItem emits) or Path.'
        }
    )

    Outputs     = @(
        @{
            Type        = 'MeshVolume.Model.ComposeVolumeInfo'
            Description = @'
Without -Mount, one object per top-level volume: Project, Key, Name (the Docker volume name),
Driver ("local" when the file names none, null for an external volume), DriverOptions,
Labels (every label compose sets when it creates the volume: the declared labels plus
com.docker.compose.project, com.docker.compose.volume and com.docker.compose.version),
DeclaredLabels (the file's own labels), External, Services (the services that mount it) and
SourceFile. Name, Driver, DriverOptions, Labels and External bind to New-MeshVolume.
'@
        }
        @{
            Type        = 'MeshVolume.Model.ComposeMountInfo'
            Description = @'
With -Mount, one object per mount: Project, Service, Type (volume, bind, tmpfs or npipe),
Source (the volume key, or the absolute host path of a bind mount), VolumeName, Target,
ReadOnly, Anonymous, Propagation, SELinux (z or Z), NoCopy, TmpfsSize (bytes), TmpfsMode
(octal digits, such as 1777), Syntax (short, long or tmpfs), Definition (the short-syntax or
tmpfs entry as written, after substitution) and SourceFile.
'@
        }
    )

    Notes       = @'
The rules are those of Debian's docker-compose 1.29.2, which the tests run as the reference.
Where the compose specification (docker compose v2) differs:

- Values are typed with YAML 1.1, as PyYAML does: yes, no, on and off are booleans and 0777
  is an octal number (511). Driver options and labels keep compose 1.29's text for them, such
  as True and 511.

- A volume defined again in a later file replaces the earlier definition whole; v2 merges the
  two. (A service mount of a later file replaces the one with the same target, and tmpfs
  lists are joined.)

- The com.docker.compose.volume label is the name field when the volume has one, else the
  key, as compose 1.29 sets it; v2 sets the key.

- Defaults in ${VAR:-default} are literal text, and a $ that starts no variable, as in
  "costs $5", is an error. The compose specification also substitutes variables inside
  defaults, keeps such a $ as it is, and has ${VAR:+replacement} and ${VAR+replacement}.

- A project name given with -ProjectName is normalised; v2 rejects one with other characters.

Also:

- The device of a local volume bound to a host folder (o: bind) is made absolute from the
  project folder, but compose 1.29 takes it from the folder it runs in.

- In the environment file, single-quoted values are literal, as the compose specification
  states, although the python-dotenv 0.21 that compose 1.29 uses substitutes variables
  inside them too.

- The long syntax also takes tmpfs.mode, bind.selinux and bind.create_host_path from the
  compose specification, which compose 1.29 rejects.

- extends is not followed: a warning names each service that uses it, and the mounts it
  inherits are missing from the output.

- Files in the version 1 format, with the services at the top level, are not supported.
'@
}
