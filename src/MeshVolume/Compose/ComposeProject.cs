using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Text.RegularExpressions;
using MeshVolume.Model;

namespace MeshVolume.Compose
{
    /// <summary>
    /// A compose project read as docker-compose 1.29 reads it: the files merged in order,
    /// variables substituted in each file before the merge, and the volumes and the
    /// services' mounts resolved.
    /// </summary>
    internal sealed class ComposeProject
    {
        /// <summary>Names compose looks for when no file is given, in its order.</summary>
        public static readonly string[] DefaultFileNames =
        {
            "docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml",
        };

        /// <summary>Override files compose adds beside a default file.</summary>
        public static readonly string[] DefaultOverrideFileNames =
        {
            "docker-compose.override.yml", "docker-compose.override.yaml",
            "compose.override.yml", "compose.override.yaml",
        };

        private static readonly Regex EntryName = new Regex("^[a-zA-Z0-9._-]+$");
        private static readonly Regex VersionPattern = new Regex(@"^[1-3]+(\.\d+)?$");
        private static readonly string[] InterpolatedSections =
        {
            "services", "volumes", "networks", "secrets", "configs",
        };

        private ComposeProject()
        {
        }

        public string Name { get; private set; }

        /// <summary>Folder of the first file, from which relative paths are taken.</summary>
        public string Directory { get; private set; }

        public List<ComposeVolumeInfo> Volumes { get; } = new List<ComposeVolumeInfo>();

        public List<ComposeMountInfo> Mounts { get; } = new List<ComposeMountInfo>();

        /// <summary>Warnings for the user, such as a variable that is not set.</summary>
        public List<string> Warnings { get; } = new List<string>();

        /// <summary>
        /// Reads and merges compose files.
        /// </summary>
        /// <param name="files">Full paths; later files override earlier ones.</param>
        /// <param name="projectName">The project name, or null to choose it as compose does.</param>
        /// <param name="environmentFile">
        /// The environment file, or null for .env beside the first file.
        /// </param>
        /// <exception cref="MeshVolumeException">ComposeFileInvalid, ComposeVariableMissing,
        /// ComposeVolumeUndeclared or ComposeProjectNameInvalid.</exception>
        public static ComposeProject Load(
            IReadOnlyList<string> files, string projectName, string environmentFile)
        {
            var project = new ComposeProject { Directory = Path.GetDirectoryName(files[0]) };
            Dictionary<string, string> variables = EnvironmentFile.LoadVariables(
                environmentFile ?? Path.Combine(project.Directory, ".env"), environmentFile != null);
            project.Name = ChooseName(projectName, variables, project.Directory);

            var substitution = new VariableSubstitution(variables);
            var contents = new List<YamlMapping>();
            foreach (string file in files)
            {
                YamlMapping root = ComposeFileReader.ReadFile(file);
                CheckVersion(root, file);
                contents.Add(Substitute(root, substitution));
            }

            foreach (string name in substitution.MissingVariables)
            {
                project.Warnings.Add(
                    $"The variable {name} is not set, so an empty string is used in its place.");
            }

            project.ReadVolumes(contents);
            project.ReadMounts(contents);
            return project;
        }

        /// <summary>
        /// Normalises a project name as compose 1.29 does: lowercase, keeping only a-z, 0-9,
        /// dash and underscore.
        /// </summary>
        public static string NormalizeName(string name)
        {
            var normalized = new StringBuilder();
            foreach (char c in name.ToLowerInvariant())
            {
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
                {
                    normalized.Append(c);
                }
            }

            return normalized.ToString();
        }

        // The parameter, else COMPOSE_PROJECT_NAME, else the folder of the first file.
        private static string ChooseName(
            string requested, IDictionary<string, string> variables, string directory)
        {
            string source = requested;
            if (string.IsNullOrEmpty(source))
            {
                variables.TryGetValue("COMPOSE_PROJECT_NAME", out source);
            }

            if (string.IsNullOrEmpty(source))
            {
                source = Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar));
            }

            if (string.IsNullOrEmpty(source))
            {
                return "default";
            }

            string name = NormalizeName(source);
            if (name.Length == 0)
            {
                throw new MeshVolumeException(
                    $"The project name '{source}' has none of the characters compose keeps " +
                    "(a-z, 0-9, - and _). Give a name with them to -ProjectName.",
                    MeshErrors.ComposeProjectNameInvalid, ErrorCategory.InvalidArgument);
            }

