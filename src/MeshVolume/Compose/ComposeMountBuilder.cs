using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MeshVolume.Model;

namespace MeshVolume.Compose
{
    /// <summary>
    /// Reads the mounts of one service: entries of its volumes list in the short syntax
    /// (SOURCE:TARGET:MODE) or the long one (a mapping), and entries of its tmpfs list.
    /// </summary>
    internal sealed class ComposeMountBuilder
    {
        private static readonly string[] PropagationModes =
        {
            "private", "rprivate", "shared", "rshared", "slave", "rslave",
        };

        private readonly string _project;
        private readonly string _projectDirectory;
        private readonly IReadOnlyDictionary<string, ComposeVolumeInfo> _volumes;

        /// <param name="volumes">
        /// The declared volumes by key, to resolve and check named volumes.
        /// </param>
        public ComposeMountBuilder(
            string project, string projectDirectory,
            IReadOnlyDictionary<string, ComposeVolumeInfo> volumes)
        {
            _project = project;
            _projectDirectory = projectDirectory;
            _volumes = volumes;
        }

        /// <summary>
        /// Returns the mounts of a service: its volumes entries, then its tmpfs entries.
        /// </summary>
        public List<ComposeMountInfo> Build(
            string service, IReadOnlyList<YamlNode> volumeEntries, IReadOnlyList<YamlNode> tmpfsEntries)
        {
            var mounts = new List<ComposeMountInfo>();
            var targets = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (YamlNode entry in volumeEntries)
            {
                ComposeMountInfo mount = entry is YamlMapping mapping
                    ? ReadLong(service, mapping)
                    : ReadShort(service, entry);
                if (targets.ContainsKey(mount.Target))
                {
                    throw ComposeFileReader.Invalid(entry.Location, $"Service '{service}' mounts " +
                        $"more than one volume at {mount.Target}. Give each mount its own target.");
                }

                targets[mount.Target] = entry;
                mounts.Add(mount);
            }

            mounts.AddRange(ReadTmpfsEntries(service, tmpfsEntries));
            return mounts;
        }

        private ComposeMountInfo ReadShort(string service, YamlNode entry)
        {
            string field = $"An entry of the volumes of service '{service}'";
            string text = ComposeValues.String(entry, field);
            List<string> parts = SplitShortSyntax(text);
            if (parts.Count > 3)
            {
                throw ComposeFileReader.Invalid(entry.Location, $"{field}, '{text}', has an invalid " +
                    "format. Write SOURCE:TARGET[:MODE], or TARGET alone for an anonymous volume.");
            }

            ComposeMountInfo mount = NewMount(service, "short", entry);
            mount.Definition = text;
            if (parts.Count == 1)
            {
                mount.Type = "volume";
                mount.Anonymous = true;
                mount.Target = ComposePath.Normalize(parts[0]);
                return mount;
            }

            mount.Target = ComposePath.Normalize(parts[1]);
            ApplyShortMode(mount, parts.Count == 3 ? parts[2] : "rw");

            // Compose makes ./ and ~ paths absolute before it normalises them, so ./site
            // stays a bind mount rather than becoming the volume name site.
            if (IsHostPath(parts[0]))
            {
                mount.Type = "bind";
                mount.Source = ComposePath.ResolveHostPath(parts[0], _projectDirectory);
                return mount;
            }

            mount.Type = "volume";
            SetNamedVolume(mount, ComposePath.Normalize(parts[0]), entry);
            return mount;
        }

        // Splits on colons, keeping a Windows drive (C:\data) in the source.
        private static List<string> SplitShortSyntax(string text)
        {
            if (!ComposePath.HasDrive(text))
            {
                return text.Split(':').ToList();
            }

            List<string> parts = text.Substring(2).Split(':').ToList();
            parts[0] = text.Substring(0, 2) + parts[0];
            return parts;
        }

        private static bool IsHostPath(string source)
        {
            return source.StartsWith(".", StringComparison.Ordinal)
                || source.StartsWith("/", StringComparison.Ordinal)
                || source.StartsWith("~", StringComparison.Ordinal)
                || source.StartsWith("\\", StringComparison.Ordinal)
                || ComposePath.HasDrive(source);
        }

