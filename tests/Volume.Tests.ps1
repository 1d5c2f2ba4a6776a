BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
}

AfterAll {
    Remove-TestResources
}

Describe 'Get-MeshVolume' -Tag Volume {
    BeforeAll {
        $prefix = New-TestName 'mvget'
        $filled = New-TestVolume "$prefix-filled" -Labels @{ tier = 'db' }
        $empty = New-TestVolume "$prefix-empty" -Labels @{ tier = 'web' }
        # 3 MiB of data plus a 5-byte file: the engine's disk usage counts apparent bytes.
        Invoke-InVolume $filled 'dd if=/dev/zero of=/data/blob bs=1048576 count=3 2>/dev/null; printf hello > /data/small'
        $user = New-TestContainer -Volume $filled -Start
    }

    It 'reports the size of a volume filled with known data' {
        $volume = Get-MeshVolume -Name $filled
        $volume.SizeBytes | Should -BeGreaterOrEqual (3MB + 5)
        $volume.SizeBytes | Should -BeLessThan (3MB + 64KB)
    }

    It 'lists a container that uses the volume with its state' {
        $volume = Get-MeshVolume -Name $filled
        $volume.Containers.Name | Should -Contain $user
        ($volume.Containers | Where-Object Name -eq $user).State | Should -Be 'running'
        ($volume.Containers | Where-Object Name -eq $user).Destination | Should -Be '/data'
    }

    It 'carries driver, mountpoint, labels, creation time and engine' {
        $volume = Get-MeshVolume -Name $empty
        $volume.Driver | Should -Be 'local'
        $volume.Mountpoint | Should -Not -BeNullOrEmpty
        $volume.Labels['tier'] | Should -Be 'web'
        $volume.CreatedUtc | Should -BeGreaterThan ([datetime]::UtcNow.AddHours(-1))
        $volume.Engine | Should -Not -BeNullOrEmpty
        $volume.Containers.Count | Should -Be 0
    }

    It 'filters by wildcard' {
        $names = (Get-MeshVolume -Name "$prefix-*").Name
        $names | Should -Be @($empty, $filled)
    }

    It 'filters by label key and value' {
        (Get-MeshVolume -Name "$prefix-*" -Label 'tier=db').Name | Should -Be $filled
        @(Get-MeshVolume -Name "$prefix-*" -Label 'tier').Count | Should -Be 2
    }

    It 'finds a compose project by its label' {
        $composed = New-TestVolume "$prefix-shop_data" -Labels @{ 'com.docker.compose.project' = "$prefix-shop" }
        $result = Get-MeshVolume -ComposeProject "$prefix-shop"
        $result.Name | Should -Be $composed
        $result.ComposeProject | Should -Be "$prefix-shop"
    }

    It 'reports a missing name as an error' {
        { Get-MeshVolume -Name "$prefix-missing" -ErrorAction Stop } |
            Should -Throw -ErrorId 'VolumeNotFound,MeshVolume.Commands.GetMeshVolumeCommand'
    }

    It 'reports an unreachable TCP engine clearly' {
        { Get-MeshVolume -DockerHost 'tcp://127.0.0.1:1' -ErrorAction Stop } |
            Should -Throw -ErrorId 'EngineUnreachable,MeshVolume.Commands.GetMeshVolumeCommand'
    }

    It 'fails fast on an unreachable engine with a clear error' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $caught = $null
        try { Get-MeshVolume -DockerHost 'unix:///tmp/meshvolume-no-engine.sock' -ErrorAction Stop }
        catch { $caught = $_ }
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
        $caught.FullyQualifiedErrorId | Should -Be 'EngineUnreachable,MeshVolume.Commands.GetMeshVolumeCommand'
        $caught.Exception.Message | Should -Match 'meshvolume-no-engine\.sock'
        $caught.Exception.Message | Should -Match 'DOCKER_HOST'
    }
}

Describe 'New-MeshVolume' -Tag Volume {
    It 'creates a volume with driver options and labels' {
        $name = New-TestName 'mvnew'
        $created = New-MeshVolume -Name $name -DriverOptions @{ type = 'tmpfs'; device = 'tmpfs'; o = 'size=1m' } -Labels @{ 'meshvolume.test' = '1'; owner = 'qa' }
        $created.Name | Should -Be $name
        $inspect = Invoke-Docker volume inspect $name | ConvertFrom-Json
        $inspect.Options.type | Should -Be 'tmpfs'
        $inspect.Options.o | Should -Be 'size=1m'
        $inspect.Labels.owner | Should -Be 'qa'
    }

    It 'changes nothing with -WhatIf' {
        $name = New-TestName 'mvnew'
        New-MeshVolume -Name $name -WhatIf
        & docker volume ls -q --filter "name=^$name$" | Should -BeNullOrEmpty
    }

    It 'rejects an invalid name' {
        { New-MeshVolume -Name 'no spaces allowed' -ErrorAction Stop } |
            Should -Throw -ErrorId 'VolumeNameInvalid,MeshVolume.Commands.NewMeshVolumeCommand'
    }

    It 'rejects an existing volume' {
        $name = New-TestVolume
        { New-MeshVolume -Name $name -ErrorAction Stop } |
            Should -Throw -ErrorId 'VolumeAlreadyExists,MeshVolume.Commands.NewMeshVolumeCommand'
    }
}

Describe 'Remove-MeshVolume' -Tag Volume {
    It 'removes nothing with -WhatIf' {
        $name = New-TestVolume
        Remove-MeshVolume -Name $name -WhatIf
        Invoke-Docker volume inspect $name | Should -Not -BeNullOrEmpty
    }

    It 'removes a piped volume with -Force' {
        $name = New-TestVolume
        Get-MeshVolume -Name $name | Remove-MeshVolume -Force
        & docker volume ls -q --filter "name=^$name$" | Should -BeNullOrEmpty
    }

    It 'refuses a volume in use and names the container' {
        $name = New-TestVolume
        $container = New-TestContainer -Volume $name
        $caught = $null
        try { Remove-MeshVolume -Name $name -Force -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'VolumeInUse,MeshVolume.Commands.RemoveMeshVolumeCommand'
        $caught.Exception.Message | Should -Match ([regex]::Escape($container))
        Invoke-Docker volume inspect $name | Should -Not -BeNullOrEmpty
    }

    It 'completes volume names with Tab' {
        $name = New-TestVolume (New-TestName 'mvcomplete')
        $line = "Remove-MeshVolume -Name $($name.Substring(0, 14))"
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completion.CompletionMatches.CompletionText | Should -Contain $name
    }
}
