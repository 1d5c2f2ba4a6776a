<#
    Get-MeshComposeVolume is checked against Debian's docker-compose 1.29.2 at test time:
    each file of tests/compose goes through `docker-compose config`, whose resolved output
    is the expected result, field by field. The round trips create volumes on the engine
    from DOCKER_HOST, with docker-compose and with New-MeshVolume, and compare them with
    `docker volume inspect`.
#>

BeforeDiscovery {
    $referenceCases = @(
        @{ Name = 'volumes-basic'; Files = @('volumes-basic.yml') }
        @{ Name = 'volumes-driver-options'; Files = @('volumes-driver-options.yml') }
        @{ Name = 'volumes-external'; Files = @('volumes-external.yml') }
        @{ Name = 'mounts-short'; Files = @('mounts-short.yml') }
        @{ Name = 'mounts-long'; Files = @('mounts-long.yml') }
        @{ Name = 'tmpfs'; Files = @('tmpfs.yml') }
        @{ Name = 'anchors'; Files = @('anchors.yml') }
        @{ Name = 'override'; Files = @('override-base.yml', 'override-extra.yml') }
        @{
            Name            = 'variables'
            Files           = @('variables.yml')
            EnvironmentFile = 'variables.env'
            Environment     = @{
                MESHVOLUME_TEST_FROM_PROCESS = 'from-process'
                MESHVOLUME_TEST_OVERRIDDEN   = 'from-process-wins'
            }
        }
        @{
            Name        = 'project name with odd characters'
            Files       = @('volumes-basic.yml')
            ProjectName = '-My.Project_Name-2'
        }
    )

    $errorCases = @(
        @{ File = 'error-yaml.yml'; ErrorId = 'ComposeFileInvalid'; Text = 'invalid YAML'; UseComposePosition = $true }
        @{ File = 'error-yaml-flow.yml'; ErrorId = 'ComposeFileInvalid'; Text = 'invalid YAML'; Line = 5; Column = 14 }
        @{ File = 'error-undefined-alias.yml'; ErrorId = 'ComposeFileInvalid'; Text = 'missing-anchor'; UseComposePosition = $true }
        @{ File = 'error-undeclared.yml'; ErrorId = 'ComposeVolumeUndeclared'; Text = "'undeclared-volume'"; Line = 8; Column = 9 }
        @{ File = 'error-undeclared-long.yml'; ErrorId = 'ComposeVolumeUndeclared'; Text = "'undeclared-long'"; Line = 8; Column = 17 }
        @{ File = 'error-required-variable.yml'; ErrorId = 'ComposeVariableMissing'; Text = 'MESHVOLUME_TEST_REQUIRED_UNSET, which is not set (set it to the host folder)'; Line = 11; Column = 15 }
        @{ File = 'error-invalid-interpolation.yml'; ErrorId = 'ComposeFileInvalid'; Text = "'costs `$5'"; Line = 9; Column = 14 }
        @{ File = 'error-external-attributes.yml'; ErrorId = 'ComposeFileInvalid'; Text = "'data' is declared external but also sets driver"; Line = 9; Column = 5 }
        @{ File = 'error-duplicate-target.yml'; ErrorId = 'ComposeFileInvalid'; Text = 'more than one volume at /data'; Line = 8; Column = 9 }
    )

    $canCreate = $null -ne (Get-Command New-MeshVolume -ErrorAction SilentlyContinue)
    if (-not $canCreate -and $env:MESHVOLUME_MODULE_PATH) {
        Import-Module $env:MESHVOLUME_MODULE_PATH -Force
        $canCreate = $null -ne (Get-Command New-MeshVolume -ErrorAction SilentlyContinue)
    }
}

BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH -Force
    $script:Corpus = Join-Path $PSScriptRoot 'compose'

    # docker-compose runs on Debian's python3, which has PyYAML; the same interpreter turns
    # its YAML output into JSON, and restores the $ that `config` writes as $$.
    $composeCommand = Get-Command docker-compose -CommandType Application -ErrorAction Stop
    $shebang = Get-Content ($composeCommand | Select-Object -First 1).Source -TotalCount 1
    $script:ComposePython = ($shebang -replace '^#!\s*', '').Trim()
    $script:YamlToJson = @'
