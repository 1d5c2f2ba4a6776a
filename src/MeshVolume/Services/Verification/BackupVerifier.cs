using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshVolume.Model;
using MeshVolume.Services.Backup;
using MeshVolume.Services.Repository;

namespace MeshVolume.Services.Verification
{
    /// <summary>The request of Test-MeshVolumeBackup to the verifier for one backup.</summary>
    public sealed class VerificationRequest
    {
        public MeshVolumeBackupInfo Backup { get; set; }

        public IBackupRepository Repository { get; set; }

        /// <summary>How the scratch volume is written and read back.</summary>
        public DataPath DataPath { get; set; } = DataPath.Auto;

        /// <summary>Leaves the scratch volume in place for a look.</summary>
        public bool KeepScratchVolume { get; set; }

        /// <summary>
        /// Name of the scratch volume, or null for a new meshvolume-verify-VOLUME-RANDOM name.
        /// </summary>
        public string ScratchVolumeName { get; set; }

        /// <summary>Counters of both passes: the restore, then the reading back.</summary>
        public TransferProgress Progress { get; set; } = new TransferProgress();

        /// <summary>Receives verbose lines, from any thread.</summary>
        public Action<string> Report { get; set; }

        /// <summary>
        /// Receives warnings, such as a scratch volume that could not be removed.
        /// </summary>
        public Action<string> Warn { get; set; }
    }

    /// <summary>
    /// Tests a backup: restores it into a scratch volume with <see cref="RestoreService"/>,
    /// compares every entry with the manifest, and removes the scratch volume however the
    /// test ends unless asked to keep it.
    /// </summary>
    public sealed class BackupVerifier
    {
        private readonly DockerEngine _engine;
        private readonly VolumeService _volumes;

        public BackupVerifier(DockerEngine engine)
        {
            _engine = engine;
            _volumes = new VolumeService(engine);
        }

