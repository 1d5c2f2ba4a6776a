<#
.SYNOPSIS
    Builds, tests and demonstrates the MeshVolume module.
.DESCRIPTION
    Tasks:
      Build      compiles the module into out/MeshVolume, which Import-Module takes.
      Test       builds, starts the test environment (Docker engine, test image, Ceph radosgw
                 S3), runs every Pester test in a fresh pwsh process and prints
                 "N passed, N failed, N skipped". Exits non-zero when a test fails.
      Demo       builds, then backs up a volume with real data to a local folder, restores it
                 into a new volume and shows that both match.
      Benchmark  runs benchmarks/Invoke-Benchmark.ps1 and prints its table.
      Clean      removes out/.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Benchmark', 'Clean')]
    [string] $Task = 'Build',

    # Pester tag filter for the Test task, such as Volume or Backup.
    [string[]] $Tag,

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# A test environment that cannot start, such as for a missing package, is one line, not a trace.
trap {
    if ($_.FullyQualifiedErrorId -like 'TestEnvironmentFailed,*') {
        $Host.UI.WriteErrorLine($_.Exception.Message)
        exit 1
    }
    break
}
$root = $PSScriptRoot
$moduleOut = Join-Path $root 'out/MeshVolume'
$script:testSummary = $null

function Invoke-Native {
    param([string] $Command, [string[]] $Arguments)
    # Out-Host keeps the command's output out of the caller's return value.
    & $Command @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) {
        throw "'$Command $($Arguments -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Invoke-Build {
    Write-Host "Building the module into $moduleOut"
    if (Test-Path $moduleOut) { Remove-Item $moduleOut -Recurse -Force }
    Invoke-Native dotnet @('publish', "$root/src/MeshVolume/MeshVolume.csproj", '--nologo',
        '-v', 'quiet', '-c', $Configuration, '-o', $moduleOut)
    Copy-Item "$root/MeshVolume.psd1" $moduleOut
    Copy-Item "$root/module/*" $moduleOut -Recurse -Exclude 'help'
    Invoke-Native dotnet @('tool', 'run', 'pwsh', '--', '-NoProfile', '-NonInteractive', '-File',
        "$root/src/tools/New-MamlHelp.ps1", '-ModulePath', "$moduleOut/MeshVolume.psd1",
        '-HelpSourcePath', "$root/module/help")
    # The publish output keeps files the module does not load.
    Get-ChildItem $moduleOut -Filter '*.deps.json' | Remove-Item
}

function Get-PesterPath {
    Invoke-Native dotnet @('restore', "$root/tests/Tools.proj", '--nologo', '-v', 'quiet')
    $nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else {
        Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages'
    }
    $pester = Join-Path $nugetRoot 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $pester)) { throw "Pester was not restored to $pester." }
    return $pester
}

function Invoke-Test {
    Invoke-Build
    $pester = Get-PesterPath
    Import-Module "$root/tests/TestEnvironment.psm1" -Force
    $environment = $null
    try {
        $environment = Start-MeshTestEnvironment
        $runner = Join-Path $root 'tests/Invoke-Tests.ps1'
        $arguments = @('tool', 'run', 'pwsh', '--', '-NoProfile', '-NonInteractive', '-File',
            $runner, '-PesterPath', $pester, '-ModulePath', "$moduleOut/MeshVolume.psd1")
        if ($Tag) { $arguments += @('-Tag', ($Tag -join ',')) }
        Push-Location $root
        # Out-Host keeps the runner's output out of this function's return value; the
        # summary line is kept to be printed again as the run's last line.
        try {
            & dotnet @arguments | ForEach-Object {
                if ($_ -match '^\d+ passed, \d+ failed') { $script:testSummary = $_ }
                $_
            } | Out-Host
        }
        finally { Pop-Location }
        $exitCode = $LASTEXITCODE
    }
    finally {
        if ($environment) { Stop-MeshTestEnvironment $environment }
    }
    if ($script:testSummary) { Write-Host $script:testSummary }
    else { Write-Host '0 passed, 1 failed'; if ($exitCode -eq 0) { $exitCode = 1 } }
    return $exitCode
}

function Invoke-Demo {
    Invoke-Build
    Import-Module "$root/tests/TestEnvironment.psm1" -Force
    $environment = $null
    try {
        $environment = Start-MeshTestEnvironment -Docker
        $arguments = @('tool', 'run', 'pwsh', '--', '-NoProfile', '-NonInteractive', '-File',
            "$root/examples/Demo.ps1", '-ModulePath', "$moduleOut/MeshVolume.psd1")
        & dotnet @arguments | Out-Host
        $exitCode = $LASTEXITCODE
    }
    finally {
        if ($environment) { Stop-MeshTestEnvironment $environment }
    }
    return $exitCode
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Clean' { if (Test-Path "$root/out") { Remove-Item "$root/out" -Recurse -Force } }
    'Test' { exit (Invoke-Test) }
    'Demo' { exit (Invoke-Demo) }
    'Benchmark' {
        Invoke-Build
        & dotnet tool run pwsh -- -NoProfile -File "$root/benchmarks/Invoke-Benchmark.ps1" `
            -ModulePath "$moduleOut/MeshVolume.psd1"
        exit $LASTEXITCODE
    }
}
