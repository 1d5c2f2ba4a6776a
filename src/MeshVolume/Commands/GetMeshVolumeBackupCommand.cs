using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MeshVolume.Model;
using MeshVolume.Services.Backup;

namespace MeshVolume.Commands
{
    /// <summary>Lists the backups in a repository from their manifests.</summary>
    [Cmdlet(VerbsCommon.Get, "MeshVolumeBackup")]
    [OutputType(typeof(MeshVolumeBackupInfo))]
    public sealed class GetMeshVolumeBackupCommand : RepositoryCmdlet
    {
        /// <summary>Volume names; wildcards allowed.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Name")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] VolumeName { get; set; }

        /// <summary>Backup id, such as 20261204T174023Z-3f9a1c.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Id { get; set; }

        /// <summary>Returns only the newest matching backup of each volume.</summary>
        [Parameter]
        public SwitchParameter Latest { get; set; }

        /// <summary>Returns backups made at or after this time.</summary>
        [Parameter]
        public DateTime After { get; set; }

        /// <summary>Returns backups made before this time.</summary>
        [Parameter]
        public DateTime Before { get; set; }

        /// <summary>Returns backups that carry every one of these tags.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] Tag { get; set; }

        /// <summary>Reads each manifest whole, so Manifest.Entries lists every file.</summary>
        [Parameter]
        public SwitchParameter IncludeEntries { get; set; }

        protected override void ProcessRecord()
        {
            var catalog = new BackupCatalog(OpenRepository());
            foreach (string pattern in VolumeName ?? new string[] { null })
            {
                try
                {
                    IReadOnlyList<BackupListing> listings = RunAsync(
                        token => catalog.ListAsync(pattern, token));
                    foreach (var volume in listings.GroupBy(l => l.VolumeName))
                    {
                        WriteVolumeBackups(catalog, volume);
                    }
                }
                catch (MeshVolumeException ex)
                {
                    WriteError(ex.ToErrorRecord(pattern));
                }
            }
        }

        private void WriteVolumeBackups(BackupCatalog catalog, IEnumerable<BackupListing> listings)
        {
            // Ids carry whole seconds, so the window is widened by one second here and applied
            // exactly to the manifest's time below.
            var candidates = listings.Where(l =>
                l.IsComplete && InWindow(l.CreatedUtc, TimeSpan.FromSeconds(1)));
            if (Id != null)
            {
                candidates = candidates.Where(l =>
                    string.Equals(l.Id, Id, StringComparison.OrdinalIgnoreCase));
            }

            // Listings are newest first, so -Latest stops at the first one that matches.
            foreach (BackupListing listing in candidates)
            {
                MeshVolumeBackupInfo backup;
                try
                {
                    backup = RunAsync(token => IncludeEntries
                        ? catalog.LoadAsync(listing.ManifestName, token)
                        : catalog.LoadSummaryAsync(listing.ManifestName, token));
                }
                catch (MeshVolumeException ex)
                {
                    WriteError(ex.ToErrorRecord(listing.ManifestName));
                    continue;
                }

                bool tagged = Tag == null || Tag.All(t => backup.Tags.Contains(t, StringComparer.Ordinal));
                if (!tagged || !InWindow(backup.CreatedUtc, TimeSpan.Zero))
                {
                    continue;
                }

                WriteObject(backup);
                if (Latest)
                {
                    return;
                }
            }
        }

        private bool InWindow(DateTime createdUtc, TimeSpan slack)
        {
            bool hasAfter = MyInvocation.BoundParameters.ContainsKey(nameof(After));
            bool hasBefore = MyInvocation.BoundParameters.ContainsKey(nameof(Before));
            return (!hasAfter || createdUtc + slack >= After.ToUniversalTime()) &&
                (!hasBefore || createdUtc - slack < Before.ToUniversalTime());
        }
    }
}
