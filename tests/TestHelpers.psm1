# Shared helpers of the Pester tests: unique names, the test image, and cleanup of what a
# test creates on the engine. Every volume and container a test makes carries a random name
# and the label meshvolume.test=<run id>, so cleanup removes only what this test run made,
# never a user's volumes or those of another run on the same engine.

$script:TestLabel = 'meshvolume.test'
if (-not $env:MESHVOLUME_TEST_RUN) { $env:MESHVOLUME_TEST_RUN = [guid]::NewGuid().ToString('N').Substring(0, 12) }
$script:TestRun = $env:MESHVOLUME_TEST_RUN

function Get-TestLabelValue {
    # The value of the meshvolume.test label on everything this test run creates.
    $script:TestRun
}

function New-TestName {
    param([string] $Prefix = 'mvtest')
    "$Prefix-$([guid]::NewGuid().ToString('N').Substring(0, 10))"
}

function Get-TestImage {
    if ($env:MESHVOLUME_TEST_IMAGE) { $env:MESHVOLUME_TEST_IMAGE } else { 'meshvolume-test/busybox:latest' }
}

function Invoke-Docker {
    # Runs the docker CLI against the test engine and throws on failure.
    $output = & docker @args 2>&1
    if ($LASTEXITCODE -ne 0) { throw "docker $($args -join ' ') failed: $output" }
    $output
}

function New-TestVolume {
    param([string] $Name = (New-TestName), [hashtable] $Labels = @{})
    $labelArguments = @('--label', "$script:TestLabel=$script:TestRun")
    foreach ($key in $Labels.Keys) { $labelArguments += @('--label', "$key=$($Labels[$key])") }
    Invoke-Docker volume create @labelArguments $Name | Out-Null
    $Name
}

function Invoke-InVolume {
    # Runs a shell command in a throwaway container with the volume mounted at /data.
    param([Parameter(Mandatory)] [string] $Volume, [Parameter(Mandatory)] [string] $Script)
    Invoke-Docker run --rm --network none --label "$script:TestLabel=$script:TestRun" -v "${Volume}:/data" (Get-TestImage) sh -c $Script
}

function New-TestContainer {
    # Creates (and optionally starts) a long-running container that mounts the volume at /data.
    param([Parameter(Mandatory)] [string] $Volume, [switch] $Start, [string] $Name = (New-TestName 'mvtest-ctr'))
    Invoke-Docker create --network none --stop-timeout 1 --label "$script:TestLabel=$script:TestRun" --name $Name -v "${Volume}:/data" (Get-TestImage) sleep 3600 | Out-Null
    if ($Start) { Invoke-Docker start $Name | Out-Null }
    $Name
}

function Remove-TestResources {
    # Removes the containers, then the volumes, that carry the test label.
    $containers = & docker ps -aq --filter "label=$script:TestLabel=$script:TestRun"
    if ($containers) { & docker rm -f @containers 2>&1 | Out-Null }
    $volumes = & docker volume ls -q --filter "label=$script:TestLabel=$script:TestRun"
    if ($volumes) { & docker volume rm -f @volumes 2>&1 | Out-Null }
}

$script:repositories = [System.Collections.Generic.List[string]]::new()

function New-TestFolderRepository {
    # A new empty folder repository, removed by Remove-TestRepositories.
    $path = Join-Path ([IO.Path]::GetTempPath()) (New-TestName 'mvrepo')
    New-Item -ItemType Directory $path | Out-Null
    $script:repositories.Add($path)
    $path
}

function New-TestS3Repository {
    # A new prefix in the test bucket, whose objects Remove-TestRepositories deletes.
    $location = "s3://$env:MESHVOLUME_TEST_S3_BUCKET/$(New-TestName 'repo')"
    $script:repositories.Add($location)
    $location
}

function Remove-TestRepositories {
    foreach ($location in $script:repositories) {
        if ($location.StartsWith('s3://')) {
            & aws s3 rm --recursive --quiet "$location/" --endpoint-url $env:AWS_ENDPOINT_URL_S3 2>&1 | Out-Null
        }
        else {
            & chattr -R -i $location 2>$null
            Remove-Item -Recurse -Force $location -ErrorAction SilentlyContinue
        }
    }
    $script:repositories.Clear()
}

Export-ModuleMember -Function Get-TestLabelValue, New-TestFolderRepository, New-TestS3Repository, Remove-TestRepositories, New-TestName, Get-TestImage, Invoke-Docker, New-TestVolume,
    Invoke-InVolume, New-TestContainer, Remove-TestResources
