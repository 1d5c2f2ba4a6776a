using System;
using System.Collections.Generic;

namespace MeshVolume.Model
{
    /// <summary>
    /// The JSON document stored beside each archive. A backup exists only once its manifest
    /// is written, which happens after the archive is complete.
    /// </summary>
    public sealed class BackupManifest
    {
        /// <summary>Manifest format version, raised when the layout changes incompatibly.</summary>
        public int FormatVersion { get; set; } = 1;

        /// <summary>Backup id: UTC time and a random suffix, such as 20261204T174023Z-3f9a1c.</summary>
        public string Id { get; set; }

        public string VolumeName { get; set; }

        public string Driver { get; set; }

        public Dictionary<string, string> DriverOptions { get; set; } =
            new Dictionary<string, string>();

        public Dictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();

        /// <summary>Engine endpoint the volume was read from.</summary>
        public string Engine { get; set; }

        public string EngineVersion { get; set; }

        /// <summary>Host name of the machine that ran the backup.</summary>
        public string Host { get; set; }

        public DateTime CreatedUtc { get; set; }

        /// <summary>zstd, gzip or none.</summary>
        public string Compression { get; set; }

        /// <summary>Archive object name relative to the repository root.</summary>
        public string ArchiveName { get; set; }

        public long ArchiveSize { get; set; }

        /// <summary>SHA-256 of the archive file as stored, lowercase hex.</summary>
        public string ArchiveSha256 { get; set; }

        /// <summary>Sum of the logical sizes of the regular files.</summary>
        public long ContentSize { get; set; }

        public long FileCount { get; set; }

        /// <summary>How the volume was read: "host" (its folder) or "engine" (the archive API).</summary>
        public string ReadPath { get; set; }

        public List<string> Tags { get; set; } = new List<string>();

        public List<ManifestEntry> Entries { get; set; } = new List<ManifestEntry>();
    }

    /// <summary>One entry of a volume as recorded in the manifest.</summary>
    public sealed class ManifestEntry
    {
        public string Path { get; set; }

        /// <summary>file, directory, symlink, hardlink, fifo, chardev or blockdev.</summary>
        public string Type { get; set; }

        public long Size { get; set; }

        /// <summary>Permission bits as four octal digits, such as 0755 or 4755.</summary>
        public string Mode { get; set; }

        public int Uid { get; set; }

        public int Gid { get; set; }

        /// <summary>Modification time in nanoseconds since 1970-01-01 UTC.</summary>
        public long MtimeNanoseconds { get; set; }

        public string LinkTarget { get; set; }

        /// <summary>SHA-256 of a regular file's content, lowercase hex; null for other types.</summary>
        public string Sha256 { get; set; }

        public bool Sparse { get; set; }

        /// <summary>Extended attribute names with base64 values; null when none.</summary>
        public Dictionary<string, string> Xattrs { get; set; }
    }
}
