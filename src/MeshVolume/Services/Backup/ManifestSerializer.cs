using System.Text.Json;
using System.Text.Json.Serialization;
using MeshVolume.Model;

namespace MeshVolume.Services.Backup
{
    /// <summary>Reads and writes manifests as indented JSON with camelCase names.</summary>
    public static class ManifestSerializer
    {
        private static readonly JsonSerializerOptions Options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        public static byte[] Serialize(BackupManifest manifest)
        {
            return JsonSerializer.SerializeToUtf8Bytes(manifest, Options);
        }

        /// <summary>Parses a manifest; throws ManifestInvalid naming the object when it cannot.</summary>
        public static BackupManifest Deserialize(byte[] json, string name)
        {
            BackupManifest manifest;
            try
            {
                manifest = JsonSerializer.Deserialize<BackupManifest>(json, Options);
            }
            catch (JsonException ex)
            {
                throw Invalid(name, ex.Message, ex);
            }

            if (manifest == null || string.IsNullOrEmpty(manifest.Id) ||
                string.IsNullOrEmpty(manifest.VolumeName) ||
                string.IsNullOrEmpty(manifest.ArchiveName))
            {
                throw Invalid(name, "the id, volume name or archive name is missing", null);
            }

            return manifest;
        }

        private static MeshVolumeException Invalid(string name, string reason, System.Exception inner)
        {
            return new MeshVolumeException(
                $"The manifest '{name}' is not a valid MeshVolume manifest: {reason}. " +
                "The backup it describes cannot be used; remove it with Remove-MeshVolumeBackup.",
                MeshErrors.ManifestInvalid, System.Management.Automation.ErrorCategory.InvalidData,
                inner);
        }
    }
}
