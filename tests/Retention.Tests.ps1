<#
    Retention policy tests. The second half creates snapshots with restic 0.14 for the same
    backup times and compares restic's `forget --dry-run --json` decisions with the policy's.
#>

BeforeDiscovery {
    $resticVersion = if (Get-Command restic -ErrorAction SilentlyContinue) {
        (& restic version) -join ' '
    }
    # Later restic versions also keep the oldest snapshot while a count is left, so only
    # 0.14 is the reference.
    $script:skipRestic = $resticVersion -notmatch '^restic 0\.14\.'
}

BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH -Force
    $script:savedResticPassword = $env:RESTIC_PASSWORD
    $env:RESTIC_PASSWORD = 'meshvolume-retention-test'

    function ConvertTo-Utc([string] $Text) {
        $time = [DateTime]::ParseExact($Text, 'yyyy-MM-dd HH:mm',
            [Globalization.CultureInfo]::InvariantCulture)
        [DateTime]::SpecifyKind($time, [DateTimeKind]::Utc)
    }

    function Get-TimeSeries([string] $From, [string] $To, [int] $StepMinutes) {
        $time = ConvertTo-Utc $From
        $end = ConvertTo-Utc $To
        while ($time -le $end) {
            $time.ToString('yyyy-MM-dd HH:mm')
            $time = $time.AddMinutes($StepMinutes)
        }
    }

    function New-Candidate([string] $Id, [string] $Utc, [string[]] $Tags = @()) {
        [MeshVolume.Services.Retention.RetentionCandidate]::new($Id, (ConvertTo-Utc $Utc), $Tags)
    }

    # Property names are those of RetentionPolicy; KeepWithin takes text such as '2w3d'.
    function New-Policy([hashtable] $Rules) {
        [MeshVolume.Services.Retention.RetentionPolicy]$Rules
    }

    function ConvertTo-Duration([string] $Text) {
        [MeshVolume.Services.Retention.RetentionDuration]::Parse($Text)
    }

    function Invoke-Policy {
        param(
            [hashtable] $Rules,
            [object[]] $Backups,
            [string] $Zone = 'UTC',
            [string] $Now = '2026-12-04 12:00'
        )
        $candidates = [MeshVolume.Services.Retention.RetentionCandidate[]]$Backups
        (New-Policy $Rules).Evaluate($candidates, (Get-Zone $Zone), (ConvertTo-Utc $Now))
    }

    function Get-Zone([string] $Id) { [TimeZoneInfo]::FindSystemTimeZoneById($Id) }

    # Returns the MeshVolumeException that the script block throws, unwrapped from the
    # MethodInvocationException that PowerShell adds around exceptions of .NET methods.
    function Get-MeshException([scriptblock] $ScriptBlock) {
        try { & $ScriptBlock } catch { $exception = $_.Exception }
        while ($exception -and $exception -isnot [MeshVolume.MeshVolumeException]) {
            $exception = $exception.InnerException
        }
        $exception
    }

    # Runs restic with TZ set for its process only and returns its standard output.
    function Invoke-Restic([string] $Repository, [string] $TimeZone, [string[]] $Arguments) {
        $savedTimeZone = $env:TZ
        $env:TZ = $TimeZone
        try {
            $output = & restic --repo $Repository --no-cache --quiet @Arguments 2>&1
        }
        finally {
            $env:TZ = $savedTimeZone
        }
        $errors = $output | Where-Object { $_ -is [Management.Automation.ErrorRecord] }
        if ($LASTEXITCODE -ne 0) {
            throw "restic $($Arguments -join ' ') failed with exit code $LASTEXITCODE`: $errors"
        }
        $output | Where-Object { $_ -isnot [Management.Automation.ErrorRecord] }
    }

    # A zone file with a fixed offset, so that restic records exactly the intended instant
    # even in an hour that a daylight saving change repeats. Etc/GMT-1 is UTC+01:00.
    function Get-FixedOffsetZone([TimeSpan] $Offset) {
        if ($Offset -eq [TimeSpan]::Zero) { return 'UTC' }
        if ($Offset.Minutes -ne 0) { throw "Offset $Offset is not a whole number of hours." }
        $hours = -[int]$Offset.TotalHours
        'Etc/GMT' + $(if ($hours -gt 0) { "+$hours" } else { "$hours" })
    }

    <#
        Creates a restic repository with one snapshot per backup, each recorded with the UTC
        offset that the zone has at that instant, as restic does when it runs in that zone.
        Backups are 'yyyy-MM-dd HH:mm' UTC strings or @{ Utc = ...; Tags = @(...) }.
    #>
    function New-ResticScenario([string] $TimeZone, [object[]] $Backups) {
        $suffix = [Guid]::NewGuid().ToString('N').Substring(0, 8)
        $root = Join-Path ([IO.Path]::GetTempPath()) "meshvolume-retention-$suffix"
        $data = New-Item -ItemType Directory -Path (Join-Path $root 'data')
        Set-Content -Path (Join-Path $data 'file.txt') -Value 'retention test'
        $repository = Join-Path $root 'repository'
        Invoke-Restic $repository 'UTC' @('init') | Out-Null

        $zone = Get-Zone $TimeZone
        foreach ($backup in $Backups) {
            $utcText = if ($backup -is [string]) { $backup } else { $backup.Utc }
            $utc = ConvertTo-Utc $utcText
            $offset = $zone.GetUtcOffset($utc)
            $arguments = @('backup', '--host', 'h',
                '--time', $utc.Add($offset).ToString('yyyy-MM-dd HH:mm:ss'), $data.FullName)
            if ($backup -isnot [string] -and $backup.Tags) {
                $arguments += @('--tag', ($backup.Tags -join ','))
            }
            Invoke-Restic $repository (Get-FixedOffsetZone $offset) $arguments | Out-Null
        }

        $json = Invoke-Restic $repository $TimeZone @('snapshots', '--json')
        $snapshots = ($json -join "`n") | ConvertFrom-Json -DateKind String
        $candidates = foreach ($snapshot in $snapshots) {
            $time = [DateTimeOffset]::Parse($snapshot.time,
                [Globalization.CultureInfo]::InvariantCulture).UtcDateTime
            $tags = [string[]]@($snapshot.tags | Where-Object { $_ })
            [MeshVolume.Services.Retention.RetentionCandidate]::new($snapshot.id, $time, $tags)
        }
        [pscustomobject]@{
            Root       = $root
            Repository = $repository
            Zone       = $zone
            Candidates = [MeshVolume.Services.Retention.RetentionCandidate[]]$candidates
        }
    }

    # Restic 0.14 has no w unit, so weeks become 7 days each.
    function ConvertTo-ResticDuration([string] $Text) {
        $duration = ConvertTo-Duration $Text
        $parts = [ordered]@{
            y = $duration.Years; m = $duration.Months
            d = $duration.Days + 7 * $duration.Weeks; h = $duration.Hours
        }
        $resticParts = foreach ($unit in $parts.Keys) {
            if ($parts[$unit] -ne 0) { "$($parts[$unit])$unit" }
        }
        $resticParts -join ''
    }

    function ConvertTo-ResticFlag([hashtable] $Rules) {
        $names = @{
            KeepLast = '--keep-last'; KeepHourly = '--keep-hourly'; KeepDaily = '--keep-daily'
            KeepWeekly = '--keep-weekly'; KeepMonthly = '--keep-monthly'
            KeepYearly = '--keep-yearly'
        }
        foreach ($key in $Rules.Keys) {
            switch ($key) {
                'KeepWithin' { '--keep-within'; ConvertTo-ResticDuration $Rules[$key] }
                'KeepTag' { foreach ($value in $Rules[$key]) { '--keep-tag'; $value } }
                default { $names[$key]; "$($Rules[$key])" }
            }
        }
    }

    # One line per backup: time, short id, and the kinds of rule that keep it, in order.
    function Format-Verdict($Scenario, [string] $Id, [string[]] $Kinds) {
        $backup = $Scenario.Candidates | Where-Object Id -EQ $Id
        $verdict = if ($Kinds) { 'keep ' + ($Kinds -join ',') } else { 'remove' }
        '{0:yyyy-MM-dd HH:mm}Z {1} {2}' -f $backup.CreatedUtc, $Id.Substring(0, 8), $verdict
    }

    <#
        Returns the lines on which restic (<=) and the policy (=>) disagree: keep or remove,
        and which kinds of rule keep a backup (last, hourly, daily, weekly, monthly, yearly,
        within, tag).
    #>
    function Compare-WithRestic($Scenario, [hashtable] $Rules) {
        $arguments = @('forget', '--dry-run', '--json', '--group-by', '') +
            @(ConvertTo-ResticFlag $Rules)
        $json = Invoke-Restic $Scenario.Repository $Scenario.Zone.Id $arguments
        $groups = ($json -join "`n") | ConvertFrom-Json -DateKind String
        $resticLines = foreach ($group in $groups) {
            # The reasons omit the snapshot id but are in the order of the kept snapshots.
            $kept = @($group.keep | Where-Object { $_ })
            for ($i = 0; $i -lt $kept.Count; $i++) {
                $kinds = foreach ($match in $group.reasons[$i].matches) {
                    if ($match -like 'has tags*') { 'tag' } else { ($match -split ' ')[0] }
                }
                Format-Verdict $Scenario $kept[$i].id $kinds
            }
            foreach ($snapshot in $group.remove) { Format-Verdict $Scenario $snapshot.id @() }
        }

        $policy = New-Policy $Rules
        $decisions = $policy.Evaluate($Scenario.Candidates, $Scenario.Zone, [DateTime]::UtcNow)
        $ourLines = foreach ($decision in $decisions) {
            $kinds = foreach ($reason in $decision.Reasons) { ($reason -split ' ')[0] }
            Format-Verdict $Scenario $decision.Id $kinds
        }

        Compare-Object @($resticLines) @($ourLines) |
            ForEach-Object { "$($_.SideIndicator) $($_.InputObject)" }
    }

    function Remove-ResticScenario($Scenario) {
        if ($Scenario -and (Test-Path $Scenario.Root)) {
            Remove-Item -Path $Scenario.Root -Recurse -Force
        }
    }
}

