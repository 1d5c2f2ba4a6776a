using System.Management.Automation;
using MeshVolume.Model;
using MeshVolume.Services.Persistence;

namespace MeshVolume.Commands
{
    /// <summary>
    /// Checks that data written to a volume survives a container restart and, with
    /// -Repository, a backup, removal and restore of the volume.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "MeshVolumePersistence", SupportsShouldProcess = true,
        ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ProbeSet)]
    [OutputType(typeof(MeshVolumePersistenceInfo))]
    public sealed class TestMeshVolumePersistenceCommand : RepositoryCmdlet
    {
        private const string ContainerSet = "Container";
        private const string ProbeSet = "Probe";

        private readonly ProgressRecord _progress = new ProgressRecord(
            1, "Checking that volume data persists", "Starting");

        /// <summary>Volume to check.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Name")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(VolumeNameCompleter))]
        public string VolumeName { get; set; }

        /// <summary>Running container that uses the volume and is restarted.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ContainerSet)]
        [ValidateNotNullOrEmpty]
        public string Container { get; set; }

        /// <summary>Local image for a probe container that mounts the volume.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ProbeSet)]
        [ValidateNotNullOrEmpty]
        public string Image { get; set; }

        /// <summary>Long-running program of the probe container, with its arguments.</summary>
        [Parameter(ParameterSetName = ProbeSet)]
        [ValidateNotNullOrEmpty]
        public string[] Command { get; set; }

        /// <summary>
        /// Runs the backup and restore drill on a scratch copy, leaving the volume alone.
        /// </summary>
        [Parameter]
        public SwitchParameter ScratchCopy { get; set; }

        protected override void ProcessRecord()
        {
            if (ScratchCopy && Repository == null)
            {
                ThrowTerminating(
                    "-ScratchCopy runs the backup and restore drill on a copy, which needs a " +
                    "repository for the backup: add -Repository.", MeshErrors.RepositoryMissing,
                    ErrorCategory.InvalidArgument, VolumeName);
            }

            var request = new PersistenceRequest
            {
                VolumeName = VolumeName,
                ContainerName = Container,
                Image = Image,
                Command = Command,
                Repository = Repository == null ? null : OpenRepository(),
                ScratchCopy = ScratchCopy,
                StepStarted = step => Post(() => WriteStepProgress(step)),
                Report = message => PostVerbose(() => message),
                Warn = message => Post(() => WriteWarning(message)),
            };

            // The engine connects on first use, which must happen on the pipeline thread.
            var engine = Engine;
            PersistencePlan plan;
            try
            {
                plan = RunAsync(token => PersistencePlan.CreateAsync(engine, request, token));
            }
            catch (MeshVolumeException ex)
            {
                WriteError(ex.ToErrorRecord(VolumeName));
                return;
            }

            // Both questions are asked before anything changes, so -WhatIf shows both.
            bool checkConfirmed = ShouldProcessCheck(VolumeName, plan.DescribeCheck());
            bool drillConfirmed = plan.Drill != PersistenceDrill.InPlace ||
                ShouldProcess(VolumeName, plan.DescribeDrill());
            if (!checkConfirmed)
            {
                return;
            }

            if (!drillConfirmed)
            {
                WriteWarning($"The backup and restore drill on the volume '{VolumeName}' was " +
                    "not confirmed, so only the restart is checked. Add -ScratchCopy to run " +
                    "the drill on a copy.");
                plan.Drill = PersistenceDrill.None;
            }

            Run(plan);
        }

        private void Run(PersistencePlan plan)
        {
            _progress.Activity = $"Checking that the data of the volume {VolumeName} persists";
            _progress.RecordType = ProgressRecordType.Processing;
            var check = new PersistenceCheck(Engine, plan);
            MeshVolumePersistenceInfo result;
            try
            {
                result = RunAsync(token => check.RunAsync(token));
            }
            finally
            {
                _progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(_progress);
            }

            WriteObject(result);
            if (result.Passed)
            {
                return;
            }

            PersistenceStepInfo failed = System.Array.Find(result.Steps, s => !s.Passed);
            string message = $"The persistence check of the volume '{result.VolumeName}' failed " +
                $"at the step '{result.FailedStep}': {failed?.Detail}";
            WriteError(new ErrorRecord(
                new MeshVolumeException(message, MeshErrors.PersistenceCheckFailed,
                    ErrorCategory.InvalidResult),
                MeshErrors.PersistenceCheckFailed, ErrorCategory.InvalidResult, result));
        }

        private void WriteStepProgress(string step)
        {
            _progress.StatusDescription = step;
            WriteProgress(_progress);
        }

        /// <summary>
        /// Requests confirmation of the restart check as of a Medium-impact change. The cmdlet
        /// declares High for the drill, so ShouldProcess alone would prompt for every check.
        /// This calls it only under -WhatIf, -Confirm, or a $ConfirmPreference of Medium or Low.
        /// </summary>
        private bool ShouldProcessCheck(string target, string action)
        {
            bool confirm = MyInvocation.BoundParameters.TryGetValue("Confirm", out object value)
                ? ((SwitchParameter)value).ToBool()
                : GetVariableValue("ConfirmPreference") is ConfirmImpact preference &&
                    preference != ConfirmImpact.None && preference <= ConfirmImpact.Medium;
            bool whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out value)
                ? ((SwitchParameter)value).ToBool()
                : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
            return !(confirm || whatIf) || ShouldProcess(target, action);
        }
    }
}
