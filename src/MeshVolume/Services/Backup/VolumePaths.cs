using System;
using System.IO;
using Docker.DotNet.Models;
using MeshVolume.Services.HostFileSystem;

namespace MeshVolume.Services.Backup
{
    /// <summary>Chooses how to reach a volume's data and maps archive paths to volume paths.</summary>
    public static class VolumePaths
    {
        /// <summary>
        /// True when the volume's folder can be used directly: the engine runs on this Linux
        /// machine, the volume is a plain local one (driver options such as nfs or bind mount
        /// it elsewhere only while a container runs), and its folder is there to read.
        /// </summary>
        public static bool CanUseHostPath(DockerEngine engine, VolumeResponse volume)
        {
            return engine.Endpoint.Scheme == "unix" &&
                volume.Driver == "local" &&
                (volume.Options == null || volume.Options.Count == 0) &&
                !string.IsNullOrEmpty(volume.Mountpoint) &&
                HostVolumeReader.CanRead(volume.Mountpoint) &&
                HostVolumeWriter.CanWrite(volume.Mountpoint);
        }

        public static bool UseHostPath(DockerEngine engine, VolumeResponse volume, DataPath choice)
        {
            switch (choice)
            {
                case DataPath.Engine:
                    return false;
                case DataPath.Host:
                    if (!CanUseHostPath(engine, volume))
                    {
                        throw new MeshVolumeException(
                            $"The folder of the volume '{volume.Name}' cannot be used directly: " +
                            "that needs a local engine on a unix socket, the local driver " +
                            $"without options, and a readable folder ({volume.Mountpoint}). " +
                            "Use -DataPath Engine or Auto.", MeshErrors.BackupFailed,
                            System.Management.Automation.ErrorCategory.InvalidOperation);
                    }

                    return true;
                default:
                    return CanUseHostPath(engine, volume);
            }
        }

        /// <summary>Turns a path of the engine's archive ("./a/b", "./") into a volume path.</summary>
        public static string FromEngineArchive(string path)
        {
            if (path == null)
            {
                return null;
            }

            string trimmed = path.TrimEnd('/');
            if (trimmed == "." || trimmed.Length == 0)
            {
                return ".";
            }

            return trimmed.StartsWith("./", StringComparison.Ordinal) ? trimmed.Substring(2) : trimmed;
        }
    }
}