AfterAll {
    $env:RESTIC_PASSWORD = $savedResticPassword
}

Describe 'RetentionDuration' -Tag Retention {
    It 'parses <Text> as <Expected>' -ForEach @(
        @{ Text = '10d'; Expected = '10d'; Days = 10; Weeks = 0 }
        @{ Text = '2w3d'; Expected = '2w3d'; Days = 3; Weeks = 2 }
        @{ Text = '3d2w'; Expected = '2w3d'; Days = 3; Weeks = 2 }
        @{ Text = ' 1y2m3d4h '; Expected = '1y2m3d4h'; Days = 3; Weeks = 0 }
        @{ Text = '36h'; Expected = '36h'; Days = 0; Weeks = 0 }
        @{ Text = '0d1h'; Expected = '1h'; Days = 0; Weeks = 0 }
    ) {
        $duration = ConvertTo-Duration $Text
        $duration.ToString() | Should -Be $Expected
        $duration.Days | Should -Be $Days
        $duration.Weeks | Should -Be $Weeks
    }

    It 'rejects <Text>' -ForEach @(
        @{ Text = ''; Reason = 'empty' }
        @{ Text = '10'; Reason = 'has no unit' }
        @{ Text = 'd'; Reason = 'expected a number' }
        @{ Text = '1x'; Reason = "'x' after the number 1 is not a unit" }
        @{ Text = '1D'; Reason = 'not a unit' }
        @{ Text = '1.5d'; Reason = 'not a unit' }
        @{ Text = '3 d'; Reason = 'not a unit' }
        @{ Text = '-1d'; Reason = 'expected a number' }
        @{ Text = '1d1d'; Reason = "'d' appears more than once" }
        @{ Text = '0d'; Reason = 'longer than zero' }
        @{ Text = '99999999999d'; Reason = 'too large' }
    ) {
        $exception = Get-MeshException { ConvertTo-Duration $Text }
        $exception | Should -Not -BeNullOrEmpty
        $exception.ErrorId | Should -Be 'RetentionPolicyInvalid'
        $exception.Message | Should -BeLike "*'$Text'*$Reason*"
    }

    Context 'subtracted in UTC' {
        It 'subtracts <Text> from <From>Z giving <Expected>Z' -ForEach @(
            # A date past the end of the month rolls over, as with Go's AddDate.
            @{ From = '2026-03-31 10:00'; Text = '1m'; Expected = '2026-03-03 10:00' }
            @{ From = '2024-03-31 10:00'; Text = '1m'; Expected = '2024-03-02 10:00' }
            @{ From = '2026-03-31 10:00'; Text = '2w3d'; Expected = '2026-03-14 10:00' }
            @{ From = '2026-01-01 00:00'; Text = '2147483647h'; Expected = '0001-01-01 00:00' }
            @{ From = '2026-01-01 00:00'; Text = '2026y'; Expected = '0001-01-01 00:00' }
        ) {
            $result = (ConvertTo-Duration $Text).SubtractFrom((ConvertTo-Utc $From), (Get-Zone UTC))
            $result.ToString('yyyy-MM-dd HH:mm') | Should -Be $Expected
            $result.Kind | Should -Be 'Utc'
        }
    }

    Context 'subtracted in Europe/Berlin' {
        It 'subtracts <Text> from <From>Z giving <Expected>Z' -ForEach @(
            @{ From = '2026-03-31 10:00'; Text = '1m'; Expected = '2026-03-03 11:00' }
            # Calendar days across the spring change last 23 hours; hours are elapsed time.
            @{ From = '2026-03-31 10:00'; Text = '3d'; Expected = '2026-03-28 11:00' }
            @{ From = '2026-03-31 10:00'; Text = '72h'; Expected = '2026-03-28 10:00' }
            @{ From = '2026-03-31 10:00'; Text = '2w3d'; Expected = '2026-03-14 11:00' }
            @{ From = '2026-03-31 10:00'; Text = '1y2m3d4h'; Expected = '2025-01-28 07:00' }
            # 02:30 on 2026-03-29 does not exist in Berlin and becomes 03:30 CEST.
            @{ From = '2026-03-30 00:30'; Text = '1d'; Expected = '2026-03-29 01:30' }
            # 02:30 on 2026-10-25 happens twice in Berlin; the later one (CET) is taken.
            @{ From = '2026-10-26 01:30'; Text = '1d'; Expected = '2026-10-25 01:30' }
        ) {
            $berlin = Get-Zone 'Europe/Berlin'
            $result = (ConvertTo-Duration $Text).SubtractFrom((ConvertTo-Utc $From), $berlin)
            $result.ToString('yyyy-MM-dd HH:mm') | Should -Be $Expected
            $result.Kind | Should -Be 'Utc'
        }
    }
}