            return name;
        }

        private static void CheckVersion(YamlMapping root, string file)
        {
            YamlNode version = root.Get("version");
            bool hasVersion = version != null && !(version is YamlScalar empty
                && (empty.Kind == ScalarKind.Null || empty.Text.Length == 0));
            if (!hasVersion)
            {
                bool hasSections = new[] { "services", "volumes", "networks" }
                    .Any(section => root.Get(section) is YamlMapping mapping && mapping.Count > 0);
                if (!hasSections)
                {
                    throw ComposeFileReader.Invalid(root.Location, "The file has no services, " +
                        "volumes or networks section. The version 1 format, with services at the " +
                        "top level, is not supported.");
                }

                return;
            }

            string text = version is YamlScalar scalar && scalar.IsString ? (string)scalar.Value : null;
            if (text == null)
            {
                throw ComposeFileReader.Invalid(version.Location,
                    "The version must be a string, such as \"3.8\"; put it in quotes.");
            }

            if (!VersionPattern.IsMatch(text) || text.StartsWith("1", StringComparison.Ordinal))
            {
                throw ComposeFileReader.Invalid(version.Location, $"The version '{text}' is invalid. " +
                    "Use a version such as \"3.8\" or \"2.4\", or leave the version out.");
            }
        }

        // Substitutes variables in the sections compose substitutes; the values of top-level
        // x- fields stay as written, as in compose.
        private static YamlMapping Substitute(YamlMapping root, VariableSubstitution substitution)
        {
            var result = new YamlMapping(root.Location);
            foreach (KeyValuePair<YamlKey, YamlNode> entry in root.Entries)
            {
                YamlNode value = entry.Value;
                if (InterpolatedSections.Contains(entry.Key.Text) && value is YamlMapping section)
                {
                    value = SubstituteSection(section, entry.Key.Text, substitution);
                }

                result.Set(entry.Key, value);
            }

            return result;
        }

        private static YamlMapping SubstituteSection(
            YamlMapping section, string sectionName, VariableSubstitution substitution)
        {
            string kind = sectionName.TrimEnd('s');
            var result = new YamlMapping(section.Location);
            foreach (KeyValuePair<YamlKey, YamlNode> entry in section.Entries)
            {
                if (!EntryName.IsMatch(entry.Key.Text))
                {
                    throw ComposeFileReader.Invalid(entry.Key.Location, $"The {kind} name " +
                        $"'{entry.Key.Text}' is invalid. Use only letters, digits, '.', '_' and '-'.");
                }

                YamlNode value = entry.Value is YamlMapping body
                    ? SubstituteNode(body, $"{kind} '{entry.Key.Text}'", null, substitution)
                    : entry.Value;
                result.Set(entry.Key, value);
            }

            return result;
        }

        private static YamlNode SubstituteNode(
            YamlNode node, string owner, string path, VariableSubstitution substitution)
        {
            switch (node)
            {
                case YamlScalar scalar when scalar.IsString:
                    string field = path == null ? owner : $"{owner} field '{path}'";
                    return scalar.WithString(
                        substitution.Substitute((string)scalar.Value, scalar.Location, field));
                case YamlMapping mapping:
                    var result = new YamlMapping(mapping.Location);
                    foreach (KeyValuePair<YamlKey, YamlNode> entry in mapping.Entries)
                    {
                        string childPath = path == null ? entry.Key.Text : path + "." + entry.Key.Text;
                        YamlNode value = SubstituteNode(entry.Value, owner, childPath, substitution);
                        result.Set(entry.Key, value);
                    }

                    return result;
                case YamlSequence sequence:
                    return new YamlSequence(sequence.Location, sequence.Items
                        .Select(item => SubstituteNode(item, owner, path, substitution))
                        .ToList());
                default:
                    return node;
            }
        }

        // A later file replaces the whole definition of a volume key, as in compose 1.29;
        // the compose specification (docker compose v2) merges the two definitions instead.
        private void ReadVolumes(List<YamlMapping> contents)
        {
            var definitions = new Dictionary<string, KeyValuePair<YamlKey, YamlNode>>(
                StringComparer.Ordinal);
            var order = new List<string>();
            foreach (YamlMapping content in contents)
            {
                YamlMapping section = SectionOf(content, "volumes");
                foreach (KeyValuePair<YamlKey, YamlNode> entry in section.Entries)
                {
                    if (!definitions.ContainsKey(entry.Key.Text))
                    {
                        order.Add(entry.Key.Text);
                    }

                    definitions[entry.Key.Text] = entry;
                }
            }

            foreach (string key in order)
            {
                KeyValuePair<YamlKey, YamlNode> entry = definitions[key];
                Volumes.Add(ComposeVolumeBuilder.Build(
                    Name, entry.Key, entry.Value, Directory, Warnings));
            }
        }

        private void ReadMounts(List<YamlMapping> contents)
        {
            List<ComposeService> services = ComposeService.Merge(
                contents.Select(content => SectionOf(content, "services")).ToList(), Warnings);
            Dictionary<string, ComposeVolumeInfo> volumesByKey = Volumes.ToDictionary(
                volume => volume.Key, StringComparer.Ordinal);
            var builder = new ComposeMountBuilder(Name, Directory, volumesByKey);
            foreach (ComposeService service in services)
            {
                Mounts.AddRange(builder.Build(service.Name, service.Volumes, service.Tmpfs));
            }

            foreach (ComposeVolumeInfo volume in Volumes)
            {
                volume.Services = Mounts
                    .Where(mount => mount.Type == "volume" && mount.Source == volume.Key)
                    .Select(mount => mount.Service)
                    .Distinct()
                    .ToArray();
            }
        }

        private static YamlMapping SectionOf(YamlMapping content, string name)
        {
            YamlNode node = content.Get(name);
            if (node == null || (node is YamlScalar scalar && scalar.Kind == ScalarKind.Null))
            {
                return new YamlMapping(content.Location);
            }

            return node as YamlMapping
                ?? throw ComposeValues.WrongType(node, $"The {name} section", "a mapping");
        }
    }
}
