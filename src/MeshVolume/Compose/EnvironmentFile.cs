using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace MeshVolume.Compose
{
    /// <summary>
    /// Builds the variables that compose substitutes: the environment file (.env) overlaid by
    /// the process environment, which wins as it does in docker-compose.
    /// </summary>
    internal static class EnvironmentFile
    {
        private static readonly Regex Binding = new Regex(
            @"\G[\s]*(?:export[^\S\r\n]+)?(?:'(?<key>[^']+)'|(?<key>[^=#\s]+))[^\S\r\n]*" +
            @"(?:(?<equals>=)[^\S\r\n]*(?:'(?<single>(?:\\'|[^'])*)'|""(?<double>(?:\\""|[^""])*)""" +
            @"|(?<plain>(?!['""])[^\r\n]*)))?[^\S\r\n]*(?:#[^\r\n]*)?(?:\r\n|\n|\r|$)",
            RegexOptions.CultureInvariant);

        private static readonly Regex Comment = new Regex(@"\G\s*#[^\r\n]*(?:\r\n|\n|\r|$)");
        private static readonly Regex Blank = new Regex(@"\G\s+$");
        private static readonly Regex RestOfLine = new Regex(@"\G[^\r\n]*(?:\r\n|\n|\r)?");
        private static readonly Regex Reference = new Regex(
            @"\$\{(?<name>[^}:]*)(?::-(?<default>[^}]*))?\}");
        private static readonly Regex DoubleQuoteEscape = new Regex(@"\\[\\'""abfnrtv]");

        /// <summary>Compares variable names as the platform's environment does.</summary>
        public static StringComparer NameComparer =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
                ? StringComparer.OrdinalIgnoreCase
                : StringComparer.Ordinal;

        /// <summary>
        /// Returns the variables for substitution: those of the file, when it is given and
        /// exists, then the process environment over them.
        /// </summary>
        /// <param name="path">The environment file, or null for none.</param>
        /// <param name="required">True when the user named the file, so a missing file is an
        /// error; the default .env beside the compose file may be absent.</param>
        public static Dictionary<string, string> LoadVariables(string path, bool required)
        {
            var variables = new Dictionary<string, string>(NameComparer);
            if (path != null && File.Exists(path))
            {
                string text = File.ReadAllText(path, Encoding.UTF8);
                foreach (KeyValuePair<string, string> entry in Parse(text))
                {
                    variables[entry.Key] = entry.Value;
                }
            }
            else if (path != null && required)
            {
                throw new MeshVolumeException(
                    $"The environment file '{path}' was not found. Give the path of an existing " +
                    "file to -EnvironmentFile, or leave the parameter out to use .env beside the " +
                    "first compose file.",
                    MeshErrors.ComposeFileNotFound, ErrorCategory.ObjectNotFound);
            }

            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                variables[(string)entry.Key] = (string)entry.Value;
            }

            return variables;
        }

        /// <summary>
        /// Parses the text of an environment file with the rules of python-dotenv 0.21, which
        /// docker-compose 1.29 uses: KEY=VALUE lines, an optional "export ", comments, single
        /// and double quotes (both may span lines), and ${NAME} or ${NAME:-default} inside
        /// unquoted and double-quoted values, resolved from the process environment and the
        /// lines above.
        /// </summary>
        /// <remarks>
        /// Single-quoted values stay literal, as the compose specification states, although
        /// python-dotenv 0.21 substitutes variables inside them too. A line with a key and no
        /// "=" sets nothing. A line that cannot be parsed is skipped, where python-dotenv after
        /// an unclosed quote also drops the lines up to the next quote character.
        /// </remarks>
        public static IEnumerable<KeyValuePair<string, string>> Parse(string text)
        {
            var values = new Dictionary<string, string>(NameComparer);
            var order = new List<string>();
            int position = 0;
            while (position < text.Length)
            {
                Match match;
                if ((match = Blank.Match(text, position)).Success
                    || (match = Comment.Match(text, position)).Success)
                {
                    position += Math.Max(match.Length, 1);
                    continue;
                }

                match = Binding.Match(text, position);
                if (!match.Success || match.Length == 0)
                {
                    match = RestOfLine.Match(text, position);
                    position += Math.Max(match.Length, 1);
                    continue;
                }

                position += match.Length;
                if (!match.Groups["equals"].Success)
                {
                    continue;
                }

                string key = match.Groups["key"].Value;
                string value = ValueOf(match, values);
                if (!values.ContainsKey(key))
                {
                    order.Add(key);
                }

                values[key] = value;
            }

            foreach (string key in order)
            {
                yield return new KeyValuePair<string, string>(key, values[key]);
            }
        }

        private static string ValueOf(Match match, Dictionary<string, string> earlier)
        {
            if (match.Groups["single"].Success)
            {
                return match.Groups["single"].Value.Replace(@"\\", @"\").Replace(@"\'", "'");
            }

            string value;
            if (match.Groups["double"].Success)
            {
                value = DoubleQuoteEscape.Replace(
                    match.Groups["double"].Value, escape => Unescape(escape.Value[1]));
            }
            else
            {
                value = Regex.Replace(match.Groups["plain"].Value, @"\s+#.*", string.Empty).TrimEnd();
            }

            return Reference.Replace(value, m => Resolve(m, earlier));
        }

        private static string Resolve(Match reference, Dictionary<string, string> earlier)
        {
            string name = reference.Groups["name"].Value;
            string value = earlier.TryGetValue(name, out string fromFile)
                ? fromFile
                : Environment.GetEnvironmentVariable(name);
            if (value != null)
            {
                return value;
            }

            Group fallback = reference.Groups["default"];
            return fallback.Success ? fallback.Value : string.Empty;
        }

        private static string Unescape(char escaped)
        {
            switch (escaped)
            {
                case 'a': return "\a";
                case 'b': return "\b";
                case 'f': return "\f";
                case 'n': return "\n";
                case 'r': return "\r";
                case 't': return "\t";
                case 'v': return "\v";
                default: return escaped.ToString();
            }
        }
    }
}
