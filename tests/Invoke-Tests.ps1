<#
.SYNOPSIS
    Runs the Pester tests in this process and prints "N passed, N failed, N skipped".
.DESCRIPTION
    build.ps1 starts this script in a fresh pwsh, because a loaded binary module cannot be
    reloaded. The test environment's variables (DOCKER_HOST, the S3 endpoint) come from the
    parent process.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $Tag
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
if ($env:CI -or [Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }
$env:MESHVOLUME_MODULE_PATH = (Resolve-Path $ModulePath).Path

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($Tag) { $configuration.Filter.Tag = $Tag -split ',' }

$result = Invoke-Pester -Configuration $configuration
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Host ''
Write-Host "$($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
if ($failed -gt 0 -or $result.PassedCount -eq 0) { exit 1 }
exit 0
