using System;
using System.Collections.Generic;
using System.Linq;
using MeshVolume.Model;

namespace MeshVolume.Compose
{
    /// <summary>
    /// Turns one entry of the top-level volumes section into a <see cref="ComposeVolumeInfo"/>.
    /// </summary>
    internal static class ComposeVolumeBuilder
    {
        /// <summary>
        /// Value of the com.docker.compose.version label: the docker-compose release whose
        /// labels this module reproduces (Debian's docker-compose 1.29.2 sets this label,
        /// com.docker.compose.project and com.docker.compose.volume on the volumes it creates).
        /// </summary>
        public const string ComposeVersion = "1.29.2";

        public const string ProjectLabel = "com.docker.compose.project";
        public const string VolumeLabel = "com.docker.compose.volume";
        public const string VersionLabel = "com.docker.compose.version";

        /// <summary>
        /// Builds the volume for one key, with the definition that is in force for it.
        /// </summary>
        /// <param name="definition">
        /// The definition: a mapping, or null for "data:" with no value.
        /// </param>
        public static ComposeVolumeInfo Build(
            string project, YamlKey key, YamlNode definition, string projectDirectory,
            ICollection<string> warnings)
        {
            string subject = $"Volume '{key.Text}'";
            var volume = new ComposeVolumeInfo
            {
                Project = project,
                Key = key.Text,
                SourceFile = key.Location.File,
            };

            YamlMapping mapping = definition as YamlMapping;
            if (mapping == null && !IsNull(definition))
            {
                throw ComposeValues.WrongType(definition, subject, "a mapping or empty");
            }

            if (mapping == null)
            {
                volume.Name = DefaultName(project, key.Text);
                volume.Driver = "local";
                AddComposeLabels(volume, key.Text);
                return volume;
            }

            ComposeValues.CheckKeys(
                mapping, subject, "name", "driver", "driver_opts", "external", "labels");
            string externalName = ReadExternal(mapping, subject, warnings, out bool external);
            string name = ComposeValues.String(mapping.Get("name"), $"{subject} field 'name'");
            if (external)
            {
                CheckExternalFields(mapping, subject);
                volume.External = true;
                volume.Name = externalName ?? name ?? key.Text;
                return volume;
            }

            volume.Name = name ?? DefaultName(project, key.Text);
            volume.Driver = ComposeValues.String(mapping.Get("driver"), $"{subject} field 'driver'")
                ?? "local";
            volume.DriverOptions = ReadDriverOptions(mapping.Get("driver_opts"), subject);
            ResolveBindDevice(volume, projectDirectory);
            volume.DeclaredLabels = ComposeValues.Labels(
                mapping.Get("labels"), $"{subject} field 'labels'");
            AddComposeLabels(volume, name ?? key.Text);
            return volume;
        }

        /// <summary>
        /// Returns PROJECT_KEY, the name compose gives a volume without a name field; compose
        /// 1.29 strips leading dashes and underscores from the project name here.
        /// </summary>
        public static string DefaultName(string project, string key)
        {
            return project.TrimStart('-', '_') + "_" + key;
        }

        // Compose's own labels replace declared labels of the same name. The volume label is
        // the name field when there is one, else the key, as compose 1.29 sets it.
        private static void AddComposeLabels(ComposeVolumeInfo volume, string volumeLabel)
        {
            var labels = new Dictionary<string, string>(volume.DeclaredLabels, StringComparer.Ordinal)
            {
                [ProjectLabel] = volume.Project,
                [VolumeLabel] = volumeLabel,
                [VersionLabel] = ComposeVersion,
            };
            volume.Labels = labels;
        }

        private static string ReadExternal(
            YamlMapping mapping, string subject, ICollection<string> warnings, out bool external)
        {
            YamlNode node = mapping.Get("external");
            string field = $"{subject} field 'external'";
            if (node is YamlMapping legacy)
            {
                // As in compose 1.29, an empty mapping counts as false.
                ComposeValues.CheckKeys(legacy, field, "name");
                external = legacy.Count > 0;
                string name = ComposeValues.String(legacy.Get("name"), $"{field} 'name'");
                if (name != null)
                {
                    warnings.Add($"{legacy.Location}: {subject} uses 'external.name', which is " +
                        "deprecated. Write 'external: true' and 'name: " + name + "' instead.");
                }

                return name;
            }

            external = node != null && ComposeValues.Boolean(node, field) == true;
            return null;
        }

        private static void CheckExternalFields(YamlMapping mapping, string subject)
        {
            KeyValuePair<YamlKey, YamlNode>[] extra = mapping.Entries
                .Where(entry => entry.Key.Text != "external" && entry.Key.Text != "name")
                .ToArray();
            if (extra.Length == 0)
            {
                return;
            }

            string fields = string.Join(", ", extra.Select(entry => entry.Key.Text));
            throw ComposeFileReader.Invalid(extra[0].Key.Location,
                $"{subject} is declared external but also sets {fields}. An external volume takes " +
                "only 'external' and 'name', because compose does not create it.");
        }

        private static Dictionary<string, string> ReadDriverOptions(YamlNode node, string subject)
        {
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            if (IsNull(node))
            {
                return options;
            }

            if (!(node is YamlMapping mapping))
            {
                throw ComposeValues.WrongType(node, $"{subject} field 'driver_opts'", "a mapping");
            }

            foreach (KeyValuePair<YamlKey, YamlNode> entry in mapping.Entries)
            {
                options[entry.Key.Text] = ComposeValues.OptionText(
                    entry.Value, $"{subject} driver option '{entry.Key.Text}'");
            }

            return options;
        }

        // A local volume bound to a host folder (o: bind) gets an absolute device path.
        // NOTE: compose 1.29 resolves a relative device against the current directory of
        // the process that runs it. This uses the project folder, as the compose
        // specification does, so the two agree only when compose runs from that folder.
        private static void ResolveBindDevice(ComposeVolumeInfo volume, string projectDirectory)
        {
            if (volume.Driver != "local"
                || !volume.DriverOptions.TryGetValue("o", out string o) || o != "bind"
                || !volume.DriverOptions.TryGetValue("device", out string device)
                || string.IsNullOrEmpty(device))
            {
                return;
            }

            volume.DriverOptions["device"] = ComposePath.ResolveHostPath(device, projectDirectory);
        }

        private static bool IsNull(YamlNode node)
        {
            return node == null || (node is YamlScalar scalar && scalar.Kind == ScalarKind.Null);
        }
    }
}
