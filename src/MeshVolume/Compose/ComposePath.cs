using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace MeshVolume.Compose
{
    /// <summary>
    /// Normalises mount paths the way docker-compose 1.29 does on the host it runs on.
    /// </summary>
    internal static class ComposePath
    {
        private static bool IsWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>
        /// Normalises a POSIX path lexically as Python's posixpath.normpath does: repeated and
        /// trailing slashes and "." go away, and ".." removes the folder before it.
        /// </summary>
        public static string Normalize(string path)
        {
            if (path.Length == 0)
            {
                return ".";
            }

            int leadingSlashes = path.StartsWith("/", StringComparison.Ordinal) ? 1 : 0;
            if (path.StartsWith("//", StringComparison.Ordinal)
                && !path.StartsWith("///", StringComparison.Ordinal))
            {
                leadingSlashes = 2;
            }

            var parts = new List<string>();
            foreach (string part in path.Split('/'))
            {
                if (part.Length == 0 || part == ".")
                {
                    continue;
                }

                bool keep = part != ".." || (leadingSlashes == 0 && parts.Count == 0)
                    || (parts.Count > 0 && parts[parts.Count - 1] == "..");
                if (keep)
                {
                    parts.Add(part);
                }
                else if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }

            string normalized = new string('/', leadingSlashes) + string.Join("/", parts);
            return normalized.Length == 0 ? "." : normalized;
        }

        /// <summary>
        /// Turns the host path of a bind mount into an absolute one: "~" becomes the user's
        /// home folder and a relative path is taken from the project folder.
        /// </summary>
        public static string ResolveHostPath(string path, string projectDirectory)
        {
            string expanded = ExpandHome(path);
            if (IsWindows)
            {
                return Path.GetFullPath(Path.Combine(projectDirectory, expanded));
            }

            string combined = expanded.StartsWith("/", StringComparison.Ordinal)
                ? expanded
                : projectDirectory.TrimEnd('/') + "/" + expanded;
            return Normalize(combined);
        }

        /// <summary>
        /// True for a Windows path that starts with a drive, such as C:\data or C:/data.
        /// </summary>
        public static bool HasDrive(string path)
        {
            return path.Length >= 2 && char.IsLetter(path[0]) && path[1] == ':'
                && (path.Length == 2 || path[2] == '\\' || path[2] == '/');
        }

        // NOTE: only "~" and "~/..." are expanded; "~user/..." stays as written, relative to the
        // project folder, where Python's expanduser would look the user up.
        private static string ExpandHome(string path)
        {
            if (path != "~" && !path.StartsWith("~/", StringComparison.Ordinal)
                && !path.StartsWith("~\\", StringComparison.Ordinal))
            {
                return path;
            }

            string home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home))
            {
                home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            }

            return path.Length == 1 ? home : home.TrimEnd('/', '\\') + path.Substring(1);
        }
    }
}
