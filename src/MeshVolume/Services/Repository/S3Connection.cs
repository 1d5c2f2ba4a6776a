using System;
using System.Management.Automation;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.S3;

namespace MeshVolume.Services.Repository
{
    /// <summary>
    /// An S3 client configured from <see cref="S3RepositoryOptions"/> and the environment,
    /// with descriptions of the endpoint and credentials used, for error messages.
    /// </summary>
    internal sealed class S3Connection : IDisposable
    {
        private const string DefaultRegion = "us-east-1";

        private S3Connection(
            AmazonS3Client client, string endpoint, string region, string credentialSource,
            string accessKeyId)
        {
            Client = client;
            Endpoint = endpoint;
            Region = region;
            CredentialSource = credentialSource;
            AccessKeyId = accessKeyId;
        }

        public AmazonS3Client Client { get; }

        /// <summary>Custom endpoint URL, or null for AWS S3.</summary>
        public string Endpoint { get; }

        public string Region { get; }

        /// <summary>Source of the credentials in words, such as "the AWS profile 'x'".</summary>
        public string CredentialSource { get; }

        /// <summary>Access key id when known before the first request, otherwise null.</summary>
        public string AccessKeyId { get; }

        /// <summary>Endpoint in words, for messages.</summary>
        public string EndpointDescription =>
            Endpoint ?? $"the AWS S3 endpoint of region {Region}";

        /// <summary>
        /// Builds the client. Credentials come from, in order: AccessKey and SecretKey,
        /// ProfileName, the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables, and the
        /// SDK's default chain (AWS_PROFILE, the default profile, container or instance
        /// credentials). The endpoint comes from Endpoint, AWS_ENDPOINT_URL_S3 or
        /// AWS_ENDPOINT_URL.
        /// </summary>
        public static S3Connection Create(S3RepositoryOptions options)
        {
            options = options ?? new S3RepositoryOptions();
            CredentialProfile profile = FindProfile(options.ProfileName);
            string region = ResolveRegion(options, profile);
            string endpoint = ResolveEndpoint(options.Endpoint);

            var config = new AmazonS3Config
            {
                // Parts of up to 1 GiB must fit in one request on slow links too.
                Timeout = TimeSpan.FromMinutes(30),
            };
            if (endpoint != null)
            {
                config.ServiceURL = endpoint;
                config.AuthenticationRegion = region;
            }
            else
            {
                config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
            }

            config.ForcePathStyle = options.ForcePathStyle ?? endpoint != null;
            ApplyChecksumMode(config, options.ChecksumMode);

            AWSCredentials credentials = ResolveCredentials(
                options, profile, out string source, out string accessKeyId);
            AmazonS3Client client = credentials == null
                ? new AmazonS3Client(config)
                : new AmazonS3Client(credentials, config);
            return new S3Connection(client, endpoint, region, source, accessKeyId);
        }

        public void Dispose()
        {
            Client.Dispose();
        }

        private static CredentialProfile FindProfile(string profileName)
        {
            if (string.IsNullOrEmpty(profileName))
            {
                return null;
            }

            var chain = new CredentialProfileStoreChain();
            if (chain.TryGetProfile(profileName, out CredentialProfile profile))
            {
                return profile;
            }

            throw new MeshVolumeException(
                $"The AWS profile '{profileName}' was not found in the shared credentials file " +
                "(~/.aws/credentials) or config file (~/.aws/config). Check -ProfileName, or " +
                "create the profile with 'aws configure --profile NAME'.",
                MeshErrors.RepositoryInvalid, ErrorCategory.InvalidArgument);
        }

        private static string ResolveRegion(S3RepositoryOptions options, CredentialProfile profile)
        {
            string region = options.Region;
            if (string.IsNullOrEmpty(region))
            {
                region = profile?.Region?.SystemName;
            }

            if (string.IsNullOrEmpty(region))
            {
                region = Environment.GetEnvironmentVariable("AWS_REGION");
            }

            if (string.IsNullOrEmpty(region))
            {
                region = Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION");
            }

            if (string.IsNullOrEmpty(region))
            {
                string profileName = Environment.GetEnvironmentVariable("AWS_PROFILE");
                var chain = new CredentialProfileStoreChain();
                if (chain.TryGetProfile(
                    string.IsNullOrEmpty(profileName) ? "default" : profileName,
                    out CredentialProfile defaultProfile))
                {
                    region = defaultProfile.Region?.SystemName;
                }
            }

            // NOTE: a bucket in another region then fails with a redirect error, which
            // names the -Region parameter.
            return string.IsNullOrEmpty(region) ? DefaultRegion : region;
        }

