BeforeDiscovery {
    Import-Module $env:MESHVOLUME_MODULE_PATH
    $script:commands = (Get-Module MeshVolume).ExportedCmdlets.Values | ForEach-Object { @{ Name = $_.Name } }
}

Describe 'Help of <Name>' -Tag Help -ForEach $commands {
    BeforeAll {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters +
            [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        $help = Get-Help $Name -Full
        $parameters = (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }
    }

    It 'has a synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name\s"
    }

    It 'has a description' {
        ($help.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has an example with code and remarks' {
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        foreach ($example in $help.Examples.Example) {
            $example.Code | Should -Not -BeNullOrEmpty
            ($example.Remarks | Out-String).Trim() | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes every parameter' {
        foreach ($parameter in $parameters) {
            $text = ($help.Parameters.Parameter | Where-Object Name -eq $parameter).Description |
                Out-String
            $text.Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }

    It 'names its output type' {
        (Get-Command $Name).OutputType | Should -Not -BeNullOrEmpty
    }
}
