using System;

namespace MeshVolume.Services.Repository
{
    /// <summary>
    /// Rules for object keys, the same for every repository kind so that a key that works in
    /// a folder also works in S3 and the other way round.
    /// </summary>
    internal static class RepositoryKey
    {
        /// <summary>File names that Windows reserves in every folder, with any extension.</summary>
        private static readonly string[] ReservedWindowsNames =
        {
            "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
            "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8",
            "LPT9",
        };

        private const string InvalidCharacters = "\\:*?\"<>|";

        /// <summary>Suffix of the temporary file that a folder upload renames when done.</summary>
        public const string PartialSuffix = ".partial";

        /// <summary>True for names of in-progress uploads, which listings skip.</summary>
        public static bool IsPartialName(string fileName)
        {
            return fileName.StartsWith(".", StringComparison.Ordinal)
                && fileName.EndsWith(PartialSuffix, StringComparison.Ordinal);
        }

        /// <summary>
        /// Throws <see cref="ArgumentException"/> unless the key is '/' separated segments
        /// that are valid file names on Windows and Unix and are not temporary-file names.
        /// </summary>
        public static void Validate(string key)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException("The object key is empty.", nameof(key));
            }

            foreach (string segment in key.Split('/'))
            {
                string problem = FindSegmentProblem(segment);
                if (problem != null)
                {
                    throw new ArgumentException(
                        $"The object key '{key}' is invalid: {problem}", nameof(key));
                }
            }
        }

        /// <summary>
        /// Throws <see cref="ArgumentException"/> unless the prefix is empty or a valid key
        /// with an optional trailing '/'.
        /// </summary>
        public static void ValidatePrefix(string prefix)
        {
            if (string.IsNullOrEmpty(prefix))
            {
                return;
            }

            Validate(prefix.EndsWith("/", StringComparison.Ordinal)
                ? prefix.Substring(0, prefix.Length - 1)
                : prefix);
        }

        private static string FindSegmentProblem(string segment)
        {
            if (segment.Length == 0)
            {
                return "it has an empty segment (a leading, trailing or doubled '/').";
            }

            if (segment == "." || segment == "..")
            {
                return "'.' and '..' segments are not allowed.";
            }

            foreach (char c in segment)
            {
                if (c < ' ' || InvalidCharacters.IndexOf(c) >= 0)
                {
                    return $"the character U+{(int)c:X4} is not allowed in a file name on Windows.";
                }
            }

            if (segment.EndsWith(".", StringComparison.Ordinal)
                || segment.EndsWith(" ", StringComparison.Ordinal))
            {
                return "Windows drops a trailing '.' or space from file names.";
            }

            string baseName = segment.Split('.')[0];
            if (Array.IndexOf(ReservedWindowsNames, baseName.ToUpperInvariant()) >= 0)
            {
                return $"'{segment}' is a reserved device name on Windows.";
            }

            if (IsPartialName(segment))
            {
                return "names that start with '.' and end with '.partial' are temporary files.";
            }

            return null;
        }
    }
}
