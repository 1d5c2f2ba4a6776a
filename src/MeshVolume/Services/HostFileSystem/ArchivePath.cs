using System.Management.Automation;
using System.Text;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>
    /// A volume-relative archive path split into names, checked so that it can only name
    /// something inside the volume: not absolute, no "..", no empty or "." names, no NUL.
    /// </summary>
    internal sealed class ArchivePath
    {
        private ArchivePath(string text, string[] names, byte[][] cNames)
        {
            Text = text;
            Names = names;
            CNames = cNames;
        }

        /// <summary>The path as the archive has it.</summary>
        public string Text { get; }

        /// <summary>Names from the root down; empty for the root itself.</summary>
        public string[] Names { get; }

        /// <summary>The names as NUL-terminated UTF-8, for system calls.</summary>
        public byte[][] CNames { get; }

        public bool IsRoot => Names.Length == 0;

        public int ParentCount => Names.Length - 1;

        public byte[] LastCName => CNames[CNames.Length - 1];

        /// <summary>Returns the path of the first count names, for messages.</summary>
        public string Prefix(int count)
        {
            return string.Join("/", Names, 0, count);
        }

        /// <summary>
        /// Parses a path such as "a/b", "./a/b" or "a/b/" (a folder); "." and "./" are the root.
        /// </summary>
        /// <exception cref="MeshVolumeException">ArchivePathUnsafe for a path that could leave the volume.</exception>
        public static ArchivePath Parse(string path, string rootPath)
        {
            if (string.IsNullOrEmpty(path))
            {
                throw Unsafe(path, rootPath, "it is empty");
            }

            if (path[0] == '/')
            {
                throw Unsafe(path, rootPath, "it is absolute");
            }

            if (path.IndexOf('\0') >= 0)
            {
                throw Unsafe(path, rootPath, "it contains a NUL character");
            }

            string trimmed = path;
            while (trimmed.StartsWith("./", System.StringComparison.Ordinal))
            {
                trimmed = trimmed.Substring(2);
            }

            trimmed = trimmed.TrimEnd('/');
            if (trimmed.Length == 0 || trimmed == ".")
            {
                return new ArchivePath(path, new string[0], new byte[0][]);
            }

            string[] names = trimmed.Split('/');
            var cNames = new byte[names.Length][];
            for (int i = 0; i < names.Length; i++)
            {
                if (names[i] == "..")
                {
                    throw Unsafe(path, rootPath, "it contains '..'");
                }

                if (names[i].Length == 0 || names[i] == ".")
                {
                    throw Unsafe(path, rootPath, "it contains an empty or '.' name");
                }

                cNames[i] = LinuxFileSystem.ToCString(Encode(names[i], path));
            }

            return new ArchivePath(path, names, cNames);
        }

        private static byte[] Encode(string name, string path)
        {
            try
            {
                return LinuxFileSystem.StrictUtf8.GetBytes(name);
            }
            catch (EncoderFallbackException exception)
            {
                throw new MeshVolumeException(
                    $"The archive path '{path}' contains a lone UTF-16 surrogate, which no UTF-8 " +
                    "file name can hold. The archive or its manifest is damaged.",
                    MeshErrors.ArchiveCorrupt, ErrorCategory.InvalidData, exception);
            }
        }

        private static MeshVolumeException Unsafe(string path, string rootPath, string reason)
        {
            return new MeshVolumeException(
                $"The archive path '{path}' was rejected because {reason}: restoring it into " +
                $"'{rootPath}' could write outside the volume. The archive is damaged or was " +
                "not made from a volume.",
                MeshErrors.ArchivePathUnsafe, ErrorCategory.SecurityError);
        }
    }
}