Describe 'RetentionBuckets' -Tag Retention {
    It 'puts <Date> in ISO week <Expected>' -ForEach @(
        @{ Date = '2026-01-01'; Expected = '2026-W01' }
        @{ Date = '2025-12-29'; Expected = '2026-W01' }
        @{ Date = '2025-12-28'; Expected = '2025-W52' }
        @{ Date = '2027-01-01'; Expected = '2026-W53' }
        @{ Date = '2027-01-04'; Expected = '2027-W01' }
        @{ Date = '2021-01-03'; Expected = '2020-W53' }
        @{ Date = '2024-12-30'; Expected = '2025-W01' }
        @{ Date = '2026-12-03'; Expected = '2026-W49' }
    ) {
        $date = (ConvertTo-Utc "$Date 00:00").Date
        [MeshVolume.Services.Retention.RetentionBuckets]::GetBucket('Weekly', $date) |
            Should -Be $Expected
    }

    It 'names the <Period> bucket <Expected>' -ForEach @(
        @{ Period = 'Hourly'; Expected = '2026-12-03 14:00' }
        @{ Period = 'Daily'; Expected = '2026-12-03' }
        @{ Period = 'Monthly'; Expected = '2026-12' }
        @{ Period = 'Yearly'; Expected = '2026' }
    ) {
        $time = [DateTime]::new(2026, 12, 3, 14, 59, 59)
        [MeshVolume.Services.Retention.RetentionBuckets]::GetBucket($Period, $time) |
            Should -Be $Expected
    }
}

