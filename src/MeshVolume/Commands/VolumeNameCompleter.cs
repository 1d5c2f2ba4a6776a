using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using MeshVolume.Services;

namespace MeshVolume.Commands
{
    /// <summary>Completes volume names from the engine the command line points at.</summary>
    public sealed class VolumeNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(
            string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string dockerHost = fakeBoundParameters?["DockerHost"] as string;
            string prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
            var pattern = new WildcardPattern(prefix + "*", WildcardOptions.IgnoreCase);
            try
            {
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
                using (DockerEngine engine = DockerEngine.ConnectAsync(dockerHost, timeout.Token)
                    .GetAwaiter().GetResult())
                {
                    var volumes = new VolumeService(engine).ListAsync(null, timeout.Token)
                        .GetAwaiter().GetResult();
                    return volumes.Select(v => v.Name)
                        .Where(pattern.IsMatch)
                        .OrderBy(n => n, StringComparer.Ordinal)
                        .Select(n => new CompletionResult(
                            Quote(n), n, CompletionResultType.ParameterValue, n))
                        .ToList();
                }
            }
            catch (Exception)
            {
                // Completion must never throw at the prompt; an unreachable engine offers nothing.
                return Enumerable.Empty<CompletionResult>();
            }
        }

        private static string Quote(string name)
        {
            return name.IndexOfAny(new[] { ' ', '$', '`', '\'' }) >= 0
                ? "'" + name.Replace("'", "''") + "'"
                : name;
        }
    }
}
