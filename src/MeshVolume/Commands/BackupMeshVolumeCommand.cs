using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using MeshVolume.Model;
using MeshVolume.Services;
using MeshVolume.Services.Archive;
using MeshVolume.Services.Backup;

namespace MeshVolume.Commands
{
    /// <summary>Backs up Docker volumes into a repository as a tar archive plus a manifest.</summary>
    [Cmdlet(VerbsData.Backup, "MeshVolume", SupportsShouldProcess = true,
        ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(MeshVolumeBackupInfo))]
    public sealed class BackupMeshVolumeCommand : RepositoryCmdlet
    {
        /// <summary>Volumes to back up.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true,
            ValueFromPipelineByPropertyName = true)]
        [Alias("VolumeName")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VolumeNameCompleter))]
        public string[] Name { get; set; }

        /// <summary>Archive compression: Zstd (default), Gzip or None.</summary>
        [Parameter]
        public CompressionMethod Compression { get; set; } = CompressionMethod.Zstd;

        /// <summary>Compression level: zstd 1-19 (default 3), gzip 1-9 (default 6).</summary>
        [Parameter]
        [ValidateRange(1, 19)]
        public int CompressionLevel { get; set; }

        /// <summary>Tags recorded in the manifest, for Get-MeshVolumeBackup -Tag and retention.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] Tag { get; set; }

        /// <summary>Stops the running containers that use the volume for the backup.</summary>
        [Parameter]
        public SwitchParameter StopContainers { get; set; }

        /// <summary>How the volume is read: Auto, Host (its folder) or Engine (the archive API).</summary>
        [Parameter]
        public DataPath DataPath { get; set; } = DataPath.Auto;

        /// <summary>
        /// Size of the piped volume from Get-MeshVolume, used only to show progress as a
        /// percentage.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public long? SizeBytes { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (Compression == CompressionMethod.Gzip &&
                MyInvocation.BoundParameters.ContainsKey(nameof(CompressionLevel)) && CompressionLevel > 9)
            {
                ThrowTerminating($"The compression level {CompressionLevel} is invalid for gzip, " +
                    "which takes 1 to 9. Choose a level from 1 to 9, or -Compression Zstd.",
                    MeshErrors.CompressionLevelInvalid, ErrorCategory.InvalidArgument, CompressionLevel);
            }
        }

        protected override void ProcessRecord()
        {
            foreach (string name in Name)
            {
                try
                {
                    BackupOne(name);
                }
                catch (MeshVolumeException ex)
                {
                    WriteError(ex.ToErrorRecord(name));
                }
            }
        }

        private void BackupOne(string name)
        {
            var repository = OpenRepository();
            string action = $"Back up to {repository.Location}" +
                (StopContainers ? ", stopping the containers that use it" : "");
            if (!ShouldProcess(name, action))
            {
                return;
            }

            var control = new ContainerControl(Engine);
            var running = RunAsync(token => control.GetRunningUsersAsync(name, token));
            if (running.Count > 0 && !StopContainers)
            {
                WriteWarning($"The volume '{name}' is in use by running container(s) " +
                    $"{string.Join(", ", running.Select(c => c.Name))}; files written during the " +
                    "backup may be inconsistent. Use -StopContainers for a consistent copy.");
            }

            var watch = Stopwatch.StartNew();
            IReadOnlyList<MeshVolumeContainerInfo> stopped = new MeshVolumeContainerInfo[0];
            BackupManifest manifest;
            try
            {
                if (StopContainers && running.Count > 0)
                {
                    stopped = RunAsync(token => control.StopAsync(running, Report, token));
                }

                manifest = Run(name, repository);
            }
            finally
            {
                if (stopped.Count > 0)
                {
                    RestartContainers(control, stopped, name);
                }
            }

            var info = new BackupCatalog(repository).ToInfo(
                manifest, BackupNaming.ManifestName(manifest.VolumeName, manifest.Id));
            info.StoppedContainers = stopped.Select(c => c.Name).ToArray();
            info.Duration = watch.Elapsed;
            WriteObject(info);
        }

        // Runs outside the pump and without the cancellation token: after Ctrl+C the pipeline
        // accepts no more output, but the containers must still be started again.
        private void RestartContainers(
            ContainerControl control, IReadOnlyList<MeshVolumeContainerInfo> stopped, string name)
        {
            IReadOnlyList<string> failures = Task.Run(() => control.StartAsync(stopped, null))
                .GetAwaiter().GetResult();
            try
            {
                WriteVerbose($"Started again: {string.Join(", ", stopped.Select(c => c.Name))}.");
                foreach (string failure in failures)
                {
                    WriteError(failure, MeshErrors.ContainerRestartFailed,
                        ErrorCategory.ResourceUnavailable, name);
                }
            }
            catch (PipelineStoppedException)
            {
                // Nothing can be reported once the pipeline stops; the failures stay unreported.
            }
        }

        private BackupManifest Run(string name, Services.Repository.IBackupRepository repository)
        {
            var request = new BackupRequest
            {
                VolumeName = name,
                Repository = repository,
                Compression = Compression,
                CompressionLevel = MyInvocation.BoundParameters.ContainsKey(nameof(CompressionLevel))
                    ? CompressionLevel : (int?)null,
                Tags = Tag?.ToList() ?? new List<string>(),
                DataPath = DataPath,
                Progress = new TransferProgress { TotalBytes = Name.Length == 1 ? SizeBytes : null },
                Report = Report,
                Warn = message => Post(() => WriteWarning(message)),
            };
            var service = new BackupService(Engine);
            return RunWithProgress(
                token => service.BackupAsync(request, token), request.Progress,
                $"Backing up the volume {name}");
        }

        private void Report(string message)
        {
            PostVerbose(() => message);
        }
    }
}
