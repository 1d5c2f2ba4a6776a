using System;
using System.Collections.Generic;

namespace MeshVolume.Model
{
    /// <summary>A Docker volume as Get-MeshVolume reports it.</summary>
    public sealed class MeshVolumeInfo
    {
        public string Name { get; set; }

        public string Driver { get; set; }

        /// <summary>local or global.</summary>
        public string Scope { get; set; }

        /// <summary>Folder on the engine's host that contains the data (local driver).</summary>
        public string Mountpoint { get; set; }

        public Dictionary<string, string> DriverOptions { get; set; }

        public Dictionary<string, string> Labels { get; set; }

        public DateTime? CreatedUtc { get; set; }

        /// <summary>Bytes used, from the engine's disk-usage API; null where the driver cannot tell.</summary>
        public long? SizeBytes { get; set; }

        /// <summary>Containers that mount the volume, running or not.</summary>
        public MeshVolumeContainerInfo[] Containers { get; set; }

        /// <summary>Engine endpoint the volume lives on.</summary>
        public string Engine { get; set; }

        /// <summary>Compose project from the com.docker.compose.project label, if any.</summary>
        public string ComposeProject { get; set; }

        public override string ToString() => Name;
    }

    /// <summary>A container that mounts a volume.</summary>
    public sealed class MeshVolumeContainerInfo
    {
        public string Id { get; set; }

        public string Name { get; set; }

        /// <summary>Engine state: created, running, paused, restarting, exited or dead.</summary>
        public string State { get; set; }

        /// <summary>Where the volume is mounted inside the container.</summary>
        public string Destination { get; set; }

        public bool ReadOnly { get; set; }

        public override string ToString() => $"{Name} ({State})";
    }
}
