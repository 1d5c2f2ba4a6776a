using System.Management.Automation;
using MeshVolume.Services.Repository;

namespace MeshVolume.Commands
{
    /// <summary>
    /// Base of the cmdlets that read or write a backup repository. It derives from
    /// <see cref="DockerCmdlet"/> because backing up, restoring and testing a backup also use
    /// the engine. The engine connection opens only on first use, so cmdlets that touch only
    /// the repository never connect to it.
    /// </summary>
    public abstract class RepositoryCmdlet : DockerCmdlet
    {
        private IBackupRepository _repository;
        private string _repositoryKey;

        /// <summary>
        /// <para type="description">Backup repository: a folder path (relative paths start at
        /// the current location) or s3://bucket/prefix. Defaults to the MESHVOLUME_REPOSITORY
        /// environment variable.</para>
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Repository { get; set; }

        /// <summary>
        /// <para type="description">Profile in the shared AWS credentials and config files
        /// (~/.aws/credentials, ~/.aws/config) whose credentials and region an S3 repository
        /// uses. Without it, credentials come from AWS_ACCESS_KEY_ID and
        /// AWS_SECRET_ACCESS_KEY, then from the AWS SDK's default chain.</para>
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ProfileName { get; set; }

        /// <summary>
        /// <para type="description">AWS region of the S3 bucket, such as eu-central-1.
        /// Defaults to the profile's region, then AWS_REGION, AWS_DEFAULT_REGION and
        /// us-east-1. With a custom endpoint it is only used to sign requests.</para>
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Region { get; set; }

        /// <summary>
        /// <para type="description">Endpoint URL of an S3-compatible server, such as
        /// http://127.0.0.1:7480 for Ceph radosgw or MinIO. Defaults to AWS_ENDPOINT_URL_S3,
        /// then AWS_ENDPOINT_URL, then AWS S3. Custom endpoints use path-style addressing
        /// (http://host/bucket/key).</para>
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Endpoint { get; set; }

        /// <summary>
        /// <para type="description">When the S3 client adds checksums to requests and checks
        /// them in responses. WhenRequired (the default) adds them only where the S3 API
        /// requires one, which S3-compatible servers such as Ceph radosgw and older MinIO
        /// need. WhenSupported adds them wherever the API allows, as AWS SDK v4 does by
        /// default.</para>
        /// </summary>
        [Parameter]
        public S3ChecksumMode S3ChecksumMode { get; set; }

        /// <summary>
        /// Opens the repository from the current parameter values, reusing the open one while
        /// they stay the same, because -Repository can change with each pipeline object.
        /// Throws a terminating error when the location is missing or invalid.
        /// </summary>
        protected IBackupRepository OpenRepository()
        {
            string location = ResolveLocation();
            S3RepositoryOptions options = CreateS3Options();
            string key = string.Join("|", location, options.ProfileName, options.Region,
                options.Endpoint, options.ChecksumMode);
            if (_repository != null && key == _repositoryKey)
            {
                return _repository;
            }

            _repository?.Dispose();
            _repository = null;
            try
            {
                _repository = BackupRepository.Open(location, options);
            }
            catch (MeshVolumeException ex)
            {
                ThrowTerminatingError(ex.ToErrorRecord(location));
            }

            _repositoryKey = key;
            PostVerbose(() => $"Using the backup repository {_repository.Location}.");
            return _repository;
        }

        /// <summary>Options for an S3 repository from the parameters that were passed.</summary>
        protected S3RepositoryOptions CreateS3Options()
        {
            return new S3RepositoryOptions
            {
                ProfileName = ProfileName,
                Region = Region,
                Endpoint = Endpoint,
                ChecksumMode = MyInvocation.BoundParameters.ContainsKey(nameof(S3ChecksumMode))
                    ? S3ChecksumMode
                    : (S3ChecksumMode?)null,
            };
        }

        /// <summary>
        /// Returns -Repository, or else MESHVOLUME_REPOSITORY, with a folder path resolved
        /// against the current PowerShell location, or null when neither is set.
        /// </summary>
        private string ResolveLocation()
        {
            string location = Repository;
            if (string.IsNullOrWhiteSpace(location))
            {
                location = System.Environment.GetEnvironmentVariable(
                    BackupRepository.LocationVariable);
            }

            if (string.IsNullOrWhiteSpace(location) || S3Repository.IsS3Location(location.Trim()))
            {
                return location;
            }

            location = location.Trim();
            string path = null;
            ProviderInfo provider = null;
            try
            {
                path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(
                    location, out provider, out _);
            }
            catch (SessionStateException ex)
            {
                ThrowTerminating(
                    $"The repository path '{location}' is invalid: {ex.Message}",
                    MeshErrors.RepositoryInvalid, ErrorCategory.InvalidArgument, location, ex);
            }

            if (provider.Name != "FileSystem")
            {
                ThrowTerminating(
                    $"The repository path '{location}' is on the {provider.Name} provider. " +
                    "Pass a file system folder or an s3://bucket/prefix location.",
                    MeshErrors.RepositoryInvalid, ErrorCategory.InvalidArgument, location);
            }

            return path;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _repository?.Dispose();
                _repository = null;
            }

            base.Dispose(disposing);
        }
    }
}
