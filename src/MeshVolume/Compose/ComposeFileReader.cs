using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MeshVolume.Compose
{
    /// <summary>
    /// Reads one compose file into <see cref="YamlNode"/> trees as PyYAML's safe_load does for
    /// docker-compose 1.29: YAML 1.1 scalar types (yes/no booleans, 0777 octal), anchors and
    /// aliases, merge keys, and the last value for a repeated key.
    /// </summary>
    /// <remarks>
    /// The nodes are built from YamlDotNet's parser events rather than with its
    /// RepresentationModel and MergingParser: MergingParser splices the merged keys into the
    /// mapping, so a key that overrides a merged one becomes a duplicate key, which the
    /// RepresentationModel rejects.
    /// </remarks>
    internal sealed class ComposeFileReader
    {
        private const string YamlTagPrefix = "tag:yaml.org,2002:";

        private static readonly Regex IntegerPattern = new Regex(
            @"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+" +
            @"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            RegexOptions.CultureInvariant);

        private static readonly Regex FloatPattern = new Regex(
            @"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?" +
            @"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            RegexOptions.CultureInvariant);

        private static readonly HashSet<string> TrueWords = new HashSet<string>(StringComparer.Ordinal)
        {
            "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        };

        private static readonly HashSet<string> FalseWords = new HashSet<string>(StringComparer.Ordinal)
        {
            "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
        };

        private static readonly HashSet<string> NullWords = new HashSet<string>(StringComparer.Ordinal)
        {
            string.Empty, "~", "null", "Null", "NULL",
        };

        private readonly string _file;
        private readonly IParser _parser;
        private readonly Dictionary<string, YamlNode> _anchors = new Dictionary<string, YamlNode>();
        private Mark _lastEnd = Mark.Empty;

        private ComposeFileReader(string file, TextReader text)
        {
            _file = file;
            _parser = new Parser(text);
        }

        /// <summary>
        /// Reads a compose file whose top level must be a mapping.
        /// </summary>
        /// <exception cref="MeshVolumeException">ComposeFileInvalid: unreadable file, broken
        /// YAML (with its line and column) or a top level that is not a mapping.</exception>
        public static YamlMapping ReadFile(string path)
        {
            string text;
            try
            {
                using (var reader = new StreamReader(path, new UTF8Encoding(false), true))
                {
                    text = reader.ReadToEnd();
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new MeshVolumeException(
                    $"Reading the compose file '{path}' failed: {ex.Message}",
                    MeshErrors.ComposeFileInvalid, ErrorCategory.ReadError, ex);
            }

            YamlNode root = Parse(path, text);
            if (root is YamlMapping mapping)
            {
                return mapping;
            }

            SourceLocation location = root?.Location ?? new SourceLocation(path, 1, 1);
            bool empty = root == null || (root is YamlScalar scalar && scalar.Kind == ScalarKind.Null);
            string found = empty ? "nothing" : "a " + root.KindName;
            throw Invalid(location, $"The top level of a compose file must be a mapping, " +
                $"but the file contains {found}.");
        }

        /// <summary>
        /// Parses YAML text of at most one document; returns null when there is no document.
        /// </summary>
        public static YamlNode Parse(string file, string text)
        {
            var reader = new ComposeFileReader(file, new StringReader(text));
            try
            {
                return reader.ReadStream();
            }
            catch (YamlException ex)
            {
                SourceLocation location = reader.LocationOf(ex.Start);
                throw new MeshVolumeException(
                    $"{location}: invalid YAML: {CleanYamlMessage(ex.Message)}",
                    MeshErrors.ComposeFileInvalid, ErrorCategory.ParserError, ex);
            }
        }

        /// <summary>Builds the error for a file that parsed but breaks a compose rule.</summary>
        public static MeshVolumeException Invalid(SourceLocation location, string message)
        {
            return new MeshVolumeException(
                $"{location}: {message}", MeshErrors.ComposeFileInvalid, ErrorCategory.InvalidData);
        }

        private YamlNode ReadStream()
        {
            Advance();
            Advance();
            if (!(_parser.Current is DocumentStart))
            {
                return null;
            }

            Advance();
            YamlNode root = ReadNode();
            Advance();
            if (_parser.Current is DocumentStart second)
            {
                throw Invalid(LocationOf(second.Start),
                    "A compose file must contain a single YAML document, but a second one " +
                    "starts here.");
            }

            return root;
        }

        // YamlDotNet 18.1 throws InvalidOperationException rather than a YamlException for
        // some broken input, such as a flow sequence left open. That error has no position, so
        // the message gives the end of the last event read.
        private void Advance()
        {
            try
            {
                _parser.MoveNext();
            }
            catch (InvalidOperationException ex)
            {
                throw new MeshVolumeException(
                    $"{LocationOf(_lastEnd)}: invalid YAML after this point: {ex.Message} " +
                    "Check the brackets, quotes and indentation that follow.",
                    MeshErrors.ComposeFileInvalid, ErrorCategory.ParserError, ex);
            }

            if (_parser.Current != null)
            {
                _lastEnd = _parser.Current.End;
            }
        }

        private YamlNode ReadNode()
        {
            ParsingEvent current = _parser.Current;
            switch (current)
            {
                case AnchorAlias alias:
                    Advance();
                    if (_anchors.TryGetValue(alias.Value.Value, out YamlNode target))
                    {
                        return target;
                    }

                    throw Invalid(LocationOf(alias.Start),
                        $"The alias '*{alias.Value.Value}' refers to no anchor defined before it.");
                case Scalar scalar:
                    Advance();
                    return Remember(scalar.Anchor, ResolveScalar(scalar));
                case SequenceStart start:
                    return ReadSequence(start);
                case MappingStart start:
                    return ReadMapping(start);
                default:
                    throw Invalid(LocationOf(current.Start),
                        $"Unexpected YAML event {current.GetType().Name}.");
            }
        }

        private YamlNode ReadSequence(SequenceStart start)
        {
            CheckCollectionTag(start.Tag, "seq", start.Start);
            Advance();
            var items = new List<YamlNode>();
            while (!(_parser.Current is SequenceEnd))
            {
                items.Add(ReadNode());
            }

            Advance();
            return Remember(start.Anchor, new YamlSequence(LocationOf(start.Start), items));
        }

        private YamlNode ReadMapping(MappingStart start)
        {
            CheckCollectionTag(start.Tag, "map", start.Start);
            Advance();
            var merged = new List<KeyValuePair<YamlKey, YamlNode>>();
            var own = new List<KeyValuePair<YamlKey, YamlNode>>();
            while (!(_parser.Current is MappingEnd))
            {
                ParsingEvent keyEvent = _parser.Current;
                bool isMergeKey = keyEvent is Scalar keyScalar && IsMergeKey(keyScalar);
                YamlNode keyNode = ReadNode();
                YamlNode value = ReadNode();
                if (isMergeKey)
                {
                    merged.AddRange(EntriesToMerge(value));
                    continue;
                }

                if (!(keyNode is YamlScalar key))
                {
                    throw Invalid(keyNode.Location,
                        $"A mapping key must be a scalar, but this one is a {keyNode.KindName}.");
                }

                own.Add(new KeyValuePair<YamlKey, YamlNode>(
                    new YamlKey(key.ToPythonText(), key.Location), value));
            }

            Advance();

            // YAML 1.1 merge keys: merged entries come first, so the mapping's own keys win.
            var mapping = new YamlMapping(LocationOf(start.Start));
            foreach (KeyValuePair<YamlKey, YamlNode> entry in merged)
            {
                mapping.Set(entry.Key, entry.Value);
            }

            foreach (KeyValuePair<YamlKey, YamlNode> entry in own)
            {
                mapping.Set(entry.Key, entry.Value);
            }

            return Remember(start.Anchor, mapping);
        }

        // In a list of merged mappings the earlier ones win, so later ones are applied first.
        private static IEnumerable<KeyValuePair<YamlKey, YamlNode>> EntriesToMerge(YamlNode value)
        {
            if (value is YamlMapping single)
            {
                return single.Entries;
            }

            if (value is YamlSequence list)
            {
                var entries = new List<KeyValuePair<YamlKey, YamlNode>>();
                for (int i = list.Items.Count - 1; i >= 0; i--)
                {
                    if (!(list.Items[i] is YamlMapping item))
                    {
                        throw Invalid(list.Items[i].Location, "A merge key (<<) takes a " +
                            "mapping or a list of mappings, but this list item is a " +
                            $"{list.Items[i].KindName}.");
                    }

                    entries.AddRange(item.Entries);
                }

                return entries;
            }

            throw Invalid(value.Location, "A merge key (<<) takes a mapping or a list of " +
                $"mappings, but this value is a {value.KindName}.");
        }

        private static bool IsMergeKey(Scalar scalar)
        {
            if (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific)
            {
                return scalar.Tag.Value == YamlTagPrefix + "merge";
            }

            return scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty && scalar.Value == "<<";
        }

        private YamlNode Remember(AnchorName anchor, YamlNode node)
        {
            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = node;
            }

            return node;
        }

        private void CheckCollectionTag(TagName tag, string expected, Mark start)
        {
            if (tag.IsEmpty || tag.IsNonSpecific || tag.Value == YamlTagPrefix + expected)
            {
                return;
            }

            throw Invalid(LocationOf(start), $"The tag '{tag.Value}' is not supported here.");
        }

        private YamlScalar ResolveScalar(Scalar scalar)
        {
            SourceLocation location = LocationOf(scalar.Start);
            string text = scalar.Value;
            string tag = scalar.Tag.IsEmpty || scalar.Tag.IsNonSpecific ? null : scalar.Tag.Value;
            if (tag == null)
            {
                bool plain = scalar.Style == ScalarStyle.Plain && !scalar.Tag.IsNonSpecific;
                return plain
                    ? ResolvePlain(location, text)
                    : new YamlScalar(location, ScalarKind.String, text, text);
            }

            YamlScalar resolved;
            switch (tag)
            {
                case YamlTagPrefix + "str":
                    return new YamlScalar(location, ScalarKind.String, text, text);
                case YamlTagPrefix + "int":
                    resolved = ResolvePlain(location, text);
                    if (resolved.Kind == ScalarKind.Integer)
                    {
                        return resolved;
                    }

                    break;
                case YamlTagPrefix + "float":
                    resolved = ResolvePlain(location, text);
                    if (resolved.Kind == ScalarKind.Float)
                    {
                        return resolved;
                    }

                    if (resolved.Kind == ScalarKind.Integer)
                    {
                        double number = (long)resolved.Value;
                        return new YamlScalar(location, ScalarKind.Float, number, text);
                    }

                    break;
                case YamlTagPrefix + "bool":
                case YamlTagPrefix + "null":
                    resolved = ResolvePlain(location, text);
                    if (resolved.Kind == (tag.EndsWith("bool") ? ScalarKind.Boolean : ScalarKind.Null))
                    {
                        return resolved;
                    }

                    break;
                default:
                    throw Invalid(location, $"The tag '{tag}' is not supported in a compose file.");
            }

            throw Invalid(location, $"The value '{text}' does not match its tag '{tag}'.");
        }

        /// <summary>Resolves an untagged plain scalar with PyYAML's YAML 1.1 rules.</summary>
        private static YamlScalar ResolvePlain(SourceLocation location, string text)
        {
            if (NullWords.Contains(text))
            {
                return new YamlScalar(location, ScalarKind.Null, null, text);
            }

            if (TrueWords.Contains(text) || FalseWords.Contains(text))
            {
                return new YamlScalar(location, ScalarKind.Boolean, TrueWords.Contains(text), text);
            }

            if (IntegerPattern.IsMatch(text) && TryParseInteger(text, out long integer))
            {
                return new YamlScalar(location, ScalarKind.Integer, integer, text);
            }

            if (FloatPattern.IsMatch(text) && TryParseFloat(text, out double number))
            {
                return new YamlScalar(location, ScalarKind.Float, number, text);
            }

            // An integer too large for a long stays text; its digits are what str() would print.
            return new YamlScalar(location, ScalarKind.String, text, text);
        }

        private static bool TryParseInteger(string text, out long value)
        {
            string digits = text.Replace("_", string.Empty);
            int sign = 1;
            if (digits[0] == '-' || digits[0] == '+')
            {
                sign = digits[0] == '-' ? -1 : 1;
                digits = digits.Substring(1);
            }

            try
            {
                if (digits == "0")
                {
                    value = 0;
                }
                else if (digits.StartsWith("0b", StringComparison.Ordinal))
                {
                    value = Convert.ToInt64(digits.Substring(2), 2);
                }
                else if (digits.StartsWith("0x", StringComparison.Ordinal))
                {
                    value = Convert.ToInt64(digits.Substring(2), 16);
                }
                else if (digits[0] == '0')
                {
                    value = Convert.ToInt64(digits.Substring(1), 8);
                }
                else if (digits.IndexOf(':') >= 0)
                {
                    value = 0;
                    foreach (string part in digits.Split(':'))
                    {
                        value = checked(value * 60 + long.Parse(part, CultureInfo.InvariantCulture));
                    }
                }
                else
                {
                    value = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
                }

                value *= sign;
                return true;
            }
            catch (Exception ex) when (ex is OverflowException || ex is FormatException)
            {
                value = 0;
                return false;
            }
        }

        private static bool TryParseFloat(string text, out double value)
        {
            string digits = text.Replace("_", string.Empty).ToLowerInvariant();
            int sign = 1;
            if (digits[0] == '-' || digits[0] == '+')
            {
                sign = digits[0] == '-' ? -1 : 1;
                digits = digits.Substring(1);
            }

            if (digits == ".inf")
            {
                value = sign * double.PositiveInfinity;
                return true;
            }

            if (digits == ".nan")
            {
                value = double.NaN;
                return true;
            }

            if (digits.IndexOf(':') >= 0)
            {
                value = 0;
                foreach (string part in digits.Split(':'))
                {
                    value = value * 60 + double.Parse(part, CultureInfo.InvariantCulture);
                }

                value *= sign;
                return true;
            }

            bool parsed = double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture,
                out value);
            value *= sign;
            return parsed;
        }

        private SourceLocation LocationOf(Mark mark)
        {
            return new SourceLocation(_file, (int)mark.Line, (int)mark.Column);
        }

        // YamlDotNet starts its messages with "(Line: 6, Col: 6, Idx: 48) - (...): ", which
        // repeats the location already in front of the message.
        private static string CleanYamlMessage(string message)
        {
            Match prefix = Regex.Match(message, @"^\(Line: \d+, Col: \d+, Idx: \d+\) - " +
                @"\(Line: \d+, Col: \d+, Idx: \d+\): ");
            return prefix.Success ? message.Substring(prefix.Length) : message;
        }
    }
}
