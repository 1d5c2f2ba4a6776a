# Starts and stops what the tests run against: a Docker engine with the test image, and a
# Ceph radosgw S3 server on 127.0.0.1. An engine or S3 server that already responds is
# reused. Anything this module starts lives in its own folder under /tmp and is stopped by PID.
# Needs Linux with the Debian packages that .ci/run installs.

Set-StrictMode -Version 3.0

$script:TestImage = 'meshvolume-test/busybox:latest'
# The label on the test image that records which layout New-TestImage built. An image without
# it, or with an older value, is made again: raise the value when the layout changes.
$script:TestImageLabel = 'meshvolume.test.image-layout'
$script:TestImageLayout = '1'
$script:EnvironmentScripts = Join-Path $PSScriptRoot 'environment'

# Variables that Start-MeshTestEnvironment sets or clears; Stop-MeshTestEnvironment puts back
# the values they had before.
$script:ManagedVariables = @(
    'DOCKER_HOST', 'MESHVOLUME_TEST_IMAGE',
    'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION',
    'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL_S3', 'AWS_PROFILE', 'AWS_CONFIG_FILE',
    'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED', 'MESHVOLUME_TEST_S3_BUCKET'
)

class TestEnvironmentException : System.Exception {
    TestEnvironmentException([string] $message) : base($message) { }
}

function Write-EnvironmentStatus([string] $Message) {
    Write-Host "Test environment: $Message"
}

function Assert-Command([string] $Command, [string] $Package) {
    if (-not (Get-Command $Command -CommandType Application -ErrorAction Ignore)) {
        throw [TestEnvironmentException]::new(
            "$Command not found: install the Debian package $Package")
    }
}

function Get-ElapsedSeconds([System.Diagnostics.Stopwatch] $Stopwatch) {
    [math]::Round($Stopwatch.Elapsed.TotalSeconds, 1)
}

function New-ScratchFolder([string] $Prefix) {
    # Under /tmp, not $TMPDIR, and with a short name: a Unix socket path has at most 107 bytes.
    $folder = & mktemp -d "/tmp/$Prefix.XXXXXX"
    if ($LASTEXITCODE -ne 0) {
        throw [TestEnvironmentException]::new("Creating a scratch folder under /tmp failed.")
    }
    $folder
}

#region Docker

function Test-DockerEngine([string] $DockerHost) {
    # The docker CLI covers every DOCKER_HOST form (unix, tcp, ssh); timeout stops a hung one.
    & timeout 20 docker --host $DockerHost version --format '{{.Server.Version}}' *> $null
    $LASTEXITCODE -eq 0
}

function Get-ProcessName([int] $ProcessId) {
    # Returns $null once the process has exited, also while it is a zombie (state Z): some
    # init processes reap orphans only every few seconds.
    $stat = Get-Content "/proc/$ProcessId/stat" -Raw -ErrorAction Ignore
    if (-not $stat) { return $null }
    $nameStart = $stat.IndexOf('(') + 1
    $nameEnd = $stat.LastIndexOf(')')
    if ($stat.Substring($nameEnd + 2, 1) -eq 'Z') { return $null }
    $stat.Substring($nameStart, $nameEnd - $nameStart)
}

function Stop-ProcessById([int] $ProcessId, [string] $Name, [int] $TimeoutSeconds) {
    # Signals only while the PID still belongs to a process called $Name, so that a reused PID
    # is never touched.
    if ((Get-ProcessName $ProcessId) -ne $Name) { return }
    & kill -TERM $ProcessId 2>$null
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ((Get-ProcessName $ProcessId) -eq $Name) {
        if ([DateTime]::UtcNow -gt $deadline) {
            Write-Warning "$Name (PID $ProcessId) did not exit after SIGTERM; sending SIGKILL."
            & kill -KILL $ProcessId 2>$null
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
        }
        Start-Sleep -Milliseconds 100
    }
}

