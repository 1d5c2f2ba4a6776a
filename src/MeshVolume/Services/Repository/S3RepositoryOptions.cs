namespace MeshVolume.Services.Repository
{
    /// <summary>When the S3 client adds checksums to requests and checks responses.</summary>
    public enum S3ChecksumMode
    {
        /// <summary>
        /// Only for operations whose API requires a checksum. Some S3-compatible servers,
        /// Ceph radosgw 16.2 and older MinIO among them, reject the checksums that AWS SDK v4
        /// sends by default.
        /// </summary>
        WhenRequired,

        /// <summary>For every operation that supports one: the AWS SDK v4 default.</summary>
        WhenSupported,
    }

    /// <summary>Connection settings of an S3 repository, all of them optional.</summary>
    public sealed class S3RepositoryOptions
    {
        /// <summary>Profile in the shared AWS credentials and config files.</summary>
        public string ProfileName { get; set; }

        /// <summary>Region, such as us-east-1. Custom endpoints use it only to sign.</summary>
        public string Region { get; set; }

        /// <summary>URL of an S3-compatible server, such as http://127.0.0.1:7480.</summary>
        public string Endpoint { get; set; }

        /// <summary>Access key id, used together with <see cref="SecretKey"/>.</summary>
        public string AccessKey { get; set; }

        public string SecretKey { get; set; }

        /// <summary>Session token of temporary credentials, used with the access key.</summary>
        public string SessionToken { get; set; }

        /// <summary>
        /// Path-style addressing (http://host/bucket/key). Null chooses it for custom
        /// endpoints and virtual-host style for AWS.
        /// </summary>
        public bool? ForcePathStyle { get; set; }

        /// <summary>
        /// Checksum behaviour. Null means <see cref="S3ChecksumMode.WhenRequired"/>, unless
        /// AWS_REQUEST_CHECKSUM_CALCULATION or AWS_RESPONSE_CHECKSUM_VALIDATION is set, in
        /// which case the SDK reads those variables.
        /// </summary>
        public S3ChecksumMode? ChecksumMode { get; set; }
    }
}