        // The engine reads the mode as a comma-separated list; words it does not know are
        // left for it to reject.
        private static void ApplyShortMode(ComposeMountInfo mount, string mode)
        {
            foreach (string word in mode.Split(','))
            {
                if (word == "ro")
                {
                    mount.ReadOnly = true;
                }
                else if (word == "z" || word == "Z")
                {
                    mount.SELinux = word;
                }
                else if (word == "nocopy")
                {
                    mount.NoCopy = true;
                }
                else if (PropagationModes.Contains(word))
                {
                    mount.Propagation = word;
                }
            }
        }

        private ComposeMountInfo ReadLong(string service, YamlMapping entry)
        {
            string subject = $"A mount of service '{service}'";
            ComposeValues.CheckKeys(entry, subject,
                "type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs");
            ComposeMountInfo mount = NewMount(service, "long", entry);
            mount.Type = ComposeValues.String(entry.Get("type"), $"{subject} field 'type'");
            if (mount.Type == null)
            {
                throw ComposeFileReader.Invalid(entry.Location,
                    $"{subject} has no 'type'. Set it to volume, bind, tmpfs or npipe.");
            }

            if (!new[] { "volume", "bind", "tmpfs", "npipe" }.Contains(mount.Type))
            {
                throw ComposeFileReader.Invalid(entry.Get("type").Location,
                    $"{subject} has the type '{mount.Type}'. Use volume, bind, tmpfs or npipe.");
            }

            subject = $"The {mount.Type} mount of service '{service}'";
            mount.Target = ComposeValues.String(entry.Get("target"), $"{subject} field 'target'");
            if (string.IsNullOrEmpty(mount.Target))
            {
                throw ComposeFileReader.Invalid(entry.Location, $"{subject} has no 'target'.");
            }

            subject = $"The {mount.Type} mount at {mount.Target} of service '{service}'";
            string readOnlyField = $"{subject} field 'read_only'";
            mount.ReadOnly = ComposeValues.Boolean(entry.Get("read_only"), readOnlyField) ?? false;
            ReadLongSource(mount, entry, subject);
            YamlMapping options = OptionsOf(entry, mount.Type, subject);
            switch (mount.Type)
            {
                case "volume":
                    ComposeValues.CheckKeys(options, $"{subject} field 'volume'", "nocopy", "subpath");
                    mount.NoCopy = ComposeValues.Boolean(options.Get("nocopy"),
                        $"{subject} field 'volume.nocopy'") ?? false;
                    break;
                case "bind":
                    ComposeValues.CheckKeys(options, $"{subject} field 'bind'",
                        "propagation", "create_host_path", "selinux");
                    mount.Propagation = ComposeValues.String(options.Get("propagation"),
                        $"{subject} field 'bind.propagation'");
                    mount.SELinux = ComposeValues.String(options.Get("selinux"),
                        $"{subject} field 'bind.selinux'");
                    break;
                case "tmpfs":
                    ComposeValues.CheckKeys(options, $"{subject} field 'tmpfs'", "size", "mode");
                    mount.TmpfsSize = ReadLongTmpfsSize(
                        options.Get("size"), $"{subject} field 'tmpfs.size'");
                    mount.TmpfsMode = ReadMode(options.Get("mode"), $"{subject} field 'tmpfs.mode'");
                    break;
            }

            return mount;
        }

        private void ReadLongSource(ComposeMountInfo mount, YamlMapping entry, string subject)
        {
            YamlNode sourceNode = entry.Get("source");
            string source = ComposeValues.String(sourceNode, $"{subject} field 'source'");
            if (string.IsNullOrEmpty(source))
            {
                if (mount.Type == "bind" || mount.Type == "npipe")
                {
                    throw ComposeFileReader.Invalid(entry.Location,
                        $"{subject} has no 'source'. Give the host path to mount.");
                }

                mount.Anonymous = mount.Type == "volume";
                return;
            }

            switch (mount.Type)
            {
                case "tmpfs":
                    throw ComposeFileReader.Invalid(sourceNode.Location,
                        $"{subject} sets a 'source', but a tmpfs mount takes none.");
                case "volume":
                    SetNamedVolume(mount, ComposePath.Normalize(source), sourceNode);
                    break;
                case "bind":
                    bool relative = source.StartsWith(".", StringComparison.Ordinal)
                        || source.StartsWith("~", StringComparison.Ordinal);
                    mount.Source = relative
                        ? ComposePath.ResolveHostPath(source, _projectDirectory)
                        : ComposePath.Normalize(source);
                    break;
                default:
                    mount.Source = source;
                    break;
            }
        }

