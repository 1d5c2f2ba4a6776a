using System.Diagnostics;
using System.Management.Automation;
using MeshVolume.Model;
using MeshVolume.Services;
using MeshVolume.Services.Backup;

namespace MeshVolume.Commands
{
    /// <summary>Restores a backup into a volume, creating the volume when it is missing.</summary>
    [Cmdlet(VerbsData.Restore, "MeshVolume", SupportsShouldProcess = true,
        ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(MeshVolumeRestoreInfo))]
    public sealed class RestoreMeshVolumeCommand : RepositoryCmdlet
    {
        /// <summary>Volume whose backup to restore.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string VolumeName { get; set; }

        /// <summary>Backup id; the newest backup of the volume when omitted.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Id { get; set; }

        /// <summary>Volume to restore into; the backup's own volume when omitted.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VolumeNameCompleter))]
        public string TargetName { get; set; }

        /// <summary>Replaces the contents of a target volume that is not empty, without a prompt.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>How the volume is written: Auto, Host (its folder) or Engine (the archive API).</summary>
        [Parameter]
        public DataPath DataPath { get; set; } = DataPath.Auto;

        protected override void ProcessRecord()
        {
            string target = TargetName ?? VolumeName;
            try
            {
                var repository = OpenRepository();
                var catalog = new BackupCatalog(repository);
                MeshVolumeBackupInfo backup = RunAsync(
                    token => catalog.FindAsync(VolumeName, Id, token));
                string action = $"Restore backup {backup.Id} of '{backup.VolumeName}' from " +
                    $"{repository.Location}" + (Force ? ", replacing any contents" : "");
                // Restoring into a volume that does not exist yet changes nothing that is there,
                // so it requests confirmation only when -Confirm is given.
                var volumes = new VolumeService(Engine);
                bool exists = RunAsync(token => volumes.TryInspectAsync(target, token)) != null;
                bool whatIf = MyInvocation.BoundParameters.ContainsKey("WhatIf");
                bool confirmRequested = MyInvocation.BoundParameters.ContainsKey("Confirm");
                bool confirmed = (Force || !exists) && !whatIf && !confirmRequested
                    ? true
                    : ShouldProcess(target, action);
                if (!confirmed)
                {
                    return;
                }

                var request = new RestoreRequest
                {
                    Manifest = backup.Manifest,
                    Repository = repository,
                    TargetName = target,
                    Force = Force,
                    DataPath = DataPath,
                    Report = message => PostVerbose(() => message),
                    Warn = message => Post(() => WriteWarning(message)),
                };
                var watch = Stopwatch.StartNew();
                var service = new RestoreService(Engine);
                RestoreOutcome outcome = RunWithProgress(
                    token => service.RestoreAsync(request, token), request.Progress,
                    $"Restoring {backup.VolumeName} into {target}");
                WriteObject(new MeshVolumeRestoreInfo
                {
                    Name = outcome.TargetName,
                    BackupId = backup.Id,
                    SourceVolumeName = backup.VolumeName,
                    Repository = repository.Location,
                    CreatedVolume = outcome.CreatedVolume,
                    ReplacedContents = outcome.ReplacedContents,
                    DataPath = outcome.DataPath,
                    Entries = outcome.EntriesRestored,
                    ContentSize = backup.ContentSize,
                    Duration = watch.Elapsed,
                    Engine = Engine.Name,
                });
            }
            catch (MeshVolumeException ex)
            {
                WriteError(ex.ToErrorRecord(target));
            }
        }
    }
}