function Get-MountPointsUnder([string] $Folder) {
    # Field 5 of /proc/self/mountinfo is the mount point, with spaces written as \040.
    $prefix = $Folder.TrimEnd('/') + '/'
    Get-Content /proc/self/mountinfo |
        ForEach-Object { ($_ -split ' ')[4] -replace '\\040', ' ' } |
        Where-Object { $_ -eq $Folder -or $_.StartsWith($prefix) } |
        Sort-Object -Property Length -Descending
}

function Remove-ScratchFolder([string] $Folder) {
    if (-not $Folder -or -not (Test-Path $Folder)) { return }

    foreach ($mountPoint in Get-MountPointsUnder $Folder) {
        & umount --lazy $mountPoint 2>$null
    }
    $left = @(Get-MountPointsUnder $Folder)
    if ($left.Count -gt 0) {
        Write-Warning "Kept $Folder because these mounts could not be removed: $($left -join ', ')"
        return
    }
    & rm -rf --one-file-system $Folder
}

function Start-PrivateDockerEngine($Environment) {
    Assert-Command dockerd docker.io
    $folder = New-ScratchFolder 'mvdk'
    $Environment.DockerFolder = $folder
    $socket = "$folder/docker.sock"
    $log = "$folder/dockerd.log"

    # An empty configuration file keeps the machine's /etc/docker/daemon.json out.
    Set-Content -Path "$folder/daemon.json" -Value '{}'
    $arguments = @(
        '--config-file', "$folder/daemon.json",
        '--data-root', "$folder/data",
        '--exec-root', "$folder/exec",
        '--pidfile', "$folder/docker.pid",
        '--host', "unix://$socket",
        '--bridge=none', '--iptables=false', '--ip6tables=false',
        '--shutdown-timeout', '5'
    )
    # setsid keeps a Ctrl+C in the terminal away from the engine: Stop-MeshTestEnvironment
    # stops it after the tests. dockerd writes its own pid file, which is the PID used below.
    $launcher = 'log=$1; shift; setsid "$@" </dev/null >"$log" 2>&1 & echo $!'
    $launchedId = (& bash -c $launcher bash $log dockerd @arguments) -as [int]
    $Environment.DockerProcessId = $launchedId

    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not (Test-Path $socket) -or -not (Test-DockerEngine "unix://$socket")) {
        $exited = (Get-ProcessName $launchedId) -ne 'dockerd'
        if ($exited -or [DateTime]::UtcNow -gt $deadline) {
            $lastLine = Get-Content $log -Tail 1 -ErrorAction Ignore
            throw [TestEnvironmentException]::new(
                "The private Docker engine in $folder did not start: $lastLine")
        }
        Start-Sleep -Milliseconds 200
    }
    $Environment.DockerProcessId = (Get-Content "$folder/docker.pid") -as [int]
    $env:DOCKER_HOST = "unix://$socket"
}

function Stop-PrivateDockerEngine($Environment) {
    if ($Environment.DockerProcessId) {
        Stop-ProcessById $Environment.DockerProcessId 'dockerd' 30
        $Environment.DockerProcessId = $null
    }
    if (-not $Environment.DockerFolder) { return }

    # dockerd stops the containerd it started; this catches one left behind by a killed dockerd.
    $containerdPidFile = "$($Environment.DockerFolder)/exec/containerd/containerd.pid"
    if (Test-Path $containerdPidFile) {
        $containerdId = (Get-Content $containerdPidFile -ErrorAction Ignore) -as [int]
        if ($containerdId) { Stop-ProcessById $containerdId 'containerd' 10 }
    }
    Remove-ScratchFolder $Environment.DockerFolder
    $Environment.DockerFolder = $null
}

