using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshVolume.Model;

namespace MeshVolume.Services
{
    /// <summary>Volume queries and changes on one engine.</summary>
    public sealed class VolumeService
    {
        public const string ComposeProjectLabel = "com.docker.compose.project";

        // The engine's own rule for volume names (daemon/names.RestrictedNamePattern).
        private static readonly Regex ValidName =
            new Regex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", RegexOptions.CultureInvariant);

        private readonly DockerEngine _engine;

        public VolumeService(DockerEngine engine)
        {
            _engine = engine;
        }

        /// <summary>Throws VolumeNameInvalid unless the engine would accept the name.</summary>
        public static void ValidateName(string name)
        {
            if (name == null || !ValidName.IsMatch(name))
            {
                throw new MeshVolumeException(
                    $"The volume name '{name}' is invalid. A name has at least two characters, " +
                    "starts with a letter or digit, and contains only letters, digits, '_', '.' " +
                    "and '-'.", MeshErrors.VolumeNameInvalid, ErrorCategory.InvalidArgument);
            }
        }

        /// <summary>Lists volumes, optionally filtered by engine-side label filters.</summary>
        public async Task<IList<VolumeResponse>> ListAsync(
            IEnumerable<string> labelFilters, CancellationToken cancellationToken)
        {
            var parameters = new VolumesListParameters();
            var labels = labelFilters?.ToList();
            if (labels != null && labels.Count > 0)
            {
                parameters.Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = labels.ToDictionary(l => l, l => true),
                };
            }

            VolumesListResponse response = await _engine.Client.Volumes
                .ListAsync(parameters, cancellationToken).ConfigureAwait(false);
            return response.Volumes ?? new List<VolumeResponse>();
        }

