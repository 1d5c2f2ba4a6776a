using System;
using System.Collections.Generic;
using MeshVolume.Services.Archive;
using MeshVolume.Services.Repository;

namespace MeshVolume.Services.Backup
{
    /// <summary>How a volume is read or written: directly on the host, or through the engine.</summary>
    public enum DataPath
    {
        /// <summary>The host folder when the engine is local and the folder is readable, else the engine.</summary>
        Auto,

        /// <summary>The volume's folder on this machine, read and written without following links.</summary>
        Host,

        /// <summary>The engine's archive API on a helper container; works with any engine.</summary>
        Engine,
    }

    /// <summary>Parameters of one volume backup, as Backup-MeshVolume passes them to the service.</summary>
    public sealed class BackupRequest
    {
        public string VolumeName { get; set; }

        public IBackupRepository Repository { get; set; }

        public CompressionMethod Compression { get; set; } = CompressionMethod.Zstd;

        /// <summary>Compression level; null for the algorithm's default.</summary>
        public int? CompressionLevel { get; set; }

        public IList<string> Tags { get; set; } = new List<string>();

        public DataPath DataPath { get; set; } = DataPath.Auto;

        /// <summary>Counters the cmdlet turns into progress records.</summary>
        public TransferProgress Progress { get; set; } = new TransferProgress();

        /// <summary>Receives verbose lines; may be called from any thread.</summary>
        public Action<string> Report { get; set; }

        /// <summary>Receives warnings, such as skipped sockets; may be called from any thread.</summary>
        public Action<string> Warn { get; set; }
    }
}