function New-TestImage {
    # Builds a root file system from the static busybox of Debian's busybox-static, with a link
    # for every applet, and imports it: no registry is reachable from the tests.
    $busybox = '/bin/busybox'
    # The busybox package has a dynamically linked one, which cannot run in the image.
    $status = & dpkg-query --show --showformat '${Status}' busybox-static 2>$null
    if ($status -ne 'install ok installed' -or -not (Test-Path $busybox)) {
        throw [TestEnvironmentException]::new(
            'busybox-static not found: install the Debian package busybox-static')
    }

    $rootfs = New-ScratchFolder 'mvimg'
    try {
        foreach ($name in 'bin', 'etc', 'tmp', 'dev', 'proc', 'sys', 'root') {
            New-Item -ItemType Directory -Path "$rootfs/$name" | Out-Null
        }
        Copy-Item $busybox "$rootfs/bin/busybox"
        foreach ($applet in & $busybox --list) {
            if ($applet -ne 'busybox') {
                [System.IO.File]::CreateSymbolicLink("$rootfs/bin/$applet", 'busybox') | Out-Null
            }
        }
        & chmod 1777 "$rootfs/tmp"
        # Names for chown and ls -l inside the image.
        Set-Content "$rootfs/etc/passwd" @(
            'root:x:0:0:root:/root:/bin/sh', 'nobody:x:65534:65534:nobody:/:/bin/false')
        Set-Content "$rootfs/etc/group" @('root:x:0:', 'nobody:x:65534:')

        & tar --create --numeric-owner --directory $rootfs . |
            & docker import --change 'CMD ["/bin/sh"]' `
                --change "LABEL $script:TestImageLabel=$script:TestImageLayout" `
                - $script:TestImage | Out-Null
        if ($LASTEXITCODE -ne 0) {
            throw [TestEnvironmentException]::new("docker import of $script:TestImage failed.")
        }
    }
    finally {
        & rm -rf --one-file-system $rootfs
    }
}

