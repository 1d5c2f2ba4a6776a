using System;
using System.Collections.Generic;

namespace MeshVolume.Model
{
    /// <summary>A backup in a repository, read from its manifest.</summary>
    public sealed class MeshVolumeBackupInfo
    {
        /// <summary>Backup id: UTC time and a random suffix, such as 20261204T174023Z-3f9a1c.</summary>
        public string Id { get; set; }

        public string VolumeName { get; set; }

        public DateTime CreatedUtc { get; set; }

        /// <summary>Repository location: a folder path or s3://bucket/prefix.</summary>
        public string Repository { get; set; }

        /// <summary>Archive object name relative to the repository.</summary>
        public string ArchiveName { get; set; }

        /// <summary>Manifest object name relative to the repository.</summary>
        public string ManifestName { get; set; }

        public string Compression { get; set; }

        public long ArchiveSize { get; set; }

        public string ArchiveSha256 { get; set; }

        /// <summary>Sum of the sizes of the regular files in the volume.</summary>
        public long ContentSize { get; set; }

        public long FileCount { get; set; }

        public string[] Tags { get; set; }

        public string Driver { get; set; }

        public Dictionary<string, string> DriverOptions { get; set; }

        public Dictionary<string, string> Labels { get; set; }

        /// <summary>Engine the volume was read from.</summary>
        public string Engine { get; set; }

        /// <summary>Containers stopped for the backup and started again (Backup-MeshVolume only).</summary>
        public string[] StoppedContainers { get; set; }

        /// <summary>Time the backup took (Backup-MeshVolume only).</summary>
        public TimeSpan? Duration { get; set; }

        /// <summary>The whole manifest, entries included.</summary>
        public BackupManifest Manifest { get; set; }

        public override string ToString() => $"{VolumeName}@{Id}";
    }
}
