using System;
using System.IO;
using System.Management.Automation;

namespace MeshVolume.Services.Repository
{
    /// <summary>Opens the repository that a location names.</summary>
    public static class BackupRepository
    {
        /// <summary>Environment variable that gives the repository when none is passed.</summary>
        public const string LocationVariable = "MESHVOLUME_REPOSITORY";

        /// <summary>
        /// Opens an S3 repository for s3://bucket/prefix and a folder repository for any
        /// other location. An empty location falls back to MESHVOLUME_REPOSITORY. A folder
        /// path should be absolute: a relative one is resolved against the process's current
        /// directory, which in PowerShell is not the current location.
        /// </summary>
        public static IBackupRepository Open(string location, S3RepositoryOptions options)
        {
            if (string.IsNullOrWhiteSpace(location))
            {
                location = Environment.GetEnvironmentVariable(LocationVariable);
            }

            if (string.IsNullOrWhiteSpace(location))
            {
                throw new MeshVolumeException(
                    "No backup repository was given. Pass -Repository with a folder path or " +
                    $"s3://bucket/prefix, or set the {LocationVariable} environment variable.",
                    MeshErrors.RepositoryMissing, ErrorCategory.InvalidArgument);
            }

            location = location.Trim();
            if (S3Repository.IsS3Location(location))
            {
                return new S3Repository(location, options);
            }

            try
            {
                return new FolderRepository(Path.GetFullPath(location));
            }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException
                || ex is PathTooLongException)
            {
                throw new MeshVolumeException(
                    $"The repository location '{location}' is not a valid folder path or " +
                    $"s3:// location: {ex.Message}",
                    MeshErrors.RepositoryInvalid, ErrorCategory.InvalidArgument, ex);
            }
        }
    }
}