import json, sys, yaml
def restore(value):
    if isinstance(value, str):
        return value.replace('$$', '$')
    if isinstance(value, list):
        return [restore(item) for item in value]
    if isinstance(value, dict):
        return {restore(key): restore(item) for key, item in value.items()}
    return value
json.dump(restore(yaml.safe_load(sys.stdin)), sys.stdout)
'@

    function Invoke-DockerCompose {
        param([string[]] $Arguments, [string] $WorkingDirectory)
        $stdout = New-TemporaryFile
        $stderr = New-TemporaryFile
        Push-Location $WorkingDirectory
        try {
            & docker-compose @Arguments > $stdout.FullName 2> $stderr.FullName
            [pscustomobject]@{
                ExitCode = $LASTEXITCODE
                Output   = Get-Content -Raw $stdout.FullName
                Error    = Get-Content -Raw $stderr.FullName
            }
        }
        finally {
            Pop-Location
            Remove-Item $stdout.FullName, $stderr.FullName
        }
    }

    function Get-ComposeConfig {
        param([string[]] $Files, [string] $Project, [string] $EnvironmentFile)
        $arguments = @()
        if ($EnvironmentFile) { $arguments += @('--env-file', $EnvironmentFile) }
        foreach ($file in $Files) { $arguments += @('-f', $file) }
        $arguments += @('-p', $Project, 'config')
        $result = Invoke-DockerCompose $arguments (Split-Path $Files[0])
        if ($result.ExitCode -ne 0) { throw "docker-compose config failed: $($result.Error)" }
        $json = $result.Output | & $script:ComposePython -c $script:YamlToJson
        return $json | ConvertFrom-Json -AsHashtable
    }

    function Format-Map {
        param($Map)
        if ($null -eq $Map) { return '' }
        $lines = foreach ($key in $Map.Keys) {
            $value = $Map[$key]
            if ($null -eq $value) { $value = '' }
            "$key=$value"
        }
        ($lines | Sort-Object -CaseSensitive) -join "`n"
    }

    # Expected volumes from the resolved config: compose prints name only for a name field
    # or an external volume, so PROJECT_KEY (project without leading - and _) is the rest.
    function Get-ExpectedVolume {
        param($Config, [string] $Project)
        $volumes = @{}
        if (-not $Config.ContainsKey('volumes')) { return $volumes }
        foreach ($key in $Config.volumes.Keys) {
            $definition = $Config.volumes[$key]
            if ($null -eq $definition) { $definition = @{} }
            $external = [bool]$definition['external']
            $name = $definition['name']
            $hasName = [bool]$name
            if (-not $name) { $name = $Project.TrimStart('-', '_') + '_' + $key }
            $driver = if ($external) { $null } elseif ($definition['driver']) { $definition['driver'] } else { 'local' }
            $volumes[$key] = [pscustomobject]@{
                Name          = $name
                HasName       = $hasName
                Driver        = $driver
                External      = $external
                DriverOptions = $definition['driver_opts']
                Labels        = $definition['labels']
            }
        }
        return $volumes
    }

    # The kernel's units for tmpfs size=, as compose passes the text through unchanged.
    function ConvertFrom-TmpfsSize {
        param([string] $Text)
        if ($Text -notmatch '^(\d+)([kmgtpe]?)$') { return $null }
        $shift = if ($Matches[2]) { 10 * ('kmgtpe'.IndexOf($Matches[2].ToLower()) + 1) } else { 0 }
        return [long]$Matches[1] * [math]::Pow(2, $shift)
    }

    function Get-ExpectedMount {
        param($Config, $ExpectedVolumes)
        $mounts = @{}
        foreach ($service in $Config.services.Keys) {
            $definition = $Config.services[$service]
            foreach ($entry in @($definition['volumes'])) {
                if ($null -eq $entry) { continue }
                $mount = [ordered]@{
                    Type = $null; Source = $null; Target = $null; ReadOnly = $false
                    Anonymous = $false; Propagation = $null; SELinux = $null; NoCopy = $false
                    TmpfsSize = $null; TmpfsMode = $null; VolumeName = $null
                }
                if ($entry -is [string]) {
                    $parts = $entry -split ':'
                    if ($parts.Count -eq 1) {
                        $mount.Type = 'volume'; $mount.Target = $parts[0]; $mount.Anonymous = $true
                    }
                    else {
                        $mount.Source = $parts[0]; $mount.Target = $parts[1]
                        $mount.Type = if ($parts[0].StartsWith('/')) { 'bind' } else { 'volume' }
                        foreach ($word in ($parts[2] -split ',')) {
                            switch -CaseSensitive ($word) {
                                'ro' { $mount.ReadOnly = $true }
                                'nocopy' { $mount.NoCopy = $true }
                                { $_ -in 'z', 'Z' } { $mount.SELinux = $word }
                                { $_ -in 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave' } {
                                    $mount.Propagation = $word
                                }
                            }
                        }
                    }
                }
                else {
                    $mount.Type = $entry['type']; $mount.Source = $entry['source']; $mount.Target = $entry['target']
                    $mount.ReadOnly = [bool]$entry['read_only']
                    $mount.Anonymous = $mount.Type -eq 'volume' -and -not $entry['source']
                    if ($entry['volume']) { $mount.NoCopy = [bool]$entry['volume']['nocopy'] }
                    if ($entry['bind']) { $mount.Propagation = $entry['bind']['propagation'] }
                    if ($entry['tmpfs']) { $mount.TmpfsSize = $entry['tmpfs']['size'] }
                }
                if ($mount.Type -eq 'volume' -and $mount.Source) {
                    $mount.VolumeName = $ExpectedVolumes[$mount.Source].Name
                }
                $mounts["$service $($mount.Target)"] = [pscustomobject]$mount
            }
            foreach ($entry in @($definition['tmpfs'])) {
                if ($null -eq $entry) { continue }
                $target, $options = $entry -split ':', 2
                $mount = [ordered]@{
                    Type = 'tmpfs'; Source = $null; Target = $target; ReadOnly = $false
                    Anonymous = $false; Propagation = $null; SELinux = $null; NoCopy = $false
                    TmpfsSize = $null; TmpfsMode = $null; VolumeName = $null
                }
                foreach ($option in ($options -split ',')) {
                    $optionName, $value = $option -split '=', 2
                    switch ($optionName) {
                        'size' { $mount.TmpfsSize = ConvertFrom-TmpfsSize $value }
                        'mode' { $mount.TmpfsMode = [Convert]::ToString([Convert]::ToInt32($value, 8), 8) }
                        'ro' { $mount.ReadOnly = $true }
                    }
                }
                $mounts["$service $target"] = [pscustomobject]$mount
            }
        }
        return $mounts
    }

    function Use-TestEnvironment {
        param([hashtable] $Variables, [scriptblock] $Script)
        $saved = @{}
        foreach ($name in $Variables.Keys) {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
            [Environment]::SetEnvironmentVariable($name, $Variables[$name])
        }
        try { & $Script }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
    }
}

