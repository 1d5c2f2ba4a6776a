using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Docker.DotNet.Models;
using MeshVolume.Model;
using MeshVolume.Services;

namespace MeshVolume.Commands
{
    /// <summary>Lists Docker volumes with their size and the containers that use them.</summary>
    [Cmdlet(VerbsCommon.Get, "MeshVolume")]
    [OutputType(typeof(MeshVolumeInfo))]
    public sealed class GetMeshVolumeCommand : DockerCmdlet
    {
        private readonly List<string> _names = new List<string>();

        /// <summary>Volume names; wildcards allowed.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(VolumeNameCompleter))]
        public string[] Name { get; set; }

        /// <summary>Label filters: 'key' for any value, 'key=value' for one value; all must match.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] Label { get; set; }

        /// <summary>Compose project whose volumes to list (the com.docker.compose.project label).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ComposeProject { get; set; }

        /// <summary>Skips the disk-usage query, which can be slow on engines with many volumes.</summary>
        [Parameter]
        public SwitchParameter NoSize { get; set; }

        protected override void ProcessRecord()
        {
            if (Name != null)
            {
                _names.AddRange(Name);
            }
        }

        protected override void EndProcessing()
        {
            var filters = new List<string>(Label ?? new string[0]);
            if (ComposeProject != null)
            {
                filters.Add(VolumeService.ComposeProjectLabel + "=" + ComposeProject);
            }

            var service = new VolumeService(Engine);
            bool wantSize = !NoSize;
            var (volumes, sizes, users) = RunAsync(async token =>
            {
                var listed = await service.ListAsync(filters, token).ConfigureAwait(false);
                IDictionary<string, long> sizeTable = null;
                if (wantSize)
                {
                    try
                    {
                        sizeTable = await service.GetSizesAsync(token).ConfigureAwait(false);
                    }
                    catch (Docker.DotNet.DockerApiException ex)
                    {
                        string reason = VolumeService.EngineMessage(ex);
                        Post(() => WriteWarning("The engine did not report volume sizes " +
                            $"({reason}); SizeBytes is empty. Run the command again later."));
                    }
                }

                var usage = await service.GetVolumeUsersAsync(token).ConfigureAwait(false);
                return (listed, sizeTable, usage);
            });

            foreach (VolumeResponse volume in Select(volumes))
            {
                WriteObject(service.ToInfo(volume, sizes, users));
            }
        }

        private IEnumerable<VolumeResponse> Select(IList<VolumeResponse> volumes)
        {
            var ordered = volumes.OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
            if (_names.Count == 0)
            {
                return ordered;
            }

            var selected = new List<VolumeResponse>();
            foreach (string name in _names)
            {
                var pattern = new WildcardPattern(name, WildcardOptions.None);
                var matches = ordered.Where(v => pattern.IsMatch(v.Name)).ToList();
                if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                {
                    WriteError(
                        $"The volume '{name}' was not found on the engine at {Engine.Name}.",
                        MeshErrors.VolumeNotFound, ErrorCategory.ObjectNotFound, name);
                }

                selected.AddRange(matches.Where(m => !selected.Contains(m)));
            }

            return selected;
        }
    }
}
