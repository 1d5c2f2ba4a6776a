using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet.Models;
using MeshVolume.Model;
using MeshVolume.Services.Repository;

namespace MeshVolume.Services.Verification
{
    /// <summary>The differences between a backup's manifest and a volume or archive.</summary>
    public sealed class ManifestCheckResult
    {
        public IReadOnlyList<BackupMismatchInfo> Mismatches { get; set; }

        public long EntriesChecked { get; set; }

        public ComparisonScope Scope { get; set; }
    }

    /// <summary>
    /// Compares a volume's contents, or a backup's archive, with the backup's manifest.
    /// </summary>
    public static class ManifestCheck
    {
        /// <summary>
        /// Reads the volume from its folder (host true) or through the engine and compares
        /// every entry with the manifest, as far as that data path keeps the attributes.
        /// </summary>
        public static async Task<ManifestCheckResult> CompareVolumeAsync(
            DockerEngine engine, VolumeResponse volume, bool host, BackupManifest manifest,
            TransferProgress progress, Action<string> warn, CancellationToken cancellationToken)
        {
            ComparisonScope scope = host ? ComparisonScope.Full : ComparisonScope.Engine;
            var comparer = new ManifestComparer(manifest, scope);
            if (host)
            {
                await ManifestEntryReader.ReadHostFolderAsync(
                    volume.Mountpoint, comparer.Add, progress, warn, cancellationToken)
                    .ConfigureAwait(false);
            }
            else
            {
                await ManifestEntryReader.ReadThroughEngineAsync(
                    engine, volume.Name, comparer.Add, progress, cancellationToken)
                    .ConfigureAwait(false);
            }

            return new ManifestCheckResult
            {
                Mismatches = comparer.Finish(),
                EntriesChecked = comparer.EntriesChecked,
                Scope = scope,
            };
        }

        /// <summary>
        /// Reads the backup's archive without checking its SHA-256 and compares each entry,
        /// content hashes included, with the manifest: this names the entries of an archive
        /// that was changed after the backup. Damage that stops the reading is one more
        /// difference, on the archive's name, and the entries after it are not reported.
        /// </summary>
        public static async Task<ManifestCheckResult> CompareArchiveAsync(
            IBackupRepository repository, BackupManifest manifest, TransferProgress progress,
            CancellationToken cancellationToken)
        {
            var comparer = new ManifestComparer(manifest, ComparisonScope.Full);
            var mismatches = new List<BackupMismatchInfo>();
            bool complete = true;
            try
            {
                await ManifestEntryReader.ReadArchiveAsync(
                    repository, manifest, comparer.Add, progress, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (MeshVolumeException ex) when (ex.ErrorId == MeshErrors.ArchiveCorrupt)
            {
                complete = false;
                mismatches.Add(new BackupMismatchInfo(
                    manifest.ArchiveName, "archive damaged: " + ex.Message));
            }

            mismatches.AddRange(comparer.Finish(complete));
            return new ManifestCheckResult
            {
                Mismatches = mismatches,
                EntriesChecked = comparer.EntriesChecked,
                Scope = ComparisonScope.Full,
            };
        }
    }
}
