# Tests of the backup repositories: a folder, and S3 on the test environment's Ceph radosgw.
# The S3 tests need AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL_S3
# and MESHVOLUME_TEST_S3_BUCKET (an existing bucket), as tests/TestEnvironment.psm1 sets them,
# and Debian's awscli as an independent client.

BeforeDiscovery {
    $script:HasS3 = [bool] $env:MESHVOLUME_TEST_S3_BUCKET
}

BeforeAll {
    Import-Module $env:MESHVOLUME_MODULE_PATH

    $script:NoToken = [System.Threading.CancellationToken]::None
    $script:MiB = 1024 * 1024

    function Wait-Task {
        param([Parameter(Mandatory)] $Task)
        $Task.GetAwaiter().GetResult()
    }

    # Runs a script block and returns the exception it threw, without the
    # MethodInvocationException that PowerShell wraps around .NET method failures.
    function Get-ThrownException {
        param([Parameter(Mandatory)] [scriptblock] $Action)
        try {
            & $Action | Out-Null
        }
        catch {
            $exception = $_.Exception
            while ($exception -is [System.Management.Automation.MethodInvocationException] -and
                $exception.InnerException) {
                $exception = $exception.InnerException
            }
            return $exception
        }
        return $null
    }

    # Writes a stream of pseudo-random data of the given size in 1 MiB writes and returns
    # its SHA-256 as lowercase hex.
    function Write-RandomData {
        param(
            [Parameter(Mandatory)] [System.IO.Stream] $Stream,
            [Parameter(Mandatory)] [long] $Size,
            [int] $Seed = 1
        )
        $random = [Random]::new($Seed)
        $chunk = [byte[]]::new(1024 * 1024)
        $hash = [System.Security.Cryptography.IncrementalHash]::CreateHash('SHA256')
        try {
            for ($left = $Size; $left -gt 0; $left -= $count) {
                $count = [int] [Math]::Min($chunk.Length, $left)
                $random.NextBytes($chunk)
                $Stream.Write($chunk, 0, $count)
                $hash.AppendData($chunk, 0, $count)
            }
            return [Convert]::ToHexString($hash.GetHashAndReset()).ToLowerInvariant()
        }
        finally {
            $hash.Dispose()
        }
    }

    function Get-StreamSha256 {
        param([Parameter(Mandatory)] [System.IO.Stream] $Stream)
        $sha = [System.Security.Cryptography.SHA256]::Create()
        try {
            return [Convert]::ToHexString($sha.ComputeHash($Stream)).ToLowerInvariant()
        }
        finally {
            $sha.Dispose()
            $Stream.Dispose()
        }
    }

    function New-RandomSuffix {
        return [Guid]::NewGuid().ToString('N').Substring(0, 10)
    }
}

