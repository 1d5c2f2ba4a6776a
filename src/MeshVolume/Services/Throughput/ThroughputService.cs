using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshVolume.Model;

namespace MeshVolume.Services.Throughput
{
    /// <summary>
    /// Measures write and read throughput through one mount at a time, in a container that
    /// runs <see cref="ThroughputScript"/>, and removes every container, volume, folder and
    /// scratch file it made, also when the measurement fails or is cancelled.
    /// </summary>
    public sealed class ThroughputService
    {
        /// <summary>Label on every container and volume the measurement makes.</summary>
        public const string Label = "meshvolume.measure";

        private const string ScratchPrefix = "meshvolume-measure-";
        private const string ScratchFilePrefix = ".meshvolume-throughput-";

        private readonly DockerEngine _engine;
        private readonly Action<string> _verbose;
        private readonly Action<string> _warning;

        public ThroughputService(
            DockerEngine engine, Action<string> verbose, Action<string> warning)
        {
            _engine = engine;
            _verbose = verbose ?? (_ => { });
            _warning = warning ?? (_ => { });
        }

        /// <summary>Throws ImageNotFound unless the engine has the image; never pulls it.</summary>
        public async Task EnsureImageAsync(string image, CancellationToken cancellationToken)
        {
            try
            {
                await _engine.Client.Images.InspectImageAsync(image, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new MeshVolumeException(
                    $"The image '{image}' was not found on the engine at {_engine.Name}. " +
                    "Measure-MeshVolumeThroughput never pulls images: pull or build it first " +
                    $"(docker pull {image}), or name an image the engine has, such as busybox.",
                    MeshErrors.ImageNotFound, ErrorCategory.ObjectNotFound, ex);
            }
        }

        /// <summary>Measures a new scratch volume, which is removed afterwards.</summary>
        public async Task<IReadOnlyList<ThroughputInfo>> MeasureScratchVolumeAsync(
            ThroughputRequest request, CancellationToken cancellationToken)
        {
            string name = ScratchPrefix + NewId();
            var volumes = new VolumeService(_engine);

            // Not cancellable, because a create cancelled midway could leave a stray volume.
            await volumes.CreateAsync(name, "local", null, NewLabels(), CancellationToken.None)
                .ConfigureAwait(false);
            _verbose($"Created the scratch volume '{name}'.");
            try
            {
                return await MeasureAsync(
                    request, "Volume", VolumeMount(name), name, directRead: true,
                    keepsData: false, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await RemoveVolumeAsync(volumes, name).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Measures an existing volume through a scratch file at its root; the rest of the
        /// volume is left as it is.
        /// </summary>
        public async Task<IReadOnlyList<ThroughputInfo>> MeasureVolumeAsync(
            ThroughputRequest request, string name, CancellationToken cancellationToken)
        {
            await new VolumeService(_engine).InspectAsync(name, cancellationToken)
                .ConfigureAwait(false);
            return await MeasureAsync(
                request, "Volume", VolumeMount(name), name, directRead: true, keepsData: true,
                cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Measures a bind mount of a new folder under <paramref name="parentFolder"/>, which must
        /// be on the engine's host; the folder is removed afterwards.
        /// </summary>
        public async Task<IReadOnlyList<ThroughputInfo>> MeasureBindAsync(
            ThroughputRequest request, string parentFolder, CancellationToken cancellationToken)
        {
            string folder = Path.Combine(Path.GetFullPath(parentFolder), ScratchPrefix + NewId());
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new MeshVolumeException(
                    $"The folder '{folder}' for the bind mount could not be created: {ex.Message}",
                    MeshErrors.MeasurementFailed, ErrorCategory.WriteError, ex);
            }

            _verbose($"Created the folder '{folder}' for the bind mount.");
            try
            {
                var mount = new Mount
                {
                    Type = "bind",
                    Source = folder,
                    Target = ThroughputScript.MountPath,
                };
                return await MeasureAsync(
                    request, "Bind", mount, folder, directRead: true, keepsData: true,
                    cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                RemoveFolder(folder);
            }
        }

        /// <summary>Measures a tmpfs mount, whose files stay in memory.</summary>
        public Task<IReadOnlyList<ThroughputInfo>> MeasureTmpfsAsync(
            ThroughputRequest request, CancellationToken cancellationToken)
        {
            var mount = new Mount { Type = "tmpfs", Target = ThroughputScript.MountPath };
            return MeasureAsync(
                request, "Tmpfs", mount, "tmpfs", directRead: false, keepsData: false,
                cancellationToken);
        }

        // directRead: read with O_DIRECT, which tmpfs does not need because it has no device.
        // keepsData: the mount outlives the container, so a scratch file left by a container
        // that did not finish must be removed by another one.
        private async Task<IReadOnlyList<ThroughputInfo>> MeasureAsync(
            ThroughputRequest request, string mountType, Mount mount, string source,
            bool directRead, bool keepsData, CancellationToken cancellationToken)
        {
            string scratchFile = ScratchFilePrefix + NewId();
            string script = ThroughputScript.Build(request, scratchFile, directRead);
            ProbeContainer probe = null;
            bool scriptFinished = false;
            try
            {
                // Not cancellable: a create cancelled midway could leave a container whose id
                // never arrives, so nothing would remove it.
                probe = await ProbeContainer.CreateAsync(
                    _engine, request.Image, script, mount, NewLabels(), CancellationToken.None)
                    .ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                _verbose($"Running the container {Short(probe.Id)} from '{request.Image}' with " +
                    $"the {mountType} mount ({source}): {request.Runs} run(s) of " +
                    $"{request.Bytes} bytes in blocks of {request.BlockSize}.");
                long exitCode = await probe.RunAsync(cancellationToken).ConfigureAwait(false);
                scriptFinished = exitCode == 0;
                string text = await probe.ReadFileAsync(ThroughputScript.LogPath, cancellationToken)
                    .ConfigureAwait(false);
                if (exitCode != 0)
                {
                    throw Failed(mountType, source, Explain(exitCode), text);
                }

                ThroughputLog log = ParseLog(mountType, source, text);
                return Summarize(request, mountType, source, directRead, log);
            }
            finally
            {
                if (probe != null)
                {
                    await probe.DisposeAsync(_warning).ConfigureAwait(false);
                    if (keepsData && probe.Started && !scriptFinished)
                    {
                        await RemoveScratchFileAsync(request.Image, mount, scratchFile, source)
                            .ConfigureAwait(false);
                    }
                }
            }
        }

        private static ThroughputLog ParseLog(string mountType, string source, string text)
        {
            ThroughputLog log;
            try
            {
                log = ThroughputLog.Parse(text);
            }
            catch (MeshVolumeException ex)
            {
                throw new MeshVolumeException(
                    $"Measuring the {mountType} mount ({source}) failed: {ex.Message}",
                    ex.ErrorId, ex.Category, ex);
            }

            if (!log.Completed)
            {
                throw Failed(mountType, source, "the container exited before the end", text);
            }

            return log;
        }

        private IReadOnlyList<ThroughputInfo> Summarize(
            ThroughputRequest request, string mountType, string source, bool directRead,
            ThroughputLog log)
        {
            if (mountType != "Tmpfs" && (log.FileSystem == "tmpfs" || log.FileSystem == "ramfs"))
            {
                _warning($"The {mountType} mount ({source}) is on {log.FileSystem}, so its " +
                    "figures show the speed of memory, not of a disk." +
                    (mountType == "Bind" ? " Use -BindPath to name a folder on a disk." : ""));
            }

            var rows = new List<ThroughputInfo>();
            foreach (string operation in new[] { "write", "read" })
            {
                List<ThroughputAttempt> timed = log.Attempts
                    .Where(a => a.Operation == operation && a.Status == 0)
                    .OrderBy(a => a.Run)
                    .ToList();
                if (timed.Count != request.Runs)
                {
                    string found = $"the log contains {timed.Count} timed {operation}(s) for " +
                        $"{request.Runs} run(s)";
                    throw Failed(mountType, source, found, null);
                }

                if (operation == "read" && directRead && timed.Any(a => a.Method != "direct"))
                {
                    WarnPageCacheRead(mountType, source, log);
                }

                double[] seconds = timed.Select(a => a.Seconds.Value).ToArray();
                double median = ThroughputLog.Median(seconds);
                double mebibytes = request.Bytes / (double)ThroughputRequest.Mebibyte;
                IEnumerable<string> methods = timed.Select(a => DescribeMethod(a.Method));
                rows.Add(new ThroughputInfo
                {
                    MountType = mountType,
                    Operation = operation == "write" ? "Write" : "Read",
                    Bytes = request.Bytes,
                    BlockSize = request.BlockSize,
                    Seconds = Math.Round(median, 6),
                    MBps = Math.Round(mebibytes / median, 2),
                    Runs = request.Runs,
                    RunSeconds = seconds.Select(s => Math.Round(s, 6)).ToArray(),
                    Method = string.Join(", ", methods.Distinct()),
                    Clock = string.Join(", ", timed.Select(a => a.Clock).Distinct()),
                    Source = source,
                    FileSystem = log.FileSystem,
                    Image = request.Image,
                    Engine = _engine.Name,
                });
            }

            return rows;
        }

        private void WarnPageCacheRead(string mountType, string source, ThroughputLog log)
        {
            ThroughputAttempt rejected = log.Attempts.FirstOrDefault(
                a => a.Operation == "read" && a.Method == "direct" && a.Status != 0);
            string reason = rejected?.Messages?.Split('\n').FirstOrDefault()?.Trim();
            _warning($"The {mountType} mount ({source}) rejected reads with O_DIRECT" +
                (string.IsNullOrEmpty(reason) ? "" : $" ({reason})") + ", so its Read figure " +
                "comes from the page cache and shows the speed of memory, not of the storage. " +
                "A -BlockSize that is a multiple of 4096 may avoid this.");
        }

        private static string DescribeMethod(string method)
        {
            switch (method)
            {
                case "fsync": return "conv=fsync";
                case "direct": return "iflag=direct";
                default: return "page cache";
            }
        }

        private static string Explain(long exitCode)
        {
            switch (exitCode)
            {
                case ThroughputScript.WriteFailed: return "writing the scratch file failed";
                case ThroughputScript.ReadFailed: return "reading the scratch file failed";
                case ThroughputScript.RemoveFailed: return "removing the scratch file failed";
                case 126:
                case 127: return "the image lacks a command the measurement needs (sh, dd, rm)";
                case 137: return "the container was killed, for example when it ran out of memory";
                default: return $"the container exited with code {exitCode}";
            }
        }

        private static MeshVolumeException Failed(
            string mountType, string source, string reason, string log)
        {
            string output = string.IsNullOrWhiteSpace(log)
                ? string.Empty
                : " Container output: " + Tail(log, 12);
            return new MeshVolumeException(
                $"Measuring the {mountType} mount ({source}) failed: {reason}.{output}",
                MeshErrors.MeasurementFailed, ErrorCategory.InvalidResult);
        }

        private static string Tail(string text, int lines)
        {
            string[] all = text.Trim().Split('\n');
            IEnumerable<string> last = all.Skip(Math.Max(0, all.Length - lines));
            return string.Join(" | ", last.Select(l => l.Trim()));
        }

        // Runs a second container with the same mount that removes the scratch file; a failure
        // becomes a warning because it runs in cleanup paths.
        private async Task RemoveScratchFileAsync(
            string image, Mount mount, string scratchFile, string source)
        {
            string failure = null;
            try
            {
                // Not the caller's token: after Ctrl+C the scratch file must still go.
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                {
                    ProbeContainer cleanup = await ProbeContainer.CreateAsync(
                        _engine, image, ThroughputScript.BuildRemoval(scratchFile), mount,
                        NewLabels(), timeout.Token)
                        .ConfigureAwait(false);
                    try
                    {
                        long exitCode = await cleanup.RunAsync(timeout.Token).ConfigureAwait(false);
                        if (exitCode != 0)
                        {
                            failure = $"rm exited with code {exitCode}";
                        }
                    }
                    finally
                    {
                        await cleanup.DisposeAsync(_warning).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex)
            {
                failure = ex.GetBaseException().Message;
            }

            if (failure == null)
            {
                _verbose($"Removed the scratch file '{scratchFile}' from {source}.");
                return;
            }

            _warning($"The scratch file '{scratchFile}' may remain at the root of {source}: " +
                $"{failure}. Remove it from a container that mounts {source}, or on the " +
                "engine's host.");
        }

        private async Task RemoveVolumeAsync(VolumeService volumes, string name)
        {
            try
            {
                // Not the caller's token: after Ctrl+C the scratch volume must still go.
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    await volumes.RemoveAsync(name, timeout.Token).ConfigureAwait(false);
                }

                _verbose($"Removed the scratch volume '{name}'.");
            }
            catch (Exception ex)
            {
                _warning($"The scratch volume '{name}' could not be removed: " +
                    $"{ex.GetBaseException().Message}. Remove it with 'docker volume rm {name}'.");
            }
        }

        private void RemoveFolder(string folder)
        {
            try
            {
                Directory.Delete(folder, true);
                _verbose($"Removed the folder '{folder}'.");
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                _warning($"The folder '{folder}' could not be removed: {ex.Message} " +
                    "Remove it by hand.");
            }
        }

        private static Mount VolumeMount(string name)
        {
            return new Mount
            {
                Type = "volume",
                Source = name,
                Target = ThroughputScript.MountPath,
            };
        }

        private static Dictionary<string, string> NewLabels()
        {
            return new Dictionary<string, string> { [Label] = "1" };
        }

        private static string NewId() => Guid.NewGuid().ToString("N").Substring(0, 12);

        private static string Short(string id) => id.Length > 12 ? id.Substring(0, 12) : id;
    }
}
