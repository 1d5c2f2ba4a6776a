using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Docker.DotNet.Models;
using MeshVolume.Model;
using MeshVolume.Services;

namespace MeshVolume.Commands
{
    /// <summary>
    /// Creates a Docker volume, from parameters or from piped definitions such as those of
    /// Get-MeshComposeVolume.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "MeshVolume", SupportsShouldProcess = true,
        ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(MeshVolumeInfo))]
    public sealed class NewMeshVolumeCommand : DockerCmdlet
    {
        /// <summary>Name of the volume to create.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; }

        /// <summary>Volume driver; local when omitted.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string Driver { get; set; }

        /// <summary>Driver options, such as @{ type = 'nfs'; o = 'addr=10.0.0.5'; device = ':/export' }.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("DriverOpts", "Options")]
        public IDictionary DriverOptions { get; set; }

        /// <summary>Labels to set on the volume.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Label")]
        public IDictionary Labels { get; set; }

        /// <summary>
        /// Marks a definition whose volume is managed elsewhere: it is checked for existence,
        /// never created.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public SwitchParameter External { get; set; }

        protected override void ProcessRecord()
        {
            try
            {
                VolumeService.ValidateName(Name);
                var service = new VolumeService(Engine);
                VolumeResponse existing = RunAsync(token => service.TryInspectAsync(Name, token));
                if (External)
                {
                    CheckExternal(service, existing);
                    return;
                }

                Dictionary<string, string> options = ToStringMap(DriverOptions);
                Dictionary<string, string> labels = ToStringMap(Labels);
                string driver = string.IsNullOrEmpty(Driver) ? "local" : Driver;
                if (existing != null)
                {
                    HandleExisting(service, existing, driver, options, labels);
                    return;
                }

                string action = $"Create volume (driver {driver}, {options.Count} option(s), " +
                    $"{labels.Count} label(s)) on {Engine.Name}";
                if (!ShouldProcess(Name, action))
                {
                    return;
                }

                VolumeResponse created = RunAsync(
                    token => service.CreateAsync(Name, driver, options, labels, token));
                WriteObject(service.ToInfo(created, null, null));
            }
            catch (MeshVolumeException ex)
            {
                WriteError(ex.ToErrorRecord(Name));
            }
        }

        private void CheckExternal(VolumeService service, VolumeResponse existing)
        {
            if (existing == null)
            {
                WriteError(
                    $"The external volume '{Name}' does not exist on the engine at " +
                    $"{Engine.Name}. External volumes are not created by this command: create " +
                    "it first, for example with New-MeshVolume -Name " + Name + ".",
                    MeshErrors.ExternalVolumeMissing, ErrorCategory.ObjectNotFound, Name);
                return;
            }

            WriteVerbose($"The external volume '{Name}' exists; it is left as it is.");
            WriteObject(service.ToInfo(existing, null, null));
        }

        // A declarative definition (from a compose file) that matches the volume already there
        // is satisfied; anything else is a conflict the user must resolve.
        private void HandleExisting(
            VolumeService service, VolumeResponse existing, string driver,
            Dictionary<string, string> options, Dictionary<string, string> labels)
        {
            bool declarative = labels.ContainsKey(VolumeService.ComposeProjectLabel);
            bool same = existing.Driver == driver &&
                SameMap(existing.Options, options) && SameMap(existing.Labels, labels);
            if (declarative && same)
            {
                WriteVerbose($"The volume '{Name}' already exists with the same definition; " +
                    "it is left as it is.");
                WriteObject(service.ToInfo(existing, null, null));
                return;
            }

            string difference = same ? "" : " with a different definition (driver " +
                $"'{existing.Driver}', {existing.Options?.Count ?? 0} option(s), " +
                $"{existing.Labels?.Count ?? 0} label(s))";
            WriteError(
                $"The volume '{Name}' already exists on the engine at {Engine.Name}{difference}. " +
                "Choose another name, or remove it first with Remove-MeshVolume.",
                MeshErrors.VolumeAlreadyExists, ErrorCategory.ResourceExists, Name);
        }

        private static bool SameMap(IDictionary<string, string> left, Dictionary<string, string> right)
        {
            left = left ?? new Dictionary<string, string>();
            return left.Count == right.Count &&
                left.All(pair => right.TryGetValue(pair.Key, out string value) && value == pair.Value);
        }

        private static Dictionary<string, string> ToStringMap(IDictionary source)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (source == null)
            {
                return map;
            }

            foreach (DictionaryEntry entry in source)
            {
                object value = entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
                map[entry.Key.ToString()] = value?.ToString() ?? string.Empty;
            }

            return map;
        }
    }
}
