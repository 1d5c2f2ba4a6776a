using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet.Models;
using MeshVolume.Model;
using MeshVolume.Services.Backup;
using MeshVolume.Services.Verification;

namespace MeshVolume.Services.Persistence
{
    /// <summary>The backup and restore drills of a persistence check.</summary>
    public sealed partial class PersistenceCheck
    {
        public const string BackupTag = "persistence-check";

        /// <summary>
        /// With a probe, the volume really goes: the probe is removed, then the volume, and the
        /// restore creates it again with the backup's driver, options and labels.
        /// </summary>
        private async Task DrillWithProbeAsync(CancellationToken cancellationToken)
        {
            await StepAsync("Back up volume", BackupAsync, cancellationToken).ConfigureAwait(false);
            await StepAsync("Remove volume", RemoveVolumeAsync, cancellationToken)
                .ConfigureAwait(false);
            await StepAsync("Restore volume", token => RestoreAsync(false, token), cancellationToken)
                .ConfigureAwait(false);
            await StepAsync("Compare with manifest", CompareAsync, cancellationToken)
                .ConfigureAwait(false);
            await StepAsync("Start probe container", StartProbeAsync, cancellationToken)
                .ConfigureAwait(false);
            await StepAsync("Read sentinel after restore",
                token => ReadSentinelAsync("after the restore", token), cancellationToken)
                .ConfigureAwait(false);
        }

        /// <summary>
        /// With a named container, the volume cannot be removed: Docker refuses while any
        /// container references it, and the container would have to be created again to drop
        /// the reference. So the container is stopped and the volume's contents are removed
        /// and restored from the backup instead. The volume is compared with the manifest
        /// before the container starts, because the application may change it once it runs.
        /// </summary>
        private async Task DrillWithContainerAsync(CancellationToken cancellationToken)
        {
            await StepAsync("Stop container", StopContainerAsync, cancellationToken)
                .ConfigureAwait(false);
            await StepAsync("Back up volume", BackupAsync, cancellationToken).ConfigureAwait(false);
            await StepAsync("Clear and restore volume", token => RestoreAsync(true, token),
                cancellationToken).ConfigureAwait(false);
            await StepAsync("Compare with manifest", CompareAsync, cancellationToken)
                .ConfigureAwait(false);
            await StepAsync("Start container", StartContainerAsync, cancellationToken)
                .ConfigureAwait(false);
            await StepAsync("Read sentinel after restore",
                token => ReadSentinelAsync("after the restore", token), cancellationToken)
                .ConfigureAwait(false);
        }

        /// <summary>
        /// Runs the drill on a scratch volume restored from the backup, leaving the volume as it
        /// is.
        /// </summary>
        private async Task DrillOnScratchCopyAsync(CancellationToken cancellationToken)
        {
            await StepAsync("Back up volume", BackupAsync, cancellationToken).ConfigureAwait(false);
            await StepAsync("Test backup on scratch copy", TestOnScratchCopyAsync, cancellationToken)
                .ConfigureAwait(false);
            await StepAsync("Read sentinel from scratch copy", ReadSentinelFromScratchAsync,
                cancellationToken).ConfigureAwait(false);
        }

        private async Task<string> StopContainerAsync(CancellationToken cancellationToken)
        {
            _containerStopped = true;
            await ContainerStates.StopAsync(_engine, _containerId, cancellationToken)
                .ConfigureAwait(false);
            return $"Stopped the container '{_plan.ContainerName}' for a consistent backup.";
        }

        private async Task<string> StartContainerAsync(CancellationToken cancellationToken)
        {
            await ContainerStates
                .StartAsync(_engine, _containerId, _plan.ContainerName, cancellationToken)
                .ConfigureAwait(false);
            _containerStopped = false;
            return $"Started the container '{_plan.ContainerName}' on the restored volume.";
        }

        private async Task<string> BackupAsync(CancellationToken cancellationToken)
        {
            var request = new BackupRequest
            {
                VolumeName = VolumeName,
                Repository = _request.Repository,
                Tags = { BackupTag },
                Report = _request.Report,
                Warn = _request.Warn,
            };
            _manifest = await new BackupService(_engine).BackupAsync(request, cancellationToken)
                .ConfigureAwait(false);
            _result.BackupId = _manifest.Id;
            return $"Backed up the volume to {_request.Repository.Location} as {_manifest.Id}: " +
                $"{_manifest.FileCount:N0} files, " +
                $"{TransferProgress.FormatBytes(_manifest.ContentSize)}. " +
                $"The backup stays there, tagged '{BackupTag}'.";
        }

