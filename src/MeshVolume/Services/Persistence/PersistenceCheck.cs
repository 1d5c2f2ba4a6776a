using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshVolume.Model;
using MeshVolume.Services.Backup;
using MeshVolume.Services.Verification;

namespace MeshVolume.Services.Persistence
{
    /// <summary>
    /// Runs one persistence check: writes a sentinel file, restarts the container, reads the
    /// file back, and optionally backs the volume up, replaces it from the backup and checks
    /// again. Each step is recorded, and the first failed step ends the run. The sentinel
    /// file, probe containers and scratch volumes are cleaned up however the run ends.
    /// </summary>
    public sealed partial class PersistenceCheck
    {
        private const int MismatchesInDetail = 5;

        private readonly DockerEngine _engine;
        private readonly PersistencePlan _plan;
        private readonly PersistenceRequest _request;
        private readonly VolumeService _volumes;
        private readonly SentinelFile _sentinel = new SentinelFile();
        private readonly List<PersistenceStepInfo> _steps = new List<PersistenceStepInfo>();
        private readonly MeshVolumePersistenceInfo _result;
        private bool _failed;
        private bool _sentinelWritten;
        private PersistenceProbe _probe;
        private string _containerId;
        private string _mountPath;
        private bool _containerStopped;
        private bool _keepContainerStopped;
        private BackupManifest _manifest;
        private string _scratch;

        public PersistenceCheck(DockerEngine engine, PersistencePlan plan)
        {
            _engine = engine;
            _plan = plan;
            _request = plan.Request;
            _volumes = new VolumeService(engine);
            _containerId = plan.Container?.ID;
            _mountPath = plan.ContainerMountPath;
            _result = new MeshVolumePersistenceInfo
            {
                VolumeName = plan.Volume.Name,
                Container = plan.ContainerName,
                ProbeImage = plan.Container == null ? _request.Image : null,
                Drill = plan.Drill,
                Repository = plan.Drill == PersistenceDrill.None ? null : _request.Repository.Location,
                Engine = engine.Name,
            };
        }

        private string VolumeName => _plan.Volume.Name;

        private bool UsesProbe => _plan.Container == null;

        public async Task<MeshVolumePersistenceInfo> RunAsync(CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                await CheckRestartAsync(cancellationToken).ConfigureAwait(false);
                if (_plan.Drill == PersistenceDrill.InPlace && UsesProbe)
                {
                    await DrillWithProbeAsync(cancellationToken).ConfigureAwait(false);
                }
                else if (_plan.Drill == PersistenceDrill.InPlace)
                {
                    await DrillWithContainerAsync(cancellationToken).ConfigureAwait(false);
                }
                else if (_plan.Drill == PersistenceDrill.ScratchCopy)
                {
                    await DrillOnScratchCopyAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                await CleanUpAsync().ConfigureAwait(false);
            }

            _result.Steps = _steps.ToArray();
            _result.Passed = !_failed;
            _result.FailedStep = _steps.FirstOrDefault(s => !s.Passed)?.Name;
            _result.Duration = watch.Elapsed;
            return _result;
        }

        private async Task CheckRestartAsync(CancellationToken cancellationToken)
        {
            if (UsesProbe)
            {
                await StepAsync("Start probe container", StartProbeAsync, cancellationToken)
                    .ConfigureAwait(false);
            }

            await StepAsync("Write sentinel", WriteSentinelAsync, cancellationToken)
                .ConfigureAwait(false);
            await StepAsync(UsesProbe ? "Restart probe container" : "Restart container",
                RestartAsync, cancellationToken).ConfigureAwait(false);
            await StepAsync("Read sentinel",
                token => ReadSentinelAsync("after the restart", token), cancellationToken)
                .ConfigureAwait(false);
        }

        /// <summary>
        /// Runs one step unless an earlier one failed, and records it. Any error fails the
        /// step rather than the run, so the verdict names where the check stopped, and the
        /// error's message becomes the step's detail. Cancellation ends the run.
        /// </summary>
        private async Task StepAsync(
            string name, Func<CancellationToken, Task<string>> action,
            CancellationToken cancellationToken)
        {
            if (_failed)
            {
                return;
            }

            _request.StepStarted?.Invoke(name);
            var step = new PersistenceStepInfo { Name = name };
            var watch = Stopwatch.StartNew();
            try
            {
                step.Detail = await action(cancellationToken).ConfigureAwait(false);
                step.Passed = true;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                step.Detail = ex is DockerApiException api ? VolumeService.EngineMessage(api)
                    : ex is MeshVolumeException || ex is PersistenceStepException ? ex.Message
                    : ex.GetBaseException().Message;
                _failed = true;
            }
            finally
            {
                step.Duration = watch.Elapsed;
                _steps.Add(step);
            }

            _request.Report?.Invoke($"{name}: {(step.Passed ? "passed" : "failed")}. {step.Detail}");
        }

        private async Task<string> StartProbeAsync(CancellationToken cancellationToken)
        {
            IList<string> command = _request.Command ?? PersistenceProbe.DefaultCommand.ToList();
            _probe = await PersistenceProbe.CreateAsync(
                _engine, _request.Image, command, VolumeName, cancellationToken)
                .ConfigureAwait(false);
            _containerId = _probe.Id;
            _mountPath = PersistenceProbe.MountPath;
            await _probe.StartAsync(cancellationToken).ConfigureAwait(false);
            return $"Started the probe container '{_probe.Name}' from the image " +
                $"'{_request.Image}' with the volume at {PersistenceProbe.MountPath}, running " +
                $"'{string.Join(" ", command)}'.";
        }