        private static YamlMapping OptionsOf(YamlMapping entry, string type, string subject)
        {
            YamlNode node = entry.Get(type);
            if (node == null || (node is YamlScalar scalar && scalar.Kind == ScalarKind.Null))
            {
                return new YamlMapping(entry.Location);
            }

            return node as YamlMapping
                ?? throw ComposeValues.WrongType(node, $"{subject} field '{type}'", "a mapping");
        }

        private static long? ReadLongTmpfsSize(YamlNode node, string field)
        {
            if (node == null)
            {
                return null;
            }

            long? size = null;
            if (node is YamlScalar scalar && scalar.Kind == ScalarKind.Integer)
            {
                size = (long)scalar.Value;
            }
            else if (node is YamlScalar text && text.IsString)
            {
                size = ComposeSize.ParseBytes(((string)text.Value).Trim());
            }
            else
            {
                throw ComposeValues.WrongType(node, field, "a size such as 100M, 10G, 1k or 1048576");
            }

            if (size == null || size < 0)
            {
                throw ComposeFileReader.Invalid(node.Location,
                    $"{field} is '{((YamlScalar)node).Text}', which is not a valid size. Write " +
                    "bytes, or a number with b, k, m or g, such as 100M.");
            }

            return size;
        }

        private static string ReadMode(YamlNode node, string field)
        {
            if (node == null)
            {
                return null;
            }

            bool isText = node is YamlScalar scalar
                && (scalar.IsString || scalar.Kind == ScalarKind.Integer);
            string mode = isText ? ComposeSize.NormalizeMode(((YamlScalar)node).Text) : null;
            return mode ?? throw ComposeFileReader.Invalid(node.Location,
                $"{field} must be a file mode in octal digits, such as 1777.");
        }

        private IEnumerable<ComposeMountInfo> ReadTmpfsEntries(
            string service, IReadOnlyList<YamlNode> entries)
        {
            // The engine keys tmpfs mounts by path, so a repeated path keeps its last options.
            var byTarget = new Dictionary<string, ComposeMountInfo>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (YamlNode entry in entries)
            {
                string text = ComposeValues.String(
                    entry, $"An entry of the tmpfs list of service '{service}'");
                int colon = text.IndexOf(':');
                ComposeMountInfo mount = NewMount(service, "tmpfs", entry);
                mount.Type = "tmpfs";
                mount.Definition = text;
                mount.Target = colon < 0 ? text : text.Substring(0, colon);
                ApplyTmpfsOptions(mount, colon < 0 ? string.Empty : text.Substring(colon + 1));
                if (!byTarget.ContainsKey(mount.Target))
                {
                    order.Add(mount.Target);
                }

                byTarget[mount.Target] = mount;
            }

            return order.Select(target => byTarget[target]);
        }

        private static void ApplyTmpfsOptions(ComposeMountInfo mount, string options)
        {
            string[] words = options.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries);
            foreach (string option in words)
            {
                int equals = option.IndexOf('=');
                string name = equals < 0 ? option : option.Substring(0, equals);
                string value = equals < 0 ? string.Empty : option.Substring(equals + 1);
                switch (name)
                {
                    case "size":
                        mount.TmpfsSize = ComposeSize.ParseTmpfsOption(value);
                        break;
                    case "mode":
                        mount.TmpfsMode = ComposeSize.NormalizeMode(value);
                        break;
                    case "ro":
                        mount.ReadOnly = true;
                        break;
                    case "rw":
                        mount.ReadOnly = false;
                        break;
                }
            }
        }

        private void SetNamedVolume(ComposeMountInfo mount, string key, YamlNode node)
        {
            if (!_volumes.TryGetValue(key, out ComposeVolumeInfo volume))
            {
                throw new MeshVolumeException(
                    $"{node.Location}: service '{mount.Service}' uses the volume '{key}', which the " +
                    "top-level volumes section does not declare. Declare it there, or write a path " +
                    "that starts with /, ./ or ~ for a bind mount.",
                    MeshErrors.ComposeVolumeUndeclared, ErrorCategory.ObjectNotFound);
            }

            mount.Source = key;
            mount.VolumeName = volume.Name;
        }

        private ComposeMountInfo NewMount(string service, string syntax, YamlNode entry)
        {
            return new ComposeMountInfo
            {
                Project = _project,
                Service = service,
                Syntax = syntax,
                SourceFile = entry.Location.File,
            };
        }
    }
}
