using System;

namespace MeshVolume.Model
{
    /// <summary>The verdict of Test-MeshVolumeBackup on one backup.</summary>
    public sealed class MeshVolumeBackupTestInfo
    {
        public string VolumeName { get; set; }

        /// <summary>Backup id, such as 20261204T174023Z-3f9a1c.</summary>
        public string Id { get; set; }

        /// <summary>Repository location: a folder path or s3://bucket/prefix.</summary>
        public string Repository { get; set; }

        /// <summary>Time the backup was made.</summary>
        public DateTime CreatedUtc { get; set; }

        /// <summary>True when the backup restored and every entry matched its manifest.</summary>
        public bool Passed { get; set; }

        /// <summary>Manifest entries compared with the restored volume or the archive.</summary>
        public long EntriesChecked { get; set; }

        /// <summary>Differences found, empty when the test passed.</summary>
        public BackupMismatchInfo[] Mismatches { get; set; } = new BackupMismatchInfo[0];

        /// <summary>True when the archive's SHA-256 matched the one the manifest records.</summary>
        public bool ArchiveChecksumValid { get; set; }

        /// <summary>Scratch volume the backup was restored into.</summary>
        public string ScratchVolume { get; set; }

        /// <summary>True when the scratch volume was kept (-KeepScratchVolume).</summary>
        public bool ScratchVolumeKept { get; set; }

        /// <summary>
        /// How the scratch volume was written and read back: "host" (its folder) or "engine"
        /// (the archive API), or null when the restore did not get that far.
        /// </summary>
        public string DataPath { get; set; }

        /// <summary>Attributes compared for each entry.</summary>
        public string[] Compared { get; set; } = new string[0];

        /// <summary>
        /// What the test could not check and why, or null when it checked everything.
        /// </summary>
        public string Note { get; set; }

        public TimeSpan Duration { get; set; }

        /// <summary>Engine the scratch volume was created on.</summary>
        public string Engine { get; set; }

        public override string ToString() =>
            $"{VolumeName}@{Id}: {(Passed ? "passed" : "failed")}";
    }
}
