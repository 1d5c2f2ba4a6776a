using System;
using System.Collections.Generic;
using System.Globalization;

namespace MeshVolume.Compose
{
    /// <summary>
    /// A position in a compose file; line and column count from 1, as editors show them.
    /// </summary>
    internal sealed class SourceLocation
    {
        public SourceLocation(string file, int line, int column)
        {
            File = file;
            Line = line;
            Column = column;
        }

        /// <summary>Full path of the compose file.</summary>
        public string File { get; }

        public int Line { get; }

        public int Column { get; }

        public override string ToString()
        {
            return $"{File}, line {Line}, column {Column}";
        }
    }

    /// <summary>Node of a parsed compose file, with the position it was read from.</summary>
    internal abstract class YamlNode
    {
        protected YamlNode(SourceLocation location)
        {
            Location = location;
        }

        public SourceLocation Location { get; }

        /// <summary>
        /// YAML kind as messages name it: string, number, boolean, null, mapping, list.
        /// </summary>
        public abstract string KindName { get; }
    }

    /// <summary>
    /// Kind of value a scalar resolved to under the YAML 1.1 rules that PyYAML applies.
    /// </summary>
    internal enum ScalarKind
    {
        Null,
        Boolean,
        Integer,
        Float,
        String,
    }

    /// <summary>
    /// Scalar with its resolved value: a string, a boolean, a long, a double, or null.
    /// </summary>
    internal sealed class YamlScalar : YamlNode
    {
        public YamlScalar(SourceLocation location, ScalarKind kind, object value, string text)
            : base(location)
        {
            Kind = kind;
            Value = value;
            Text = text;
        }

        public ScalarKind Kind { get; }

        public object Value { get; }

        /// <summary>The scalar as written, such as 01777 for the integer 1023.</summary>
        public string Text { get; }

        public bool IsString => Kind == ScalarKind.String;

        public override string KindName
        {
            get
            {
                switch (Kind)
                {
                    case ScalarKind.Null: return "null";
                    case ScalarKind.Boolean: return "boolean";
                    case ScalarKind.String: return "string";
                    default: return "number";
                }
            }
        }

        /// <summary>
        /// Formats the value as Python's str() does, because docker-compose 1.29 turns option
        /// and label values into text that way: True, 511 for 0777, 1.5 for 1.50, None.
        /// </summary>
        public string ToPythonText()
        {
            switch (Kind)
            {
                case ScalarKind.Null:
                    return "None";
                case ScalarKind.Boolean:
                    return (bool)Value ? "True" : "False";
                case ScalarKind.Integer:
                    return ((long)Value).ToString(CultureInfo.InvariantCulture);
                case ScalarKind.Float:
                    return FormatPythonFloat((double)Value);
                default:
                    return (string)Value;
            }
        }

        public YamlScalar WithString(string text)
        {
            return new YamlScalar(Location, ScalarKind.String, text, text);
        }

        // Python's repr of a float: the shortest digits that read back the same value, in
        // fixed notation for exponents from -4 to 15, else as 1e+16 or 1.5e-05.
        // NOTE: .NET Framework's "R" format may give 17 digits where the shortest would do,
        // so Windows PowerShell 5.1 can print such floats longer than compose does.
        private static string FormatPythonFloat(double value)
        {
            if (double.IsNaN(value))
            {
                return "nan";
            }

            if (double.IsInfinity(value))
            {
                return value > 0 ? "inf" : "-inf";
            }

            string sign = value < 0 || (value == 0 && double.IsNegativeInfinity(1 / value)) ? "-" : "";
            string text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
            int exponent = 0;
            int e = text.IndexOfAny(new[] { 'E', 'e' });
            if (e >= 0)
            {
                exponent = int.Parse(text.Substring(e + 1), CultureInfo.InvariantCulture);
                text = text.Substring(0, e);
            }

            int dot = text.IndexOf('.');
            string whole = dot < 0 ? text : text.Substring(0, dot);
            string allDigits = whole + (dot < 0 ? string.Empty : text.Substring(dot + 1));
            string digits = allDigits.TrimStart('0');
            int point = whole.Length + exponent - (allDigits.Length - digits.Length);
            digits = digits.TrimEnd('0');
            if (digits.Length == 0)
            {
                return sign + "0.0";
            }

            int scientific = point - 1;
            if (scientific < -4 || scientific >= 16)
            {
                string mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits.Substring(1);
                string power = Math.Abs(scientific).ToString("00", CultureInfo.InvariantCulture);
                return sign + mantissa + "e" + (scientific < 0 ? "-" : "+") + power;
            }

            if (point <= 0)
            {
                return sign + "0." + new string('0', -point) + digits;
            }

            if (point >= digits.Length)
            {
                return sign + digits + new string('0', point - digits.Length) + ".0";
            }

            return sign + digits.Substring(0, point) + "." + digits.Substring(point);
        }
    }

    /// <summary>Key of a mapping entry: its text and where it was written.</summary>
    internal sealed class YamlKey
    {
        public YamlKey(string text, SourceLocation location)
        {
            Text = text;
            Location = location;
        }

        public string Text { get; }

        public SourceLocation Location { get; }
    }

    /// <summary>
    /// Mapping whose entries keep the order of the file; a repeated key keeps its last value.
    /// </summary>
    internal sealed class YamlMapping : YamlNode
    {
        private readonly List<KeyValuePair<YamlKey, YamlNode>> _entries =
            new List<KeyValuePair<YamlKey, YamlNode>>();

        public YamlMapping(SourceLocation location)
            : base(location)
        {
        }

        public override string KindName => "mapping";

        public IReadOnlyList<KeyValuePair<YamlKey, YamlNode>> Entries => _entries;

        public int Count => _entries.Count;

        /// <summary>
        /// Sets a key; an existing key keeps its position and takes the new value.
        /// </summary>
        public void Set(YamlKey key, YamlNode value)
        {
            int index = IndexOf(key.Text);
            if (index >= 0)
            {
                _entries[index] = new KeyValuePair<YamlKey, YamlNode>(_entries[index].Key, value);
                return;
            }

            _entries.Add(new KeyValuePair<YamlKey, YamlNode>(key, value));
        }

        public bool TryGet(string key, out YamlNode value)
        {
            int index = IndexOf(key);
            value = index >= 0 ? _entries[index].Value : null;
            return index >= 0;
        }

        public YamlNode Get(string key)
        {
            TryGet(key, out YamlNode value);
            return value;
        }

        public bool Contains(string key)
        {
            return IndexOf(key) >= 0;
        }

        private int IndexOf(string key)
        {
            for (int i = 0; i < _entries.Count; i++)
            {
                if (_entries[i].Key.Text == key)
                {
                    return i;
                }
            }

            return -1;
        }
    }

    internal sealed class YamlSequence : YamlNode
    {
        public YamlSequence(SourceLocation location, List<YamlNode> items)
            : base(location)
        {
            Items = items;
        }

        public override string KindName => "list";

        public IReadOnlyList<YamlNode> Items { get; }
    }
}
