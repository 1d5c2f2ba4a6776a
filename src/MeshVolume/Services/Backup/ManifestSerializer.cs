using System;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
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

        // The serializer writes properties in declaration order with two-space indentation,
        // so the entry list, declared last, starts at this marker. A line break inside a JSON
        // string is always escaped, so the marker cannot occur in a path.
        private static readonly byte[] EntriesMarker = Encoding.UTF8.GetBytes("\n  \"entries\":");

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

        /// <summary>
        /// Reads a manifest stream up to the start of its entry list, or to its end when the
        /// marker is missing.
        /// </summary>
        public static async Task<byte[]> ReadUntilEntriesAsync(
            Stream stream, CancellationToken cancellationToken)
        {
            var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, 0, chunk.Length, cancellationToken)
                .ConfigureAwait(false)) > 0)
            {
                long searchFrom = Math.Max(0, buffer.Length - EntriesMarker.Length);
                buffer.Write(chunk, 0, read);
                int found = IndexOf(buffer.GetBuffer(), (int)buffer.Length, EntriesMarker, (int)searchFrom);
                if (found >= 0)
                {
                    buffer.SetLength(found);
                    return buffer.ToArray();
                }
            }

            return buffer.ToArray();
        }

        /// <summary>
        /// Parses the part of a manifest before its entry list; returns null when the text is
        /// not in the layout this serializer writes, so the caller reads the whole manifest.
        /// </summary>
        public static BackupManifest DeserializeSummary(byte[] head, string name)
        {
            string text = Encoding.UTF8.GetString(head).TrimEnd();
            if (text.EndsWith(",", StringComparison.Ordinal))
            {
                text = text.Substring(0, text.Length - 1) + "}";
            }

            try
            {
                BackupManifest manifest = JsonSerializer.Deserialize<BackupManifest>(text, Options);
                return manifest?.Id == null ? null : manifest;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static int IndexOf(byte[] data, int length, byte[] pattern, int start)
        {
            for (int i = start; i <= length - pattern.Length; i++)
            {
                int j = 0;
                while (j < pattern.Length && data[i + j] == pattern[j])
                {
                    j++;
                }

                if (j == pattern.Length)
                {
                    return i;
                }
            }

            return -1;
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