Describe 'Get-MeshComposeVolume compared with docker-compose config' -Tag Compose {
    It 'matches compose for <Name>' -ForEach $referenceCases {
        $files = @($Files | ForEach-Object { Join-Path $script:Corpus $_ })
        $project = if ($ProjectName) { $ProjectName } else { 'meshvolume-' + ($Name -replace '\W', '') }
        $normalizedProject = ($project.ToLowerInvariant() -replace '[^-_a-z0-9]', '')
        $environmentFile = if ($EnvironmentFile) { Join-Path $script:Corpus $EnvironmentFile } else { $null }
        $variables = if ($Environment) { $Environment } else { @{} }

        Use-TestEnvironment $variables {
            $config = Get-ComposeConfig -Files $files -Project $project -EnvironmentFile $environmentFile
            $parameters = @{ Path = $files; ProjectName = $project; WarningAction = 'SilentlyContinue' }
            if ($environmentFile) { $parameters.EnvironmentFile = $environmentFile }
            Push-Location (Split-Path $files[0])
            try {
                $script:volumes = @(Get-MeshComposeVolume @parameters -ErrorAction Stop)
                $script:mounts = @(Get-MeshComposeVolume @parameters -Mount -ErrorAction Stop)
            }
            finally { Pop-Location }
            $script:expectedVolumes = Get-ExpectedVolume $config $normalizedProject
            $script:expectedMounts = Get-ExpectedMount $config $script:expectedVolumes
        }

        ($volumes.Key | Sort-Object) -join ', ' |
            Should -Be (($expectedVolumes.Keys | Sort-Object) -join ', ') -Because 'the volume keys'
        foreach ($volume in $volumes) {
            $expected = $expectedVolumes[$volume.Key]
            $because = "volume '$($volume.Key)'"
            $volume.Project | Should -BeExactly $normalizedProject -Because "$because Project"
            $volume.Name | Should -BeExactly $expected.Name -Because "$because Name"
            $volume.Driver | Should -BeExactly $expected.Driver -Because "$because Driver"
            $volume.External | Should -Be $expected.External -Because "$because External"
            Format-Map $volume.DriverOptions |
                Should -BeExactly (Format-Map $expected.DriverOptions) -Because "$because DriverOptions"
            Format-Map $volume.DeclaredLabels |
                Should -BeExactly (Format-Map $expected.Labels) -Because "$because DeclaredLabels"
            $composeLabels = @{}
            if (-not $expected.External) {
                if ($expected.Labels) { foreach ($key in $expected.Labels.Keys) { $composeLabels[$key] = $expected.Labels[$key] } }
                $composeLabels['com.docker.compose.project'] = $normalizedProject
                $composeLabels['com.docker.compose.volume'] = if ($expected.HasName) { $expected.Name } else { $volume.Key }
                $composeLabels['com.docker.compose.version'] = '1.29.2'
            }
            Format-Map $volume.Labels | Should -BeExactly (Format-Map $composeLabels) -Because "$because Labels"
            $users = @($expectedMounts.Keys | Where-Object { $expectedMounts[$_].Source -eq $volume.Key -and
                    $expectedMounts[$_].Type -eq 'volume' } | ForEach-Object { ($_ -split ' ')[0] } | Sort-Object -Unique)
            ($volume.Services | Sort-Object) -join ', ' | Should -Be ($users -join ', ') -Because "$because Services"
        }

        ($mounts | ForEach-Object { "$($_.Service) $($_.Target)" } | Sort-Object) -join "`n" |
            Should -BeExactly (($expectedMounts.Keys | Sort-Object) -join "`n") -Because 'the service mounts'
        foreach ($mount in $mounts) {
            $expected = $expectedMounts["$($mount.Service) $($mount.Target)"]
            $because = "mount '$($mount.Service) $($mount.Target)'"
            foreach ($field in 'Type', 'Source', 'VolumeName', 'Propagation', 'SELinux', 'TmpfsMode') {
                $mount.$field | Should -BeExactly $expected.$field -Because "$because $field"
            }
            foreach ($field in 'ReadOnly', 'Anonymous', 'NoCopy', 'TmpfsSize') {
                $mount.$field | Should -Be $expected.$field -Because "$because $field"
            }
            $mount.Project | Should -BeExactly $normalizedProject -Because "$because Project"
        }
    }

    It 'rejects <File> as compose does' -ForEach $errorCases {
        $file = Join-Path $script:Corpus $File
        $compose = Invoke-DockerCompose @('-f', $file, '-p', 'meshvolume-errors', 'config') $script:Corpus
        $compose.ExitCode | Should -Not -Be 0 -Because 'docker-compose rejects the file too'

        $failure = $null
        try { Get-MeshComposeVolume -Path $file -ProjectName 'meshvolume-errors' -ErrorAction Stop }
        catch { $failure = $_ }

        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $failure.Exception.Message | Should -BeLike "$file, line *"
        $failure.Exception.Message | Should -BeLike "*$Text*"
        if ($UseComposePosition) {
            $positions = [regex]::Matches($compose.Error, 'line (\d+), column (\d+)')
            $last = $positions[$positions.Count - 1]
            $Line = [int]$last.Groups[1].Value
            $Column = [int]$last.Groups[2].Value
        }
        $failure.Exception.Message | Should -BeLike "*, line $Line, column $Column*"
    }
}

