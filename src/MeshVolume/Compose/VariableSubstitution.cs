using System.Collections.Generic;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace MeshVolume.Compose
{
    /// <summary>
    /// Replaces variables in compose file values as docker-compose 1.29 does: $VAR, ${VAR},
    /// ${VAR:-default} (unset or empty), ${VAR-default} (unset), ${VAR:?message} (unset or
    /// empty is an error), ${VAR?message} (unset is an error), and $$ for a literal dollar.
    /// </summary>
    /// <remarks>
    /// Defaults and messages are literal text, as in compose 1.29; the compose specification
    /// (docker compose v2) also substitutes variables nested inside a default. An unset
    /// variable without a default becomes an empty string, and its name is kept in
    /// <see cref="MissingVariables"/> so the caller can warn as compose does.
    /// </remarks>
    internal sealed class VariableSubstitution
    {
        // The pattern of compose 1.29, matched case-insensitively as Python's string.Template
        // does; a dollar sign that starts none of the forms is an invalid interpolation.
        private static readonly Regex Placeholder = new Regex(
            @"\$(?:(?<escaped>\$)|(?<named>[_a-z][_a-z0-9]*)" +
            @"|\{(?<braced>[_a-z][_a-z0-9]*(?:(?<separator>:?[-?])[^}]*)?)\}|(?<invalid>))",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private readonly IDictionary<string, string> _variables;
        private readonly List<string> _missing = new List<string>();

        public VariableSubstitution(IDictionary<string, string> variables)
        {
            _variables = variables;
        }

        /// <summary>
        /// Names of unset variables that were replaced with an empty string, in order.
        /// </summary>
        public IReadOnlyList<string> MissingVariables => _missing;

        /// <summary>
        /// Substitutes the variables in one value.
        /// </summary>
        /// <param name="text">The value as written in the file.</param>
        /// <param name="location">Where the value was written, for error messages.</param>
        /// <param name="field">The field in the user's terms, such as "volume 'data' field
        /// 'driver_opts.device'".</param>
        /// <exception cref="MeshVolumeException">ComposeFileInvalid for an invalid format,
        /// ComposeVariableMissing for a required variable that is not set.</exception>
        public string Substitute(string text, SourceLocation location, string field)
        {
            if (text.IndexOf('$') < 0)
            {
                return text;
            }

            return Placeholder.Replace(text, match => Evaluate(match, text, location, field));
        }

        private string Evaluate(Match match, string text, SourceLocation location, string field)
        {
            if (match.Groups["escaped"].Success)
            {
                return "$";
            }

            if (match.Groups["named"].Success)
            {
                return Lookup(match.Groups["named"].Value);
            }

            if (!match.Groups["braced"].Success)
            {
                throw ComposeFileReader.Invalid(location,
                    $"Invalid interpolation format in {field}: '{text}'. Use $NAME or ${{NAME}} " +
                    "for a variable and $$ for a literal dollar sign.");
            }

            string braced = match.Groups["braced"].Value;
            Group separatorGroup = match.Groups["separator"];
            if (!separatorGroup.Success)
            {
                return Lookup(braced);
            }

            string separator = separatorGroup.Value;
            string name = braced.Substring(0, separatorGroup.Index - match.Groups["braced"].Index);
            string argument = braced.Substring(name.Length + separator.Length);
            bool isSet = _variables.TryGetValue(name, out string value) && value != null;
            bool isEmpty = !isSet || value.Length == 0;
            switch (separator)
            {
                case ":-":
                    return isEmpty ? argument : value;
                case "-":
                    return isSet ? value : argument;
                case ":?":
                    if (isEmpty)
                    {
                        throw Missing(location, field, name, argument, isSet ? "empty" : "not set");
                    }

                    return value;
                default:
                    if (!isSet)
                    {
                        throw Missing(location, field, name, argument, "not set");
                    }

                    return value;
            }
        }

        private string Lookup(string name)
        {
            if (_variables.TryGetValue(name, out string value) && value != null)
            {
                return value;
            }

            if (!_missing.Contains(name))
            {
                _missing.Add(name);
            }

            return string.Empty;
        }

        private static MeshVolumeException Missing(
            SourceLocation location, string field, string name, string message, string state)
        {
            string detail = message.Length > 0 ? $" ({message})" : string.Empty;
            return new MeshVolumeException(
                $"{location}: {field} requires the variable {name}, which is {state}{detail}. " +
                "Set it in the environment or in the environment file.",
                MeshErrors.ComposeVariableMissing, ErrorCategory.ObjectNotFound);
        }
    }
}