Describe 'BackupRepository.Open' -Tag Repository {
    BeforeAll {
        $script:SavedLocation = $env:MESHVOLUME_REPOSITORY
    }

    AfterAll {
        $env:MESHVOLUME_REPOSITORY = $script:SavedLocation
    }

    It 'opens a folder repository for a path' {
        $path = Join-Path ([IO.Path]::GetTempPath()) "meshvolume-test-$(New-RandomSuffix)"
        $repository = [MeshVolume.Services.Repository.BackupRepository]::Open($path, $null)

        $repository | Should -BeOfType ([MeshVolume.Services.Repository.FolderRepository])
        $repository.Location | Should -Be ([IO.Path]::GetFullPath($path))
        Test-Path $path | Should -BeFalse -Because 'opening alone creates nothing'
    }

    It 'opens S3 for s3:// in any case' {
        $repository = [MeshVolume.Services.Repository.BackupRepository]::Open(
            'S3://some-bucket/host1/daily/', $null)

        $repository | Should -BeOfType ([MeshVolume.Services.Repository.S3Repository])
        $repository.BucketName | Should -Be 'some-bucket'
        $repository.Prefix | Should -Be 'host1/daily'
        $repository.Location | Should -Be 's3://some-bucket/host1/daily'
        $repository.Dispose()
    }

    It 'falls back to MESHVOLUME_REPOSITORY' {
        $path = Join-Path ([IO.Path]::GetTempPath()) "meshvolume-test-$(New-RandomSuffix)"
        $env:MESHVOLUME_REPOSITORY = $path

        $repository = [MeshVolume.Services.Repository.BackupRepository]::Open('', $null)

        $repository.Location | Should -Be ([IO.Path]::GetFullPath($path))
    }

    It 'rejects a missing location with RepositoryMissing' {
        $env:MESHVOLUME_REPOSITORY = $null

        $exception = Get-ThrownException {
            [MeshVolume.Services.Repository.BackupRepository]::Open($null, $null)
        }

        $exception.ErrorId | Should -Be 'RepositoryMissing'
        $exception.Message | Should -Match '-Repository'
        $exception.Message | Should -Match 'MESHVOLUME_REPOSITORY'
    }

    It 'rejects an S3 location without a bucket' {
        $exception = Get-ThrownException {
            [MeshVolume.Services.Repository.BackupRepository]::Open('s3:///prefix', $null)
        }

        $exception.ErrorId | Should -Be 'RepositoryInvalid'
    }

    It 'rejects an S3 endpoint that is not a URL' {
        $options = [MeshVolume.Services.Repository.S3RepositoryOptions]@{ Endpoint = 'rgw:7480' }

        $exception = Get-ThrownException {
            [MeshVolume.Services.Repository.BackupRepository]::Open('s3://bucket', $options)
        }

        $exception.ErrorId | Should -Be 'RepositoryInvalid'
        $exception.Message | Should -Match 'rgw:7480'
    }
}

