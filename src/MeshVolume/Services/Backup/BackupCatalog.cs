using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using MeshVolume.Model;
using MeshVolume.Services.Repository;

namespace MeshVolume.Services.Backup
{
    /// <summary>A backup found by its object names, before its manifest is read.</summary>
    public sealed class BackupListing
    {
        public string VolumeName { get; set; }

        public string Id { get; set; }

        /// <summary>Time from the id, to the second.</summary>
        public DateTime CreatedUtc { get; set; }

        /// <summary>Manifest object name; null for an archive whose manifest is missing.</summary>
        public string ManifestName { get; set; }

        /// <summary>Archive object name; null for a manifest whose archive is missing.</summary>
        public string ArchiveName { get; set; }

        public long ArchiveSize { get; set; }

        /// <summary>True when both the manifest and the archive are there.</summary>
        public bool IsComplete => ManifestName != null && ArchiveName != null;
    }

    /// <summary>Finds and reads the backups of a repository.</summary>
    public sealed class BackupCatalog
    {
        private readonly IBackupRepository _repository;

        public BackupCatalog(IBackupRepository repository)
        {
            _repository = repository;
        }

        /// <summary>
        /// Lists backups from object names alone, newest first. A volume name without wildcards
        /// lists only that volume's folder; a pattern lists the whole repository.
        /// </summary>
        public async Task<IReadOnlyList<BackupListing>> ListAsync(
            string volumePattern, CancellationToken cancellationToken)
        {
            bool literal = !string.IsNullOrEmpty(volumePattern) &&
                !WildcardPattern.ContainsWildcardCharacters(volumePattern);
            string prefix = literal ? volumePattern + "/" : string.Empty;
            IReadOnlyList<RepositoryObject> objects = await _repository
                .ListAsync(prefix, cancellationToken).ConfigureAwait(false);
            var pattern = string.IsNullOrEmpty(volumePattern) ? null
                : new WildcardPattern(volumePattern, WildcardOptions.None);

            var backups = new Dictionary<string, BackupListing>(StringComparer.Ordinal);
            foreach (RepositoryObject item in objects)
            {
                string id = BackupNaming.IdOf(item.Key);
                string volume = BackupNaming.VolumeOf(item.Key);
                if (id == null || volume == null || (pattern != null && !pattern.IsMatch(volume)))
                {
                    continue;
                }

                string key = volume + "/" + id;
                if (!backups.TryGetValue(key, out BackupListing listing))
                {
                    listing = new BackupListing
                    {
                        VolumeName = volume,
                        Id = id,
                        CreatedUtc = ParseIdTime(id),
                    };
                    backups.Add(key, listing);
                }

                if (BackupNaming.IsManifest(item.Key))
                {
                    listing.ManifestName = item.Key;
                }
                else
                {
                    listing.ArchiveName = item.Key;
                    listing.ArchiveSize = item.Size;
                }
            }

            return backups.Values
                .OrderBy(b => b.VolumeName, StringComparer.Ordinal)
                .ThenByDescending(b => b.Id, StringComparer.Ordinal)
                .ToList();
        }

        /// <summary>Reads a backup's manifest and returns the backup object.</summary>
        public async Task<MeshVolumeBackupInfo> LoadAsync(
            string manifestName, CancellationToken cancellationToken)
        {
            byte[] json = await _repository.ReadAllBytesAsync(manifestName, cancellationToken)
                .ConfigureAwait(false);
            BackupManifest manifest = ManifestSerializer.Deserialize(json, manifestName);
            return ToInfo(manifest, manifestName);
        }

        /// <summary>
        /// Reads a backup's manifest without its entry list, which has one record per file
        /// and can run to many megabytes: listing backups needs only the fields before it.
        /// </summary>
        public async Task<MeshVolumeBackupInfo> LoadSummaryAsync(
            string manifestName, CancellationToken cancellationToken)
        {
            byte[] head;
            using (Stream stream = await _repository.OpenReadAsync(manifestName, cancellationToken)
                .ConfigureAwait(false))
            {
                head = await ManifestSerializer.ReadUntilEntriesAsync(stream, cancellationToken)
                    .ConfigureAwait(false);
            }

            BackupManifest manifest = ManifestSerializer.DeserializeSummary(head, manifestName);
            return manifest == null
                ? await LoadAsync(manifestName, cancellationToken).ConfigureAwait(false)
                : ToInfo(manifest, manifestName);
        }

        /// <summary>Finds one backup of a volume: the given id, or the newest when id is null.</summary>
        public async Task<MeshVolumeBackupInfo> FindAsync(
            string volumeName, string id, CancellationToken cancellationToken)
        {
            IReadOnlyList<BackupListing> listings = await ListAsync(volumeName, cancellationToken)
                .ConfigureAwait(false);
            BackupListing match = listings.FirstOrDefault(b => b.IsComplete &&
                (id == null || string.Equals(b.Id, id, StringComparison.OrdinalIgnoreCase)));
            if (match == null)
            {
                string which = id == null ? "no backup" : $"no backup with the id '{id}'";
                throw new MeshVolumeException(
                    $"The repository '{_repository.Location}' has {which} of the volume " +
                    $"'{volumeName}'. Run Get-MeshVolumeBackup -Repository " +
                    $"'{_repository.Location}' to see the backups there.",
                    MeshErrors.BackupNotFound, ErrorCategory.ObjectNotFound);
            }

            return await LoadAsync(match.ManifestName, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Builds the output object of a manifest.</summary>
        public MeshVolumeBackupInfo ToInfo(BackupManifest manifest, string manifestName)
        {
            return new MeshVolumeBackupInfo
            {
                Id = manifest.Id,
                VolumeName = manifest.VolumeName,
                CreatedUtc = DateTime.SpecifyKind(manifest.CreatedUtc, DateTimeKind.Utc),
                Repository = _repository.Location,
                ArchiveName = manifest.ArchiveName,
                ManifestName = manifestName,
                Compression = manifest.Compression,
                ArchiveSize = manifest.ArchiveSize,
                ArchiveSha256 = manifest.ArchiveSha256,
                ContentSize = manifest.ContentSize,
                FileCount = manifest.FileCount,
                Tags = (manifest.Tags ?? new List<string>()).ToArray(),
                Driver = manifest.Driver,
                DriverOptions = manifest.DriverOptions ?? new Dictionary<string, string>(),
                Labels = manifest.Labels ?? new Dictionary<string, string>(),
                Engine = manifest.Engine,
                Manifest = manifest,
            };
        }

        private static DateTime ParseIdTime(string id)
        {
            return DateTime.ParseExact(id.Substring(0, 16), "yyyyMMdd'T'HHmmss'Z'",
                System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AdjustToUniversal |
                System.Globalization.DateTimeStyles.AssumeUniversal);
        }
    }
}
