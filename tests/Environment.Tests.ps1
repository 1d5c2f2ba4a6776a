# Checks that the test environment from TestEnvironment.psm1 works before the other tests
# rely on it: the engine, the test image and the S3 bucket.

BeforeAll {
    $label = 'meshvolume.test=1'
    $image = $env:MESHVOLUME_TEST_IMAGE
    $endpoint = $env:AWS_ENDPOINT_URL_S3
    $bucket = $env:MESHVOLUME_TEST_S3_BUCKET
}

Describe 'Docker engine' -Tag Environment {
    It 'answers at DOCKER_HOST' {
        $env:DOCKER_HOST | Should -Not -BeNullOrEmpty
        $version = & docker version --format '{{.Server.Version}}' 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$version"
        $version | Should -Match '^\d+\.\d+'
    }

    It 'runs the test image without a network' {
        $image | Should -Be 'meshvolume-test/busybox:latest'
        $output = & docker run --rm --network none --label $label $image `
            sh -c 'echo hello > /tmp/probe && cat /tmp/probe && ls /sys/class/net' 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$output"
        $output[0] | Should -Be 'hello'
        # Network mode none leaves only the loopback interface.
        $output[1..($output.Count - 1)] | Should -Be @('lo')
    }

    It 'has a link for each applet the tests use' {
        # busybox sh runs its applets without links, but docker run IMAGE COMMAND needs them.
        $applets = 'sh ls cat dd sync sleep mkdir rm stat sha256sum touch ln chmod chown mknod'
        $check = "for applet in $applets; do [ -e /bin/`$applet ] || echo `$applet; done"
        $missing = & docker run --rm --network none --label $label $image sh -c $check 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$missing"
        $missing | Should -BeNullOrEmpty
    }
}

Describe 'S3 bucket' -Tag Environment {
    BeforeAll {
        $key = "environment-test/$([guid]::NewGuid().ToString('N'))/probe.txt"
        $file = New-TemporaryFile
        Set-Content -Path $file -Value 'probe' -NoNewline
    }

    AfterAll {
        & aws s3 rm "s3://$bucket/$key" --endpoint-url $endpoint --only-show-errors 2>&1 | Out-Null
        Remove-Item $file -ErrorAction Ignore
    }

    It 'has its variables set' {
        $endpoint | Should -Match '^http://127\.0\.0\.1:\d+$'
        $bucket | Should -Not -BeNullOrEmpty
        $env:AWS_ACCESS_KEY_ID | Should -Not -BeNullOrEmpty
        $env:AWS_SECRET_ACCESS_KEY | Should -Not -BeNullOrEmpty
        $env:AWS_REGION | Should -Not -BeNullOrEmpty
    }

    It 'stores an object that aws s3 then lists and reads' {
        $upload = & aws s3 cp $file "s3://$bucket/$key" --endpoint-url $endpoint `
            --only-show-errors 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$upload"

        $listing = & aws s3 ls "s3://$bucket/$key" --endpoint-url $endpoint 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$listing"
        "$listing" | Should -Match '\s5 probe\.txt$'

        $content = & aws s3 cp "s3://$bucket/$key" - --endpoint-url $endpoint 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$content"
        "$content" | Should -Be 'probe'
    }

    It 'rejects a request signed with a wrong secret key' {
        # curl, because aws-cli 2.9 fails to print radosgw's error, whose message is empty.
        $emptySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
        $response = & curl --silent --show-error --write-out '%{http_code}' `
            --header "x-amz-content-sha256: $emptySha256" `
            --aws-sigv4 "aws:amz:$($env:AWS_REGION):s3" `
            --user "$($env:AWS_ACCESS_KEY_ID):wrong$($env:AWS_SECRET_ACCESS_KEY)" `
            "$endpoint/$bucket/" 2>&1
        "$response" | Should -Match 'SignatureDoesNotMatch'
        "$response" | Should -Match '403$'
    }
}
