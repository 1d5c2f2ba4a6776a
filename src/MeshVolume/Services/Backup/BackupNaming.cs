using System;
using System.Globalization;
using System.Security.Cryptography;

namespace MeshVolume.Services.Backup
{
    /// <summary>
    /// Names of backup objects: "VOLUME/YYYYMMDDTHHMMSSZ-XXXXXX.tar.zst" and, beside it,
    /// ".manifest.json". Names sort by time and use only characters that Windows, S3 and tar
    /// accept; volume names are already limited to [a-zA-Z0-9_.-] by the engine.
    /// </summary>
    public static class BackupNaming
    {
        public const string ManifestSuffix = ".manifest.json";

        /// <summary>A new backup id for the given time, with a random suffix against collisions.</summary>
        public static string NewId(DateTime utc)
        {
            var random = new byte[3];
            using (var generator = RandomNumberGenerator.Create())
            {
                generator.GetBytes(random);
            }

            return utc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" +
                BitConverter.ToString(random).Replace("-", string.Empty).ToLowerInvariant();
        }

        public static string ArchiveName(string volumeName, string id, string extension)
        {
            return volumeName + "/" + id + extension;
        }

        public static string ManifestName(string volumeName, string id)
        {
            return volumeName + "/" + id + ManifestSuffix;
        }

        /// <summary>True for an object name that is a manifest.</summary>
        public static bool IsManifest(string key)
        {
            return key.EndsWith(ManifestSuffix, StringComparison.Ordinal);
        }

        /// <summary>The backup id of an archive or manifest name, or null for other objects.</summary>
        public static string IdOf(string key)
        {
            int slash = key.LastIndexOf('/');
            string file = slash >= 0 ? key.Substring(slash + 1) : key;
            int dot = file.IndexOf('.');
            string id = dot > 0 ? file.Substring(0, dot) : file;
            return id.Length == 23 && id[8] == 'T' && id[15] == 'Z' ? id : null;
        }

        /// <summary>The volume name of an archive or manifest name.</summary>
        public static string VolumeOf(string key)
        {
            int slash = key.LastIndexOf('/');
            if (slash <= 0)
            {
                return null;
            }

            string folder = key.Substring(0, slash);
            int parent = folder.LastIndexOf('/');
            return parent >= 0 ? folder.Substring(parent + 1) : folder;
        }
    }
}
