using System;
using System.Management.Automation;

namespace MeshVolume
{
    /// <summary>
    /// Error ids of the module, one per kind of failure; tests assert them through
    /// FullyQualifiedErrorId, so they never change once published.
    /// </summary>
    public static class MeshErrors
    {
        public const string EngineUnreachable = "EngineUnreachable";
        public const string EngineRequestFailed = "EngineRequestFailed";
        public const string VolumeNotFound = "VolumeNotFound";
        public const string VolumeAlreadyExists = "VolumeAlreadyExists";
        public const string VolumeNameInvalid = "VolumeNameInvalid";
        public const string VolumeInUse = "VolumeInUse";
        public const string RepositoryMissing = "RepositoryMissing";
        public const string RepositoryInvalid = "RepositoryInvalid";
        public const string RepositoryAccessFailed = "RepositoryAccessFailed";
        public const string RepositoryNotFound = "RepositoryNotFound";
        public const string RepositoryAccessDenied = "RepositoryAccessDenied";
        public const string RepositoryUnreachable = "RepositoryUnreachable";
        public const string RepositoryObjectNotFound = "RepositoryObjectNotFound";
        public const string BackupFailed = "BackupFailed";
        public const string BackupNotFound = "BackupNotFound";
        public const string ManifestInvalid = "ManifestInvalid";
        public const string ArchiveChecksumMismatch = "ArchiveChecksumMismatch";
        public const string ArchiveCorrupt = "ArchiveCorrupt";
        public const string RestoreTargetNotEmpty = "RestoreTargetNotEmpty";
        public const string RestoreFailed = "RestoreFailed";
        public const string RestoreIncomplete = "RestoreIncomplete";
        public const string ContainerNotFound = "ContainerNotFound";
        public const string ContainerNotRunning = "ContainerNotRunning";
        public const string VolumeNotMounted = "VolumeNotMounted";
        public const string ImageNotFound = "ImageNotFound";
        public const string MeasurementFailed = "MeasurementFailed";
        public const string BlockSizeInvalid = "BlockSizeInvalid";
        public const string MountTypeConflict = "MountTypeConflict";
        public const string BindPathNotFound = "BindPathNotFound";
        public const string ComposeFileNotFound = "ComposeFileNotFound";
        public const string ComposeFileInvalid = "ComposeFileInvalid";
        public const string ComposeProjectNameInvalid = "ComposeProjectNameInvalid";
        public const string ComposeVariableMissing = "ComposeVariableMissing";
        public const string ComposeVolumeUndeclared = "ComposeVolumeUndeclared";
        public const string ExternalVolumeMissing = "ExternalVolumeMissing";
        public const string BackupVerificationFailed = "BackupVerificationFailed";
        public const string PersistenceCheckFailed = "PersistenceCheckFailed";
        public const string RetentionPolicyInvalid = "RetentionPolicyInvalid";
        public const string RetentionWouldRemoveAll = "RetentionWouldRemoveAll";
        public const string OperationCancelled = "OperationCancelled";
        public const string ContainerRestartFailed = "ContainerRestartFailed";
        public const string CompressionLevelInvalid = "CompressionLevelInvalid";
        public const string FileNameNotUtf8 = "FileNameNotUtf8";
        public const string ArchivePathUnsafe = "ArchivePathUnsafe";

        /// <summary>Builds an error record whose exception carries the message.</summary>
        public static ErrorRecord Create(
            string message, string errorId, ErrorCategory category, object target,
            Exception inner = null)
        {
            var exception = new MeshVolumeException(message, errorId, category, inner);
            return new ErrorRecord(exception, errorId, category, target);
        }
    }

    /// <summary>
    /// A failure with a known error id and category, thrown by services and turned into an
    /// error record by the cmdlet that called them.
    /// </summary>
    public sealed class MeshVolumeException : Exception
    {
        public MeshVolumeException(
            string message, string errorId, ErrorCategory category, Exception inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Category = category;
        }

        /// <summary>Error id used for the FullyQualifiedErrorId.</summary>
        public string ErrorId { get; }

        /// <summary>PowerShell error category.</summary>
        public ErrorCategory Category { get; }

        /// <summary>Converts this exception into an error record about the given target.</summary>
        public ErrorRecord ToErrorRecord(object target)
        {
            return new ErrorRecord(this, ErrorId, Category, target);
        }
    }
}