        private async Task<string> RemoveVolumeAsync(CancellationToken cancellationToken)
        {
            string failure = await _probe.TryDisposeAsync().ConfigureAwait(false);
            if (failure != null)
            {
                throw new PersistenceStepException(
                    $"The probe container '{_probe.Name}' could not be removed: {failure}");
            }

            string probeName = _probe.Name;
            _probe = null;
            _containerId = null;
            await _volumes.RemoveAsync(VolumeName, cancellationToken).ConfigureAwait(false);
            return $"Removed the probe container '{probeName}' and the volume '{VolumeName}'.";
        }

        private async Task<string> RestoreAsync(
            bool replaceContents, CancellationToken cancellationToken)
        {
            // From here a failure can leave the volume with part of the backup: the container
            // stays stopped until the comparison shows that the volume is whole.
            _keepContainerStopped = !UsesProbe;
            var request = new RestoreRequest
            {
                Manifest = _manifest,
                Repository = _request.Repository,
                TargetName = VolumeName,
                Force = replaceContents,
                Report = _request.Report,
                Warn = _request.Warn,
            };
            RestoreOutcome outcome = await new RestoreService(_engine)
                .RestoreAsync(request, cancellationToken).ConfigureAwait(false);
            string how = outcome.DataPath == "host" ? "through its folder" : "through the engine";
            if (outcome.CreatedVolume)
            {
                return $"Created the volume '{VolumeName}' again with the driver " +
                    $"'{_manifest.Driver}' and the backup's options and labels, and restored " +
                    $"{outcome.EntriesRestored:N0} entries of backup {_manifest.Id} {how}.";
            }

            return $"Checked the archive's SHA-256, removed the contents of the volume " +
                $"'{VolumeName}' and restored {outcome.EntriesRestored:N0} entries of backup " +
                $"{_manifest.Id} {how}.";
        }

        private async Task<string> CompareAsync(CancellationToken cancellationToken)
        {
            VolumeResponse volume = await _volumes.InspectAsync(VolumeName, cancellationToken)
                .ConfigureAwait(false);
            bool host = VolumePaths.UseHostPath(_engine, volume, DataPath.Auto);
            ManifestCheckResult check = await ManifestCheck.CompareVolumeAsync(
                _engine, volume, host, _manifest, new TransferProgress(), _request.Warn,
                cancellationToken).ConfigureAwait(false);
            if (check.Mismatches.Count > 0)
            {
                throw new PersistenceStepException(
                    $"{check.Mismatches.Count} difference(s) from the manifest of backup " +
                    $"{_manifest.Id}: {string.Join("; ", check.Mismatches.Take(MismatchesInDetail))}" +
                    (check.Mismatches.Count > MismatchesInDetail ? "; ..." : "."));
            }

            _keepContainerStopped = false;
            return $"{check.EntriesChecked:N0} entries match the manifest of backup " +
                $"{_manifest.Id} ({string.Join(", ", check.Scope.Describe())}).";
        }

        private async Task<string> TestOnScratchCopyAsync(CancellationToken cancellationToken)
        {
            var catalog = new BackupCatalog(_request.Repository);
            _scratch = ScratchVolume.NewName(VolumeName);
            var request = new VerificationRequest
            {
                Backup = catalog.ToInfo(_manifest, BackupNaming.ManifestName(VolumeName, _manifest.Id)),
                Repository = _request.Repository,
                KeepScratchVolume = true,
                ScratchVolumeName = _scratch,
                Report = _request.Report,
                Warn = _request.Warn,
            };
            MeshVolumeBackupTestInfo test = await new BackupVerifier(_engine)
                .VerifyAsync(request, cancellationToken).ConfigureAwait(false);
            if (!test.Passed)
            {
                throw new PersistenceStepException(
                    $"The backup {_manifest.Id} restored into the scratch volume '{_scratch}' " +
                    $"differs from its manifest: " +
                    string.Join("; ", test.Mismatches.Take(MismatchesInDetail)) +
                    (test.Mismatches.Length > MismatchesInDetail ? "; ..." : "."));
            }

            return $"Restored backup {_manifest.Id} into the scratch volume '{_scratch}': " +
                $"{test.EntriesChecked:N0} entries match the manifest. The volume " +
                $"'{VolumeName}' was left as it was.";
        }

        private async Task<string> ReadSentinelFromScratchAsync(CancellationToken cancellationToken)
        {
            HelperContainer helper = await HelperContainer.CreateAsync(
                _engine, _scratch, readOnly: true, cancellationToken).ConfigureAwait(false);
            try
            {
                byte[] found = await _sentinel.ReadAsync(
                    _engine, helper.Id, HelperContainer.MountPath, cancellationToken)
                    .ConfigureAwait(false);
                return CheckSentinel(found, $"{_sentinel.Name} in the scratch volume '{_scratch}'",
                    "after the restore");
            }
            finally
            {
                await helper.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
