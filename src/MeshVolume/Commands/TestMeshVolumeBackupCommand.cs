using System.Linq;
using System.Management.Automation;
using MeshVolume.Model;
using MeshVolume.Services.Backup;
using MeshVolume.Services.Verification;

namespace MeshVolume.Commands
{
    /// <summary>
    /// Restores backups into scratch volumes and compares every entry with the manifest.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "MeshVolumeBackup")]
    [OutputType(typeof(MeshVolumeBackupTestInfo))]
    [OutputType(typeof(bool))]
    public sealed class TestMeshVolumeBackupCommand : RepositoryCmdlet
    {
        // Mismatches named in the error message. The result object carries all of them.
        private const int MismatchesInMessage = 5;

        /// <summary>Volume whose backup to test.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Name")]
        [ValidateNotNullOrEmpty]
        public string VolumeName { get; set; }

        /// <summary>Backup id, or none for the newest backup of the volume.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Id { get; set; }

        /// <summary>How the scratch volume is written and read back.</summary>
        [Parameter]
        public DataPath DataPath { get; set; } = DataPath.Auto;

        /// <summary>Leaves the scratch volume in place for a look.</summary>
        [Parameter]
        public SwitchParameter KeepScratchVolume { get; set; }

        /// <summary>Returns only $true or $false for each backup.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            MeshVolumeBackupTestInfo result;
            try
            {
                result = Test();
            }
            catch (MeshVolumeException ex)
            {
                WriteError(ex.ToErrorRecord(VolumeName));
                if (Quiet)
                {
                    WriteObject(false);
                }

                return;
            }

            if (Quiet)
            {
                WriteObject(result.Passed);
                return;
            }

            WriteObject(result);
            if (!result.Passed)
            {
                WriteError(new ErrorRecord(
                    new MeshVolumeException(DescribeFailure(result),
                        MeshErrors.BackupVerificationFailed, ErrorCategory.InvalidData),
                    MeshErrors.BackupVerificationFailed, ErrorCategory.InvalidData, result));
            }
        }

        private MeshVolumeBackupTestInfo Test()
        {
            var repository = OpenRepository();
            var catalog = new BackupCatalog(repository);
            MeshVolumeBackupInfo backup = RunAsync(token => catalog.FindAsync(VolumeName, Id, token));
            var request = new VerificationRequest
            {
                Backup = backup,
                Repository = repository,
                DataPath = DataPath,
                KeepScratchVolume = KeepScratchVolume,
                Report = message => PostVerbose(() => message),
                Warn = message => Post(() => WriteWarning(message)),
            };
            var verifier = new BackupVerifier(Engine);
            MeshVolumeBackupTestInfo result = RunWithProgress(
                token => verifier.VerifyAsync(request, token), request.Progress,
                $"Testing the backup {backup.Id} of {backup.VolumeName}");
            PostVerbose(() => $"The backup {result.Id} of '{result.VolumeName}' " +
                (result.Passed ? "passed" : "failed") + $": {result.EntriesChecked:N0} entries " +
                $"checked, {result.Mismatches.Length:N0} mismatches, in {result.Duration}.");
            return result;
        }

        private static string DescribeFailure(MeshVolumeBackupTestInfo result)
        {
            string listed = string.Join("; ", result.Mismatches.Take(MismatchesInMessage));
            int more = result.Mismatches.Length - MismatchesInMessage;
            return $"The backup {result.Id} of '{result.VolumeName}' in '{result.Repository}' " +
                $"failed its test with {result.Mismatches.Length} mismatch(es): {listed}" +
                (more > 0 ? $"; and {more} more in the result's Mismatches." : ".");
        }
    }
}