Describe 'RetentionPolicy' -Tag Retention {
    It 'rejects a negative count' {
        $policy = New-Policy @{ KeepDaily = -1 }
        $exception = Get-MeshException { $policy.Validate() }
        $exception.ErrorId | Should -Be 'RetentionPolicyInvalid'
        $exception.Message | Should -BeLike '*-KeepDaily is -1*'
    }

    It 'rejects a policy without rules' {
        $exception = Get-MeshException { Invoke-Policy @{} @() }
        $exception.ErrorId | Should -Be 'RetentionPolicyInvalid'
        $exception.Message | Should -BeLike '*no rule*'
    }

    It 'lists every backup newest first with its reasons' {
        $backups = @(
            New-Candidate 'a' '2026-12-01 08:00' @('prod')
            New-Candidate 'b' '2026-12-01 20:00'
            New-Candidate 'c' '2026-12-03 10:00'
            New-Candidate 'd' '2026-12-02 09:00'
        )
        $decisions = Invoke-Policy @{ KeepLast = 1; KeepDaily = 2; KeepTag = @('prod') } $backups

        $decisions.Id | Should -Be @('c', 'd', 'b', 'a')
        $decisions.Keep | Should -Be @($true, $true, $false, $true)
        $decisions[0].Reasons | Should -Be @('last', 'daily 2026-12-03')
        $decisions[1].Reasons | Should -Be @('daily 2026-12-02')
        $decisions[2].Reasons | Should -BeNullOrEmpty
        $decisions[3].Reasons | Should -Be @('tag prod')
    }

    It 'counts only days that have a backup' {
        $backups = @(
            New-Candidate 'a' '2026-11-01 10:00'
            New-Candidate 'b' '2026-11-15 10:00'
            New-Candidate 'c' '2026-11-30 10:00'
            New-Candidate 'd' '2026-11-30 09:00'
        )
        $decisions = Invoke-Policy @{ KeepDaily = 3 } $backups
        ($decisions | Where-Object Keep).Id | Should -Be @('c', 'b', 'a')
    }

    It 'names weekly, monthly and yearly buckets' {
        $backups = @(New-Candidate 'a' '2026-12-03 10:00')
        $rules = @{ KeepHourly = 1; KeepWeekly = 1; KeepMonthly = 1; KeepYearly = 1 }
        $expected = @('hourly 2026-12-03 10:00', 'weekly 2026-W49', 'monthly 2026-12', 'yearly 2026')
        (Invoke-Policy $rules $backups)[0].Reasons | Should -Be $expected
    }

    It 'takes the day from the chosen time zone' {
        $backups = @(New-Candidate 'a' '2026-12-03 23:30')
        (Invoke-Policy @{ KeepDaily = 1 } $backups 'UTC')[0].Reasons |
            Should -Be @('daily 2026-12-03')
        (Invoke-Policy @{ KeepDaily = 1 } $backups 'Europe/Berlin')[0].Reasons |
            Should -Be @('daily 2026-12-04')
    }

    It 'measures -KeepWithin from the newest backup, not from now' {
        $backups = @(
            New-Candidate 'a' '2026-06-01 10:00'
            New-Candidate 'b' '2026-06-01 09:00'
            New-Candidate 'c' '2026-06-01 08:59'
        )
        $decisions = Invoke-Policy @{ KeepWithin = '1h' } $backups
        # A backup exactly at the cutoff is outside, as in restic.
        $decisions.Keep | Should -Be @($true, $false, $false)
        $decisions[0].Reasons | Should -Be @('within 1h')
    }

    It 'ignores backups newer than now as the -KeepWithin reference' {
        $backups = @(
            New-Candidate 'future' '2099-01-01 00:00'
            New-Candidate 'a' '2026-06-01 10:00'
            New-Candidate 'b' '2026-05-31 09:00'
        )
        (Invoke-Policy @{ KeepWithin = '1d' } $backups).Keep | Should -Be @($true, $true, $false)
    }

    It 'keeps every backup within when all are newer than now' {
        $backups = @(
            New-Candidate 'a' '2099-01-02 00:00'
            New-Candidate 'b' '2098-01-01 00:00'
        )
        (Invoke-Policy @{ KeepWithin = '1d' } $backups).Keep | Should -Be @($true, $true)
    }

    It 'orders backups of the same time by id' {
        $backups = @(
            New-Candidate 'b' '2026-06-01 10:00'
            New-Candidate 'a' '2026-06-01 10:00'
        )
        $decisions = Invoke-Policy @{ KeepDaily = 1 } $backups
        $decisions.Id | Should -Be @('a', 'b')
        $decisions.Keep | Should -Be @($true, $false)
    }

    It 'matches -KeepTag values as all of their tags' {
        $backups = @(
            New-Candidate 'untagged' '2026-06-04 10:00'
            New-Candidate 'prod' '2026-06-03 10:00' @('prod')
            New-Candidate 'prod-db' '2026-06-02 10:00' @('prod', 'db')
            New-Candidate 'db' '2026-06-01 10:00' @('db')
        )
        $decisions = Invoke-Policy @{ KeepTag = @(' prod , db ', '') } $backups
        ($decisions | Where-Object Keep).Id | Should -Be @('untagged', 'prod-db')
        $decisions[0].Reasons | Should -Be @('tag (none)')
        $decisions[2].Reasons | Should -Be @('tag prod,db')
    }

    Context 'applied to a volume' {
        BeforeAll {
            $utc = Get-Zone 'UTC'
            $now = ConvertTo-Utc '2026-12-04 12:00'
            [MeshVolume.Services.Retention.RetentionCandidate[]] $backups = @(
                New-Candidate 'a' '2026-06-01 10:00'
                New-Candidate 'b' '2026-06-02 10:00'
            )
        }

        It 'refuses to remove every backup' {
            $policy = New-Policy @{ KeepTag = @('none') }
            $exception = Get-MeshException { $policy.Apply('app_db', $backups, $utc, $now, $false) }
            $exception.ErrorId | Should -Be 'RetentionWouldRemoveAll'
            $exception.Message | Should -BeLike "*all 2 backups of the volume 'app_db'*"
        }

        It 'removes every backup when allowed' {
            $policy = New-Policy @{ KeepTag = @('none') }
            $policy.Apply('app_db', $backups, $utc, $now, $true).Keep |
                Should -Be @($false, $false)
        }

        It 'accepts a volume without backups' {
            $empty = [MeshVolume.Services.Retention.RetentionCandidate[]]@()
            (New-Policy @{ KeepLast = 1 }).Apply('app_db', $empty, $utc, $now, $false).Count |
                Should -Be 0
        }
    }

    It 'describes itself' {
        $policy = New-Policy @{
            KeepDaily = 7; KeepWeekly = 4; KeepMonthly = 6; KeepWithin = '2w3d'; KeepTag = @('prod')
        }
        "$policy" | Should -Be 'keep daily 7, weekly 4, monthly 6, within 2w3d, tag prod'
    }
}