        private async Task<string> WriteSentinelAsync(CancellationToken cancellationToken)
        {
            _sentinelWritten = true;
            _result.SentinelPath = _sentinel.PathIn(_mountPath);
            await _sentinel.WriteAsync(_engine, _containerId, _mountPath, cancellationToken)
                .ConfigureAwait(false);
            return $"Wrote {SentinelFile.Size} random bytes to {_result.SentinelPath} through " +
                $"the archive API of the container '{CurrentContainerName}'.";
        }

        private async Task<string> RestartAsync(CancellationToken cancellationToken)
        {
            if (UsesProbe)
            {
                await _probe.StopAsync(cancellationToken).ConfigureAwait(false);
                await _probe.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ContainerStates.StopAsync(_engine, _containerId, cancellationToken)
                    .ConfigureAwait(false);
                _containerStopped = true;
                await ContainerStates.StartAsync(_engine, _containerId, _plan.ContainerName,
                    cancellationToken).ConfigureAwait(false);
                _containerStopped = false;
            }

            return $"Stopped the container '{CurrentContainerName}' and started it again.";
        }

        private async Task<string> ReadSentinelAsync(string when, CancellationToken cancellationToken)
        {
            byte[] found = await _sentinel
                .ReadAsync(_engine, _containerId, _mountPath, cancellationToken)
                .ConfigureAwait(false);
            return CheckSentinel(found, _sentinel.PathIn(_mountPath), when);
        }

        private string CheckSentinel(byte[] found, string path, string when)
        {
            string problem = _sentinel.Describe(found);
            if (problem == null)
            {
                return $"{path} holds the {SentinelFile.Size} bytes written {WrittenBefore(when)}.";
            }

            string options = _plan.Volume.Options == null || _plan.Volume.Options.Count == 0
                ? string.Empty
                : " The volume uses the driver '" + _plan.Volume.Driver + "' with the options " +
                  string.Join(", ", _plan.Volume.Options.Select(o => o.Key + "=" + o.Value)) + ".";
            throw new PersistenceStepException(
                $"{path} {problem} {when}: data written to the volume '{VolumeName}' did not " +
                $"survive.{options}");
        }

        private static string WrittenBefore(string when) =>
            when == "after the restart" ? "before the restart" : "before the backup";

        private string CurrentContainerName => UsesProbe ? _probe?.Name : _plan.ContainerName;

        private async Task CleanUpAsync()
        {
            if (_containerStopped && !_keepContainerStopped)
            {
                await StartContainerAgainAsync().ConfigureAwait(false);
            }
            else if (_containerStopped)
            {
                _request.Warn?.Invoke($"The container '{_plan.ContainerName}' was left stopped, " +
                    $"because the volume '{VolumeName}' may not hold all of backup " +
                    $"{_manifest?.Id}. Check the volume, restore it with Restore-MeshVolume " +
                    $"-VolumeName {VolumeName} -Id {_manifest?.Id} -Repository " +
                    $"'{_request.Repository.Location}' -Force if needed, then start the container.");
            }

            _result.SentinelRemoved = true;
            if (_sentinelWritten)
            {
                await RemoveSentinelAsync().ConfigureAwait(false);
            }

            if (_probe != null)
            {
                string failure = await _probe.TryDisposeAsync().ConfigureAwait(false);
                if (failure != null)
                {
                    _request.Warn?.Invoke($"The probe container '{_probe.Name}' could not be " +
                        $"removed: {failure} Remove it with 'docker rm -f {_probe.Name}'.");
                }
            }

            if (_scratch != null)
            {
                await RemoveScratchAsync().ConfigureAwait(false);
            }
        }

        private async Task StartContainerAgainAsync()
        {
            try
            {
                // Not the caller's token: after Ctrl+C the container must still come back.
                using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
                {
                    await ContainerStates.StartAsync(_engine, _containerId, _plan.ContainerName,
                        timeout.Token).ConfigureAwait(false);
                }

                _containerStopped = false;
            }
            catch (Exception ex)
            {
                _request.Warn?.Invoke($"The container '{_plan.ContainerName}' could not be " +
                    $"started again: {ex.GetBaseException().Message} Start it with 'docker " +
                    $"start {_plan.ContainerName}'.");
            }
        }

        private async Task RemoveSentinelAsync()
        {
            string runningContainer = _containerStopped ? null : _containerId;
            string failure = await _sentinel.TryRemoveAsync(
                _engine, VolumeName, runningContainer, _mountPath).ConfigureAwait(false);
            if (failure == null)
            {
                _request.Report?.Invoke($"Removed the sentinel file {_sentinel.Name} from the " +
                    $"volume '{VolumeName}'.");
                return;
            }

            _result.SentinelRemoved = false;
            _request.Warn?.Invoke($"The sentinel file {_sentinel.Name} could not be removed " +
                $"from the volume '{VolumeName}': {failure} Remove it by hand.");
        }

        private async Task RemoveScratchAsync()
        {
            string failure = await ScratchVolume.TryRemoveAsync(_volumes, _scratch)
                .ConfigureAwait(false);
            if (failure != null)
            {
                _request.Warn?.Invoke($"The scratch volume '{_scratch}' could not be removed: " +
                    $"{failure} Remove it with Remove-MeshVolume {_scratch}.");
            }
        }
    }
}
