using System;
using System.Collections.Generic;
using System.Linq;

namespace MeshVolume.Compose
{
    /// <summary>
    /// The volumes and tmpfs entries of one service after the files are merged with the
    /// rules of docker-compose 1.29. Volumes entries are keyed by their target path, so a
    /// later file replaces the entry for the same target, and the merged list is sorted by
    /// target. Tmpfs lists are concatenated.
    /// </summary>
    internal sealed class ComposeService
    {
        private ComposeService(string name)
        {
            Name = name;
        }

        public string Name { get; }

        /// <summary>
        /// Entries of the volumes list: strings (short syntax) or mappings (long syntax).
        /// </summary>
        public List<YamlNode> Volumes { get; private set; } = new List<YamlNode>();

        /// <summary>Entries of the tmpfs list, a single string counting as a list of one.</summary>
        public List<YamlNode> Tmpfs { get; private set; } = new List<YamlNode>();

        private bool HasVolumes { get; set; }

        private bool HasTmpfs { get; set; }

        /// <summary>
        /// Merges the services sections of the files, in order; services keep their first position.
        /// </summary>
        public static List<ComposeService> Merge(
            List<YamlMapping> sections, ICollection<string> warnings)
        {
            List<ComposeService> merged = Read(sections[0], warnings);
            for (int i = 1; i < sections.Count; i++)
            {
                List<ComposeService> overrides = Read(sections[i], warnings);
                var result = new List<ComposeService>();
                foreach (string name in merged.Select(s => s.Name)
                    .Concat(overrides.Select(s => s.Name)).Distinct())
                {
                    ComposeService baseService = merged.FirstOrDefault(s => s.Name == name)
                        ?? new ComposeService(name);
                    ComposeService overrideService = overrides.FirstOrDefault(s => s.Name == name)
                        ?? new ComposeService(name);
                    result.Add(MergeTwo(baseService, overrideService));
                }

                merged = result;
            }

            return merged;
        }

        private static List<ComposeService> Read(YamlMapping section, ICollection<string> warnings)
        {
            var services = new List<ComposeService>();
            foreach (KeyValuePair<YamlKey, YamlNode> entry in section.Entries)
            {
                var service = new ComposeService(entry.Key.Text);
                services.Add(service);
                if (entry.Value is YamlScalar empty && empty.Kind == ScalarKind.Null)
                {
                    continue;
                }

                if (!(entry.Value is YamlMapping body))
                {
                    throw ComposeValues.WrongType(
                        entry.Value, $"Service '{service.Name}'", "a mapping");
                }

                if (body.Contains("extends"))
                {
                    // NOTE: extends is not followed, so mounts inherited through it are missing.
                    warnings.Add($"{body.Get("extends").Location}: service '{service.Name}' uses " +
                        "'extends', which Get-MeshComposeVolume does not follow; the mounts it " +
                        "inherits are not listed.");
                }

                ReadLists(service, body);
            }

            return services;
        }

        private static void ReadLists(ComposeService service, YamlMapping body)
        {
            string subject = $"Service '{service.Name}'";
            YamlNode volumes = body.Get("volumes");
            if (volumes != null)
            {
                service.HasVolumes = true;
                service.Volumes = ListOf(volumes, $"{subject} field 'volumes'", allowString: false);
            }

            YamlNode tmpfs = body.Get("tmpfs");
            if (tmpfs != null)
            {
                service.HasTmpfs = true;
                service.Tmpfs = ListOf(tmpfs, $"{subject} field 'tmpfs'", allowString: true);
            }
        }

        private static List<YamlNode> ListOf(YamlNode node, string field, bool allowString)
        {
            switch (node)
            {
                case YamlSequence sequence:
                    return sequence.Items.ToList();
                case YamlScalar scalar when scalar.Kind == ScalarKind.Null:
                    return new List<YamlNode>();
                case YamlScalar scalar when allowString && scalar.IsString:
                    return new List<YamlNode> { scalar };
                default:
                    throw ComposeValues.WrongType(node, field,
                        allowString ? "a string or a list of strings" : "a list");
            }
        }

        private static ComposeService MergeTwo(
            ComposeService baseService, ComposeService overrideService)
        {
            var merged = new ComposeService(baseService.Name);
            if (baseService.HasVolumes || overrideService.HasVolumes)
            {
                var byTarget = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
                foreach (YamlNode entry in baseService.Volumes.Concat(overrideService.Volumes))
                {
                    byTarget[MergeKeyOf(entry)] = entry;
                }

                merged.HasVolumes = true;
                merged.Volumes = byTarget
                    .OrderBy(pair => pair.Key, StringComparer.Ordinal)
                    .Select(pair => pair.Value)
                    .ToList();
            }

            if (baseService.HasTmpfs || overrideService.HasTmpfs)
            {
                merged.HasTmpfs = true;
                merged.Tmpfs = baseService.Tmpfs.Concat(overrideService.Tmpfs).ToList();
            }

            return merged;
        }

        // The target path as compose 1.29 finds it before normalising: the part after the
        // source, without a trailing :MODE; a long-syntax entry uses its target field.
        private static string MergeKeyOf(YamlNode entry)
        {
            if (entry is YamlMapping mapping)
            {
                return (mapping.Get("target") as YamlScalar)?.Text ?? string.Empty;
            }

            string text = (entry as YamlScalar)?.Text ?? string.Empty;
            int start = ComposePath.HasDrive(text) ? 2 : 0;
            int colon = text.IndexOf(':', start);
            if (colon < 0)
            {
                return text;
            }

            string container = text.Substring(colon + 1);
            int driveLength = ComposePath.HasDrive(container) ? 2 : 0;
            int modeColon = container.LastIndexOf(':');
            return modeColon >= driveLength ? container.Substring(0, modeColon) : container;
        }
    }
}