Describe 'Get-MeshComposeVolume input and output' -Tag Compose {
    BeforeAll {
        $script:project = Join-Path $TestDrive 'input'
        New-Item -ItemType Directory $project | Out-Null
    }

    It 'substitutes variables from .env beside the file' {
        Set-Content (Join-Path $project 'docker-compose.yml') @'
volumes:
  data:
    name: ${MESHVOLUME_TEST_DOTENV_NAME}
    labels:
      single: ${MESHVOLUME_TEST_SINGLE}
'@
        Set-Content (Join-Path $project '.env') @'
MESHVOLUME_TEST_DOTENV_NAME=from-dotenv
MESHVOLUME_TEST_SINGLE='${NOT_SUBSTITUTED}'
'@
        $volume = Get-MeshComposeVolume -Path (Join-Path $project 'docker-compose.yml') -ProjectName p

        $volume.Name | Should -BeExactly 'from-dotenv'
        $volume.DeclaredLabels['single'] | Should -BeExactly '${NOT_SUBSTITUTED}'
    }

    It 'finds docker-compose.yml and its override in the current folder' {
        Set-Content (Join-Path $project 'docker-compose.yml') "volumes:`n  data: {}`n"
        Set-Content (Join-Path $project 'docker-compose.override.yml') "volumes:`n  extra: {}`n"
        Push-Location $project
        try { $volumes = @(Get-MeshComposeVolume -ProjectName p) }
        finally { Pop-Location }

        $volumes.Key -join ', ' | Should -Be 'data, extra'
    }

    It 'takes files from the pipeline' {
        Set-Content (Join-Path $project 'docker-compose.yml') "volumes:`n  piped: {}`n"
        Remove-Item (Join-Path $project 'docker-compose.override.yml') -ErrorAction SilentlyContinue

        $volume = Get-Item (Join-Path $project 'docker-compose.yml') | Get-MeshComposeVolume

        $volume.Name | Should -BeExactly 'input_piped'
    }

    It 'reads the default file of a folder' {
        Set-Content (Join-Path $project 'compose.yaml') "volumes:`n  from-folder: {}`n"
        Remove-Item (Join-Path $project 'docker-compose.yml')

        $volume = Get-Item $project | Get-MeshComposeVolume

        $volume.Name | Should -BeExactly 'input_from-folder'
        $volume.SourceFile | Should -BeExactly (Join-Path $project 'compose.yaml')
    }

    It 'warns about an unset variable' {
        Set-Content (Join-Path $project 'unset.yml') "volumes:`n  data:`n    name: x`${MESHVOLUME_TEST_NEVER_SET}`n"

        $volume = Get-MeshComposeVolume -Path (Join-Path $project 'unset.yml') -WarningVariable warnings -WarningAction SilentlyContinue

        $volume.Name | Should -BeExactly 'x'
        "$warnings" | Should -BeLike '*MESHVOLUME_TEST_NEVER_SET*'
    }

    It 'warns about the deprecated external.name' {
        $file = Join-Path $script:Corpus 'volumes-external.yml'

        $volumes = Get-MeshComposeVolume -Path $file -WarningVariable warnings -WarningAction SilentlyContinue

        ($volumes | Where-Object Key -eq 'legacy').Name | Should -BeExactly 'meshvolume-external-legacy'
        "$warnings" | Should -BeLike "*Volume 'legacy' uses 'external.name', which is deprecated*"
    }

    It 'filters mounts by service' {
        $mounts = @(Get-MeshComposeVolume -Path (Join-Path $script:Corpus 'mounts-short.yml') -Mount -Service 'work*')

        $mounts.Count | Should -Be 2
        $mounts.Service | Sort-Object -Unique | Should -Be 'worker'
    }

    It 'reads tmpfs mode and bind selinux from the compose specification' {
        # Compose 1.29 rejects these long-syntax fields; docker compose v2 accepts them.
        Set-Content (Join-Path $project 'spec.yml') @'
services:
  app:
    image: meshvolume-test/busybox
    volumes:
      - type: tmpfs
        target: /scratch
        tmpfs:
          size: 64m
          mode: 01777
      - type: bind
        source: /srv
        target: /srv
        bind:
          selinux: z
'@
        $mounts = Get-MeshComposeVolume -Path (Join-Path $project 'spec.yml') -Mount

        $mounts[0].TmpfsSize | Should -Be 67108864
        $mounts[0].TmpfsMode | Should -BeExactly '1777'
        $mounts[1].SELinux | Should -BeExactly 'z'
    }

    It 'reports a missing compose file' {
        $failure = $null
        try { Get-MeshComposeVolume -Path (Join-Path $project 'absent.yml') -ErrorAction Stop }
        catch { $failure = $_ }

        $failure.FullyQualifiedErrorId | Should -BeLike 'ComposeFileNotFound,*'
    }

    It 'reports a missing environment file' {
        $failure = $null
        try {
            Get-MeshComposeVolume -Path (Join-Path $script:Corpus 'volumes-basic.yml') `
                -EnvironmentFile (Join-Path $project 'absent.env') -ErrorAction Stop
        }
        catch { $failure = $_ }

        $failure.FullyQualifiedErrorId | Should -BeLike 'ComposeFileNotFound,*'
    }

    It 'rejects a project name without usable characters' {
        $failure = $null
        try { Get-MeshComposeVolume -Path (Join-Path $script:Corpus 'volumes-basic.yml') -ProjectName '...' -ErrorAction Stop }
        catch { $failure = $_ }

        $failure.FullyQualifiedErrorId | Should -BeLike 'ComposeProjectNameInvalid,*'
    }
}

Describe 'Compose volumes on the engine' -Tag Compose {
    BeforeAll {
        $script:suffix = -join ((48..57) + (97..122) | Get-Random -Count 8 | ForEach-Object { [char]$_ })
        $script:external = "meshvolume-test-external-$suffix"
        $script:createdProjects = [System.Collections.Generic.List[object]]::new()
        & docker volume create --label meshvolume.test=1 $external | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "docker volume create $external failed." }

        function Get-EngineVolume {
            param([string] $Name)
            $json = & docker volume inspect $Name 2>$null
            if ($LASTEXITCODE -ne 0) { return $null }
            return @($json | ConvertFrom-Json -AsHashtable -NoEnumerate)[0]
        }

        # Records a compose project so that AfterAll removes its containers and volumes.
        function Register-ComposeProject {
            param([string] $Project, [string[]] $Files, [string] $Directory, [hashtable] $Variables)
            $script:createdProjects.Add(@{ Project = $Project; Files = $Files; Directory = $Directory; Variables = $Variables })
        }
    }

    AfterAll {
        foreach ($created in $script:createdProjects) {
            $arguments = @()
            foreach ($file in $created.Files) { $arguments += @('-f', $file) }
            if ($created.Project) { $arguments += @('-p', $created.Project) }
            Use-TestEnvironment $created.Variables {
                Invoke-DockerCompose ($arguments + @('down', '--volumes')) $created.Directory | Out-Null
            }
        }
        $leftover = & docker volume ls -q --filter "label=meshvolume.test=1" | Where-Object { $_ -like "*$suffix*" }
        foreach ($name in $leftover) { & docker volume rm $name | Out-Null }
        & docker volume rm $external 2>$null | Out-Null
    }

    It 'predicts the volumes that docker-compose creates' {
        $project = "meshvolume-compose-$suffix"
        $file = Join-Path $script:Corpus 'roundtrip.yml'
        $variables = @{ MESHVOLUME_TEST_SUFFIX = "compose-$suffix"; MESHVOLUME_TEST_EXTERNAL = $external }
        Register-ComposeProject $project @($file) $script:Corpus $variables

        Use-TestEnvironment $variables {
            $up = Invoke-DockerCompose @('-f', $file, '-p', $project, 'up', '--no-start') $script:Corpus
            $up.ExitCode | Should -Be 0 -Because $up.Error
            $script:volumes = @(Get-MeshComposeVolume -Path $file -ProjectName $project)
        }

        $created = @(& docker volume ls -q --filter "label=com.docker.compose.project=$project" | Sort-Object)
        ($volumes | Where-Object { -not $_.External }).Name | Sort-Object |
            Should -Be $created -Because 'compose created exactly these volumes'
        foreach ($volume in $volumes | Where-Object { -not $_.External }) {
            $actual = Get-EngineVolume $volume.Name
            $actual.Driver | Should -BeExactly $volume.Driver -Because "volume $($volume.Name) Driver"
            Format-Map $actual.Options | Should -BeExactly (Format-Map $volume.DriverOptions) -Because "volume $($volume.Name) Options"
            Format-Map $actual.Labels | Should -BeExactly (Format-Map $volume.Labels) -Because "volume $($volume.Name) Labels"
        }
        ($volumes | Where-Object External).Name | Should -BeExactly $external
    }

    It 'names the project after its folder as compose does' {
        $directory = Join-Path $TestDrive "Mesh Volume.Test_$suffix-Folder"
        New-Item -ItemType Directory $directory | Out-Null
        $file = Join-Path $directory 'docker-compose.yml'
        Set-Content $file "volumes:`n  data:`n    labels:`n      meshvolume.test: `"1`"`n"
        Register-ComposeProject $null @($file) $directory @{}

        $up = Invoke-DockerCompose @('up', '--no-start') $directory
        $up.ExitCode | Should -Be 0 -Because $up.Error
        $volume = Get-MeshComposeVolume -Path $file

        $actual = Get-EngineVolume $volume.Name
        $actual | Should -Not -BeNullOrEmpty -Because "compose created $($volume.Name)"
        Format-Map $actual.Labels | Should -BeExactly (Format-Map $volume.Labels)
    }

    It 'takes COMPOSE_PROJECT_NAME from .env as compose does' {
        $directory = Join-Path $TestDrive "dotenv-$suffix"
        New-Item -ItemType Directory $directory | Out-Null
        $file = Join-Path $directory 'docker-compose.yml'
        Set-Content $file "volumes:`n  data:`n    labels:`n      meshvolume.test: `"1`"`n"
        Set-Content (Join-Path $directory '.env') "COMPOSE_PROJECT_NAME=From.DotEnv_$suffix"
        Register-ComposeProject $null @($file) $directory @{}

        $up = Invoke-DockerCompose @('up', '--no-start') $directory
        $up.ExitCode | Should -Be 0 -Because $up.Error
        $volume = Get-MeshComposeVolume -Path $file

        $volume.Project | Should -BeExactly "fromdotenv_$suffix"
        Get-EngineVolume $volume.Name | Should -Not -BeNullOrEmpty -Because "compose created $($volume.Name)"
    }

    Context 'with New-MeshVolume' -Skip:(-not $canCreate) {
        It 'creates volumes that docker-compose adopts' {
            $project = "meshvolume-created-$suffix"
            $file = Join-Path $script:Corpus 'roundtrip.yml'
            $variables = @{ MESHVOLUME_TEST_SUFFIX = "created-$suffix"; MESHVOLUME_TEST_EXTERNAL = $external }
            Register-ComposeProject $project @($file) $script:Corpus $variables

            Use-TestEnvironment $variables {
                $script:volumes = @(Get-MeshComposeVolume -Path $file -ProjectName $project)
                $volumes | New-MeshVolume -ErrorAction Stop | Out-Null
            }
            $before = @{}
            foreach ($volume in $volumes | Where-Object { -not $_.External }) {
                $actual = Get-EngineVolume $volume.Name
                $actual | Should -Not -BeNullOrEmpty -Because "New-MeshVolume created $($volume.Name)"
                $actual.Driver | Should -BeExactly $volume.Driver -Because "volume $($volume.Name) Driver"
                Format-Map $actual.Options | Should -BeExactly (Format-Map $volume.DriverOptions) -Because "volume $($volume.Name) Options"
                Format-Map $actual.Labels | Should -BeExactly (Format-Map $volume.Labels) -Because "volume $($volume.Name) Labels"
                $before[$volume.Name] = $actual.CreatedAt
            }

            Use-TestEnvironment $variables {
                $script:up = Invoke-DockerCompose @('-f', $file, '-p', $project, 'up', '--no-start') $script:Corpus
            }

            $up.ExitCode | Should -Be 0 -Because $up.Error
            $up.Error | Should -Not -BeLike '*Creating volume*' -Because 'compose uses the existing volumes'
            $up.Error | Should -Not -BeLike '*has changed*' -Because 'the labels match what compose sets'
            foreach ($name in $before.Keys) {
                (Get-EngineVolume $name).CreatedAt | Should -Be $before[$name] -Because "$name is the same volume"
            }
        }

        It 'leaves existing volumes with the same definition alone' {
            $project = "meshvolume-again-$suffix"
            $file = Join-Path $script:Corpus 'roundtrip.yml'
            $variables = @{ MESHVOLUME_TEST_SUFFIX = "again-$suffix"; MESHVOLUME_TEST_EXTERNAL = $external }
            Register-ComposeProject $project @($file) $script:Corpus $variables

            Use-TestEnvironment $variables {
                $script:volumes = @(Get-MeshComposeVolume -Path $file -ProjectName $project)
            }
            $volumes | New-MeshVolume -ErrorAction Stop | Out-Null
            $first = (Get-EngineVolume $volumes[0].Name).CreatedAt
            Start-Sleep -Seconds 1
            $volumes | New-MeshVolume -ErrorAction Stop | Out-Null

            (Get-EngineVolume $volumes[0].Name).CreatedAt | Should -Be $first
        }

        It 'shows what -WhatIf would create and creates nothing' {
            $project = "meshvolume-whatif-$suffix"
            $file = Join-Path $script:Corpus 'roundtrip.yml'
            $variables = @{ MESHVOLUME_TEST_SUFFIX = "whatif-$suffix"; MESHVOLUME_TEST_EXTERNAL = $external }

            Use-TestEnvironment $variables {
                $script:volumes = @(Get-MeshComposeVolume -Path $file -ProjectName $project)
            }
            $volumes | New-MeshVolume -WhatIf | Out-Null

            foreach ($volume in $volumes | Where-Object { -not $_.External }) {
                Get-EngineVolume $volume.Name | Should -BeNullOrEmpty -Because "-WhatIf must not create $($volume.Name)"
            }
        }

        It 'checks that an external volume exists instead of creating it' {
            $project = "meshvolume-external-$suffix"
            $file = Join-Path $script:Corpus 'roundtrip.yml'
            $missing = "meshvolume-test-missing-$suffix"
            $variables = @{ MESHVOLUME_TEST_SUFFIX = "external-$suffix"; MESHVOLUME_TEST_EXTERNAL = $missing }

            Use-TestEnvironment $variables {
                $script:externalVolume = Get-MeshComposeVolume -Path $file -ProjectName $project |
                    Where-Object External
            }
            $failure = $null
            try { $externalVolume | New-MeshVolume -ErrorAction Stop } catch { $failure = $_ }

            $failure.FullyQualifiedErrorId | Should -BeLike 'ExternalVolumeMissing,*'
            Get-EngineVolume $missing | Should -BeNullOrEmpty -Because 'an external volume is never created'
        }
    }
}
