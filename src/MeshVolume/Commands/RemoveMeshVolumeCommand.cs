using System.Linq;
using System.Management.Automation;
using MeshVolume.Model;
using MeshVolume.Services;

namespace MeshVolume.Commands
{
    /// <summary>Removes Docker volumes that no container uses.</summary>
    [Cmdlet(VerbsCommon.Remove, "MeshVolume", SupportsShouldProcess = true,
        ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemoveMeshVolumeCommand : DockerCmdlet
    {
        /// <summary>Names of the volumes to remove; wildcards are not expanded, to avoid accidents.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true,
            ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VolumeNameCompleter))]
        public string[] Name { get; set; }

        /// <summary>Removes without asking for confirmation; -WhatIf still only reports.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var service = new VolumeService(Engine);
            foreach (string name in Name)
            {
                try
                {
                    Remove(service, name);
                }
                catch (MeshVolumeException ex)
                {
                    WriteError(ex.ToErrorRecord(name));
                }
            }
        }

        private void Remove(VolumeService service, string name)
        {
            RunAsync(token => service.InspectAsync(name, token));
            var users = RunAsync(token => service.GetVolumeUsersAsync(token))[name].ToList();
            if (users.Count > 0)
            {
                string list = string.Join(", ", users.Select(u => $"{u.Name} ({u.State})"));
                WriteError(
                    $"The volume '{name}' is used by {users.Count} container(s): {list}. " +
                    "Remove those containers first (docker rm), then remove the volume.",
                    MeshErrors.VolumeInUse, ErrorCategory.ResourceBusy, name);
                return;
            }

            bool confirmed = Force && !MyInvocation.BoundParameters.ContainsKey("WhatIf")
                ? true
                : ShouldProcess(name, $"Remove volume and all its data from {Engine.Name}");
            if (!confirmed)
            {
                return;
            }

            RunAsync(token => service.RemoveAsync(name, token));
            WriteVerbose($"Removed the volume '{name}' from {Engine.Name}.");
        }
    }
}