        /// <summary>Inspects one volume; null when it does not exist.</summary>
        public async Task<VolumeResponse> TryInspectAsync(
            string name, CancellationToken cancellationToken)
        {
            try
            {
                return await _engine.Client.Volumes.InspectAsync(name, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }

        /// <summary>Inspects one volume or throws VolumeNotFound.</summary>
        public async Task<VolumeResponse> InspectAsync(
            string name, CancellationToken cancellationToken)
        {
            VolumeResponse volume = await TryInspectAsync(name, cancellationToken)
                .ConfigureAwait(false);
            if (volume == null)
            {
                throw new MeshVolumeException(
                    $"The volume '{name}' was not found on the engine at {_engine.Name}. " +
                    "Run Get-MeshVolume to see the volumes there.",
                    MeshErrors.VolumeNotFound, ErrorCategory.ObjectNotFound);
            }

            return volume;
        }

        /// <summary>Sizes of all volumes from the engine's disk-usage API, by name.</summary>
        public async Task<IDictionary<string, long>> GetSizesAsync(
            CancellationToken cancellationToken)
        {
            // Engines before API 1.52 list volumes under "Volumes"; newer ones under
            // "VolumeUsage.Items", which is the only shape the client library's model reads.
            byte[] body = await GetDiskUsageAsync(cancellationToken).ConfigureAwait(false);
            if (body != null)
            {
                return DiskUsageParser.ParseVolumeSizes(body);
            }

            var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
            var parameters = new SytemDataUsageInfoParameters { Type = new List<string> { "volume" } };
            SystemDataUsageInfoResponse usage = await _engine.Client.System
                .GetDataUsageInfoAsync(parameters, cancellationToken).ConfigureAwait(false);
            foreach (Volume volume in usage?.VolumeUsage?.Items ?? Enumerable.Empty<Volume>())
            {
                // The engine reports -1 when the driver cannot tell the size.
                if (volume.UsageData != null && volume.UsageData.Size >= 0)
                {
                    sizes[volume.Name] = volume.UsageData.Size;
                }
            }

            return sizes;
        }

        // The engine runs one disk-usage query at a time and rejects others meanwhile, so a
        // busy engine is asked again a few times before giving up.
        private async Task<byte[]> GetDiskUsageAsync(CancellationToken cancellationToken)
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    return await EngineRawRequest.GetAsync(_engine.Client, "system/df", cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (DockerApiException ex) when (attempt < 6 &&
                    (ex.ResponseBody ?? string.Empty).Contains("already running"))
                {
                    await Task.Delay(200 * attempt, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        /// <summary>All containers, running or not, with the volumes they mount, by volume name.</summary>
        public async Task<ILookup<string, MeshVolumeContainerInfo>> GetVolumeUsersAsync(
            CancellationToken cancellationToken)
        {
            IList<ContainerListResponse> containers = await _engine.Client.Containers
                .ListContainersAsync(new ContainersListParameters { All = true }, cancellationToken)
                .ConfigureAwait(false);
            var pairs = new List<KeyValuePair<string, MeshVolumeContainerInfo>>();
            foreach (ContainerListResponse container in containers)
            {
                foreach (MountPoint mount in container.Mounts ?? new List<MountPoint>())
                {
                    if (mount.Type != "volume" || string.IsNullOrEmpty(mount.Name))
                    {
                        continue;
                    }

                    pairs.Add(new KeyValuePair<string, MeshVolumeContainerInfo>(
                        mount.Name, ToContainerInfo(container, mount)));
                }
            }

            return pairs.ToLookup(p => p.Key, p => p.Value, StringComparer.Ordinal);
        }

        /// <summary>Converts an engine volume into the module's output object.</summary>
        public MeshVolumeInfo ToInfo(
            VolumeResponse volume, IDictionary<string, long> sizes,
            ILookup<string, MeshVolumeContainerInfo> users)
        {
            var labels = Copy(volume.Labels);
            labels.TryGetValue(ComposeProjectLabel, out string project);
            long size = 0;
            bool hasSize = sizes != null && sizes.TryGetValue(volume.Name, out size);
            return new MeshVolumeInfo
            {
                Name = volume.Name,
                Driver = volume.Driver,
                Scope = volume.Scope,
                Mountpoint = volume.Mountpoint,
                DriverOptions = Copy(volume.Options),
                Labels = labels,
                CreatedUtc = ParseTime(volume.CreatedAt),
                SizeBytes = hasSize ? size : (long?)null,
                Containers = users?[volume.Name].ToArray() ?? new MeshVolumeContainerInfo[0],
                Engine = _engine.Name,
                ComposeProject = project,
            };
        }

        /// <summary>Creates a volume.</summary>
        public async Task<VolumeResponse> CreateAsync(
            string name, string driver, IDictionary<string, string> driverOptions,
            IDictionary<string, string> labels, CancellationToken cancellationToken)
        {
            var parameters = new VolumesCreateParameters
            {
                Name = name,
                Driver = string.IsNullOrEmpty(driver) ? "local" : driver,
                DriverOpts = driverOptions ?? new Dictionary<string, string>(),
                Labels = labels ?? new Dictionary<string, string>(),
            };
            try
            {
                return await _engine.Client.Volumes.CreateAsync(parameters, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (DockerApiException ex)
            {
                throw new MeshVolumeException(
                    $"The engine could not create the volume '{name}' with driver " +
                    $"'{parameters.Driver}': {EngineMessage(ex)}",
                    MeshErrors.EngineRequestFailed, ErrorCategory.InvalidOperation, ex);
            }
        }

        /// <summary>Removes a volume; the caller has checked that no container uses it.</summary>
        public async Task RemoveAsync(string name, CancellationToken cancellationToken)
        {
            try
            {
                await _engine.Client.Volumes.RemoveAsync(name, false, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
            {
                throw new MeshVolumeException(
                    $"The volume '{name}' is in use and was not removed: {EngineMessage(ex)}",
                    MeshErrors.VolumeInUse, ErrorCategory.ResourceBusy, ex);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new MeshVolumeException(
                    $"The volume '{name}' was not found on the engine at {_engine.Name}.",
                    MeshErrors.VolumeNotFound, ErrorCategory.ObjectNotFound, ex);
            }
        }

        /// <summary>The message inside an engine error response, without the JSON around it.</summary>
        public static string EngineMessage(DockerApiException ex)
        {
            string body = ex.ResponseBody ?? string.Empty;
            Match match = Regex.Match(body, "\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
            return match.Success ? Regex.Unescape(match.Groups[1].Value) : ex.Message;
        }

        private static MeshVolumeContainerInfo ToContainerInfo(
            ContainerListResponse container, MountPoint mount)
        {
            string name = container.Names?.FirstOrDefault()?.TrimStart('/') ?? container.ID;
            return new MeshVolumeContainerInfo
            {
                Id = container.ID,
                Name = name,
                State = container.State,
                Destination = mount.Destination,
                ReadOnly = !mount.RW,
            };
        }

        private static Dictionary<string, string> Copy(IDictionary<string, string> source)
        {
            return source == null
                ? new Dictionary<string, string>()
                : new Dictionary<string, string>(source, StringComparer.Ordinal);
        }

        private static DateTime? ParseTime(string text)
        {
            if (DateTime.TryParse(text, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal,
                out DateTime time))
            {
                return time;
            }

            return null;
        }
    }
}