        /// <summary>
        /// Tests the backup and returns the verdict. A backup that does not restore, for any
        /// reason, or differs from its manifest is a failed verdict. A failure around the
        /// restore, such as a scratch volume that cannot be created or read back, is thrown as
        /// a <see cref="MeshVolumeException"/>.
        /// </summary>
        public async Task<MeshVolumeBackupTestInfo> VerifyAsync(
            VerificationRequest request, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            BackupManifest manifest = request.Backup.Manifest;
            string scratch = request.ScratchVolumeName ?? ScratchVolume.NewName(manifest.VolumeName);
            var result = new MeshVolumeBackupTestInfo
            {
                VolumeName = manifest.VolumeName,
                Id = manifest.Id,
                Repository = request.Repository.Location,
                CreatedUtc = request.Backup.CreatedUtc,
                ScratchVolume = scratch,
                Engine = _engine.Name,
            };

            request.Report?.Invoke($"Creating the scratch volume '{scratch}' on {_engine.Name}.");
            VolumeResponse created = await ScratchVolume
                .CreateAsync(_volumes, scratch, manifest, cancellationToken)
                .ConfigureAwait(false);
            try
            {
                // Throws for -DataPath Host where the folder cannot be used: a usage error
                // rather than a verdict on the backup.
                VolumePaths.UseHostPath(_engine, created, request.DataPath);
                await RestoreAndCompareAsync(request, scratch, result, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (DockerApiException ex)
            {
                throw new MeshVolumeException(
                    $"Testing the backup {manifest.Id} of '{manifest.VolumeName}' failed because " +
                    $"the engine at {_engine.Name} rejected a request: " +
                    $"{VolumeService.EngineMessage(ex)}", MeshErrors.EngineRequestFailed,
                    ErrorCategory.InvalidOperation, ex);
            }
            finally
            {
                result.ScratchVolumeKept = !await TryRemoveScratchAsync(request, scratch)
                    .ConfigureAwait(false);
            }

            result.Passed = result.Mismatches.Length == 0;
            result.Duration = watch.Elapsed;
            return result;
        }

        private async Task RestoreAndCompareAsync(
            VerificationRequest request, string scratch, MeshVolumeBackupTestInfo result,
            CancellationToken cancellationToken)
        {
            BackupManifest manifest = request.Backup.Manifest;

            // The content is moved twice: restored, then read back and hashed.
            request.Progress.TotalBytes = manifest.ContentSize * 2;
            var restoreRequest = new RestoreRequest
            {
                Manifest = manifest,
                Repository = request.Repository,
                TargetName = scratch,
                DataPath = request.DataPath,
                Progress = request.Progress,
                Report = request.Report,
                Warn = request.Warn,
            };

            RestoreOutcome outcome;
            try
            {
                outcome = await new RestoreService(_engine)
                    .RestoreAsync(restoreRequest, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (MeshVolumeException ex) when (ex.ErrorId != MeshErrors.OperationCancelled)
            {
                // Any failure of the restore fails the verdict, even one of the engine: the
                // backup was not shown to restore.
                await RecordRestoreFailureAsync(request, result, ex, cancellationToken)
                    .ConfigureAwait(false);
                return;
            }

            result.ArchiveChecksumValid = true;
            result.DataPath = outcome.DataPath;
            request.Report?.Invoke($"Comparing the scratch volume '{scratch}' with the manifest " +
                $"of {manifest.Entries.Count:N0} entries, reading " +
                (outcome.DataPath == "host" ? "its folder." : "it through the engine's archive API."));
            VolumeResponse volume = await _volumes.InspectAsync(scratch, cancellationToken)
                .ConfigureAwait(false);
            ManifestCheckResult check = await ManifestCheck.CompareVolumeAsync(
                _engine, volume, outcome.DataPath == "host", manifest, request.Progress,
                request.Warn, cancellationToken).ConfigureAwait(false);
            Apply(result, check, new List<BackupMismatchInfo>());
            result.Note = check.Scope.Note;
        }

        // A changed or damaged archive is read once more, without the archive-level check,
        // to name the entries that differ.
        private async Task RecordRestoreFailureAsync(
            VerificationRequest request, MeshVolumeBackupTestInfo result, MeshVolumeException ex,
            CancellationToken cancellationToken)
        {
            BackupManifest manifest = request.Backup.Manifest;
            List<MeshVolumeException> chain = ErrorChain(ex);
            bool changed = chain.Any(e => e.ErrorId == MeshErrors.ArchiveChecksumMismatch);
            bool damaged = chain.Any(e => e.ErrorId == MeshErrors.ArchiveCorrupt);
            var mismatches = new List<BackupMismatchInfo>();
            if (!changed && !damaged)
            {
                mismatches.Add(new BackupMismatchInfo(
                    manifest.ArchiveName, "restore failed: " + DescribeCause(chain.Last())));
                result.Mismatches = mismatches.ToArray();
                return;
            }

            if (changed)
            {
                mismatches.Add(new BackupMismatchInfo(
                    manifest.ArchiveName, "archive sha256 differs from the manifest"));
            }

            request.Report?.Invoke($"The restore failed ({chain.Last().ErrorId}). Reading the " +
                $"archive {manifest.ArchiveName} again, without the archive-level checks, to find " +
                "the entries that differ.");
            ManifestCheckResult check = await ManifestCheck.CompareArchiveAsync(
                request.Repository, manifest, request.Progress, cancellationToken)
                .ConfigureAwait(false);
            Apply(result, check, mismatches);
            bool entriesDiffer = check.Mismatches.Any(m => m.Path != manifest.ArchiveName);
            result.Note = entriesDiffer
                ? "The archive does not match its manifest, so the restore failed. The " +
                  "entries listed were found by reading the archive itself."
                : "The archive does not match its manifest, but every entry in it does: " +
                  "the change is outside the entries' data, such as in the tar padding, the " +
                  "end blocks or the compression framing.";
        }

        private static void Apply(
            MeshVolumeBackupTestInfo result, ManifestCheckResult check, List<BackupMismatchInfo> first)
        {
            first.AddRange(check.Mismatches);
            result.Mismatches = first.ToArray();
            result.EntriesChecked = check.EntriesChecked;
            result.Compared = check.Scope.Describe();
        }

        /// <summary>
        /// The error and the errors it wraps, outermost first. RestoreService wraps the cause
        /// into an error about the target volume, whose advice (run it again with -Force) does
        /// not fit a scratch volume, so the innermost one describes the failure.
        /// </summary>
        private static List<MeshVolumeException> ErrorChain(MeshVolumeException ex)
        {
            var chain = new List<MeshVolumeException>();
            for (Exception current = ex; current != null; current = current.InnerException)
            {
                if (current is MeshVolumeException known)
                {
                    chain.Add(known);
                }
            }

            return chain;
        }

        private static string DescribeCause(MeshVolumeException cause)
        {
            bool wrapsForeign = cause.InnerException != null &&
                (cause.ErrorId == MeshErrors.RestoreIncomplete ||
                 cause.ErrorId == MeshErrors.RestoreFailed);
            return wrapsForeign ? cause.InnerException.GetBaseException().Message : cause.Message;
        }

        /// <summary>
        /// Removes the scratch volume unless KeepScratchVolume is set, and returns true when it is
        /// gone.
        /// </summary>
        private async Task<bool> TryRemoveScratchAsync(VerificationRequest request, string scratch)
        {
            if (request.KeepScratchVolume)
            {
                request.Report?.Invoke($"Keeping the scratch volume '{scratch}'. Remove it with " +
                    $"Remove-MeshVolume {scratch}.");
                return false;
            }

            string failure = await ScratchVolume.TryRemoveAsync(_volumes, scratch)
                .ConfigureAwait(false);
            if (failure != null)
            {
                request.Warn?.Invoke($"The scratch volume '{scratch}' could not be removed: " +
                    $"{failure} Remove it with Remove-MeshVolume {scratch}.");
                return false;
            }

            request.Report?.Invoke($"Removed the scratch volume '{scratch}'.");
            return true;
        }
    }
}
