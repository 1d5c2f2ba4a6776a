using System;

namespace MeshVolume.Model
{
    /// <summary>One backup considered by Remove-MeshVolumeBackup, and what became of it.</summary>
    public sealed class MeshVolumeBackupRetentionInfo
    {
        public string VolumeName { get; set; }

        public string Id { get; set; }

        public DateTime CreatedUtc { get; set; }

        public string[] Tags { get; set; }

        /// <summary>True when the policy keeps the backup.</summary>
        public bool Keep { get; set; }

        /// <summary>The rules that keep it, such as "daily 2026-12-03"; empty when removed.</summary>
        public string[] Reasons { get; set; }

        /// <summary>True once its objects are deleted; false under -WhatIf or when kept.</summary>
        public bool Removed { get; set; }

        /// <summary>True for an archive without a manifest, or a manifest without an archive.</summary>
        public bool Incomplete { get; set; }

        public string Repository { get; set; }

        public string ArchiveName { get; set; }

        public string ManifestName { get; set; }

        public override string ToString() => $"{VolumeName}@{Id}";
    }
}
