using System;
using System.Collections.Generic;
using System.Linq;

namespace MeshVolume.Compose
{
    /// <summary>
    /// Converts substituted values to the types compose 1.29 expects, with its rules: strings
    /// such as "yes" count as booleans, and numbers in options and labels become text.
    /// </summary>
    internal static class ComposeValues
    {
        /// <summary>
        /// Rejects keys that the compose schema does not allow; x- extension keys always pass.
        /// </summary>
        public static void CheckKeys(YamlMapping mapping, string subject, params string[] allowed)
        {
            foreach (KeyValuePair<YamlKey, YamlNode> entry in mapping.Entries)
            {
                string key = entry.Key.Text;
                if (key.StartsWith("x-", StringComparison.Ordinal) || allowed.Contains(key))
                {
                    continue;
                }

                throw ComposeFileReader.Invalid(entry.Key.Location,
                    $"{subject} has an unknown field '{key}'. Allowed fields: " +
                    $"{string.Join(", ", allowed)}.");
            }
        }

        /// <summary>Returns a string value; null when the node is absent.</summary>
        public static string String(YamlNode node, string field)
        {
            if (node == null)
            {
                return null;
            }

            if (node is YamlScalar scalar && scalar.IsString)
            {
                return (string)scalar.Value;
            }

            throw WrongType(node, field, "a string");
        }

        /// <summary>
        /// Returns a boolean from a YAML boolean or from a string that compose accepts as one:
        /// y, yes, true, on, n, no, false or off, in any case. Returns null for no node.
        /// </summary>
        public static bool? Boolean(YamlNode node, string field)
        {
            if (node == null)
            {
                return null;
            }

            if (node is YamlScalar scalar)
            {
                if (scalar.Kind == ScalarKind.Boolean)
                {
                    return (bool)scalar.Value;
                }

                if (scalar.IsString)
                {
                    switch (((string)scalar.Value).ToLowerInvariant())
                    {
                        case "y": case "yes": case "true": case "on": return true;
                        case "n": case "no": case "false": case "off": return false;
                    }

                    throw ComposeFileReader.Invalid(node.Location,
                        $"{field} must be a boolean, but '{scalar.Value}' is not one of true, false, " +
                        "yes, no, on, off, y, n.");
                }
            }

            throw WrongType(node, field, "a boolean");
        }

        /// <summary>
        /// Returns a driver option as compose passes it: strings as they are, numbers as
        /// Python's str() prints them.
        /// </summary>
        public static string OptionText(YamlNode node, string field)
        {
            if (node is YamlScalar scalar && (scalar.IsString || scalar.Kind == ScalarKind.Integer
                || scalar.Kind == ScalarKind.Float))
            {
                return scalar.ToPythonText();
            }

            throw WrongType(node, field, "a string or a number");
        }

        /// <summary>
        /// Returns a label value: strings as they are, numbers and booleans as Python's str()
        /// prints them (True, 12), and an empty string for null, which the engine stores as
        /// an empty label.
        /// </summary>
        public static string LabelText(YamlNode node, string field)
        {
            if (node is YamlScalar scalar)
            {
                return scalar.Kind == ScalarKind.Null ? string.Empty : scalar.ToPythonText();
            }

            throw WrongType(node, field, "a string, a number or null");
        }

        /// <summary>Reads labels written as a mapping or as a list of KEY=VALUE strings.</summary>
        public static Dictionary<string, string> Labels(YamlNode node, string field)
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node == null)
            {
                return labels;
            }

            if (node is YamlMapping mapping)
            {
                foreach (KeyValuePair<YamlKey, YamlNode> entry in mapping.Entries)
                {
                    labels[entry.Key.Text] = LabelText(entry.Value, $"{field} '{entry.Key.Text}'");
                }

                return labels;
            }

            if (node is YamlSequence list)
            {
                foreach (YamlNode item in list.Items)
                {
                    string text = String(item, $"an item of {field}");
                    int equals = text.IndexOf('=');
                    labels[equals < 0 ? text : text.Substring(0, equals)] =
                        equals < 0 ? string.Empty : text.Substring(equals + 1);
                }

                return labels;
            }

            throw WrongType(node, field, "a mapping or a list of KEY=VALUE strings");
        }

        public static MeshVolumeException WrongType(YamlNode node, string field, string expected)
        {
            string found = node is YamlScalar scalar && scalar.Kind != ScalarKind.Null
                ? $"the {node.KindName} '{scalar.Text}'"
                : "a " + node.KindName;
            return ComposeFileReader.Invalid(
                node.Location, $"{field} must be {expected}, not {found}.");
        }
    }
}
