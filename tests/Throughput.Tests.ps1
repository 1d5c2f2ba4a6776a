BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    $image = Get-TestImage
    $command = 'MeshVolume.Commands.MeasureMeshVolumeThroughputCommand'

    function Get-MeasureLeftovers {
        # Lists what a measurement leaves behind: labelled containers and volumes, and bind
        # folders in the temp folder.
        @(& docker ps -aq --filter 'label=meshvolume.measure=1') +
        @(& docker volume ls -q --filter 'label=meshvolume.measure=1') +
        @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -Filter 'meshvolume-measure-*' |
            ForEach-Object FullName) | Where-Object { $_ }
    }

    function Get-VolumeSnapshot([string] $Volume) {
        # Names, types, sizes, modes, mtimes and checksums of everything in the volume.
        Invoke-InVolume $Volume 'cd /data && find . -mindepth 1 | sort | while read p; do stat -c "%n %F %s %a %Y" "$p"; done; find . -type f | sort | xargs md5sum'
    }
}

AfterAll {
    $containers = & docker ps -aq --filter 'label=meshvolume.measure=1'
    if ($containers) { & docker rm -f @containers 2>&1 | Out-Null }
    $volumes = & docker volume ls -q --filter 'label=meshvolume.measure=1'
    if ($volumes) { & docker volume rm -f @volumes 2>&1 | Out-Null }
    Remove-TestResources
}

