using System;
using System.Collections.Generic;
using System.Text.Json;

namespace MeshVolume.Services
{
    /// <summary>Reads volume sizes out of a /system/df response of any API version.</summary>
    internal static class DiskUsageParser
    {
        public static IDictionary<string, long> ParseVolumeSizes(byte[] json)
        {
            var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
            using (JsonDocument document = JsonDocument.Parse(json))
            {
                JsonElement root = document.RootElement;
                if (root.TryGetProperty("Volumes", out JsonElement list) &&
                    list.ValueKind == JsonValueKind.Array)
                {
                    AddSizes(list, sizes);
                }

                foreach (string name in new[] { "VolumeUsage", "VolumesDiskUsage" })
                {
                    if (root.TryGetProperty(name, out JsonElement usage) &&
                        usage.ValueKind == JsonValueKind.Object &&
                        usage.TryGetProperty("Items", out JsonElement items) &&
                        items.ValueKind == JsonValueKind.Array)
                    {
                        AddSizes(items, sizes);
                    }
                }
            }

            return sizes;
        }

        private static void AddSizes(JsonElement volumes, IDictionary<string, long> sizes)
        {
            foreach (JsonElement volume in volumes.EnumerateArray())
            {
                if (!volume.TryGetProperty("Name", out JsonElement name) ||
                    !volume.TryGetProperty("UsageData", out JsonElement usage) ||
                    usage.ValueKind != JsonValueKind.Object ||
                    !usage.TryGetProperty("Size", out JsonElement size))
                {
                    continue;
                }

                // The engine reports -1 when the driver cannot tell the size.
                long bytes = size.GetInt64();
                if (bytes >= 0)
                {
                    sizes[name.GetString()] = bytes;
                }
            }
        }
    }
}
