using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using MeshVolume.Model;
using MeshVolume.Services;
using MeshVolume.Services.Throughput;

namespace MeshVolume.Commands
{
    /// <summary>
    /// Measures how fast a container writes and reads through a volume, a bind mount and a
    /// tmpfs mount.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Measure, "MeshVolumeThroughput", SupportsShouldProcess = true,
        ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(ThroughputInfo))]
    public sealed class MeasureMeshVolumeThroughputCommand : DockerCmdlet
    {
        private static readonly string[] AllMountTypes = { "Volume", "Bind", "Tmpfs" };

        private readonly List<string> _names = new List<string>();

        /// <summary>Existing volumes to measure in place of a new scratch volume.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VolumeNameCompleter))]
        public string[] Name { get; set; }

        /// <summary>Image of the measuring containers; it must exist on the engine.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string Image { get; set; }

        /// <summary>Kinds of mount to measure.</summary>
        [Parameter]
        [ValidateSet("Volume", "Bind", "Tmpfs", IgnoreCase = true)]
        public string[] MountType { get; set; } = AllMountTypes;

        /// <summary>Mebibytes written and read in each run.</summary>
        [Parameter]
        [ValidateRange(1, 1048576)]
        public int SizeMB { get; set; } = 256;

        /// <summary>Bytes per dd system call: a number, or a number with K, M or G.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string BlockSize { get; set; } = "1M";

        /// <summary>Number of runs; each row reports their median.</summary>
        [Parameter]
        [ValidateRange(1, 100)]
        public int Repeat { get; set; } = 1;

        /// <summary>Folder on the engine's host that contains the bind-mounted folder.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string BindPath { get; set; }

        protected override void ProcessRecord()
        {
            if (Name != null)
            {
                _names.AddRange(Name.Where(n => !_names.Contains(n)));
            }
        }

        protected override void EndProcessing()
        {
            ThroughputRequest request = CreateRequest();
            List<string> mountTypes = AllMountTypes
                .Where(t => MountType.Contains(t, StringComparer.OrdinalIgnoreCase))
                .ToList();
            if (_names.Count > 0 && !mountTypes.Contains("Volume"))
            {
                ThrowTerminating(
                    "-Name selects volumes to measure, but -MountType does not include Volume. " +
                    "Add Volume to -MountType, or leave out -Name.",
                    MeshErrors.MountTypeConflict, ErrorCategory.InvalidArgument, MountType);
            }

            string bindParent = ResolveBindParent(mountTypes);
            var service = new ThroughputService(
                Engine, text => PostVerbose(() => text), text => Post(() => WriteWarning(text)));
            try
            {
                RunAsync(token => service.EnsureImageAsync(Image, token));
            }
            catch (MeshVolumeException ex)
            {
                ThrowTerminatingError(ex.ToErrorRecord(Image));
            }

            List<Measurement> plan = Plan(service, request, mountTypes, bindParent);
            var progress = new ProgressRecord(1, "Measuring volume throughput", "Starting");
            try
            {
                for (int i = 0; i < plan.Count; i++)
                {
                    progress.StatusDescription = $"{plan[i].MountType} ({plan[i].Target}): " +
                        $"{Repeat} run(s) of {SizeMB} MiB";
                    progress.PercentComplete = i * 100 / plan.Count;
                    WriteProgress(progress);
                    Measure(plan[i]);
                }
            }
            finally
            {
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }
        }

        private ThroughputRequest CreateRequest()
        {
            try
            {
                return ThroughputRequest.Create(SizeMB, BlockSize, Repeat, Image);
            }
            catch (MeshVolumeException ex)
            {
                ThrowTerminatingError(ex.ToErrorRecord(BlockSize));
                return null;
            }
        }

        // Returns the parent of the bind-mounted folder, or null when Bind is not measured.
        // For a remote engine it removes Bind from mountTypes and writes a warning.
        private string ResolveBindParent(List<string> mountTypes)
        {
            if (!mountTypes.Contains("Bind"))
            {
                return null;
            }

            if (!Engine.IsLocal)
            {
                WriteWarning($"The engine at {Engine.Name} is not on this computer, so the Bind " +
                    "mount is skipped: its folder must be on the engine's host. Run the command " +
                    "on that host to measure bind mounts.");
                mountTypes.Remove("Bind");
                return null;
            }

            if (BindPath == null)
            {
                string temp = Path.GetTempPath();
                return temp.Length > 1 ? temp.TrimEnd(Path.DirectorySeparatorChar) : temp;
            }

            string folder = GetUnresolvedProviderPathFromPSPath(BindPath);
            if (!Directory.Exists(folder))
            {
                ThrowTerminating(
                    $"The folder '{folder}' given as -BindPath does not exist. Name an existing " +
                    "folder on the disk to measure.",
                    MeshErrors.BindPathNotFound, ErrorCategory.ObjectNotFound, BindPath);
            }

            return folder;
        }

        private List<Measurement> Plan(
            ThroughputService service, ThroughputRequest request, List<string> mountTypes,
            string bindParent)
        {
            string amount = $"{SizeMB} MiB in blocks of {request.BlockSize} bytes " +
                $"{Repeat} time(s)";
            var plan = new List<Measurement>();
            if (mountTypes.Contains("Volume") && _names.Count == 0)
            {
                plan.Add(new Measurement("Volume", "a new scratch volume",
                    $"Create a volume, write and read {amount}, then remove the volume",
                    token => service.MeasureScratchVolumeAsync(request, token)));
            }

            // EndProcessing has checked that names come only with the Volume mount type.
            foreach (string name in _names)
            {
                plan.Add(new Measurement("Volume", name,
                    $"Write and read {amount} through a scratch file at the volume's root, " +
                    "then remove the file",
                    token => service.MeasureVolumeAsync(request, name, token)));
            }

            if (mountTypes.Contains("Bind"))
            {
                plan.Add(new Measurement("Bind", bindParent,
                    $"Create a folder here, bind-mount it, write and read {amount}, " +
                    "then remove the folder",
                    token => service.MeasureBindAsync(request, bindParent, token)));
            }

            if (mountTypes.Contains("Tmpfs"))
            {
                plan.Add(new Measurement("Tmpfs", "tmpfs",
                    $"Write and read {amount} through a tmpfs mount",
                    token => service.MeasureTmpfsAsync(request, token)));
            }

            return plan;
        }

        private void Measure(Measurement measurement)
        {
            if (!ShouldProcess(measurement.Target, measurement.Action))
            {
                return;
            }

            try
            {
                foreach (ThroughputInfo row in RunAsync(measurement.Run))
                {
                    WriteObject(row);
                }
            }
            catch (MeshVolumeException ex)
            {
                WriteError(ex.ToErrorRecord(measurement.Target));
            }
            catch (DockerApiException ex)
            {
                WriteError(
                    $"The engine at {Engine.Name} rejected a request while measuring the " +
                    $"{measurement.MountType} mount ({measurement.Target}): " +
                    VolumeService.EngineMessage(ex), MeshErrors.EngineRequestFailed,
                    ErrorCategory.InvalidOperation, measurement.Target, ex);
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        /// <summary>One mount to measure, with the text -WhatIf and -Confirm show.</summary>
        private sealed class Measurement
        {
            public Measurement(
                string mountType, string target, string action,
                Func<CancellationToken, Task<IReadOnlyList<ThroughputInfo>>> run)
            {
                MountType = mountType;
                Target = target;
                Action = action;
                Run = run;
            }

            public string MountType { get; }

            public string Target { get; }

            public string Action { get; }

            public Func<CancellationToken, Task<IReadOnlyList<ThroughputInfo>>> Run { get; }
        }
    }
}
