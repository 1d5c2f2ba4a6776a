using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using MeshVolume.Model;
using MeshVolume.Services.Backup;
using MeshVolume.Services.Repository;
using MeshVolume.Services.Retention;

namespace MeshVolume.Commands
{
    /// <summary>
    /// Removes given backups, applies a retention policy per volume, or removes the leftovers
    /// of interrupted backups.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "MeshVolumeBackup", SupportsShouldProcess = true,
        ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = PolicySet)]
    [OutputType(typeof(MeshVolumeBackupRetentionInfo))]
    public sealed class RemoveMeshVolumeBackupCommand : RepositoryCmdlet
    {
        private const string BackupSet = "Backup";
        private const string PolicySet = "Policy";
        private const string IncompleteSet = "Incomplete";

        /// <summary>Volumes whose backups to consider; wildcards allowed.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = PolicySet)]
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = BackupSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = IncompleteSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] VolumeName { get; set; }

        /// <summary>Id of the backup to remove.</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = BackupSet)]
        [ValidateNotNullOrEmpty]
        public string Id { get; set; }

        [Parameter(ParameterSetName = PolicySet)]
        [ValidateRange(0, int.MaxValue)]
        public int KeepLast { get; set; }

        [Parameter(ParameterSetName = PolicySet)]
        [ValidateRange(0, int.MaxValue)]
        public int KeepHourly { get; set; }

        [Parameter(ParameterSetName = PolicySet)]
        [ValidateRange(0, int.MaxValue)]
        public int KeepDaily { get; set; }

        [Parameter(ParameterSetName = PolicySet)]
        [ValidateRange(0, int.MaxValue)]
        public int KeepWeekly { get; set; }

        [Parameter(ParameterSetName = PolicySet)]
        [ValidateRange(0, int.MaxValue)]
        public int KeepMonthly { get; set; }

        [Parameter(ParameterSetName = PolicySet)]
        [ValidateRange(0, int.MaxValue)]
        public int KeepYearly { get; set; }

        /// <summary>Keeps backups within this duration of the newest one, such as 10d or 2w3d.</summary>
        [Parameter(ParameterSetName = PolicySet)]
        [ValidateNotNullOrEmpty]
        public string KeepWithin { get; set; }

        /// <summary>Keeps backups that carry all tags of one value ("prod,db").</summary>
        [Parameter(ParameterSetName = PolicySet)]
        [AllowEmptyString]
        public string[] KeepTag { get; set; }

        /// <summary>Time zone whose hours, days, weeks and months the rules count in.</summary>
        [Parameter(ParameterSetName = PolicySet)]
        [ValidateNotNullOrEmpty]
        public string TimeZone { get; set; }

        /// <summary>Allows a policy to remove every backup of a volume.</summary>
        [Parameter(ParameterSetName = PolicySet)]
        public SwitchParameter AllowRemoveAll { get; set; }

        /// <summary>Removes archives without a manifest and manifests without an archive.</summary>
        [Parameter(Mandatory = true, ParameterSetName = IncompleteSet)]
        public SwitchParameter Incomplete { get; set; }

        /// <summary>Removes without asking for confirmation; -WhatIf still only reports.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            IBackupRepository repository = OpenRepository();
            var catalog = new BackupCatalog(repository);
            foreach (string pattern in VolumeName ?? new string[] { null })
            {
                try
                {
                    IReadOnlyList<BackupListing> listings = RunAsync(
                        token => catalog.ListAsync(pattern, token));
                    switch (ParameterSetName)
                    {
                        case BackupSet:
                            RemoveOne(repository, pattern, listings);
                            break;
                        case IncompleteSet:
                            RemoveIncomplete(repository, listings);
                            break;
                        default:
                            ApplyPolicy(repository, catalog, listings);
                            break;
                    }
                }
                catch (MeshVolumeException ex)
                {
                    WriteError(ex.ToErrorRecord(pattern));
                }
            }
        }

        private void RemoveOne(
            IBackupRepository repository, string volumeName, IReadOnlyList<BackupListing> listings)
        {
            BackupListing listing = listings.FirstOrDefault(l =>
                string.Equals(l.Id, Id, StringComparison.OrdinalIgnoreCase) &&
                l.VolumeName == volumeName);
            if (listing == null)
            {
                WriteError($"The repository '{repository.Location}' has no backup with the id " +
                    $"'{Id}' of the volume '{volumeName}'.", MeshErrors.BackupNotFound,
                    ErrorCategory.ObjectNotFound, Id);
                return;
            }

            WriteObject(Remove(repository, ToInfo(repository, listing, keep: false, null)));
        }

        private void RemoveIncomplete(IBackupRepository repository, IReadOnlyList<BackupListing> listings)
        {
            foreach (BackupListing listing in listings.Where(l =>
                !l.IsComplete))
            {
                WriteObject(Remove(repository, ToInfo(repository, listing, keep: false, null)));
            }
        }

        private void ApplyPolicy(
            IBackupRepository repository, BackupCatalog catalog, IReadOnlyList<BackupListing> listings)
        {
            RetentionPolicy policy = BuildPolicy();
            TimeZoneInfo zone = ResolveTimeZone();
            foreach (var volume in listings.Where(l => l.IsComplete)
                .GroupBy(l => l.VolumeName))
            {
                var backups = volume.ToDictionary(l => l.Id, StringComparer.Ordinal);
                var candidates = backups.Values
                    .Select(l => ToCandidate(catalog, l, policy.KeepTag != null))
                    .ToArray();
                IReadOnlyList<RetentionDecision> decisions;
                try
                {
                    decisions = policy.Apply(volume.Key, candidates, zone, DateTime.UtcNow, AllowRemoveAll);
                }
                catch (MeshVolumeException ex)
                {
                    WriteError(ex.ToErrorRecord(volume.Key));
                    continue;
                }

                foreach (RetentionDecision decision in decisions)
                {
                    var info = ToInfo(repository, backups[decision.Id], decision.Keep, decision.Reasons);
                    info.CreatedUtc = decision.CreatedUtc;
                    info.Tags = decision.Tags.ToArray();
                    WriteObject(decision.Keep ? info : Remove(repository, info));
                }
            }
        }

        // Tags live in the manifests, so they are read only when a -KeepTag rule needs them;
        // otherwise the time in the backup's id is enough.
        private RetentionCandidate ToCandidate(BackupCatalog catalog, BackupListing listing, bool needTags)
        {
            if (!needTags)
            {
                return new RetentionCandidate(listing.Id, listing.CreatedUtc);
            }

            MeshVolumeBackupInfo backup = RunAsync(token => catalog.LoadAsync(listing.ManifestName, token));
            return new RetentionCandidate(listing.Id, backup.CreatedUtc, backup.Tags);
        }

        private MeshVolumeBackupRetentionInfo Remove(
            IBackupRepository repository, MeshVolumeBackupRetentionInfo info)
        {
            string action = info.Incomplete
                ? "Remove the leftovers of an incomplete backup"
                : "Remove the backup (manifest, then archive)";
            bool confirmed = Force && !MyInvocation.BoundParameters.ContainsKey("WhatIf")
                ? true
                : ShouldProcess($"{info.VolumeName} {info.Id} in {repository.Location}", action);
            if (!confirmed)
            {
                return info;
            }

            RunAsync(token => BackupRemoval.RemoveAsync(
                repository, info.ManifestName, info.ArchiveName, token));
            info.Removed = true;
            WriteVerbose($"Removed the backup {info.Id} of '{info.VolumeName}' from {repository.Location}.");
            return info;
        }

        private static MeshVolumeBackupRetentionInfo ToInfo(
            IBackupRepository repository, BackupListing listing, bool keep,
            IReadOnlyList<string> reasons)
        {
            return new MeshVolumeBackupRetentionInfo
            {
                VolumeName = listing.VolumeName,
                Id = listing.Id,
                CreatedUtc = listing.CreatedUtc,
                Tags = new string[0],
                Keep = keep,
                Reasons = reasons?.ToArray() ?? new string[0],
                Incomplete = listing.ManifestName == null || listing.ArchiveName == null,
                Repository = repository.Location,
                ArchiveName = listing.ArchiveName,
                ManifestName = listing.ManifestName,
            };
        }

        private RetentionPolicy BuildPolicy()
        {
            var policy = new RetentionPolicy
            {
                KeepLast = KeepLast,
                KeepHourly = KeepHourly,
                KeepDaily = KeepDaily,
                KeepWeekly = KeepWeekly,
                KeepMonthly = KeepMonthly,
                KeepYearly = KeepYearly,
                KeepTag = KeepTag,
                KeepWithin = KeepWithin == null ? null : RetentionDuration.Parse(KeepWithin),
            };
            policy.Validate();
            return policy;
        }

        private TimeZoneInfo ResolveTimeZone()
        {
            if (TimeZone == null)
            {
                return TimeZoneInfo.Local;
            }

            try
            {
                return TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
            }
            catch (TimeZoneNotFoundException ex)
            {
                ThrowTerminating($"The time zone '{TimeZone}' was not found. Use an id such as " +
                    "UTC, Europe/Berlin or W. Europe Standard Time (Get-TimeZone -ListAvailable).",
                    MeshErrors.RetentionPolicyInvalid, ErrorCategory.InvalidArgument, TimeZone, ex);
                return null;
            }
        }
    }
}