        private static string ResolveEndpoint(string endpoint)
        {
            if (string.IsNullOrEmpty(endpoint) && !IgnoresConfiguredEndpoints())
            {
                endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3");
                if (string.IsNullOrEmpty(endpoint))
                {
                    endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
                }
            }

            if (string.IsNullOrEmpty(endpoint))
            {
                return null;
            }

            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new MeshVolumeException(
                    $"The S3 endpoint '{endpoint}' is not a valid http:// or https:// URL. " +
                    "Pass a URL such as http://127.0.0.1:7480 to -Endpoint, or correct " +
                    "AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL.",
                    MeshErrors.RepositoryInvalid, ErrorCategory.InvalidArgument);
            }

            return endpoint.TrimEnd('/');
        }

        private static bool IgnoresConfiguredEndpoints()
        {
            return string.Equals(
                Environment.GetEnvironmentVariable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true",
                StringComparison.OrdinalIgnoreCase);
        }

        private static void ApplyChecksumMode(AmazonS3Config config, S3ChecksumMode? mode)
        {
            bool environmentSetsMode = IsSet("AWS_REQUEST_CHECKSUM_CALCULATION")
                || IsSet("AWS_RESPONSE_CHECKSUM_VALIDATION");
            if (mode == null && environmentSetsMode)
            {
                return;
            }

            // AWS SDK v4 defaults to WHEN_SUPPORTED, which sends CRC checksums that some
            // S3-compatible servers reject. Ceph radosgw 16.2 returns XAmzContentSHA256Mismatch.
            if ((mode ?? S3ChecksumMode.WhenRequired) == S3ChecksumMode.WhenSupported)
            {
                config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_SUPPORTED;
                config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_SUPPORTED;
            }
            else
            {
                config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
                config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
            }
        }

        private static AWSCredentials ResolveCredentials(
            S3RepositoryOptions options, CredentialProfile profile, out string source,
            out string accessKeyId)
        {
            bool hasAccessKey = !string.IsNullOrEmpty(options.AccessKey);
            bool hasSecretKey = !string.IsNullOrEmpty(options.SecretKey);
            if (hasAccessKey || hasSecretKey)
            {
                if (!hasAccessKey || !hasSecretKey)
                {
                    throw new MeshVolumeException(
                        "An S3 access key was given without its secret key, or the other way " +
                        "round. Give both, or neither to use the environment or a profile.",
                        MeshErrors.RepositoryInvalid, ErrorCategory.InvalidArgument);
                }

                source = "the S3 repository options (AccessKey and SecretKey)";
                accessKeyId = options.AccessKey;
                return string.IsNullOrEmpty(options.SessionToken)
                    ? (AWSCredentials)new BasicAWSCredentials(options.AccessKey, options.SecretKey)
                    : new SessionAWSCredentials(
                        options.AccessKey, options.SecretKey, options.SessionToken);
            }

            if (profile != null)
            {
                source = $"the AWS profile '{profile.Name}'";
                accessKeyId = profile.Options?.AccessKey;
                if (!new CredentialProfileStoreChain().TryGetAWSCredentials(
                    profile.Name, out AWSCredentials profileCredentials))
                {
                    throw new MeshVolumeException(
                        $"The AWS profile '{profile.Name}' has no usable credentials. Add an " +
                        "access key to it with 'aws configure --profile NAME', or pick " +
                        "another profile with -ProfileName.",
                        MeshErrors.RepositoryAccessDenied, ErrorCategory.PermissionDenied);
                }

                return profileCredentials;
            }

            if (IsSet("AWS_ACCESS_KEY_ID") && IsSet("AWS_SECRET_ACCESS_KEY"))
            {
                accessKeyId = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
                source = "the environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
                return new EnvironmentVariablesAWSCredentials();
            }

            accessKeyId = null;
            string profileName = Environment.GetEnvironmentVariable("AWS_PROFILE");
            source = string.IsNullOrEmpty(profileName)
                ? "the default AWS credential chain (the default profile, container or " +
                  "instance credentials)"
                : $"the AWS profile '{profileName}' named by AWS_PROFILE";
            return null;
        }

        private static bool IsSet(string variable)
        {
            return !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable));
        }
    }
}
