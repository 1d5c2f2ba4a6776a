using System;

namespace MeshVolume.Model
{
    /// <summary>How Test-MeshVolumePersistence ran its backup and restore drill.</summary>
    public enum PersistenceDrill
    {
        /// <summary>No drill: -Repository was not given, or the drill was not confirmed.</summary>
        None,

        /// <summary>The volume itself was backed up, removed or emptied, and restored.</summary>
        InPlace,

        /// <summary>
        /// The backup was restored into a scratch volume, and the volume was left alone.
        /// </summary>
        ScratchCopy,
    }

    /// <summary>The verdict of Test-MeshVolumePersistence on one volume.</summary>
    public sealed class MeshVolumePersistenceInfo
    {
        public string VolumeName { get; set; }

        /// <summary>
        /// Container that was restarted (-Container), or null with a probe container.
        /// </summary>
        public string Container { get; set; }

        /// <summary>Image of the probe container (-Image), or null with -Container.</summary>
        public string ProbeImage { get; set; }

        /// <summary>True when every step passed.</summary>
        public bool Passed { get; set; }

        /// <summary>Name of the first step that failed, or null when the check passed.</summary>
        public string FailedStep { get; set; }

        /// <summary>The steps in the order they ran.</summary>
        public PersistenceStepInfo[] Steps { get; set; } = new PersistenceStepInfo[0];

        public PersistenceDrill Drill { get; set; }

        /// <summary>Path of the sentinel file inside the container.</summary>
        public string SentinelPath { get; set; }

        /// <summary>True when the sentinel file was removed from the volume afterwards.</summary>
        public bool SentinelRemoved { get; set; }

        /// <summary>Repository of the drill's backup, or null without a drill.</summary>
        public string Repository { get; set; }

        /// <summary>Id of the backup the drill made, which stays in the repository.</summary>
        public string BackupId { get; set; }

        public TimeSpan Duration { get; set; }

        public string Engine { get; set; }

        public override string ToString() =>
            $"{VolumeName}: {(Passed ? "passed" : "failed at " + FailedStep)}";
    }
}
