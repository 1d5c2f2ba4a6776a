<#
.SYNOPSIS
    Writes the MAML help file of the MeshVolume cmdlets.
.DESCRIPTION
    Reads each cmdlet's help text from module/help/<Cmdlet>.psd1 (shared parameter texts from
    module/help/Common.psd1), takes syntax, parameter types and pipeline input from the built
    cmdlets themselves, and writes en-US/MeshVolume.dll-Help.xml beside the module. Runs in its
    own pwsh process because it loads the built module.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $HelpSourcePath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$module = Import-Module $ModulePath -PassThru
$common = Import-PowerShellDataFile (Join-Path $HelpSourcePath 'Common.psd1')
$commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters +
    [System.Management.Automation.Cmdlet]::OptionalCommonParameters

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$outputFolder = Join-Path (Split-Path $ModulePath) 'en-US'
New-Item -ItemType Directory -Force $outputFolder | Out-Null
$writer = [System.Xml.XmlWriter]::Create((Join-Path $outputFolder 'MeshVolume.dll-Help.xml'), $settings)

$maml = 'http://schemas.microsoft.com/maml/2004/10'
$commandNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Write-Paragraphs([string] $prefix, [string] $text) {
    foreach ($paragraph in ($text -split "`r?`n\s*`r?`n")) {
        $writer.WriteElementString('maml', 'para', $maml, ($paragraph -replace '\s*\r?\n\s*', ' ').Trim())
    }
}

function Write-Description([string] $text) {
    $writer.WriteStartElement('maml', 'description', $maml)
    Write-Paragraphs 'maml' $text
    $writer.WriteEndElement()
}

function Get-PipelineInput($attribute) {
    $kinds = @()
    if ($attribute.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($attribute.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

function Write-Parameter($parameter, $attribute, [string] $description) {
    $position = if ($attribute.Position -ge 0) { "$($attribute.Position)" } else { 'named' }
    $globbing = [bool]($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $writer.WriteStartElement('command', 'parameter', $commandNs)
    $writer.WriteAttributeString('required', "$($attribute.Mandatory)".ToLowerInvariant())
    $writer.WriteAttributeString('globbing', "$globbing".ToLowerInvariant())
    $writer.WriteAttributeString('pipelineInput', (Get-PipelineInput $attribute))
    $writer.WriteAttributeString('position', $position)
    $writer.WriteElementString('maml', 'name', $maml, $parameter.Name)
    Write-Description $description
    if ($parameter.ParameterType -ne [switch]) {
        $writer.WriteElementString('command', 'parameterValue', $commandNs, $parameter.ParameterType.Name)
    }
    $writer.WriteStartElement('dev', 'type', $dev)
    $writer.WriteElementString('maml', 'name', $maml, $parameter.ParameterType.FullName)
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}

function Write-TypeList([string] $listName, [string] $itemName, $items) {
    $writer.WriteStartElement('command', $listName, $commandNs)
    foreach ($item in $items) {
        $writer.WriteStartElement('command', $itemName, $commandNs)
        $writer.WriteStartElement('dev', 'type', $dev)
        $writer.WriteElementString('maml', 'name', $maml, $item.Type)
        $writer.WriteEndElement()
        Write-Description $item.Description
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
}

$writer.WriteStartElement('helpItems', 'http://msh')
$writer.WriteAttributeString('schema', 'maml')
foreach ($command in ($module.ExportedCmdlets.Values | Sort-Object Name)) {
    $sourceFile = Join-Path $HelpSourcePath "$($command.Name).psd1"
    if (-not (Test-Path $sourceFile)) {
        Write-Warning "No help source for $($command.Name): $sourceFile is missing."
        continue
    }
    $help = Import-PowerShellDataFile $sourceFile
    $texts = @{}
    foreach ($key in $common.Parameters.Keys) { $texts[$key] = $common.Parameters[$key] }
    if ($help.ContainsKey('Parameters')) {
        foreach ($key in $help.Parameters.Keys) { $texts[$key] = $help.Parameters[$key] }
    }

    $writer.WriteStartElement('command', 'command', $commandNs)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $writer.WriteStartElement('command', 'details', $commandNs)
    $writer.WriteElementString('command', 'name', $commandNs, $command.Name)
    $writer.WriteElementString('command', 'verb', $commandNs, $command.Verb)
    $writer.WriteElementString('command', 'noun', $commandNs, $command.Noun)
    Write-Description $help.Synopsis
    $writer.WriteEndElement()
    Write-Description $help.Description

    $writer.WriteStartElement('command', 'syntax', $commandNs)
    foreach ($set in $command.ParameterSets) {
        $writer.WriteStartElement('command', 'syntaxItem', $commandNs)
        $writer.WriteElementString('maml', 'name', $maml, $command.Name)
        foreach ($parameter in $set.Parameters) {
            if ($commonParameters -contains $parameter.Name) { continue }
            $attribute = [pscustomobject]@{
                Mandatory = $parameter.IsMandatory; Position = $parameter.Position
                ValueFromPipeline = $parameter.ValueFromPipeline
                ValueFromPipelineByPropertyName = $parameter.ValueFromPipelineByPropertyName
            }
            Write-Parameter $parameter $attribute "$($texts[$parameter.Name])"
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $commandNs)
    foreach ($parameter in ($command.Parameters.Values | Sort-Object Name)) {
        if ($commonParameters -contains $parameter.Name) { continue }
        $attribute = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] } | Select-Object -First 1
        Write-Parameter $parameter $attribute "$($texts[$parameter.Name])"
    }
    $writer.WriteEndElement()

    if ($help.ContainsKey('Inputs')) { Write-TypeList 'inputTypes' 'inputType' $help.Inputs }
    if ($help.ContainsKey('Outputs')) { Write-TypeList 'returnValues' 'returnValue' $help.Outputs }
    if ($help.ContainsKey('Notes')) {
        $writer.WriteStartElement('maml', 'alertSet', $maml)
        $writer.WriteStartElement('maml', 'alert', $maml)
        Write-Paragraphs 'maml' $help.Notes
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }

    $writer.WriteStartElement('command', 'examples', $commandNs)
    $number = 0
    foreach ($example in $help.Examples) {
        $number++
        $writer.WriteStartElement('command', 'example', $commandNs)
        $writer.WriteElementString('maml', 'title', $maml, "--- Example $($number): $($example.Title) ---")
        $writer.WriteElementString('dev', 'code', $dev, $example.Code.Trim())
        $writer.WriteStartElement('dev', 'remarks', $dev)
        Write-Paragraphs 'maml' "$($example.Remarks)"
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.Close()
