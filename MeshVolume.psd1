@{
    RootModule           = 'MeshVolume.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5f0c3a4e-8d2b-4e71-9a64-2c1f7b9e5d30'
    Author               = 'MeshVolume developers'
    CompanyName          = 'MeshVolume'
    Copyright            = '(c) MeshVolume developers. MIT License.'
    Description          = 'Keeps the data of Docker containers safe: lists volumes, backs them up to a folder or S3-compatible storage, restores and verifies them.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('MeshVolume.Format.ps1xml')
    CmdletsToExport      = @(
        'Get-MeshVolume'
        'New-MeshVolume'
        'Remove-MeshVolume'
        'Backup-MeshVolume'
        'Get-MeshVolumeBackup'
        'Restore-MeshVolume'
        'Remove-MeshVolumeBackup'
        'Test-MeshVolumeBackup'
        'Test-MeshVolumePersistence'
        'Measure-MeshVolumeThroughput'
        'Get-MeshComposeVolume'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Docker', 'Volume', 'Backup', 'Restore', 'S3', 'Compose')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
