using System;

namespace MeshVolume.Model
{
    /// <summary>The result of restoring a backup into a volume.</summary>
    public sealed class MeshVolumeRestoreInfo
    {
        /// <summary>Volume the backup was restored into.</summary>
        public string Name { get; set; }

        public string BackupId { get; set; }

        /// <summary>Volume the backup was taken from.</summary>
        public string SourceVolumeName { get; set; }

        public string Repository { get; set; }

        /// <summary>True when the restore created the volume.</summary>
        public bool CreatedVolume { get; set; }

        /// <summary>True when earlier contents of the volume were removed (-Force).</summary>
        public bool ReplacedContents { get; set; }

        /// <summary>host (the volume's folder) or engine (the archive API).</summary>
        public string DataPath { get; set; }

        public long Entries { get; set; }

        public long ContentSize { get; set; }

        public TimeSpan Duration { get; set; }

        public string Engine { get; set; }

        public override string ToString() => Name;
    }
}