Describe 'S3 part sizes' -Tag Repository {
    BeforeAll {
        $script:Upload = [MeshVolume.Services.Repository.S3MultipartUpload]
        $script:Sizes = foreach ($part in 1..$Upload::MaxPartCount) { $Upload::GetPartSize($part) }
    }

    It 'starts at 16 MiB and doubles every 1,000 parts' {
        $Upload::GetPartSize(1) | Should -Be (16 * $MiB)
        $Upload::GetPartSize(1000) | Should -Be (16 * $MiB)
        $Upload::GetPartSize(1001) | Should -Be (32 * $MiB)
        $Upload::GetPartSize(6001) | Should -Be (1024 * $MiB)
        $Upload::GetPartSize(10000) | Should -Be (1024 * $MiB)
    }

    It 'keeps every part within the S3 limits' {
        ($Sizes | Measure-Object -Minimum).Minimum | Should -BeGreaterOrEqual (5 * $MiB)
        ($Sizes | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual (5 * 1024 * $MiB)
    }

    It 'covers more than 4.8 TiB in 10,000 parts' {
        $total = ($Sizes | Measure-Object -Sum).Sum
        $total | Should -BeGreaterThan (4.8 * 1024 * 1024 * $MiB)
    }
}

Describe 'Folder repository' -Tag Repository {
    BeforeAll {
        $script:Root = Join-Path ([IO.Path]::GetTempPath()) "meshvolume-test-$(New-RandomSuffix)"
        $script:Repository = [MeshVolume.Services.Repository.FolderRepository]::new($Root)
    }

    AfterAll {
        $Repository.Dispose()
        if (Test-Path $Root) { Remove-Item $Root -Recurse -Force }
    }

    It 'creates a missing folder on an access check' {
        Wait-Task $Repository.CheckAccessAsync($NoToken)

        Test-Path $Root -PathType Container | Should -BeTrue
        Get-ChildItem $Root -Force | Should -BeNullOrEmpty -Because 'the probe file is removed'
    }

    It 'completed upload is visible' {
        $upload = Wait-Task $Repository.OpenUploadAsync('app_db/20261204T1740Z.tar.zst', $NoToken)
        $sha256 = Write-RandomData -Stream $upload -Size (3 * $MiB + 17) -Seed 5
        Wait-Task $upload.CompleteAsync($NoToken)
        $upload.Dispose()

        $path = Join-Path $Root 'app_db' '20261204T1740Z.tar.zst'
        (Get-Item $path).Length | Should -Be (3 * $MiB + 17)
        (Get-FileHash $path -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $sha256
        $listed = Wait-Task $Repository.ListAsync('app_db/', $NoToken)
        $listed.Key | Should -Be @('app_db/20261204T1740Z.tar.zst')
        $listed[0].Size | Should -Be (3 * $MiB + 17)
        Get-ChildItem (Join-Path $Root 'app_db') -Force -Filter '*.partial' |
            Should -BeNullOrEmpty
    }

    It 'open upload is hidden' {
        $upload = Wait-Task $Repository.OpenUploadAsync('hidden/archive.tar', $NoToken)
        try {
            Write-RandomData -Stream $upload -Size (2 * $MiB) | Out-Null

            Get-ChildItem (Join-Path $Root 'hidden') -Force -Filter '.*.partial' |
                Should -HaveCount 1
            Wait-Task $Repository.ListAsync('hidden/', $NoToken) | Should -BeNullOrEmpty
            Wait-Task $Repository.ExistsAsync('hidden/archive.tar', $NoToken) | Should -BeFalse
        }
        finally {
            $upload.Dispose()
        }
    }

    It 'disposed upload leaves no file' {
        $upload = Wait-Task $Repository.OpenUploadAsync('disposed/archive.tar', $NoToken)
        Write-RandomData -Stream $upload -Size (2 * $MiB) | Out-Null
        $upload.Dispose()

        Get-ChildItem (Join-Path $Root 'disposed') -Force -File | Should -BeNullOrEmpty
        Wait-Task $Repository.ExistsAsync('disposed/archive.tar', $NoToken) | Should -BeFalse
    }

    It 'aborted upload leaves no file' {
        $upload = Wait-Task $Repository.OpenUploadAsync('aborted/archive.tar', $NoToken)
        Write-RandomData -Stream $upload -Size $MiB | Out-Null
        Wait-Task $upload.AbortAsync()
        $upload.Dispose()

        Get-ChildItem (Join-Path $Root 'aborted') -Force -File | Should -BeNullOrEmpty
    }

    It 'WriteAllBytes replaces an object' {
        $first = [Text.Encoding]::UTF8.GetBytes('{"formatVersion":1}')
        $second = [Text.Encoding]::UTF8.GetBytes('{"formatVersion":2}')

        Wait-Task $Repository.WriteAllBytesAsync('manifests/m.json', $first, $NoToken)
        Wait-Task $Repository.WriteAllBytesAsync('manifests/m.json', $second, $NoToken)

        $read = Wait-Task $Repository.ReadAllBytesAsync('manifests/m.json', $NoToken)
        [Text.Encoding]::UTF8.GetString($read) | Should -Be '{"formatVersion":2}'
    }

    It 'deletes an object twice' {
        Wait-Task $Repository.WriteAllBytesAsync('delete/me.json', [byte[]] (1, 2), $NoToken)

        Wait-Task $Repository.DeleteAsync('delete/me.json', $NoToken)
        Wait-Task $Repository.DeleteAsync('delete/me.json', $NoToken)

        Wait-Task $Repository.ExistsAsync('delete/me.json', $NoToken) | Should -BeFalse
    }

    It 'lists subfolders as / keys' {
        Wait-Task $Repository.WriteAllBytesAsync('tree/a/b/c.bin', [byte[]] (1), $NoToken)
        Wait-Task $Repository.WriteAllBytesAsync('tree/a/d.bin', [byte[]] (1), $NoToken)
        Wait-Task $Repository.WriteAllBytesAsync('treetop.bin', [byte[]] (1), $NoToken)

        $keys = (Wait-Task $Repository.ListAsync('tree/', $NoToken)).Key

        $keys | Should -Be @('tree/a/b/c.bin', 'tree/a/d.bin')
        (Wait-Task $Repository.ListAsync('tree', $NoToken)).Key | Should -Contain 'treetop.bin'
    }

    It 'missing object is RepositoryObjectNotFound' {
        $exception = Get-ThrownException {
            Wait-Task $Repository.ReadAllBytesAsync('missing/object.json', $NoToken)
        }

        $exception.ErrorId | Should -Be 'RepositoryObjectNotFound'
    }

    It 'rejects a key that leaves the repository' {
        $exception = Get-ThrownException {
            Wait-Task $Repository.OpenUploadAsync('../outside.tar', $NoToken)
        }

        $exception | Should -BeOfType ([ArgumentException])
    }

    It 'missing folder is RepositoryNotFound' {
        $missing = Join-Path ([IO.Path]::GetTempPath()) "meshvolume-test-$(New-RandomSuffix)"
        $repository = [MeshVolume.Services.Repository.FolderRepository]::new($missing)

        $exception = Get-ThrownException { Wait-Task $repository.ListAsync('', $NoToken) }

        $exception.ErrorId | Should -Be 'RepositoryNotFound'
        $exception.Message | Should -Match ([regex]::Escape($missing))
    }
}

Describe 'RepositoryCmdlet parameters' -Tag Repository {
    BeforeAll {
        # A minimal cmdlet on the base class, compiled here because no shipped cmdlet may
        # use it yet; it returns the repository that the parameters open.
        $moduleFolder = Split-Path $env:MESHVOLUME_MODULE_PATH
        $source = @'
using System.Management.Automation;

[Cmdlet(VerbsCommon.Get, "MeshTestRepository")]
public sealed class GetMeshTestRepositoryCommand : MeshVolume.Commands.RepositoryCmdlet
{
    protected override void ProcessRecord()
    {
        WriteObject(OpenRepository());
    }
}
'@
        $references = @(
            (Join-Path $moduleFolder 'MeshVolume.dll')
            [System.Management.Automation.PSCmdlet].Assembly.Location
            'netstandard'
        )
        # -IgnoreWarnings: MeshVolume.dll refers to System.Management.Automation 3.0 (from
        # PowerShellStandard.Library), and the compiler warns that 7.x stands in for it.
        $type = Add-Type -TypeDefinition $source -ReferencedAssemblies $references `
            -IgnoreWarnings -WarningAction SilentlyContinue -PassThru |
            Where-Object Name -EQ 'GetMeshTestRepositoryCommand'
        Import-Module -Assembly $type.Assembly
        $script:SavedLocation = $env:MESHVOLUME_REPOSITORY
    }

    AfterAll {
        $env:MESHVOLUME_REPOSITORY = $script:SavedLocation
    }

    It 'resolves a relative folder' {
        Push-Location $TestDrive
        try {
            $repository = Get-MeshTestRepository -Repository 'backups/host1'
        }
        finally {
            Pop-Location
        }

        $repository.Location | Should -Be (Join-Path $TestDrive 'backups' 'host1')
    }

    It 'binds Repository from the pipeline' {
        $repository = [pscustomobject] @{ Repository = 's3://piped-bucket/p' } |
            Get-MeshTestRepository

        $repository.BucketName | Should -Be 'piped-bucket'
        $repository.Dispose()
    }

    It 'passes -Endpoint and -Region' {
        $repository = Get-MeshTestRepository -Repository 's3://b/p' `
            -Endpoint 'http://127.0.0.1:9' -Region 'eu-central-1' -S3ChecksumMode WhenSupported

        $repository.Endpoint | Should -Be 'http://127.0.0.1:9'
        $repository.Region | Should -Be 'eu-central-1'
        $repository.Dispose()
    }

    It 'rejects a path on another provider' {
        { Get-MeshTestRepository -Repository 'Env:/PATH' } |
            Should -Throw -ErrorId 'RepositoryInvalid,GetMeshTestRepositoryCommand'
    }

    It 'missing repository is RepositoryMissing' {
        $env:MESHVOLUME_REPOSITORY = $null

        { Get-MeshTestRepository } |
            Should -Throw -ErrorId 'RepositoryMissing,GetMeshTestRepositoryCommand'
    }
}

Describe 'S3 repository' -Tag Repository -Skip:(-not $HasS3) {
    BeforeAll {
        $env:AWS_PAGER = ''
        $script:Bucket = $env:MESHVOLUME_TEST_S3_BUCKET
        $script:Prefix = "meshvolume-test-$(New-RandomSuffix)"
        $script:Location = "s3://$Bucket/$Prefix"
        $script:Repository =
            [MeshVolume.Services.Repository.BackupRepository]::Open($Location, $null)
        # Debian installs awscli as /usr/bin/aws; prefer it to other copies on the PATH.
        $script:AwsPath = '/usr/bin/aws'
        if (-not (Test-Path $AwsPath)) { $script:AwsPath = (Get-Command aws).Source }
        $script:Scratch = Join-Path ([IO.Path]::GetTempPath()) "meshvolume-test-$(New-RandomSuffix)"
        New-Item $Scratch -ItemType Directory | Out-Null

        # Runs awscli against the test endpoint; returns its output, or throws on failure
        # unless -AllowFailure is given.
        function Invoke-Aws {
            param([Parameter(Mandatory)] [string[]] $Arguments, [switch] $AllowFailure)
            $output = & $AwsPath @Arguments --endpoint-url $env:AWS_ENDPOINT_URL_S3 2>&1
            if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) {
                throw "aws $($Arguments -join ' ') failed with exit code $LASTEXITCODE`: $output"
            }
            return ($output | Out-String)
        }

        function Get-PendingUploadCount {
            $json = Invoke-Aws s3api, list-multipart-uploads, --bucket, $Bucket, --prefix, $Prefix
            if ([string]::IsNullOrWhiteSpace($json)) { return 0 }
            $uploads = ($json | ConvertFrom-Json).PSObject.Properties['Uploads']
            if (-not $uploads) { return 0 }
            return @($uploads.Value).Count
        }

        function Test-AwsObject {
            param([string] $Key)
            Invoke-Aws s3api, head-object, --bucket, $Bucket, --key, "$Prefix/$Key" -AllowFailure |
                Out-Null
            return $LASTEXITCODE -eq 0
        }
    }

    AfterAll {
        Invoke-Aws s3, rm, "s3://$Bucket/$Prefix/", --recursive, --only-show-errors -AllowFailure |
            Out-Null
        $pending = Invoke-Aws s3api, list-multipart-uploads, --bucket, $Bucket, --prefix, $Prefix `
            -AllowFailure
        if (-not [string]::IsNullOrWhiteSpace($pending)) {
            foreach ($upload in @(($pending | ConvertFrom-Json).Uploads)) {
                if ($upload) {
                    Invoke-Aws s3api, abort-multipart-upload, --bucket, $Bucket, --key, $upload.Key,
                        --upload-id, $upload.UploadId -AllowFailure | Out-Null
                }
            }
        }
        $Repository.Dispose()
        Remove-Item $Scratch -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'passes the access check' {
        { Wait-Task $Repository.CheckAccessAsync($NoToken) } | Should -Not -Throw
    }

    It 'small object round-trips' {
        $content = [Text.Encoding]::UTF8.GetBytes('{"volumeName":"app_db"}')

        Wait-Task $Repository.WriteAllBytesAsync('small/manifest.json', $content, $NoToken)

        Wait-Task $Repository.ExistsAsync('small/manifest.json', $NoToken) | Should -BeTrue
        $read = Wait-Task $Repository.ReadAllBytesAsync('small/manifest.json', $NoToken)
        [Text.Encoding]::UTF8.GetString($read) | Should -Be '{"volumeName":"app_db"}'
        Invoke-Aws s3, cp, "s3://$Bucket/$Prefix/small/manifest.json", '-' |
            Should -Match 'app_db'

        Wait-Task $Repository.DeleteAsync('small/manifest.json', $NoToken)

        Wait-Task $Repository.ExistsAsync('small/manifest.json', $NoToken) | Should -BeFalse
        Test-AwsObject 'small/manifest.json' | Should -BeFalse
    }

    It 'small upload uses one request' {
        $upload = Wait-Task $Repository.OpenUploadAsync('small/archive.tar', $NoToken)
        $sha256 = Write-RandomData -Stream $upload -Size 3000 -Seed 3
        Wait-Task $upload.CompleteAsync($NoToken)
        $upload.Dispose()

        $upload.UploadId | Should -BeNullOrEmpty -Because 'content under one part takes one request'
        $head = Invoke-Aws s3api, head-object, --bucket, $Bucket, --key,
            "$Prefix/small/archive.tar" | ConvertFrom-Json
        $head.ContentLength | Should -Be 3000
        Get-StreamSha256 (Wait-Task $Repository.OpenReadAsync('small/archive.tar', $NoToken)) |
            Should -Be $sha256
    }

    It '100 MiB multipart upload round-trips' {
        $size = 100 * $MiB + 12345
        $upload = Wait-Task $Repository.OpenUploadAsync('large/archive.tar.zst', $NoToken)
        $sha256 = Write-RandomData -Stream $upload -Size $size -Seed 7
        Wait-Task $upload.CompleteAsync($NoToken)
        $upload.Dispose()

        $upload.PartCount | Should -Be 7 -Because 'six 16 MiB parts and the rest'
        $head = Invoke-Aws s3api, head-object, --bucket, $Bucket, --key,
            "$Prefix/large/archive.tar.zst" | ConvertFrom-Json
        $head.ContentLength | Should -Be $size
        $head.ETag | Should -Match '-7"?$' -Because 'a multipart ETag ends with the part count'
        $downloaded = Join-Path $Scratch 'archive.tar.zst'
        Invoke-Aws s3, cp, "s3://$Bucket/$Prefix/large/archive.tar.zst", $downloaded | Out-Null
        (Get-FileHash $downloaded -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $sha256
        Get-StreamSha256 (Wait-Task $Repository.OpenReadAsync('large/archive.tar.zst', $NoToken)) |
            Should -Be $sha256
        Remove-Item $downloaded
    }

    It 'aborted upload leaves nothing' {
        $upload = Wait-Task $Repository.OpenUploadAsync('aborted/archive.tar', $NoToken)
        Write-RandomData -Stream $upload -Size (40 * $MiB) | Out-Null
        $upload.UploadId | Should -Not -BeNullOrEmpty -Because 'two full parts were sent'
        Get-PendingUploadCount | Should -Be 1

        Wait-Task $upload.AbortAsync()
        $upload.Dispose()

        Test-AwsObject 'aborted/archive.tar' | Should -BeFalse
        Get-PendingUploadCount | Should -Be 0
    }

    It 'disposed upload leaves nothing' {
        $upload = Wait-Task $Repository.OpenUploadAsync('disposed/archive.tar', $NoToken)
        Write-RandomData -Stream $upload -Size (40 * $MiB) | Out-Null

        $upload.Dispose()

        Test-AwsObject 'disposed/archive.tar' | Should -BeFalse
        Get-PendingUploadCount | Should -Be 0
    }

    It 'cancelled upload leaves nothing' {
        $cancellation = [System.Threading.CancellationTokenSource]::new()
        $upload = Wait-Task $Repository.OpenUploadAsync(
            'cancelled/archive.tar', $cancellation.Token)
        Write-RandomData -Stream $upload -Size (40 * $MiB) | Out-Null

        $cancellation.Cancel()

        $exception = Get-ThrownException { $upload.Write([byte[]]::new(10), 0, 10) }

        $exception | Should -BeOfType ([OperationCanceledException])
        Test-AwsObject 'cancelled/archive.tar' | Should -BeFalse
        Get-PendingUploadCount | Should -Be 0
        $upload.Dispose()
        $cancellation.Dispose()
    }

    It 'lists 1,100 objects across pages' {
        $source = Join-Path $Scratch 'many'
        New-Item $source -ItemType Directory | Out-Null
        $expected = foreach ($i in 1..1100) {
            $name = 'object-{0:d4}.json' -f $i
            [IO.File]::WriteAllText((Join-Path $source $name), "$i")
            "many/$name"
        }
        Invoke-Aws s3, cp, $source, "s3://$Bucket/$Prefix/many/", --recursive, --only-show-errors |
            Out-Null

        $listed = Wait-Task $Repository.ListAsync('many/', $NoToken)

        $listed | Should -HaveCount 1100
        ($listed.Key | Sort-Object) -join ',' | Should -Be (($expected | Sort-Object) -join ',')
        $last = $listed | Where-Object Key -EQ 'many/object-1100.json'
        $last.Size | Should -Be 4
        $age = [DateTime]::UtcNow - $last.LastModifiedUtc
        $age | Should -BeLessThan ([TimeSpan]::FromMinutes(10)) -Because 'the time is in UTC'
        $age | Should -BeGreaterThan ([TimeSpan]::FromMinutes(-10))

        Invoke-Aws s3, rm, "s3://$Bucket/$Prefix/many/", --recursive, --only-show-errors | Out-Null
        Wait-Task $Repository.ListAsync('many/', $NoToken) | Should -BeNullOrEmpty
    }

    It 'names a missing bucket' {
        $missingBucket = "meshvolume-missing-$(New-RandomSuffix)"
        $repository = [MeshVolume.Services.Repository.BackupRepository]::Open(
            "s3://$missingBucket/backups", $null)

        $exception = Get-ThrownException { Wait-Task $repository.ListAsync('', $NoToken) }
        $headException = Get-ThrownException {
            Wait-Task $repository.ExistsAsync('a.json', $NoToken)
        }
        $repository.Dispose()

        $exception.ErrorId | Should -Be 'RepositoryNotFound'
        $exception.Message | Should -Match $missingBucket
        $headException.ErrorId | Should -Be 'RepositoryNotFound'
    }

    It 'wrong secret key names the source' {
        $options = [MeshVolume.Services.Repository.S3RepositoryOptions]@{
            AccessKey = $env:AWS_ACCESS_KEY_ID
            SecretKey = 'not-the-secret-key'
        }
        $repository = [MeshVolume.Services.Repository.BackupRepository]::Open($Location, $options)

        $exception = Get-ThrownException { Wait-Task $repository.CheckAccessAsync($NoToken) }
        $repository.Dispose()

        $exception.ErrorId | Should -Be 'RepositoryAccessDenied'
        $exception.Message | Should -Match 'AccessKey and SecretKey'
    }

    It 'unknown access key names the source' {
        $savedKey = $env:AWS_ACCESS_KEY_ID
        $env:AWS_ACCESS_KEY_ID = 'MESHVOLUMEUNKNOWNKEY'
        try {
            $repository = [MeshVolume.Services.Repository.BackupRepository]::Open($Location, $null)
            $exception = Get-ThrownException { Wait-Task $repository.CheckAccessAsync($NoToken) }
            $repository.Dispose()
        }
        finally {
            $env:AWS_ACCESS_KEY_ID = $savedKey
        }

        $exception.ErrorId | Should -Be 'RepositoryAccessDenied'
        $exception.Message | Should -Match 'AWS_ACCESS_KEY_ID'
        $exception.Message | Should -Match 'MESHVOLUMEUNKNOWNKEY'
    }

    It 'uses a named profile' {
        $credentialsFile = Join-Path $Scratch 'credentials'
        Set-Content $credentialsFile -Value @(
            '[meshvolume-good]'
            "aws_access_key_id = $env:AWS_ACCESS_KEY_ID"
            "aws_secret_access_key = $env:AWS_SECRET_ACCESS_KEY"
            '[meshvolume-bad]'
            "aws_access_key_id = $env:AWS_ACCESS_KEY_ID"
            'aws_secret_access_key = not-the-secret-key'
        )

        # The AWS SDK reads AWS_SHARED_CREDENTIALS_FILE once per process, so the check runs
        # in a new PowerShell process that starts with the variable set.
        $pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
        $savedFile = $env:AWS_SHARED_CREDENTIALS_FILE
        $env:AWS_SHARED_CREDENTIALS_FILE = $credentialsFile
        try {
            $results = & $pwsh -NoProfile -NonInteractive -Command {
                param($ModulePath, $Location)
                Import-Module $ModulePath
                $profileNames = 'meshvolume-good', 'meshvolume-bad', 'meshvolume-missing'
                foreach ($profileName in $profileNames) {
                    $result = [ordered] @{
                        Profile = $profileName
                        ErrorId = $null
                        Message = $null
                    }
                    try {
                        $options = [MeshVolume.Services.Repository.S3RepositoryOptions]@{
                            ProfileName = $profileName
                        }
                        $repository = [MeshVolume.Services.Repository.BackupRepository]::Open(
                            $Location, $options)
                        $result.Source = $repository.CredentialSource
                        $repository.CheckAccessAsync([Threading.CancellationToken]::None).
                            GetAwaiter().GetResult() | Out-Null
                        $repository.Dispose()
                    }
                    catch {
                        $result.ErrorId = $_.Exception.InnerException.ErrorId
                        $result.Message = $_.Exception.InnerException.Message
                    }
                    [pscustomobject] $result
                }
            } -args $env:MESHVOLUME_MODULE_PATH, $Location
        }
        finally {
            $env:AWS_SHARED_CREDENTIALS_FILE = $savedFile
        }
        $good = $results | Where-Object Profile -EQ 'meshvolume-good'
        $bad = $results | Where-Object Profile -EQ 'meshvolume-bad'
        $missing = $results | Where-Object Profile -EQ 'meshvolume-missing'

        $good.ErrorId | Should -BeNullOrEmpty
        $good.Source | Should -Match "profile 'meshvolume-good'"
        $bad.ErrorId | Should -Be 'RepositoryAccessDenied'
        $bad.Message | Should -Match "profile 'meshvolume-bad'"
        $missing.ErrorId | Should -Be 'RepositoryInvalid'
        $missing.Message | Should -Match 'meshvolume-missing'
    }

    It 'names an unreachable endpoint' {
        # Port 9 (discard) on the loopback interface: nothing listens there in the tests.
        $options = [MeshVolume.Services.Repository.S3RepositoryOptions]@{
            Endpoint = 'http://127.0.0.1:9'
        }
        $repository = [MeshVolume.Services.Repository.BackupRepository]::Open($Location, $options)

        $exception = Get-ThrownException { Wait-Task $repository.CheckAccessAsync($NoToken) }
        $repository.Dispose()

        $exception.ErrorId | Should -Be 'RepositoryUnreachable'
        $exception.Message | Should -Match ([regex]::Escape('http://127.0.0.1:9'))
    }

    It 'missing object is RepositoryObjectNotFound' {
        $exception = Get-ThrownException {
            Wait-Task $Repository.OpenReadAsync('missing/archive.tar', $NoToken)
        }

        $exception.ErrorId | Should -Be 'RepositoryObjectNotFound'
    }
}
