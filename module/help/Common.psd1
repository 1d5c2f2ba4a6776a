@{
    # Texts of parameters that several cmdlets share; a cmdlet's own file may override them.
    Parameters = @{
        DockerHost = 'Docker engine endpoint, such as unix:///var/run/docker.sock, npipe://./pipe/docker_engine or tcp://HOST:2376. Defaults to the DOCKER_HOST environment variable, then to the platform''s local engine. TLS settings come from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.'
        WhatIf     = 'Shows what the command would do without doing it.'
        Repository = 'Backup repository: a folder path (relative paths start at the current location) or s3://bucket/prefix. Defaults to the MESHVOLUME_REPOSITORY environment variable; one of the two is required.'
        ProfileName = 'Profile in the shared AWS credentials and config files (~/.aws/credentials, ~/.aws/config) whose credentials and region an S3 repository uses. Without it, credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then from the AWS SDK''s default chain.'
        Region     = 'AWS region of the S3 bucket, such as eu-central-1. Defaults to the profile''s region, then AWS_REGION, AWS_DEFAULT_REGION and us-east-1. With a custom endpoint it only signs requests.'
        Endpoint   = 'Endpoint URL of an S3-compatible server, such as http://127.0.0.1:7480 for Ceph radosgw or MinIO. Defaults to AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS S3. Custom endpoints use path-style addressing.'
        S3ChecksumMode = 'When the S3 client adds checksums to requests and checks them in responses. WhenRequired (the default) adds them only where the S3 API requires one, which Ceph radosgw and older MinIO accept. WhenSupported adds them wherever the API allows, as the AWS SDK v4 does by default.'
        Confirm    = 'Asks for confirmation before each change.'
    }
}