Describe 'RetentionPolicy against restic 0.14' -Tag Retention, ResticReference -Skip:$skipRestic {
    It 'rejects the duration <Text> like restic does' -ForEach @(
        @{ Text = '10' }, @{ Text = 'd' }, @{ Text = '1x' }, @{ Text = '1D' }, @{ Text = '1.5d' }
    ) {
        # Restic checks the flag before it opens the repository, so no repository is needed.
        $resticOutput = & restic forget --no-cache --repo /nonexistent --keep-within $Text 2>&1
        $LASTEXITCODE | Should -Not -Be 0
        "$resticOutput" | Should -BeLike "*invalid argument `"$Text`" for `"--keep-within`"*"
        $exception = Get-MeshException { ConvertTo-Duration $Text }
        $exception.ErrorId | Should -Be 'RetentionPolicyInvalid'
    }

    Context 'hourly backups across month and year boundaries in <Zone>' -ForEach @(
        @{ Zone = 'UTC' }, @{ Zone = 'Europe/Berlin' }
    ) {
        BeforeAll {
            $backups = @(
                Get-TimeSeries '2025-12-31 20:10' '2026-01-01 03:50' 40
                Get-TimeSeries '2026-01-31 21:25' '2026-02-01 02:25' 50
                Get-TimeSeries '2026-03-31 21:05' '2026-04-01 01:05' 30
            )
            $scenario = New-ResticScenario $Zone $backups
        }
        AfterAll { Remove-ResticScenario $scenario }

        It 'keeps what restic keeps for <Name>' -ForEach @(
            @{ Name = 'hourly 5'; Rules = @{ KeepHourly = 5 } }
            @{ Name = 'hourly 12, daily 2'; Rules = @{ KeepHourly = 12; KeepDaily = 2 } }
            @{ Name = 'hourly 40, monthly 3, yearly 2'; Rules = @{
                    KeepHourly = 40; KeepMonthly = 3; KeepYearly = 2 } }
            @{ Name = 'last 3, hourly 4, daily 3, weekly 2'; Rules = @{
                    KeepLast = 3; KeepHourly = 4; KeepDaily = 3; KeepWeekly = 2 } }
            @{ Name = 'daily 4, monthly 2'; Rules = @{ KeepDaily = 4; KeepMonthly = 2 } }
        ) {
            Compare-WithRestic $scenario $Rules | Should -BeNullOrEmpty
        }
    }

    Context 'hourly backups across daylight saving changes in Europe/Berlin' {
        BeforeAll {
            $backups = @(
                Get-TimeSeries '2026-03-28 23:15' '2026-03-29 02:45' 30
                Get-TimeSeries '2026-10-24 23:15' '2026-10-25 02:45' 30
                '2026-10-26 00:00'
                '2026-10-26 01:30'
            )
            $scenario = New-ResticScenario 'Europe/Berlin' $backups
        }
        AfterAll { Remove-ResticScenario $scenario }

        It 'keeps what restic keeps for <Name>' -ForEach @(
            @{ Name = 'hourly 5'; Rules = @{ KeepHourly = 5 } }
            @{ Name = 'hourly 12'; Rules = @{ KeepHourly = 12 } }
            @{ Name = 'hourly 30, daily 4'; Rules = @{ KeepHourly = 30; KeepDaily = 4 } }
            # The cutoff is 02:30 on 2026-10-25, an hour that happens twice.
            @{ Name = 'within 1d'; Rules = @{ KeepWithin = '1d' } }
            @{ Name = 'within 25h'; Rules = @{ KeepWithin = '25h' } }
            # The cutoff is 02:30 on 2026-03-29, an hour that does not exist.
            @{ Name = 'within 6m28d'; Rules = @{ KeepWithin = '6m28d' } }
            @{ Name = 'within 1d, hourly 3'; Rules = @{ KeepWithin = '1d'; KeepHourly = 3 } }
        ) {
            Compare-WithRestic $scenario $Rules | Should -BeNullOrEmpty
        }
    }

    Context 'daily backups with gaps in Europe/Berlin' {
        BeforeAll {
            # 22:30 UTC is after midnight in Berlin until 2026-10-25 and before it afterwards.
            $gaps = @(
                Get-TimeSeries '2026-09-26 22:30' '2026-10-02 22:30' 1440
                '2026-10-18 22:30', '2026-10-19 22:30'
                Get-TimeSeries '2026-11-01 22:30' '2026-11-04 22:30' 1440
            )
            $backups = Get-TimeSeries '2026-09-20 22:30' '2026-11-10 22:30' 1440 |
                Where-Object { $_ -notin $gaps }
            $scenario = New-ResticScenario 'Europe/Berlin' $backups
        }
        AfterAll { Remove-ResticScenario $scenario }

        It 'keeps what restic keeps for <Name>' -ForEach @(
            @{ Name = 'daily 10'; Rules = @{ KeepDaily = 10 } }
            @{ Name = 'daily 45'; Rules = @{ KeepDaily = 45 } }
            @{ Name = 'weekly 6'; Rules = @{ KeepWeekly = 6 } }
            @{ Name = 'daily 7, weekly 4'; Rules = @{ KeepDaily = 7; KeepWeekly = 4 } }
            @{ Name = 'monthly 3, daily 3'; Rules = @{ KeepMonthly = 3; KeepDaily = 3 } }
            @{ Name = 'yearly 1, last 2'; Rules = @{ KeepYearly = 1; KeepLast = 2 } }
        ) {
            Compare-WithRestic $scenario $Rules | Should -BeNullOrEmpty
        }
    }

    Context 'several backups a day in UTC' {
        BeforeAll {
            $backups = foreach ($day in 1..10) {
                foreach ($time in '02:10', '09:40', '15:05', '22:55') {
                    '2026-06-{0:D2} {1}' -f $day, $time
                }
            }
            $scenario = New-ResticScenario 'UTC' $backups
        }
        AfterAll { Remove-ResticScenario $scenario }

        It 'keeps what restic keeps for <Name>' -ForEach @(
            @{ Name = 'daily 5'; Rules = @{ KeepDaily = 5 } }
            @{ Name = 'last 6, daily 4'; Rules = @{ KeepLast = 6; KeepDaily = 4 } }
            @{ Name = 'hourly 10, daily 3'; Rules = @{ KeepHourly = 10; KeepDaily = 3 } }
            @{ Name = 'daily 20'; Rules = @{ KeepDaily = 20 } }
            @{ Name = 'weekly 2, daily 2'; Rules = @{ KeepWeekly = 2; KeepDaily = 2 } }
        ) {
            Compare-WithRestic $scenario $Rules | Should -BeNullOrEmpty
        }
    }

    Context 'KeepWithin near a month end in <Zone>' -ForEach @(
        @{ Zone = 'UTC' }, @{ Zone = 'Europe/Berlin' }
    ) {
        BeforeAll {
            # Backups at 09:30, 10:30 and 11:30 UTC on the days where the cutoffs fall, so
            # that an hour's difference in a cutoff changes the result, and two exactly at
            # the cutoffs of 3d and 72h, which restic does not keep.
            $backups = @(
                foreach ($day in '2025-01-28', '2026-03-03', '2026-03-14', '2026-03-28') {
                    "$day 09:30", "$day 10:30", "$day 11:30"
                }
                '2026-03-28 10:00', '2026-03-28 11:00'
                '2026-02-28 12:00', '2026-03-01 12:00', '2026-03-02 12:00'
                '2026-03-30 09:00', '2026-03-31 10:00'
                '2099-06-01 12:00'
            )
            $scenario = New-ResticScenario $Zone $backups
        }
        AfterAll { Remove-ResticScenario $scenario }

        It 'keeps what restic keeps for <Name>' -ForEach @(
            @{ Name = 'within 1m'; Rules = @{ KeepWithin = '1m' } }
            @{ Name = 'within 2w3d'; Rules = @{ KeepWithin = '2w3d' } }
            @{ Name = 'within 3d'; Rules = @{ KeepWithin = '3d' } }
            @{ Name = 'within 72h'; Rules = @{ KeepWithin = '72h' } }
            @{ Name = 'within 1y2m3d4h'; Rules = @{ KeepWithin = '1y2m3d4h' } }
            @{ Name = 'within 10d'; Rules = @{ KeepWithin = '10d' } }
            @{ Name = 'within 36h'; Rules = @{ KeepWithin = '36h' } }
            @{ Name = 'within 3d, last 2'; Rules = @{ KeepWithin = '3d'; KeepLast = 2 } }
            @{ Name = 'within 1y, monthly 2'; Rules = @{ KeepWithin = '1y'; KeepMonthly = 2 } }
        ) {
            Compare-WithRestic $scenario $Rules | Should -BeNullOrEmpty
        }
    }

    Context 'daily 7, weekly 4, monthly 6 over eight months in Europe/Berlin' {
        BeforeAll {
            $backups = @(
                Get-TimeSeries '2025-09-01 23:20' '2026-04-01 23:20' (5 * 1440)
                Get-TimeSeries '2026-04-04 23:20' '2026-04-15 23:20' 1440
                # Sunday 2025-12-28 in Berlin, in ISO week 2025-W52, and Monday 2025-12-29
                # in Berlin (still Sunday in UTC), in ISO week 2026-W01.
                '2025-12-28 22:30', '2025-12-28 23:30'
            )
            $scenario = New-ResticScenario 'Europe/Berlin' $backups
        }
        AfterAll { Remove-ResticScenario $scenario }

        It 'keeps what restic keeps for <Name>' -ForEach @(
            @{ Name = 'daily 7, weekly 4, monthly 6'; Rules = @{
                    KeepDaily = 7; KeepWeekly = 4; KeepMonthly = 6 } }
            @{ Name = 'daily 7, weekly 4, monthly 6, yearly 2'; Rules = @{
                    KeepDaily = 7; KeepWeekly = 4; KeepMonthly = 6; KeepYearly = 2 } }
            @{ Name = 'weekly 40'; Rules = @{ KeepWeekly = 40 } }
            @{ Name = 'monthly 12'; Rules = @{ KeepMonthly = 12 } }
        ) {
            Compare-WithRestic $scenario $Rules | Should -BeNullOrEmpty
        }
    }

    Context 'tagged backups in UTC' {
        BeforeAll {
            $tagSets = @(@(), @('prod'), @('prod', 'db'), @('db'), @('test'), @(),
                @('prod', 'db', 'x'), @('db', 'prod'), @('test', 'prod'), @())
            $backups = for ($i = 0; $i -lt $tagSets.Count; $i++) {
                @{ Utc = '2026-05-{0:D2} 12:00' -f ($i + 1); Tags = $tagSets[$i] }
            }
            $scenario = New-ResticScenario 'UTC' $backups
        }
        AfterAll { Remove-ResticScenario $scenario }

        It 'keeps what restic keeps for <Name>' -ForEach @(
            @{ Name = 'tag prod'; Rules = @{ KeepTag = @('prod') } }
            @{ Name = 'tag prod,db'; Rules = @{ KeepTag = @('prod,db') } }
            @{ Name = 'tag db, prod with spaces'; Rules = @{ KeepTag = @(' db , prod ') } }
            @{ Name = 'untagged, last 1'; Rules = @{ KeepTag = @(''); KeepLast = 1 } }
            @{ Name = 'tag db or test'; Rules = @{ KeepTag = @('db', 'test') } }
            @{ Name = 'last 2, tag x'; Rules = @{ KeepLast = 2; KeepTag = @('x') } }
            @{ Name = 'a tag nothing has'; Rules = @{ KeepTag = @('none') } }
        ) {
            Compare-WithRestic $scenario $Rules | Should -BeNullOrEmpty
        }
    }
}