Describe 'Measure-MeshVolumeThroughput' -Tag Throughput {
    It 'returns six rows by default' {
        $rows = Measure-MeshVolumeThroughput -Image $image -SizeMB 8
        $rows.Count | Should -Be 6
        ($rows | ForEach-Object { "$($_.MountType) $($_.Operation)" }) |
            Should -Be @('Volume Write', 'Volume Read', 'Bind Write', 'Bind Read', 'Tmpfs Write', 'Tmpfs Read')
        foreach ($row in $rows) {
            $row | Should -BeOfType MeshVolume.Model.ThroughputInfo
            $row.Bytes | Should -Be 8MB
            $row.BlockSize | Should -Be 1MB
            $row.Runs | Should -Be 1
            $row.Seconds | Should -BeGreaterThan 0
            $row.MBps | Should -BeGreaterThan 0
            $row.Engine | Should -Be $env:DOCKER_HOST
            $row.Image | Should -Be $image
        }
    }

    It 'uses conv=fsync and iflag=direct' {
        $rows = Measure-MeshVolumeThroughput -Image $image -SizeMB 8 -MountType Volume, Bind
        ($rows | Where-Object Operation -eq 'Write').Method | Should -Be @('conv=fsync', 'conv=fsync')
        ($rows | Where-Object Operation -eq 'Read').Method | Should -Be @('iflag=direct', 'iflag=direct')
    }

    It 'computes MBps from the median' {
        $rows = Measure-MeshVolumeThroughput -Image $image -SizeMB 8 -MountType Tmpfs -Repeat 3
        foreach ($row in $rows) {
            $row.Runs | Should -Be 3
            $row.RunSeconds.Count | Should -Be 3
            $row.Seconds | Should -Be ($row.RunSeconds | Sort-Object)[1]
            $row.MBps | Should -BeGreaterThan (8 / $row.Seconds * 0.99)
            $row.MBps | Should -BeLessThan (8 / $row.Seconds * 1.01)
        }
    }

    It 'measures only tmpfs with -MountType Tmpfs' {
        $rows = Measure-MeshVolumeThroughput -Image $image -SizeMB 8 -MountType Tmpfs -BlockSize 64K
        $rows.Count | Should -Be 2
        $rows.MountType | Should -Be @('Tmpfs', 'Tmpfs')
        $rows.Operation | Should -Be @('Write', 'Read')
        $rows.BlockSize | Should -Be @(65536, 65536)
        $rows.Bytes | Should -Be @(8MB, 8MB)
        $rows.Source | Should -Be @('tmpfs', 'tmpfs')
        $rows.FileSystem | Should -Be @('tmpfs', 'tmpfs')
    }

    It 'leaves named volume files untouched' {
        $name = New-TestVolume
        Invoke-InVolume $name 'mkdir -p /data/sub && printf hello > /data/a.txt && dd if=/dev/urandom of=/data/sub/b.bin bs=1024 count=64 2>/dev/null && ln -s a.txt /data/link && chmod 600 /data/a.txt'
        $before = Get-VolumeSnapshot $name

        $rows = Get-MeshVolume -Name $name -NoSize | Measure-MeshVolumeThroughput -Image $image -SizeMB 8 -MountType Volume

        $rows.Count | Should -Be 2
        $rows.Source | Should -Be @($name, $name)
        $after = Get-VolumeSnapshot $name
        ($after -join "`n") | Should -Be ($before -join "`n")
        Invoke-InVolume $name 'ls -A /data' | Should -Be @('a.txt', 'link', 'sub')
    }

    It 'removes its folder under -BindPath' {
        $parent = Join-Path $TestDrive 'bind'
        New-Item -ItemType Directory $parent | Out-Null
        $rows = Measure-MeshVolumeThroughput -Image $image -SizeMB 8 -MountType Bind -BindPath $parent
        $rows.Count | Should -Be 2
        $rows[0].Source | Should -BeLike "$parent/meshvolume-measure-*"
        Get-ChildItem $parent -Force | Should -BeNullOrEmpty
    }

    It 'warns when the bind folder is on tmpfs' -Skip:(-not $IsLinux -or (& stat -f -c %T /dev/shm) -ne 'tmpfs') {
        $rows = Measure-MeshVolumeThroughput -Image $image -SizeMB 8 -MountType Bind -BindPath /dev/shm -WarningVariable warnings -WarningAction SilentlyContinue
        $rows.FileSystem | Should -Be @('tmpfs', 'tmpfs')
        $warnings.Count | Should -Be 1
        "$warnings" | Should -Match 'is on tmpfs'
        "$warnings" | Should -Match '-BindPath'
        Get-ChildItem /dev/shm -Filter 'meshvolume-measure-*' | Should -BeNullOrEmpty
    }

    It 'rejects a missing image without pulling' {
        $missing = 'meshvolume-test/missing:none'
        $caught = $null
        try { Measure-MeshVolumeThroughput -Image $missing -SizeMB 8 -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be "ImageNotFound,$command"
        $caught.Exception.Message | Should -Match ([regex]::Escape($missing))
        & docker image ls -q $missing | Should -BeNullOrEmpty
    }

    It 'reports an image without a shell' {
        # An image made of one text file: the engine can create its containers but not start them.
        $noShell = "meshvolume-test/noshell:$(New-TestName 'tag')"
        $folder = Join-Path $TestDrive 'noshell'
        New-Item -ItemType Directory $folder | Out-Null
        Set-Content -Path (Join-Path $folder 'readme') -Value 'no shell here'
        & tar -C $folder -cf (Join-Path $TestDrive 'noshell.tar') readme
        Invoke-Docker import (Join-Path $TestDrive 'noshell.tar') $noShell | Out-Null
        try {
            $caught = $null
            try { Measure-MeshVolumeThroughput -Image $noShell -SizeMB 8 -MountType Tmpfs -ErrorAction Stop }
            catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -Be "MeasurementFailed,$command"
            $caught.Exception.Message | Should -Match '/bin/sh'
        }
        finally {
            & docker rmi $noShell 2>&1 | Out-Null
        }
    }

    It 'reports a full volume with dd''s message' {
        $name = New-TestName 'mvfull'
        Invoke-Docker volume create --label 'meshvolume.test=1' --opt type=tmpfs --opt device=tmpfs --opt o=size=1m $name | Out-Null
        $caught = $null
        try { Measure-MeshVolumeThroughput -Name $name -Image $image -SizeMB 8 -MountType Volume -ErrorAction Stop }
        catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be "MeasurementFailed,$command"
        $caught.Exception.Message | Should -Match 'writing the scratch file failed'
        $caught.Exception.Message | Should -Match 'No space left'
    }

    It 'reports a missing volume as VolumeNotFound' {
        $missing = New-TestName 'mvmissing'
        { Measure-MeshVolumeThroughput -Name $missing -Image $image -SizeMB 8 -MountType Volume -ErrorAction Stop } |
            Should -Throw -ErrorId "VolumeNotFound,$command"
    }

    It 'rejects a block size that is <Case>' -ForEach @(
        @{ Case = 'not a multiple of 512'; BlockSize = '1000' }
        @{ Case = 'larger than the amount'; BlockSize = '16M' }
        @{ Case = 'not a size'; BlockSize = 'fast' }
    ) {
        { Measure-MeshVolumeThroughput -Image $image -SizeMB 8 -BlockSize $BlockSize -ErrorAction Stop } |
            Should -Throw -ErrorId "BlockSizeInvalid,$command"
    }

    It 'rejects -Name without the Volume mount type' {
        $name = New-TestVolume
        { Measure-MeshVolumeThroughput -Name $name -Image $image -MountType Tmpfs -ErrorAction Stop } |
            Should -Throw -ErrorId "MountTypeConflict,$command"
    }

    It 'measures nothing with -WhatIf' {
        $rows = Measure-MeshVolumeThroughput -Image $image -SizeMB 8 -WhatIf
        $rows | Should -BeNullOrEmpty
        Get-MeasureLeftovers | Should -BeNullOrEmpty
    }

    It 'shows a table with the rate' {
        $rows = Measure-MeshVolumeThroughput -Image $image -SizeMB 8 -MountType Tmpfs
        $table = $rows | Format-Table | Out-String -Width 160
        $table | Should -Match 'MountType\s+Operation\s+Size\s+BlockSize\s+Seconds\s+MBps'
        $table | Should -Match 'Tmpfs\s+Write\s+8 MiB\s+1M'
    }

    It 'cleans up a named volume after Ctrl+C' {
        $name = New-TestVolume
        Invoke-InVolume $name 'printf keep > /data/keep.txt'
        $shell = [powershell]::Create()
        $null = $shell.AddScript({
            param($ModulePath, $Name, $Image)
            Import-Module $ModulePath
            Measure-MeshVolumeThroughput -Name $Name -Image $Image -MountType Volume -SizeMB 8192 -BlockSize 4K
        }).AddArgument($env:MESHVOLUME_MODULE_PATH).AddArgument($name).AddArgument($image)
        try {
            $null = $shell.BeginInvoke()
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            do {
                Start-Sleep -Milliseconds 200
                $running = & docker ps -q --filter 'label=meshvolume.measure=1' --filter 'status=running'
            } until ($running -or [datetime]::UtcNow -gt $deadline)
            $running | Should -Not -BeNullOrEmpty -Because 'the measuring container should be running'
            Start-Sleep -Milliseconds 500

            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $shell.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 60
        }
        finally {
            $shell.Dispose()
        }

        & docker ps -aq --filter 'label=meshvolume.measure=1' | Should -BeNullOrEmpty
        Invoke-InVolume $name 'ls -A /data' | Should -Be 'keep.txt'
    }

    It 'leaves no labelled resources behind' {
        Get-MeasureLeftovers | Should -BeNullOrEmpty
    }
}