function Start-TestDocker($Environment) {
    Assert-Command docker docker.io
    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()

    $candidates = @()
    if ($env:DOCKER_HOST) { $candidates += $env:DOCKER_HOST }
    if (Test-Path /var/run/docker.sock) { $candidates += 'unix:///var/run/docker.sock' }
    $running = $candidates | Where-Object { Test-DockerEngine $_ } | Select-Object -First 1

    if ($running) {
        $env:DOCKER_HOST = $running
        Write-EnvironmentStatus "using the Docker engine at $running"
    }
    else {
        if ($env:DOCKER_HOST) {
            Write-Warning "The Docker engine at DOCKER_HOST=$env:DOCKER_HOST does not respond."
        }
        Start-PrivateDockerEngine $Environment
        Write-EnvironmentStatus ("started a private Docker engine at $env:DOCKER_HOST in " +
            "$(Get-ElapsedSeconds $stopwatch) s")
    }

    $labelFormat = "{{index .Config.Labels `"$script:TestImageLabel`"}}"
    $layout = & docker image inspect --format $labelFormat $script:TestImage 2>$null
    if ($LASTEXITCODE -ne 0 -or $layout -ne $script:TestImageLayout) {
        $imageStopwatch = [System.Diagnostics.Stopwatch]::StartNew()
        New-TestImage
        Write-EnvironmentStatus ("made the test image $script:TestImage in " +
            "$(Get-ElapsedSeconds $imageStopwatch) s")
    }
    $env:MESHVOLUME_TEST_IMAGE = $script:TestImage
    $Environment.DockerSeconds = Get-ElapsedSeconds $stopwatch
}

#endregion

#region S3

function Test-S3Bucket {
    # Sends a signed HEAD request for the bucket, which succeeds when the endpoint responds and
    # accepts the keys.
    if (-not ($env:AWS_ENDPOINT_URL_S3 -and $env:MESHVOLUME_TEST_S3_BUCKET -and
            $env:AWS_ACCESS_KEY_ID -and $env:AWS_SECRET_ACCESS_KEY)) { return $false }
    $region = if ($env:AWS_REGION) { $env:AWS_REGION } else { 'us-east-1' }
    $emptySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    $url = "$($env:AWS_ENDPOINT_URL_S3.TrimEnd('/'))/$env:MESHVOLUME_TEST_S3_BUCKET"
    & curl --silent --fail --max-time 10 --head --output /dev/null `
        --header "x-amz-content-sha256: $emptySha256" --aws-sigv4 "aws:amz:${region}:s3" `
        --user "${env:AWS_ACCESS_KEY_ID}:${env:AWS_SECRET_ACCESS_KEY}" $url
    $LASTEXITCODE -eq 0
}

function Start-CephRadosGateway($Environment) {
    foreach ($package in 'ceph-mon', 'ceph-osd', 'radosgw') { Assert-Command $package $package }
    Assert-Command uuidgen uuid-runtime

    $folder = New-ScratchFolder 'mvceph'
    $Environment.CephFolder = $folder
    $log = "$folder.log"
    # start-ceph-rgw.sh uses memstore, which keeps objects in memory, unless
    # MESHVOLUME_TEST_CEPH_OBJECTSTORE=bluestore is set.
    & bash "$script:EnvironmentScripts/start-ceph-rgw.sh" $folder *> $log
    $exitCode = $LASTEXITCODE
    $output = Get-Content $log -ErrorAction Ignore
    Remove-Item $log -ErrorAction Ignore
    if ($exitCode -ne 0) {
        $reason = $output | Select-String '^start-ceph-rgw.sh: ' | Select-Object -Last 1
        if (-not $reason) { $reason = $output | Select-Object -Last 1 }
        # Stopping the cluster removes its folder: keep the daemons' logs beside it.
        $logs = "$folder-logs"
        Copy-Item "$folder/log" $logs -Recurse -ErrorAction Ignore
        $reason = "$reason".Replace("$folder/log", $logs)
        if (-not $reason.Contains($logs)) { $reason += " (the logs are in $logs)" }
        throw [TestEnvironmentException]::new("Starting Ceph radosgw failed: $reason")
    }

    foreach ($line in Get-Content "$folder/s3.env") {
        if ($line -match '^export (\w+)=(.*)$') {
            [Environment]::SetEnvironmentVariable($Matches[1], $Matches[2])
        }
    }
}

function Start-TestS3($Environment) {
    Assert-Command curl curl
    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()

    if (Test-S3Bucket) {
        Write-EnvironmentStatus ("using the S3 bucket $env:MESHVOLUME_TEST_S3_BUCKET at " +
            "$env:AWS_ENDPOINT_URL_S3")
    }
    else {
        if ($env:AWS_ENDPOINT_URL_S3 -and $env:MESHVOLUME_TEST_S3_BUCKET) {
            Write-Warning ("The S3 bucket $env:MESHVOLUME_TEST_S3_BUCKET at " +
                "$env:AWS_ENDPOINT_URL_S3 does not respond, so Ceph radosgw is started instead.")
        }
        Start-CephRadosGateway $Environment
        Write-EnvironmentStatus ("started Ceph radosgw at $env:AWS_ENDPOINT_URL_S3 with the " +
            "bucket $env:MESHVOLUME_TEST_S3_BUCKET in $(Get-ElapsedSeconds $stopwatch) s")
    }

    if (-not $env:AWS_REGION) { $env:AWS_REGION = 'us-east-1' }
    $env:AWS_DEFAULT_REGION = $env:AWS_REGION
    # Only the variables above configure the clients: no profile or file under ~/.aws, and no
    # request to an instance metadata service for credentials or region.
    Remove-Item Env:AWS_PROFILE, Env:AWS_SESSION_TOKEN -ErrorAction Ignore
    $env:AWS_CONFIG_FILE = '/dev/null'
    $env:AWS_SHARED_CREDENTIALS_FILE = '/dev/null'
    $env:AWS_EC2_METADATA_DISABLED = 'true'
    $Environment.S3Seconds = Get-ElapsedSeconds $stopwatch
}

function Stop-CephRadosGateway($Environment) {
    if (-not $Environment.CephFolder) { return }
    & bash "$script:EnvironmentScripts/stop-ceph-rgw.sh" $Environment.CephFolder
    $Environment.CephFolder = $null
}

#endregion

<#
.SYNOPSIS
    Starts the Docker engine and the S3 server that the tests use.
.DESCRIPTION
    Reuses an engine that responds at DOCKER_HOST or /var/run/docker.sock, and otherwise starts
    a private dockerd. Makes the test image meshvolume-test/busybox:latest when it is missing.
    Reuses the S3 bucket named by AWS_ENDPOINT_URL_S3 and MESHVOLUME_TEST_S3_BUCKET when it
    responds, and otherwise starts a one-node Ceph radosgw with a new user and bucket.
    Sets DOCKER_HOST, MESHVOLUME_TEST_IMAGE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    AWS_REGION, AWS_ENDPOINT_URL_S3 and MESHVOLUME_TEST_S3_BUCKET in this process.
    Without -Docker or -S3 it starts both. Returns the object that Stop-MeshTestEnvironment
    takes; on failure it stops what it started and throws one line that says what is missing.
#>
function Start-MeshTestEnvironment {
    [CmdletBinding()]
    param([switch] $Docker, [switch] $S3)

    if (-not $Docker -and -not $S3) { $Docker = $true; $S3 = $true }
    $environment = [pscustomobject]@{
        PSTypeName      = 'MeshVolume.TestEnvironment'
        SavedVariables  = @{}
        DockerProcessId = $null
        DockerFolder    = $null
        DockerSeconds   = $null
        CephFolder      = $null
        S3Seconds       = $null
    }
    foreach ($name in $script:ManagedVariables) {
        $environment.SavedVariables[$name] = [Environment]::GetEnvironmentVariable($name)
    }

    try {
        # Check every package first, so that a missing one fails before anything starts.
        if ($Docker) { Assert-Command docker docker.io }
        if ($S3) { Assert-Command curl curl }
        if ($S3 -and -not (Test-S3Bucket)) {
            foreach ($package in 'ceph-mon', 'ceph-osd', 'radosgw') {
                Assert-Command $package $package
            }
        }
        if ($Docker) { Start-TestDocker $environment }
        if ($S3) { Start-TestS3 $environment }
    }
    catch {
        $failure = $_
        Stop-MeshTestEnvironment $environment
        if ($failure.Exception -isnot [TestEnvironmentException]) { throw $failure }
        # A known cause, such as a missing package: build.ps1 prints only the message.
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                $failure.Exception, 'TestEnvironmentFailed',
                [System.Management.Automation.ErrorCategory]::NotInstalled, $null))
    }
    $environment
}

<#
.SYNOPSIS
    Stops what Start-MeshTestEnvironment started and restores the variables it changed.
#>
function Stop-MeshTestEnvironment {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [PSTypeName('MeshVolume.TestEnvironment')] $Environment
    )

    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
    $stopped = @()
    if ($Environment.CephFolder) { $stopped += 'Ceph radosgw' }
    if ($Environment.DockerProcessId -or $Environment.DockerFolder) {
        $stopped += 'the private Docker engine'
    }

    # Each step runs even when the one before failed, so nothing is left running.
    try { Stop-CephRadosGateway $Environment }
    finally {
        try { Stop-PrivateDockerEngine $Environment }
        finally {
            foreach ($name in $Environment.SavedVariables.Keys) {
                $value = $Environment.SavedVariables[$name]
                # Setting a variable to $null from PowerShell sets an empty string instead.
                if ($null -eq $value) { Remove-Item "Env:$name" -ErrorAction Ignore }
                else { Set-Item "Env:$name" $value }
            }
        }
    }
    if ($stopped) {
        $seconds = Get-ElapsedSeconds $stopwatch
        Write-EnvironmentStatus "stopped $($stopped -join ' and ') in $seconds s"
    }
}

Export-ModuleMember -Function Start-MeshTestEnvironment, Stop-MeshTestEnvironment
